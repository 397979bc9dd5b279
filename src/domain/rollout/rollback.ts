// Rolling back: the route to 100 % stable at once (or, with rollback.mode gradual, step by step
// down), the candidate Deployment given the stable version back, and after a promotion the
// previous version restored on the stable Deployment, serving from the candidate's meanwhile.
import type { Weights } from "../../api/v1alpha1/rollout.ts";
import { durationMs } from "../duration.ts";
import { EventReason } from "../events.ts";
import {
  ALL_CANDIDATE,
  ALL_STABLE,
  Builder,
  sameWeights,
  stepWeights,
  WAIT_MS,
  type RolloutSnapshot,
  type RolloutWorld,
  type WorkloadState,
} from "./builder.ts";

export function rollback(b: Builder, r: RolloutSnapshot, w: RolloutWorld, reason: string, message: string) {
  if (reason === "AnalysisFailed" && startGradual(b, r, w, message)) return;
  // after a promotion the bad version is on the stable Deployment and the previous one on the
  // candidate Deployment: all traffic goes there first, then stable gets the previous version back
  const promoted = b.status.promotedTime !== undefined;
  const first = promoted ? ALL_CANDIDATE : ALL_STABLE;
  b.set({ desiredWeights: first, quarantined: true, nextAnalysisTime: undefined, holdEndTime: undefined, pauseReason: undefined });
  b.phase("RollingBack", reason, message);
  // the one write that matters most goes first, in this very reconcile
  b.effects.push({ kind: "setWeights", weights: first });
  b.event(
    "Warning",
    EventReason.RollbackStarted,
    `${r.spec.candidate.version}: ${message}; all traffic back to ${promoted ? "the previous version" : "stable"}`,
  );
}

export function rollingBack(b: Builder, r: RolloutSnapshot, w: RolloutWorld, live: Weights | undefined) {
  if (b.status.promotedTime !== undefined) return rollingBackPromoted(b, r, w, live);
  if (b.status.rollbackStepIndex !== undefined && gradualStep(b, r, w)) return;
  const stable = b.status.stable ?? w.stable;
  const cw = w.candidateWorkload;
  if (!sameWeights(live, ALL_STABLE)) {
    if (!b.effects.some((e) => e.kind === "setWeights")) b.effects.push({ kind: "setWeights", weights: ALL_STABLE });
    return;
  }
  // a shadow's mirror goes before the rollback is over (the convergence removes it)
  if (w.weights.kind === "weights" && (w.weights.mirror ?? 0) > 0) return;
  if (cw.found && (cw.version !== stable.version || (stable.uri !== undefined && cw.uri !== stable.uri))) {
    b.effects.push({ kind: "setWorkload", which: "candidate", version: stable.version, uri: stable.uri });
    return;
  }
  const aborted = b.status.reason === "Aborted";
  const message = b.status.message ?? "rolled back";
  b.set({ finishTime: b.iso });
  b.phase(aborted ? "Aborted" : "RolledBack", b.status.reason ?? "RolledBack", message);
  b.event(
    "Warning",
    aborted ? EventReason.Aborted : EventReason.RolledBack,
    `${r.spec.candidate.version}: ${message}; stable ${stable.version} has all traffic`,
  );
  b.event(
    "Warning",
    EventReason.Quarantined,
    `${r.spec.candidate.version} is quarantined: it is not rolled out again until its version or URI changes or a person retries it`,
  );
}

function rollingBackPromoted(b: Builder, r: RolloutSnapshot, w: RolloutWorld, live: Weights | undefined) {
  const previous = b.status.stable ?? w.stable;
  const holds = (x: WorkloadState) => x.found && x.version === previous.version && (previous.uri === undefined || x.uri === previous.uri);
  const cw = w.candidateWorkload;
  const sw = w.stableWorkload;
  if (!holds(sw)) {
    // the previous version serves from the candidate Deployment meanwhile, if it is ready there
    if (holds(cw) && cw.ready) b.set({ desiredWeights: ALL_CANDIDATE });
    else b.set({ desiredWeights: ALL_STABLE });
    if (cw.found && !holds(cw)) b.effects.push({ kind: "setWorkload", which: "candidate", version: previous.version, uri: previous.uri });
    b.effects.push({ kind: "setWorkload", which: "stable", version: previous.version, uri: previous.uri });
    return;
  }
  if (!sw.ready) {
    b.set({ desiredWeights: holds(cw) && cw.ready ? ALL_CANDIDATE : ALL_STABLE });
    b.requeue(WAIT_MS);
    return;
  }
  b.set({ desiredWeights: ALL_STABLE });
  if (!sameWeights(live, ALL_STABLE)) {
    b.effects.push({ kind: "setWeights", weights: ALL_STABLE });
    return;
  }
  const aborted = b.status.reason === "Aborted";
  const message = b.status.message ?? "rolled back";
  b.set({ finishTime: b.iso });
  b.phase(aborted ? "Aborted" : "RolledBack", b.status.reason ?? "RolledBack", message);
  b.event(
    "Warning",
    aborted ? EventReason.Aborted : EventReason.RolledBack,
    `${r.spec.candidate.version}: ${message}; ${previous.version} is the stable version again`,
  );
  b.event(
    "Warning",
    EventReason.Quarantined,
    `${r.spec.candidate.version} is quarantined: it is not rolled out again until its version or URI changes or a person retries it`,
  );
}

// ---------------------------------------------------------------- gradual

type RollbackStep = { weight: number; hold: string };
const gradualSteps = (w: RolloutWorld): RollbackStep[] => (w.strategy.rollback.mode === "gradual" ? (w.strategy.rollback.steps ?? []) : []);

/**
 * A failed analysis before a promotion, with rollback.mode gradual: the candidate's weight goes
 * down by the steps below the weight it has now. False when no step is below it (then at once).
 */
function startGradual(b: Builder, r: RolloutSnapshot, w: RolloutWorld, message: string): boolean {
  if (b.status.promotedTime !== undefined) return false;
  const now = b.status.desiredWeights?.candidate ?? b.status.stepWeight ?? 0;
  const steps = gradualSteps(w);
  const first = steps.findIndex((s) => s.weight < now);
  if (first < 0) return false;
  const planned = steps.slice(first).map((s) => `${s.weight} %`);
  b.set({
    desiredWeights: stepWeights((steps[first] as RollbackStep).weight),
    rollbackStepIndex: first,
    rollbackStepStartTime: b.iso,
    quarantined: true,
    nextAnalysisTime: undefined,
    holdEndTime: undefined,
    pauseReason: undefined,
  });
  b.phase("RollingBack", "AnalysisFailed", message);
  b.effects.push({ kind: "setWeights", weights: b.status.desiredWeights as Weights });
  b.event(
    "Warning",
    EventReason.RollbackStarted,
    `${r.spec.candidate.version}: ${message}; stepping the candidate down (gradual): ${planned.join(", ")}, then 0 %`,
  );
  return true;
}

/**
 * One reconcile of a gradual rollback. A critical finding of the monitor since the rollback
 * began sends all traffic to stable at once. True while a step holds; false once the steps are
 * over (the immediate path then finishes the rollback).
 */
function gradualStep(b: Builder, r: RolloutSnapshot, w: RolloutWorld): boolean {
  const steps = gradualSteps(w);
  const index = b.status.rollbackStepIndex as number;
  const began = Date.parse(b.status.phaseTime ?? b.iso);
  const m = w.monitor;
  const critical =
    m?.lastEvaluationTime !== undefined && Date.parse(m.lastEvaluationTime) > began ? m.findings.find((f) => f.severity === "critical") : undefined;
  if (critical) {
    accelerateRollback(b, r, `critical ${critical.type} on ${critical.source}: ${critical.description}`);
    return false;
  }
  const step = steps[index];
  const start = Date.parse(b.status.rollbackStepStartTime ?? b.iso);
  if (step && b.now < start + durationMs(step.hold)) {
    b.set({ desiredWeights: stepWeights(step.weight) });
    b.requeue(start + durationMs(step.hold) - b.now);
    return true;
  }
  const next = steps[index + 1];
  if (next) {
    b.set({ desiredWeights: stepWeights(next.weight), rollbackStepIndex: index + 1, rollbackStepStartTime: b.iso });
    b.event("Normal", EventReason.RollbackStep, `${r.spec.candidate.version}: rollback step ${index + 2}/${steps.length}: candidate at ${next.weight} %`);
    b.requeue(durationMs(next.hold));
    return true;
  }
  b.set({ desiredWeights: ALL_STABLE, rollbackStepIndex: undefined, rollbackStepStartTime: undefined });
  return false;
}

/** Ends a gradual rollback's steps: all traffic to stable in this reconcile. */
export function accelerateRollback(b: Builder, r: RolloutSnapshot, why: string): void {
  b.set({ desiredWeights: ALL_STABLE, rollbackStepIndex: undefined, rollbackStepStartTime: undefined });
  b.effects.push({ kind: "setWeights", weights: ALL_STABLE });
  b.event("Warning", EventReason.RollbackAccelerated, `${r.spec.candidate.version}: ${why}; all traffic back to stable at once`);
}
