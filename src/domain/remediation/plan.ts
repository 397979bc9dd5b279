// What a monitor's RetrainPolicy does about its findings, decided with pure code in two steps:
// planRemediation() follows the Jobs already started and decides which new Jobs to create;
// the reconciler creates them; settleRemediation() folds the API server's answers in. All state
// the limits need (last start, failures, handled finding episodes, recent starts) is in status,
// and every Job name is derived from that state, so a restart at any moment creates no Job twice.
import type { Severity } from "../../api/v1alpha1/common.ts";
import type { Finding, RemediationStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { actionPurpose, type ActionPurpose, type ActionRecord, type RetrainPolicySpec } from "../../api/v1alpha1/retrainpolicy.ts";
import type { ConditionInput } from "../conditions.ts";
import { durationMs } from "../duration.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import { episodeKey, findingKeyOfEpisode } from "../findings.ts";
import { stableHash } from "../identifiers.ts";
import { jobName, renderJob, type JobView } from "./job.ts";
import { describeRefusals, jobTemplateRefusals, type JobLimits } from "./job-limits.ts";
import { describeFindings, matchTriggers } from "./triggers.ts";

export type PolicyView =
  { state: "missing"; name: string } | { state: "invalid"; name: string; message: string } | { state: "ok"; name: string; spec: RetrainPolicySpec };

export interface RemediationInput {
  namespace: string;
  monitor: { name: string; uid: string };
  model: { name: string; version?: string };
  /** undefined when the monitor names no policy. */
  policy: PolicyView | undefined;
  /** false while the monitor is suspended or invalid: Jobs are followed, none is started. */
  acting: boolean;
  findings: readonly Finding[];
  previous: RemediationStatus | undefined;
  /** This monitor's Jobs as the cache sees them. */
  jobs: readonly JobView[];
  now: number;
  /** The monitor's annotations: a person's approval or rejection of a held Job. */
  annotations?: Readonly<Record<string, string>>;
  /** The rollout of an earlier candidate still running: no new retraining until it ends. */
  rolloutInProgress?: string | undefined;
  /** The service accounts and images the operator's settings allow Jobs (JOB_ALLOWED_*); absent: any. */
  jobLimits?: JobLimits | undefined;
}

/** `kubectl annotate modelmonitor <name> --overwrite modelguardian.dev/approve=<trigger>` starts a Job waiting for approval. */
export const APPROVE_ANNOTATION = "modelguardian.dev/approve";
export const REJECT_ANNOTATION = "modelguardian.dev/reject";

export interface JobIntent {
  action: string;
  purpose: ActionPurpose;
  trigger: string;
  episodes: string[];
  /** The type of the worst finding behind it: the reason label of the operator's counters. */
  findingType: string;
  manifest: Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } };
  record: ActionRecord;
}

type ActionState = RemediationStatus["actions"][number];
type Held = RemediationStatus["held"][number];

export interface RemediationPlan {
  input: RemediationInput;
  draft: RemediationStatus;
  intents: JobIntent[];
  events: MonitorEvent[];
  /** Jobs whose outcome this plan recorded, for the operator's counters. */
  finished: { action: string; purpose: ActionPurpose; outcome: "Succeeded" | "Failed" | "CreateFailed" }[];
  /** Finished Jobs to delete once the status recording them is written. */
  prune: string[];
}

export type CreateOutcome =
  | { kind: "created" }
  | { kind: "exists" }
  /** the API server refused the Job (invalid template, forbidden): counts as a failed attempt */
  | { kind: "rejected"; message: string }
  /** unreachable, timeout, 5xx: nothing is recorded, the decision is retried shortly */
  | { kind: "error"; message: string };

export interface RemediationResult {
  status: RemediationStatus | undefined;
  conditions: ConditionInput[];
  events: MonitorEvent[];
  requeueAfterMs?: number;
  created: JobIntent[];
  finished: RemediationPlan["finished"];
  prune: string[];
}

export const DEFAULT_HISTORY_LIMIT = 20;
/** A Job recorded as running that the cache has not shown for this long was deleted. */
export const JOB_DISAPPEARED_GRACE_MS = 60_000;
export const ERROR_RETRY_MS = 10_000;
const MAX_HANDLED = 64;
const MAX_RECENT_STARTS = 100;
const DEFAULT_START_WINDOW_MS = 24 * 3600_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** An episode key without its first-seen time: type|source|segment. */

function emptyStatus(): RemediationStatus {
  return { actions: [], held: [], recentStarts: [], active: 0, history: [] };
}

function stateOf(draft: RemediationStatus, action: string): ActionState {
  let st = draft.actions.find((a) => a.name === action);
  if (!st) {
    st = { name: action, consecutiveFailures: 0, handled: [] };
    draft.actions.push(st);
  }
  return st;
}

/** Exponential backoff after n consecutive failures: initial * 2^(n-1), at most max. */
export function backoffMs(spec: RetrainPolicySpec, failures: number): number {
  if (failures <= 0) return 0;
  const initial = durationMs(spec.backoff.initial);
  const max = durationMs(spec.backoff.max);
  return Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
}

export function planRemediation(input: RemediationInput): RemediationPlan {
  const { now, policy } = input;
  const spec = policy?.state === "ok" ? policy.spec : undefined;
  const draft: RemediationStatus = structuredClone(input.previous ?? emptyStatus());
  draft.held = [];
  if (policy) draft.policy = policy.name;
  else delete draft.policy;
  const events: MonitorEvent[] = [];
  const finished: RemediationPlan["finished"] = [];
  const historyLimit = spec?.historyLimit ?? DEFAULT_HISTORY_LIMIT;

  // ---- 1. follow the Jobs already started
  const jobs = [...input.jobs].sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  const oldestKept = draft.history.length >= historyLimit ? Math.min(...draft.history.map((r) => Date.parse(r.time))) : -Infinity;
  for (const job of jobs) {
    let record = draft.history.find((r) => r.job === job.name && r.outcome !== "DryRun");
    if (!record) {
      if (job.createdAt < oldestKept) continue; // its record was pruned from the bounded history
      // created, but the status that says so was never written (a restart, a conflict)
      record = {
        time: iso(job.createdAt),
        action: job.action,
        purpose: job.purpose,
        trigger: job.trigger,
        reason: job.reason,
        severity: job.severity,
        job: job.name,
        attempt: job.attempt,
        outcome: "Active",
      };
      draft.history.unshift(record);
      const st = stateOf(draft, job.action);
      // The lost status also held the findings' first-seen times, so the same findings now look
      // newer: count current findings of the same type, source and segment as the Job's own.
      const keys = new Set(job.episodes.map(findingKeyOfEpisode));
      const same = input.findings.map(episodeKey).filter((e) => keys.has(findingKeyOfEpisode(e)) && !job.episodes.includes(e));
      if (!st.handled.some((h) => h.trigger === job.trigger)) st.handled.push({ trigger: job.trigger, episodes: [...job.episodes, ...same] });
      if (!st.lastStartTime || Date.parse(st.lastStartTime) < job.createdAt) st.lastStartTime = iso(job.createdAt);
      if (!draft.recentStarts.includes(iso(job.createdAt))) draft.recentStarts.push(iso(job.createdAt));
      events.push({ type: "Normal", reason: EventReason.JobAdopted, message: `found Job ${job.name} that status did not record yet; following it` });
    }
    if (record.outcome !== "Active" || job.phase === "Active") continue;
    const st = stateOf(draft, job.action);
    const finishedAt = job.finishedAt ?? now;
    record.finishedTime = iso(finishedAt);
    if (job.phase === "Succeeded") {
      record.outcome = "Succeeded";
      st.consecutiveFailures = 0;
      delete st.lastFailureTime;
      finished.push({ action: job.action, purpose: job.purpose, outcome: "Succeeded" });
      events.push({ type: "Normal", reason: EventReason.JobSucceeded, message: `Job ${job.name} (${job.action}) succeeded` });
      if (job.purpose === "retrain") {
        const result = job.result ?? { ok: false as const, reason: "the Job's pods could not be read" };
        if (result.ok) {
          record.version = result.version;
          if (result.uri) record.uri = result.uri;
          draft.candidate = { version: result.version, ...(result.uri ? { uri: result.uri } : {}), job: job.name, time: iso(finishedAt) };
          events.push({
            type: "Normal",
            reason: EventReason.CandidateRecorded,
            message: `Job ${job.name} produced model version ${result.version}${result.uri ? ` (${result.uri})` : ""}: recorded as the candidate`,
          });
        } else {
          record.message = result.reason;
          events.push({ type: "Warning", reason: EventReason.NoVersionReported, message: `Job ${job.name} succeeded but ${result.reason}` });
        }
      }
    } else {
      record.outcome = "Failed";
      if (job.message) record.message = job.message.slice(0, 4096);
      st.consecutiveFailures += 1;
      st.lastFailureTime = iso(finishedAt);
      // the findings behind it are no longer handled: after the backoff they start attempt n+1
      st.handled = st.handled.filter((h) => h.trigger !== job.trigger);
      // cooldown counts from the last Job that did not fail; failed attempts are spaced by backoff
      const lastGood = draft.history
        .filter((r) => r.action === job.action && (r.outcome === "Active" || r.outcome === "Succeeded"))
        .map((r) => r.time)
        .sort()
        .at(-1);
      if (lastGood) st.lastStartTime = lastGood;
      else delete st.lastStartTime;
      finished.push({ action: job.action, purpose: job.purpose, outcome: "Failed" });
      const next = spec ? ` next attempt not before ${iso(finishedAt + backoffMs(spec, st.consecutiveFailures))}` : "";
      events.push({
        type: "Warning",
        reason: EventReason.JobFailed,
        message: `Job ${job.name} (${job.action}) failed${job.message ? `: ${job.message}` : ""};${next || " no policy to retry it"}`,
      });
    }
  }
  // a Job recorded as running that is gone was deleted by someone: stop waiting for it, and
  // do not start it again for the same findings (deleting a Job is how a person cancels it)
  const names = new Set(jobs.map((j) => j.name));
  for (const record of draft.history) {
    if (record.outcome !== "Active" || names.has(record.job) || now - Date.parse(record.time) < JOB_DISAPPEARED_GRACE_MS) continue;
    record.outcome = "Failed";
    record.finishedTime = iso(now);
    record.message = "the Job was deleted before the operator saw it finish";
    events.push({
      type: "Warning",
      reason: EventReason.JobDisappeared,
      message: `Job ${record.job} (${record.action}) was deleted before it finished; not retried for the same findings`,
    });
  }
  const active = jobs.filter((j) => j.phase === "Active");
  draft.active = active.length;
  const prune = spec && !spec.dryRun ? finishedJobsBeyondLimits(jobs, draft.history, spec) : [];

  // ---- 2. forget handled triggers whose findings all cleared
  const current = new Set(input.findings.map(episodeKey));
  const activeTriggers = new Set(active.map((j) => `${j.action}|${j.trigger}`));
  for (const st of draft.actions) {
    const keep = (h: { trigger: string; episodes: string[] }) => activeTriggers.has(`${st.name}|${h.trigger}`) || h.episodes.some((e) => current.has(e));
    st.handled = st.handled.filter(keep).slice(-MAX_HANDLED);
    if (st.dryRunHandled) {
      st.dryRunHandled = st.dryRunHandled.filter(keep).slice(-MAX_HANDLED);
      if (st.dryRunHandled.length === 0) delete st.dryRunHandled;
    }
  }
  const startWindow = spec?.budget ? durationMs(spec.budget.per) : DEFAULT_START_WINDOW_MS;
  draft.recentStarts = draft.recentStarts
    .filter((t) => now - Date.parse(t) < startWindow)
    .sort()
    .slice(-MAX_RECENT_STARTS);

  // ---- 3. decide new Jobs
  const intents: JobIntent[] = [];
  if (policy?.state === "missing")
    draft.held.push({ action: "*", reason: EventReason.PolicyNotFound, message: `RetrainPolicy ${policy.name} not found in namespace ${input.namespace}` });
  if (policy?.state === "invalid")
    draft.held.push({ action: "*", reason: EventReason.PolicyInvalid, message: `RetrainPolicy ${policy.name} is invalid: ${policy.message}` });
  // checked here, not only by the policy's controller: its verdict in status may not be written yet
  const refused = spec ? jobTemplateRefusals(spec.actions, input.jobLimits ?? {}) : [];
  if (refused.length && policy)
    draft.held.push({
      action: "*",
      reason: EventReason.JobTemplateNotAllowed,
      message: `RetrainPolicy ${policy.name} asks for what the operator's settings do not allow: ${describeRefusals(refused)}`,
    });
  if (spec && policy && input.acting && refused.length === 0) {
    for (const match of matchTriggers(spec.triggers, input.findings)) {
      const action = spec.actions.find((a) => a.name === match.action);
      if (!action) continue; // the CRD's CEL rule prevents this; a stale cache might not
      const purpose = actionPurpose(action);
      const st = stateOf(draft, action.name);
      const handled = new Set((spec.dryRun ? (st.dryRunHandled ?? []) : st.handled).flatMap((h) => h.episodes));
      const fresh = match.findings.filter((f) => !handled.has(episodeKey(f)));
      if (fresh.length === 0) continue;
      const episodes = fresh.map(episodeKey).sort();
      const trigger = stableHash(`${input.monitor.uid}|${action.name}|${episodes.join("\n")}`).slice(0, 10);
      const reason = describeFindings(fresh);
      const severity: Severity = fresh.some((f) => f.severity === "critical") ? "critical" : "warning";
      const hold = holdFor(spec, st, action.name, reason, active.length + intents.length, draft.recentStarts.length + intents.length, draft.recentStarts, now);
      if (hold) {
        draft.held.push(hold);
        continue;
      }
      // a model being rolled out is not retrained again until its rollout ends: the findings are
      // about a version on its way out, and the new Job's candidate could not start anyway
      if (purpose === "retrain" && input.rolloutInProgress) {
        draft.held.push({
          action: action.name,
          reason: EventReason.RolloutInProgress,
          message: `${action.name} for ${reason} waits: rollout ${input.rolloutInProgress} is in progress`,
        });
        continue;
      }
      const attempt =
        1 +
        Math.max(
          0,
          ...jobs.filter((j) => j.action === action.name && j.trigger === trigger).map((j) => j.attempt),
          ...draft.history.filter((r) => r.action === action.name && r.trigger === trigger && r.outcome !== "DryRun").map((r) => r.attempt),
        );
      const record: ActionRecord = {
        time: iso(now),
        action: action.name,
        purpose,
        trigger,
        reason,
        severity,
        job: jobName(input.monitor.name, action.name, trigger, attempt),
        attempt,
        outcome: spec.dryRun ? "DryRun" : "Active",
      };
      if (spec.approval === "manual" && !spec.dryRun) {
        const annotations = input.annotations ?? {};
        if (annotations[REJECT_ANNOTATION] === trigger) {
          // rejected: recorded, and these findings do not ask again
          st.handled.push({ trigger, episodes });
          draft.history.unshift({ ...record, outcome: "Rejected", finishedTime: iso(now), message: `rejected by ${REJECT_ANNOTATION}=${trigger}` });
          events.push({ type: "Normal", reason: EventReason.Rejected, message: `${action.name} for ${reason} rejected by a person; no Job` });
          continue;
        }
        if (annotations[APPROVE_ANNOTATION] !== trigger) {
          draft.held.push({
            action: action.name,
            reason: EventReason.ApprovalRequired,
            message: `${action.name} for ${reason} waits for approval: kubectl annotate modelmonitor ${input.monitor.name}${input.namespace ? ` -n ${input.namespace}` : ""} --overwrite ${APPROVE_ANNOTATION}=${trigger} (or ${REJECT_ANNOTATION}=${trigger})`,
          });
          continue;
        }
      }
      if (spec.dryRun) {
        st.dryRunHandled = [...(st.dryRunHandled ?? []), { trigger, episodes }];
        st.lastDryRunTime = iso(now);
        draft.history.unshift(record);
        events.push({ type: "Normal", reason: EventReason.DryRunAction, message: `dry run: would create ${purpose} Job ${record.job} for ${reason}` });
        continue;
      }
      const manifest = renderJob({
        namespace: input.namespace,
        monitor: input.monitor,
        policy: policy.name,
        model: input.model,
        action,
        purpose,
        trigger,
        attempt,
        reason,
        severity,
        findings: fresh,
        episodes,
      });
      const findingType = (fresh.find((f) => f.severity === severity) ?? (fresh[0] as Finding)).type;
      intents.push({ action: action.name, purpose, trigger, episodes, findingType, manifest, record });
    }
  }
  return { input, draft, intents, events, finished, prune };
}

/**
 * Finished Jobs beyond the policy's limits, oldest first, per action (like a CronJob's
 * successfulJobsHistoryLimit and failedJobsHistoryLimit). Only Jobs whose outcome status already
 * records: the record outlives the Job.
 */
function finishedJobsBeyondLimits(jobs: readonly JobView[], history: readonly ActionRecord[], spec: RetrainPolicySpec): string[] {
  const recorded = new Set(history.filter((r) => r.outcome === "Succeeded" || r.outcome === "Failed").map((r) => r.job));
  const out: string[] = [];
  for (const action of new Set(jobs.map((j) => j.action))) {
    for (const [phase, keep] of [
      ["Succeeded", spec.successfulJobsHistoryLimit],
      ["Failed", spec.failedJobsHistoryLimit],
    ] as const) {
      const newestFirst = jobs
        .filter((j) => j.action === action && j.phase === phase && recorded.has(j.name))
        .sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
      out.push(...newestFirst.slice(keep).map((j) => j.name));
    }
  }
  return out;
}

function holdFor(
  spec: RetrainPolicySpec,
  st: ActionState,
  action: string,
  reason: string,
  activeCount: number,
  startsInWindow: number,
  recentStarts: readonly string[],
  now: number,
): Held | undefined {
  const what = `${action} for ${reason}`;
  if (spec.suspend) return { action, reason: EventReason.PolicySuspended, message: `the RetrainPolicy is suspended: ${what} not started` };
  const last = spec.dryRun ? st.lastDryRunTime : st.lastStartTime;
  const cooldownEnd = last ? Date.parse(last) + durationMs(spec.cooldown) : undefined;
  if (cooldownEnd !== undefined && now < cooldownEnd)
    return {
      action,
      reason: EventReason.CooldownActive,
      until: iso(cooldownEnd),
      message: `${what} held until ${iso(cooldownEnd)}: cooldown ${spec.cooldown} after the last Job at ${last}`,
    };
  const backoffEnd = st.lastFailureTime ? Date.parse(st.lastFailureTime) + backoffMs(spec, st.consecutiveFailures) : undefined;
  if (backoffEnd !== undefined && now < backoffEnd)
    return {
      action,
      reason: EventReason.BackoffActive,
      until: iso(backoffEnd),
      message: `${what} held until ${iso(backoffEnd)}: backoff after ${st.consecutiveFailures} failed attempt(s)`,
    };
  if (activeCount >= spec.maxActiveJobs)
    return {
      action,
      reason: EventReason.MaxActiveJobsReached,
      message: `${what} waits: ${activeCount} Job(s) running, maxActiveJobs is ${spec.maxActiveJobs}`,
    };
  if (spec.budget && startsInWindow >= spec.budget.maxJobs) {
    const until = Date.parse(recentStarts[0] as string) + durationMs(spec.budget.per);
    return {
      action,
      reason: EventReason.BudgetExhausted,
      until: iso(until),
      message: `${what} held until ${iso(until)}: ${startsInWindow} Jobs in the last ${spec.budget.per}, budget is ${spec.budget.maxJobs}`,
    };
  }
  return undefined;
}

/** Holds that are the policy working as configured, not trouble. */
const NORMAL_HOLDS = new Set<string>([
  EventReason.CooldownActive,
  EventReason.MaxActiveJobsReached,
  EventReason.ApprovalRequired,
  EventReason.RolloutInProgress,
]);

/** Folds the API server's answers to the Job creations into the plan; the final status. */
export function settleRemediation(plan: RemediationPlan, outcomes: ReadonlyMap<string, CreateOutcome>): RemediationResult {
  const { input, draft } = plan;
  const { now } = input;
  const events = [...plan.events];
  const finished = [...plan.finished];
  const created: JobIntent[] = [];
  const spec = input.policy?.state === "ok" ? input.policy.spec : undefined;
  for (const intent of plan.intents) {
    const outcome = outcomes.get(intent.manifest.metadata.name) ?? { kind: "error", message: "not attempted" };
    const st = stateOf(draft, intent.action);
    if (outcome.kind === "error") {
      draft.held.push({
        action: intent.action,
        reason: EventReason.JobCreateFailed,
        until: iso(now + ERROR_RETRY_MS),
        message: `could not create Job ${intent.record.job}, retrying: ${outcome.message}`,
      });
      continue;
    }
    if (outcome.kind === "rejected") {
      draft.history.unshift({ ...intent.record, outcome: "CreateFailed", finishedTime: iso(now), message: outcome.message.slice(0, 4096) });
      st.consecutiveFailures += 1;
      st.lastFailureTime = iso(now);
      finished.push({ action: intent.action, purpose: intent.purpose, outcome: "CreateFailed" });
      events.push({ type: "Warning", reason: EventReason.JobCreateFailed, message: `the API server refused Job ${intent.record.job}: ${outcome.message}` });
      continue;
    }
    draft.history.unshift(intent.record);
    st.handled.push({ trigger: intent.trigger, episodes: intent.episodes });
    st.lastStartTime = intent.record.time;
    draft.recentStarts.push(intent.record.time);
    draft.active += 1;
    if (outcome.kind === "created") created.push(intent);
    events.push({
      type: "Normal",
      reason: intent.purpose === "reindex" ? EventReason.ReindexTriggered : EventReason.RetrainTriggered,
      message: `created Job ${intent.record.job} (${intent.action}, attempt ${intent.record.attempt}) for ${intent.record.reason}`,
    });
  }
  // newest first; a stable sort keeps records of the same instant in the order they were made
  draft.history = draft.history.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, spec?.historyLimit ?? DEFAULT_HISTORY_LIMIT);

  // Events for holds only when they begin, not on every evaluation that sees them
  const before = new Set((input.previous?.held ?? []).map((h) => `${h.action}|${h.reason}`));
  for (const h of draft.held)
    if (!before.has(`${h.action}|${h.reason}`) && h.reason !== EventReason.JobCreateFailed)
      events.push({ type: NORMAL_HOLDS.has(h.reason) ? "Normal" : "Warning", reason: h.reason as MonitorEvent["reason"], message: h.message });

  const waits = draft.held.filter((h) => h.until).map((h) => Date.parse(h.until as string) - now);
  if (draft.history.some((r) => r.outcome === "Active" && !input.jobs.some((j) => j.name === r.job))) waits.push(JOB_DISAPPEARED_GRACE_MS / 2);
  const requeueAfterMs = waits.length ? Math.max(1000, Math.min(...waits)) : undefined;

  const nothing = !input.policy && !input.previous && draft.history.length === 0;
  if (nothing) return { status: undefined, conditions: [], events, created, finished, prune: plan.prune };
  const runningJobs = draft.history.filter((r) => r.outcome === "Active").map((r) => r.job);
  const conditions: ConditionInput[] = [
    draft.held.length
      ? { type: "ActionHeld", status: "True", reason: draft.held[0]?.reason as string, message: draft.held.map((h) => h.message).join("; ") }
      : {
          type: "ActionHeld",
          status: "False",
          reason: "NotHeld",
          message: input.policy ? "no triggered action is held back" : "the monitor names no RetrainPolicy",
        },
    draft.active > 0
      ? { type: "ActionRunning", status: "True", reason: "JobActive", message: `running: ${runningJobs.join(", ") || `${draft.active} Job(s)`}` }
      : { type: "ActionRunning", status: "False", reason: "NoActiveJob", message: "no Job is running" },
  ];
  return { status: draft, conditions, events, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}), created, finished, prune: plan.prune };
}
