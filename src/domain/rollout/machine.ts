// The rollout state machine: from the rollout's status, the live state read this reconcile
// (route weights, Deployments) and, when one was due, an analysis, it decides the next status
// and the writes that bring the world to it. Pure: the controller persists the status first,
// then performs the effects, so a restart at any moment resumes from what status says and
// every effect is repeated until the live state reads back as intended.
import type { Condition } from "../../api/v1alpha1/common.ts";
import type { ModelRolloutStatus, RolloutPhase, RolloutStrategy, Weights } from "../../api/v1alpha1/rollout.ts";
import { TERMINAL_PHASES } from "../../api/v1alpha1/rollout.ts";
import { setConditions, type ConditionInput } from "../conditions.ts";
import { durationMs } from "../duration.ts";
import { severityRank } from "../stats/severity.ts";
import { EventReason } from "../events.ts";
import { analysisRecordOf, carriedEvidence, exposureOf, keptBoundaries, stageOf, type AnalysisJudgement } from "./analysis.ts";
import {
  ALL_STABLE,
  Builder,
  sameWeights,
  stepWeights,
  WAIT_MS,
  WATCH_INTERVAL_MS,
  ZERO_COUNTERS,
  type RolloutDecision,
  type RolloutSnapshot,
  type RolloutWorld,
} from "./builder.ts";
import { actionRefusal } from "./actions.ts";
import { actionVerb, ROLLOUT_ACTION_ANNOTATION, ROLLOUT_TARGET_LABEL } from "./names.ts";
import { accelerateRollback, rollback, rollingBack } from "./rollback.ts";

export type { LiveWeights, MonitorVerdict, RolloutDecision, RolloutEffect, RolloutSnapshot, RolloutWorld, WorkloadState } from "./builder.ts";
export { WATCH_INTERVAL_MS } from "./builder.ts";

const ANALYSES_KEPT = 32;

export const isTerminal = (phase: RolloutPhase | undefined) => phase !== undefined && TERMINAL_PHASES.includes(phase);

/** Whether the step's analysis is due now. */
export const analysisDue = (status: ModelRolloutStatus, now: number): boolean =>
  (status.phase === "Progressing" || status.phase === "Shadowing") && status.nextAnalysisTime !== undefined && Date.parse(status.nextAnalysisTime) <= now;

/**
 * Whether the analysis due now is an interim check (analysis.interval): the hold is not over, so
 * the check can fail the candidate but never pass the step. Decided from status alone, so a
 * strategy whose interval changes mid-step still never passes a step before its hold ends.
 */
export const interimCheckDue = (status: ModelRolloutStatus, now: number): boolean => status.holdEndTime !== undefined && now < Date.parse(status.holdEndTime);

/**
 * A hold of holdMs starts now (a step, the shadow, an extension): the first check is due one
 * analysis.interval from now (or at the hold's end, if sooner), and holdEndTime says when the step
 * may pass.
 */
function holdFor(b: Builder, w: RolloutWorld, holdMs: number) {
  const end = b.now + holdMs;
  b.set({
    holdEndTime: new Date(end).toISOString(),
    nextAnalysisTime: new Date(Math.min(end, b.now + durationMs(w.strategy.analysis.interval))).toISOString(),
  });
}

/** The next check within the current hold: one interval on, but never past the hold's end. */
function nextCheck(b: Builder, w: RolloutWorld) {
  const end = Date.parse(b.status.holdEndTime ?? b.iso);
  b.set({ nextAnalysisTime: new Date(Math.min(end, b.now + durationMs(w.strategy.analysis.interval))).toISOString() });
}

/**
 * The window a step's analysis measures: everything since the step began (so an extended step
 * accumulates samples). The stable version is measured over the same window, or, when it has no
 * live traffic (a 100 % step), over an equally long window just before the step began.
 */
export function analysisWindow(status: ModelRolloutStatus, now: number): { windowMs: number; candidateAt: number; stableAt: number } {
  const start = Date.parse(status.stepStartTime ?? new Date(now).toISOString());
  const windowMs = Math.max(1000, now - start);
  return { windowMs, candidateAt: now, stableAt: (status.stepWeight ?? 0) >= 100 ? start : now };
}

/** The status reason while a serving object lacks the opt-in label (REQUIRE_TARGET_OPT_IN). */
export const TARGET_HOLD = "TargetNotOptedIn";

/**
 * Nothing can move (the monitor is missing or invalid, or has no spec.serving): PHASE, REASON and
 * MESSAGE say why (a rollout that never started is Pending), and what they said before is kept
 * to be shown again once the rollout can move (unblocked). Everything else stays as it is.
 */
export function blockedStatus(previous: ModelRolloutStatus, reason: string, message: string): ModelRolloutStatus {
  const kept = previous.blocked ?? { resumeReason: previous.reason, resumeMessage: previous.message };
  return {
    ...previous,
    phase: previous.phase ?? "Pending",
    reason,
    message,
    blocked: {
      reason,
      ...(kept.resumeReason !== undefined ? { resumeReason: kept.resumeReason } : {}),
      ...(kept.resumeMessage !== undefined ? { resumeMessage: kept.resumeMessage } : {}),
    },
  };
}

/** The status as it was before the block: a rollout that never started starts now. */
export function unblocked(status: ModelRolloutStatus): ModelRolloutStatus {
  if (!status.blocked) return status;
  const { blocked, ...rest } = status;
  if (status.startTime === undefined) return { ...rest, phase: undefined, reason: undefined, message: undefined };
  return { ...rest, reason: blocked.resumeReason, message: blocked.resumeMessage };
}

/** The step as the messages count it (1/4), or shadow; undefined before the first. */
export function stepOf(status: ModelRolloutStatus, steps: number): string | undefined {
  if (status.phase === "Shadowing") return "shadow";
  // paused in the shadow phase: it has a step start and no step
  if (status.stepIndex === undefined) return status.stepWeight === 0 && status.stepStartTime !== undefined ? "shadow" : undefined;
  return `${status.stepIndex + 1}/${steps}`;
}

/** The version serving stable traffic now: the candidate from its promotion (until a rollback of it), else the one it started from. */
export function stableVersionOf(status: ModelRolloutStatus, candidate: string): string | undefined {
  const promotedAndKept = status.promotedTime !== undefined && (status.phase === "Baking" || status.phase === "Succeeded");
  return promotedAndKept ? candidate : status.stable?.version;
}

/** What kubectl get shows beside the phase, derived from the rest of status so that it always agrees with it. */
function glance(status: ModelRolloutStatus, steps: number, candidate: string): Partial<ModelRolloutStatus> {
  return { step: stepOf(status, steps), stableVersion: stableVersionOf(status, candidate) };
}

export function decideRollout(r: RolloutSnapshot, world: RolloutWorld): RolloutDecision {
  const b = new Builder(unblocked(r.status), world.now);
  if (r.status.blocked && !r.deleting) b.event("Normal", EventReason.RolloutResumed, `${r.status.blocked.reason} is resolved: the rollout carries on`);
  // the reconcile that ends a hold judges nothing: its step's hold starts again
  const w = r.status.reason === TARGET_HOLD && !world.targetRefusal ? { ...world, analysis: undefined } : world;
  const live = w.weights.kind === "weights" ? w.weights.weights : undefined;
  const version = r.spec.candidate.version;

  if (r.deleting) return restoreOnDelete(b, r, w, live);
  if (w.targetRefusal && (!isTerminal(r.status.phase) || retryWaiting(r))) return holdForTargets(b, r, w, w.targetRefusal);
  if (live) b.set({ weights: live });
  if (b.status.phase === undefined) start(b, r, w);
  if (b.status.reason === TARGET_HOLD) releaseTargetHold(b, w);
  handleAction(b, r, w);

  switch (b.status.phase) {
    case "Pending":
      pending(b, r, w);
      break;
    case "Shadowing":
      shadowing(b, r, w);
      break;
    case "Progressing":
      progressing(b, r, w, live);
      break;
    case "Paused":
      paused(b, r, w);
      break;
    case "Promoting":
      promoting(b, r, w, live);
      break;
    case "Baking":
      baking(b, r, w);
      break;
    case "RollingBack":
      rollingBack(b, r, w, live);
      break;
    default:
      break;
  }
  // converge the route on what status intends, while the rollout holds the traffic
  const desired = b.status.desiredWeights;
  const owning = b.status.phase !== "Paused" && !isTerminal(b.status.phase);
  if (owning && desired && !sameWeights(live, desired) && !b.effects.some((e) => e.kind === "setWeights"))
    b.effects.push({ kind: "setWeights", weights: desired });
  // the route mirrors to the candidate in the shadow phase only
  const mirror = liveMirror(w);
  const wantMirror = b.status.phase === "Shadowing" ? (b.status.desiredMirror ?? 0) : 0;
  b.set({ desiredMirror: b.status.phase === "Shadowing" ? wantMirror : undefined, ...(mirror !== undefined ? { mirror } : {}) });
  if (owning && mirror !== undefined && mirror !== wantMirror && !b.effects.some((e) => e.kind === "setMirror")) {
    // leaving the shadow for live traffic: the mirror goes first; a rollback's weights still go before anything
    const rollingBack = b.effects.some((e) => e.kind === "setWeights" && sameWeights(e.weights, ALL_STABLE));
    if (wantMirror === 0 && !rollingBack) b.effects.unshift({ kind: "setMirror", percent: 0 });
    else b.effects.push({ kind: "setMirror", percent: wantMirror });
  }
  parkWhenEnded(b, w, live);
  if (b.effects.length) b.requeue(500);
  if (!isTerminal(b.status.phase)) b.requeue(b.status.phase === "Paused" ? 10_000 : WATCH_INTERVAL_MS);

  b.set({
    observedGeneration: r.generation,
    conditions: conditionsOf(b.status, w, version, r.generation),
    ...(w.serving ? { serving: w.serving } : {}),
    ...glance(b.status, w.strategy.steps.length, version),
  });
  const over = isTerminal(b.status.phase);
  return { status: b.status, effects: b.effects, events: b.events, requeueAfterMs: b.requeueAfterMs, holdFinalizer: !over, releaseFinalizer: over };
}

/**
 * An ended rollout's candidate Deployment serves nothing (all traffic is on stable): unless the
 * strategy keeps it warm, it is scaled to zero, and status records it once read back so, so an
 * older rollout never touches it again (the next rollout scales it back up in Pending).
 */
function parkWhenEnded(b: Builder, w: RolloutWorld, live: Weights | undefined) {
  const cw = w.candidateWorkload;
  if (!isTerminal(b.status.phase) || w.strategy.keepCandidateWarm || b.status.candidateParked || !cw.found || cw.parked === undefined) return;
  if (cw.parked) return b.set({ candidateParked: true });
  if (!sameWeights(live, ALL_STABLE) || w.targetRefusal) return;
  b.effects.push({ kind: "parkCandidate", parked: true });
  // read it back, so status can say it is done
  b.requeue(WAIT_MS);
}

/** A retry asked for and not handled yet: the one action that makes a finished rollout write again. */
const retryWaiting = (r: RolloutSnapshot) => {
  const value = r.annotations[ROLLOUT_ACTION_ANNOTATION];
  return value !== undefined && value !== r.status.handledAction && actionVerb(value) === "retry";
};

/**
 * A serving object lacks the opt-in label: nothing is written to any of them, nothing moves (no
 * step, analysis, timeout, promotion or rollback, and a person's action waits), and status says
 * which object and the command that fixes it. A rollout held before it began is Pending. The
 * weights status recorded stay those of before the hold, so a weight a person sets meanwhile is
 * found to be theirs (ManualWeightChange) rather than overwritten when the hold ends.
 */
function holdForTargets(b: Builder, r: RolloutSnapshot, w: RolloutWorld, why: string): RolloutDecision {
  if (b.status.phase === undefined) start(b, r, w);
  if (r.status.reason !== TARGET_HOLD) b.event("Warning", EventReason.TargetNotOptedIn, why);
  b.phase(b.status.phase as RolloutPhase, TARGET_HOLD, why);
  // labels are not watched: look again this often
  b.requeue(WATCH_INTERVAL_MS);
  b.set({
    observedGeneration: r.generation,
    conditions: conditionsOf(b.status, w, r.spec.candidate.version, r.generation),
    ...(w.serving ? { serving: w.serving } : {}),
    ...glance(b.status, w.strategy.steps.length, r.spec.candidate.version),
  });
  return {
    status: b.status,
    effects: [],
    events: b.events,
    requeueAfterMs: b.requeueAfterMs,
    holdFinalizer: !isTerminal(b.status.phase),
    releaseFinalizer: false,
  };
}

/** The labels are back: the phase goes on where it held; its clocks start again, as after a pause. */
function releaseTargetHold(b: Builder, w: RolloutWorld) {
  const phase = b.status.phase as RolloutPhase;
  let restarted = "";
  if (phase === "Pending") {
    // the ready timeout counts from now: the candidate could not be put in place meanwhile
    b.set({ phaseTime: b.iso });
    restarted = "; the wait for the candidate starts again";
  } else if (phase === "Progressing" || phase === "Shadowing") {
    const index = b.status.stepIndex ?? 0;
    const step = w.strategy.steps[Math.min(index, w.strategy.steps.length - 1)] as RolloutStrategy["steps"][number];
    const hold = phase === "Shadowing" ? (w.strategy.shadow?.hold ?? step.hold) : step.hold;
    // what happened while held is not this step's evidence: the hold (and its checks) starts again
    b.set({ stepStartTime: b.iso, stepChecks: 0, stepBoundaries: undefined });
    holdFor(b, w, durationMs(hold));
    restarted = `; the ${phase === "Shadowing" ? "shadow" : "step"} holds ${hold} again`;
  }
  const message = `every serving object carries ${ROLLOUT_TARGET_LABEL}=true again: carrying on${restarted}`;
  b.phase(phase, "TargetsOptedIn", message);
  b.event("Normal", EventReason.RolloutResumed, message);
}

function start(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  b.set({
    stable: { version: w.stable.version, ...(w.stable.uri !== undefined ? { uri: w.stable.uri } : {}) },
    attempt: (b.status.attempt ?? 0) + 1,
    startTime: b.iso,
    counters: { ...ZERO_COUNTERS },
    analyses: [],
    carriedEvidence: undefined,
    candidateParked: undefined,
    // a retry starts a new attempt: the last attempt's analysis is not this one's
    lastAnalysis: undefined,
    desiredWeights: ALL_STABLE,
  });
  b.phase("Pending", "Started", `rolling ${r.spec.candidate.version} out against stable ${w.stable.version}`);
  b.event(
    "Normal",
    EventReason.RolloutStarted,
    `rolling ${r.spec.candidate.version} out against stable ${w.stable.version}: ${w.strategy.steps.map((s) => `${s.weight} %`).join(", ")}`,
  );
}

function handleAction(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  const value = r.annotations[ROLLOUT_ACTION_ANNOTATION];
  if (value === undefined || value === b.status.handledAction) return;
  b.set({ handledAction: value });
  const verb = actionVerb(value);
  const phase = b.status.phase;
  const said = `${ROLLOUT_ACTION_ANNOTATION}=${value}`;
  if (!verb) return b.event("Warning", EventReason.UnknownAction, `${said}: unknown action; use approve, reject, promote, abort, resume or retry`);
  const refusal = actionRefusal(verb, {
    phase,
    awaitingApproval: phase === "Pending" && w.strategy.approval === "manual" && !b.status.approvedTime,
    gradualRollback: b.status.rollbackStepIndex !== undefined,
  });
  if (refusal) return b.event("Warning", EventReason.ManualAction, `${said} ignored: ${refusal}`);
  switch (verb) {
    case "approve":
      b.set({ approvedTime: b.iso });
      b.event("Normal", EventReason.Approved, `${said}: ${r.spec.candidate.version} approved; the rollout starts`);
      return;
    case "reject":
      b.event("Warning", EventReason.Rejected, `${said}: ${r.spec.candidate.version} rejected`);
      return rollback(b, r, w, "Aborted", "rejected by a person before it started");
    case "abort":
      if (phase === "RollingBack" && b.status.rollbackStepIndex !== undefined) {
        accelerateRollback(b, r, `${said}: aborting the gradual rollback`);
        return b.phase("RollingBack", "Aborted", "aborted by a person during a gradual rollback");
      }
      b.event("Warning", EventReason.ManualAction, `${said}: aborting, all traffic back to stable`);
      return rollback(b, r, w, "Aborted", "aborted by a person");
    case "promote":
      b.event("Normal", EventReason.ManualAction, `${said}: promoting now, skipping the remaining steps`);
      b.set({ holdEndTime: undefined });
      b.phase("Promoting", "PromotedByPerson", `promoting ${r.spec.candidate.version} on request`);
      return;
    case "resume":
      b.event("Normal", EventReason.RolloutResumed, `${said}: resuming step ${(b.status.stepIndex ?? 0) + 1}`);
      return resume(b, w);
    case "retry":
      b.event("Normal", EventReason.RetryStarted, `${said}: ${r.spec.candidate.version} leaves quarantine and is rolled out again`);
      b.set({
        quarantined: false,
        finishTime: undefined,
        stepIndex: undefined,
        stepWeight: undefined,
        stepStartTime: undefined,
        nextAnalysisTime: undefined,
        holdEndTime: undefined,
        stepChecks: undefined,
        stepBoundaries: undefined,
        exposure: undefined,
        pauseReason: undefined,
        approvedTime: undefined,
        promotedTime: undefined,
      });
      start(b, r, w);
      return;
  }
}

/** How a person approves: the plugin's verb, and the annotation it writes, both with the namespace (they are often run from another). */
export function approvalCommand(name: string, namespace: string | undefined): string {
  const ns = namespace ? ` -n ${namespace}` : "";
  return `kubectl modelguardian approve ${name}${ns} (or reject), or kubectl annotate modelrollout ${name}${ns} --overwrite ${ROLLOUT_ACTION_ANNOTATION}=approve (or =reject)`;
}

function pending(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  const c = r.spec.candidate;
  const cw = w.candidateWorkload;
  b.set({ desiredWeights: ALL_STABLE });
  if (w.strategyProblem) {
    b.phase("Pending", "InvalidStrategy", w.strategyProblem);
    b.requeue(30_000);
    return;
  }
  if (w.strategy.approval === "manual" && !b.status.approvedTime) {
    const how = approvalCommand(r.name ?? "<name>", r.namespace);
    if (b.status.reason !== "AwaitingApproval") b.event("Normal", EventReason.ApprovalRequired, `${c.version} waits for a person's approval: ${how}`);
    b.phase("Pending", "AwaitingApproval", `${c.version} waits for a person's approval: ${how}`);
    b.requeue(30_000);
    return;
  }
  // the ready timeout counts from the approval, not from the wait for it
  const since = Math.max(Date.parse(b.status.phaseTime ?? b.iso), b.status.approvedTime ? Date.parse(b.status.approvedTime) : 0);
  if (b.now - since > durationMs(w.strategy.readyTimeout)) {
    return rollback(b, r, w, "CandidateNotReady", `the candidate Deployment was not ready within ${w.strategy.readyTimeout}: ${cw.message}`);
  }
  if (!cw.found) {
    b.phase("Pending", "CandidateWorkloadMissing", cw.message);
    b.requeue(WAIT_MS);
    return;
  }
  if (cw.parked) {
    // scaled to zero when the last rollout ended: its replicas come back before anything else
    b.phase("Pending", "CandidateScalingUp", "scaling the candidate Deployment back up from zero (scaled down when the last rollout ended)");
    b.effects.push({ kind: "parkCandidate", parked: false });
    return;
  }
  if (cw.version !== c.version || (c.uri !== undefined && cw.uri !== c.uri)) {
    if (b.status.reason !== "CandidateDeploying")
      b.event("Normal", EventReason.CandidateDeploying, `putting ${c.version} in place on the candidate Deployment`);
    b.phase("Pending", "CandidateDeploying", `putting ${c.version} in place on the candidate Deployment`);
    b.effects.push({ kind: "setWorkload", which: "candidate", version: c.version, uri: c.uri });
    return;
  }
  if (!cw.ready) {
    b.phase("Pending", "CandidateNotReady", `waiting for the candidate Deployment: ${cw.message}`);
    b.requeue(WAIT_MS);
    return;
  }
  if (w.strategy.shadow) return enterShadow(b, r, w, w.strategy.shadow);
  enterStep(b, r, w, 0);
}

/** The share the route mirrors to the candidate, as read; undefined when the route could not be read. */
export const liveMirror = (w: RolloutWorld): number | undefined => (w.weights.kind === "weights" ? (w.weights.mirror ?? 0) : undefined);

function enterShadow(b: Builder, r: RolloutSnapshot, w: RolloutWorld, shadow: NonNullable<RolloutStrategy["shadow"]>) {
  const counters = b.counters();
  holdFor(b, w, durationMs(shadow.hold));
  b.set({
    stepIndex: undefined,
    stepWeight: 0,
    stepStartTime: b.iso,
    stepChecks: 0,
    stepBoundaries: undefined,
    desiredWeights: ALL_STABLE,
    desiredMirror: shadow.percent,
    counters: { ...counters, consecutiveInconclusive: 0, consecutiveErrors: 0 },
    pauseReason: undefined,
  });
  const message = `shadow: ${shadow.percent} % of requests mirrored to ${r.spec.candidate.version} for ${shadow.hold}; its answers are not served`;
  b.phase("Shadowing", "ShadowStarted", message);
  b.event("Normal", EventReason.ShadowStarted, message);
}

function shadowing(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  if (r.spec.paused) return pause(b, "PausedBySpec", "spec.paused is true");
  if (w.analysis) applyAnalysis(b, r, w, w.analysis);
  if (b.status.phase === "Shadowing" && b.status.nextAnalysisTime) b.requeue(Date.parse(b.status.nextAnalysisTime) - b.now);
}

function enterStep(b: Builder, r: RolloutSnapshot, w: RolloutWorld, index: number) {
  const step = w.strategy.steps[index] as RolloutStrategy["steps"][number];
  const counters = b.counters();
  holdFor(b, w, durationMs(step.hold));
  b.set({
    stepIndex: index,
    stepWeight: step.weight,
    stepStartTime: b.iso,
    stepChecks: 0,
    stepBoundaries: undefined,
    desiredWeights: stepWeights(step.weight),
    counters: { ...counters, consecutiveInconclusive: 0, consecutiveErrors: 0 },
    pauseReason: undefined,
  });
  const message = `step ${index + 1}/${w.strategy.steps.length}: ${step.weight} % to ${r.spec.candidate.version} for ${step.hold}`;
  b.phase("Progressing", "StepStarted", message);
  b.event("Normal", EventReason.StepStarted, message);
}

function progressing(b: Builder, r: RolloutSnapshot, w: RolloutWorld, live: Weights | undefined) {
  if (r.spec.paused) return pause(b, "PausedBySpec", "spec.paused is true");
  const before = r.status;
  // a person (or another controller) changed the weights since the last read, to something the rollout never wrote
  if (live && before.weights && !sameWeights(live, before.weights) && !sameWeights(live, before.desiredWeights)) {
    b.event(
      "Warning",
      EventReason.ManualWeightChange,
      `the route's weights changed to ${live.stable}/${live.candidate} outside the rollout (planned ${fmtW(before.desiredWeights)}); pausing`,
    );
    return pause(
      b,
      "ManualWeightChange",
      `the route's weights were changed by hand to ${live.stable}/${live.candidate}; resume to restore ${fmtW(before.desiredWeights)}`,
    );
  }
  if (w.analysis) applyAnalysis(b, r, w, w.analysis);
  if (b.status.phase === "Progressing" && b.status.nextAnalysisTime) b.requeue(Date.parse(b.status.nextAnalysisTime) - b.now);
}

const fmtW = (x: Weights | undefined) => (x ? `${x.stable}/${x.candidate}` : "none");

/** The analysis of a step, or of the shadow phase: the same outcomes and limits. */
function applyAnalysis(b: Builder, r: RolloutSnapshot, w: RolloutWorld, a: AnalysisJudgement & { window: string }) {
  // a strategy changed mid-shadow keeps the shadow going to its analysis, never to a step it skipped
  const shadow = b.status.phase === "Shadowing" ? (w.strategy.shadow ?? { percent: b.status.desiredMirror ?? 100, hold: "10m" }) : undefined;
  const index = b.status.stepIndex ?? 0;
  const weight = b.status.stepWeight ?? 0;
  const record = { ...analysisRecordOf(a, index, weight, a.window, b.now), ...(shadow ? { shadow: true } : {}) };
  const c = b.counters();
  const limits = w.strategy.analysis;
  const hold = shadow ? shadow.hold : (w.strategy.steps[index] as RolloutStrategy["steps"][number]).hold;
  const total = w.strategy.steps.length;
  const stage = shadow ? "shadow" : `step ${index + 1}/${total}`;
  const phase = shadow ? "Shadowing" : "Progressing";
  const checks = (b.status.stepChecks ?? 0) + 1;
  const summary = shadow
    ? `shadow (${shadow.percent} % mirrored, none served) over ${a.window}: ${a.message}`
    : `step ${index + 1}/${total} (${weight} %) over ${a.window}: ${a.message}`;
  b.set({ stepChecks: checks });
  // a quantile's bucket boundary, once chosen, is the one every later look of the step counts beyond
  const boundaries = keptBoundaries(b.status.stepBoundaries, a.comparisons);
  if (boundaries) b.set({ stepBoundaries: boundaries });
  if (a.interim && a.outcome !== "Failed" && a.outcome !== "Error") {
    // a passing interim check leaves no record and no Event: the phase message is the step's running summary
    b.set({ counters: { ...c, consecutiveErrors: 0 }, lastAnalysis: `Checking (${stage}, check ${checks})` });
    b.phase(phase, "Checking", `check ${checks} of ${summary}`);
    return nextCheck(b, w);
  }
  b.set({
    analyses: [...(b.status.analyses ?? []), { ...record, ...(a.interim ? { interim: true } : {}) }].slice(-ANALYSES_KEPT),
    lastAnalysis: `${a.outcome} (${stage})`,
  });
  const again = (afterMs: number) => holdFor(b, w, afterMs);
  switch (a.outcome) {
    case "Successful":
      b.set({
        counters: { ...c, successful: c.successful + 1, consecutiveErrors: 0, consecutiveInconclusive: 0 },
        holdEndTime: undefined,
        stepChecks: undefined,
        // the stage's evidence goes on into the next, in the same write that enters it
        carriedEvidence: carriedEvidence(w.strategy, stageOf(b.status), b.status.carriedEvidence, a.comparisons),
      });
      b.event("Normal", EventReason.AnalysisSuccessful, summary);
      if (shadow) {
        b.event("Normal", EventReason.ShadowPassed, `${r.spec.candidate.version} passed its shadow phase; live traffic starts`);
        return enterStep(b, r, w, 0);
      }
      if (index + 1 < total) return enterStep(b, r, w, index + 1);
      b.phase("Promoting", "AllStepsPassed", `every step passed; promoting ${r.spec.candidate.version}`);
      b.event("Normal", EventReason.PromotionStarted, `every step passed; promoting ${r.spec.candidate.version} to stable`);
      return;
    case "Failed":
      b.set({ counters: { ...c, failed: c.failed + 1, consecutiveErrors: 0 } });
      b.event("Warning", EventReason.AnalysisFailed, summary);
      if (c.failed + 1 > limits.failureLimit) {
        const failing = a.comparisons.find((x) => x.outcome === "Failed");
        if (failing) b.set({ exposure: { signal: failing.signal, samples: Math.round(exposureOf(b.status.analyses ?? [], failing.signal)) } });
        return shadow
          ? rollback(b, r, w, "ShadowFailed", `the shadow analysis failed, before any live traffic: ${a.message}`)
          : rollback(b, r, w, "AnalysisFailed", `analysis failed at step ${index + 1}: ${a.message}`);
      }
      b.phase(phase, "AnalysisFailed", `${summary}; ${limits.failureLimit - c.failed} more failures tolerated`);
      return again(durationMs(hold));
    case "Inconclusive": {
      const n = c.consecutiveInconclusive + 1;
      b.set({ counters: { ...c, inconclusive: c.inconclusive + 1, consecutiveInconclusive: n, consecutiveErrors: 0 } });
      b.event("Normal", EventReason.AnalysisInconclusive, `${summary}; the step is extended`);
      if (n > limits.inconclusiveLimit)
        return pause(b, "InconclusiveLimit", `${n} inconclusive analyses in a row at ${shadow ? "the shadow phase" : `step ${index + 1}`}: ${a.message}`);
      b.phase(phase, "StepExtended", `${summary}; ${shadow ? "shadow" : "step"} extended by ${hold}`);
      return again(durationMs(hold));
    }
    case "Error": {
      const n = c.consecutiveErrors + 1;
      b.set({ counters: { ...c, errors: c.errors + 1, consecutiveErrors: n } });
      b.event("Warning", EventReason.AnalysisError, summary);
      if (n > limits.errorLimit) return pause(b, "ErrorLimit", `${n} analyses in a row could not read the metrics: ${a.message}`);
      b.phase(phase, "AnalysisError", `${summary}; retrying in ${limits.retryInterval}`);
      // the hold keeps its end: a retry within it is still an interim check
      return b.set({ nextAnalysisTime: new Date(b.now + durationMs(limits.retryInterval)).toISOString() });
    }
  }
}

function pause(b: Builder, reason: string, message: string) {
  b.set({ pauseReason: reason });
  b.phase("Paused", reason, message);
  b.event("Warning", EventReason.RolloutPaused, message);
}

function paused(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  if (b.status.pauseReason === "PausedBySpec" && !r.spec.paused) {
    b.event("Normal", EventReason.RolloutResumed, "spec.paused is false: resuming");
    resume(b, w);
  }
}

function resume(b: Builder, w: RolloutWorld) {
  const index = b.status.stepIndex;
  const c = b.counters();
  b.set({ counters: { ...c, consecutiveErrors: 0, consecutiveInconclusive: 0 }, pauseReason: undefined });
  if (index === undefined) {
    b.phase("Pending", "Resumed", "resumed before the first step");
    return;
  }
  const step = w.strategy.steps[Math.min(index, w.strategy.steps.length - 1)] as RolloutStrategy["steps"][number];
  // the hold restarts: what happened while paused is not this step's evidence
  holdFor(b, w, durationMs(step.hold));
  b.set({ stepStartTime: b.iso, stepChecks: 0, stepBoundaries: undefined, desiredWeights: stepWeights(b.status.stepWeight ?? step.weight) });
  b.phase("Progressing", "Resumed", `resumed at step ${index + 1}/${w.strategy.steps.length}`);
}

function promoting(b: Builder, r: RolloutSnapshot, w: RolloutWorld, live: Weights | undefined) {
  const c = r.spec.candidate;
  const sw = w.stableWorkload;
  if ((liveMirror(w) ?? 0) > 0) {
    // promoted from the shadow phase: the mirror goes first (the convergence removes it)
    b.phase("Promoting", "RemovingMirror", "removing the shadow mirror before the promotion");
    return;
  }
  if (!sw.found) {
    b.phase("Promoting", "StableWorkloadMissing", sw.message);
    b.requeue(WAIT_MS);
    return;
  }
  if (sw.version !== c.version || (c.uri !== undefined && sw.uri !== c.uri)) {
    b.phase("Promoting", "PromotingStable", `putting ${c.version} in place on the stable Deployment`);
    b.effects.push({ kind: "setWorkload", which: "stable", version: c.version, uri: c.uri });
    return;
  }
  if (!sw.ready) {
    // a platform that promotes in place (KServe) already gives the stable all traffic: leave it there
    if (sameWeights(live, ALL_STABLE)) b.set({ desiredWeights: ALL_STABLE });
    b.phase("Promoting", "StableNotReady", `waiting for the stable Deployment with ${c.version}: ${sw.message}`);
    b.requeue(WAIT_MS);
    return;
  }
  b.set({ desiredWeights: ALL_STABLE });
  if (!sameWeights(live, ALL_STABLE)) {
    b.phase("Promoting", "ShiftingToStable", `the stable Deployment serves ${c.version}; all traffic to it`);
    b.effects.push({ kind: "setWeights", weights: ALL_STABLE });
    return;
  }
  b.set({ promotedTime: b.iso, nextAnalysisTime: undefined, holdEndTime: undefined });
  b.event("Normal", EventReason.Promoted, `${c.version} promoted: the stable Deployment serves it with all traffic`);
  if (durationMs(w.strategy.bake.duration) > 0) {
    const previous = b.status.stable?.version ?? w.stable.version;
    b.phase("Baking", "Baking", `baking ${c.version} for ${w.strategy.bake.duration}; ${previous} stays ready on the candidate Deployment`);
    b.event(
      "Normal",
      EventReason.BakeStarted,
      `baking ${c.version} for ${w.strategy.bake.duration}: a ${w.strategy.bake.minSeverity} finding of the monitor rolls back to ${previous}`,
    );
    return baking(b, r, w);
  }
  b.set({ finishTime: b.iso });
  b.phase("Succeeded", "Promoted", `${c.version} is the stable version`);
}

/** After a promotion: the previous version kept ready, the monitor's verdict on the new one watched. */
function baking(b: Builder, r: RolloutSnapshot, w: RolloutWorld) {
  const c = r.spec.candidate;
  const previous = b.status.stable ?? w.stable;
  const cw = w.candidateWorkload;
  b.set({ desiredWeights: ALL_STABLE });
  if (cw.found && (cw.version !== previous.version || (previous.uri !== undefined && cw.uri !== previous.uri)))
    b.effects.push({ kind: "setWorkload", which: "candidate", version: previous.version, uri: previous.uri });
  const promoted = Date.parse(b.status.promotedTime ?? b.iso);
  const m = w.monitor;
  // only a verdict on the promoted version, from an evaluation after the promotion, counts
  const judged = m && m.version === c.version && m.lastEvaluationTime !== undefined && Date.parse(m.lastEvaluationTime) > promoted;
  const trigger = judged ? m.findings.find((f) => severityRank(f.severity) >= severityRank(w.strategy.bake.minSeverity)) : undefined;
  if (trigger) {
    b.event("Warning", EventReason.BakeFailed, `${c.version} while baking: ${trigger.severity} ${trigger.type} ${trigger.source}: ${trigger.description}`);
    return rollback(b, r, w, "BakeFailed", `${trigger.severity} ${trigger.type} on ${trigger.source} while baking: ${trigger.description}`);
  }
  const end = promoted + durationMs(w.strategy.bake.duration);
  if (b.now >= end) {
    b.set({ finishTime: b.iso });
    b.phase("Succeeded", "Baked", `${c.version} is the stable version; the bake passed`);
    return;
  }
  b.requeue(Math.min(end - b.now, WATCH_INTERVAL_MS));
}

function restoreOnDelete(b: Builder, r: RolloutSnapshot, w: RolloutWorld, live: Weights | undefined): RolloutDecision {
  const stable = b.status.stable ?? w.stable;
  const cw = w.candidateWorkload;
  const routeGone = w.weights.kind === "error" && w.weights.reason === "RouteNotFound";
  const promoted = b.status.promotedTime !== undefined;
  if (!promoted && !routeGone && !sameWeights(live, ALL_STABLE)) b.effects.push({ kind: "setWeights", weights: ALL_STABLE });
  else if (!routeGone && (liveMirror(w) ?? 0) > 0) b.effects.push({ kind: "setMirror", percent: 0 });
  else if (!promoted && cw.found && cw.version !== stable.version)
    b.effects.push({ kind: "setWorkload", which: "candidate", version: stable.version, uri: stable.uri });
  if (b.effects.length && w.targetRefusal) {
    // as when the monitor is gone: the deletion goes on, and the objects stay as they are
    b.effects.length = 0;
    b.event("Warning", EventReason.TargetNotOptedIn, `deleted without restoring stable: ${w.targetRefusal}`);
  }
  const done = b.effects.length === 0;
  if (!done) b.requeue(500);
  return { status: b.status, effects: b.effects, events: b.events, requeueAfterMs: b.requeueAfterMs, holdFinalizer: false, releaseFinalizer: done };
}

function conditionsOf(s: ModelRolloutStatus, w: RolloutWorld, version: string, generation: number): Condition[] {
  const next: ConditionInput[] = [];
  const routerOk = w.weights.kind === "weights";
  if (w.targetRefusal) next.push({ type: "Ready", status: "False", reason: TARGET_HOLD, message: w.targetRefusal });
  else if (w.strategyProblem) next.push({ type: "Ready", status: "False", reason: "InvalidStrategy", message: w.strategyProblem });
  else if (!routerOk)
    next.push({ type: "Ready", status: "False", reason: (w.weights as { reason: string }).reason, message: (w.weights as { message: string }).message });
  else next.push({ type: "Ready", status: "True", reason: "RouterReady", message: "the route and both backends are in place" });
  const terminal = isTerminal(s.phase);
  next.push(
    terminal
      ? { type: "Progressing", status: "False", reason: s.phase as string, message: s.message ?? "" }
      : {
          type: "Progressing",
          status: s.phase === "Paused" || s.reason === TARGET_HOLD ? "False" : "True",
          reason: s.reason ?? "Progressing",
          message: s.message ?? "",
        },
  );
  next.push(
    s.phase === "Paused"
      ? { type: "Paused", status: "True", reason: s.pauseReason ?? "Paused", message: s.message ?? "" }
      : { type: "Paused", status: "False", reason: "NotPaused", message: "" },
  );
  next.push(
    terminal
      ? {
          type: "Completed",
          status: "True",
          reason: s.phase as string,
          message: s.phase === "Succeeded" ? `${version} promoted` : `${version} rolled back and quarantined`,
        }
      : { type: "Completed", status: "False", reason: "InProgress", message: "" },
  );
  const iso = new Date(w.now).toISOString();
  return setConditions(s.conditions ?? [], next, iso, generation);
}
