// The ModelRollout reconciler's decisions around the state machine (machine.ts): whether the
// rollout can move at all (its monitor, the monitor's wiring), which version serves stable,
// the world the machine decides from, when an analysis runs, and when to come back. Pure: the
// controller (src/controller/modelrollout.ts) gathers, calls these, persists and performs.
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorSpec, type ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import type { ModelRolloutSpec, ModelRolloutStatus, ServingSpec } from "../../api/v1alpha1/rollout.ts";
import type { Condition } from "../../api/v1alpha1/common.ts";
import { formatIssues } from "../../api/validation.ts";
import { setConditions } from "../conditions.ts";
import type { AnalysisJudgement } from "./analysis.ts";
import { DEFAULT_STRATEGY } from "./strategy.ts";
import {
  blockedStatus,
  TARGET_HOLD,
  type LiveWeights,
  type MonitorVerdict,
  type RolloutDecision,
  type RolloutEffect,
  type RolloutWorld,
  type WorkloadState,
} from "./machine.ts";

/** Why a rollout cannot move at all: the Ready condition's reason and the status reason while blocked. */
export const RolloutBlockedReason = {
  /** The ModelRollout's own spec does not parse. */
  InvalidSpec: "InvalidSpec",
  /** spec.monitorRef names no ModelMonitor in the cache. */
  MonitorNotFound: "MonitorNotFound",
  /** The named ModelMonitor's spec does not parse. */
  MonitorInvalid: "MonitorInvalid",
  /** The monitor has no spec.serving: nothing says where its versions are served. */
  NoServing: "NoServing",
} as const;
export type RolloutBlockedReasonValue = (typeof RolloutBlockedReason)[keyof typeof RolloutBlockedReason];

export interface RolloutBlock {
  reason: RolloutBlockedReasonValue;
  message: string;
}

/** How soon a rollout reconcile comes back when the state machine does not say. */
export const ROLLOUT_REQUEUE = {
  /** An effect (weights, a Deployment's version) failed: tried again this soon. */
  effectFailedMs: 2_000,
  /** Blocked (no monitor, no wiring): looked at again this often, in case the watch missed the fix. */
  blockedMs: 10_000,
  /** Restoring stable after the monitor is gone: the route is re-read this soon. */
  restoringMs: 500,
} as const;
export type RolloutRequeue = { [K in keyof typeof ROLLOUT_REQUEUE]: number };

/** What the rollout's monitor gives it: its spec, its wiring, and what its status recorded. */
export interface MonitorOfRollout {
  spec: ModelMonitorSpec;
  serving: ServingSpec;
  /** Its status, when readable. */
  status: ModelMonitorStatus | undefined;
}

/** The monitor a rollout follows, or why the rollout is blocked without it. */
export function monitorOfRollout(
  monitorName: string,
  monitor: { spec?: unknown; status?: unknown } | undefined,
): { ok: true; monitor: MonitorOfRollout } | { ok: false; block: RolloutBlock } {
  if (!monitor) return { ok: false, block: { reason: RolloutBlockedReason.MonitorNotFound, message: `ModelMonitor ${monitorName} not found` } };
  const spec = modelMonitorSpecSchema.safeParse(monitor.spec ?? {});
  if (!spec.success)
    return {
      ok: false,
      block: { reason: RolloutBlockedReason.MonitorInvalid, message: `ModelMonitor ${monitorName} is invalid: ${formatIssues(spec.error, "spec")}` },
    };
  const serving = spec.data.serving;
  if (!serving)
    return {
      ok: false,
      block: {
        reason: RolloutBlockedReason.NoServing,
        message: `ModelMonitor ${monitorName} has no spec.serving: nothing says where its versions are served`,
      },
    };
  const status = modelMonitorStatusSchema.safeParse(monitor.status ?? {});
  return { ok: true, monitor: { spec: spec.data, serving, status: status.success ? status.data : undefined } };
}

/** The blocked status: the block's reason in PHASE/REASON and in a False Ready condition; everything else kept. */
export function blockedRolloutStatus(previous: ModelRolloutStatus, generation: number, block: RolloutBlock, nowIso: string): ModelRolloutStatus {
  const ready: Condition[] = setConditions(
    previous.conditions,
    [{ type: "Ready", status: "False", reason: block.reason, message: block.message }],
    nowIso,
    generation,
  );
  return { ...blockedStatus(previous, block.reason, block.message), observedGeneration: generation, conditions: ready };
}

/** The stable version as the monitor knows it: the one it recorded serving stable, else the one its spec names. */
export const knownStableVersion = (monitor: MonitorOfRollout): string | undefined => monitor.status?.stableVersion ?? monitor.spec.model.version;

/**
 * The version serving stable traffic, and its URI. A workload that does not say its version (no
 * env var) is taken to serve the stable one; one that says another version lends no URI.
 */
export function stableServing(knownStable: string | undefined, stableWorkload: WorkloadState): { version: string; uri?: string | undefined } {
  const version = knownStable ?? stableWorkload.version ?? "unknown";
  return { version, uri: stableWorkload.version === version || stableWorkload.version === undefined ? stableWorkload.uri : undefined };
}

/** What the monitor last concluded, for a bake's rollback triggers; undefined when its status is unreadable. */
export const monitorVerdictOf = (status: ModelMonitorStatus | undefined): MonitorVerdict | undefined =>
  status ? { version: status.observedVersion, lastEvaluationTime: status.lastEvaluationTime, findings: status.findings } : undefined;

/** What the rollout knows of its versions, for a serving platform that cannot say it (ports.ts RolloutView). */
export function rolloutVersions(spec: ModelRolloutSpec, status: ModelRolloutStatus, knownStable: string | undefined) {
  return { stable: status.stable ?? { version: knownStable }, candidate: spec.candidate, promoted: status.promotedTime !== undefined };
}

/**
 * Whether this reconcile runs the step's analysis: one is due, and the rollout can act on the
 * verdict. A held rollout does not judge its step (nothing could follow from the verdict), nor
 * does the reconcile that ends the hold.
 */
export function analysisRuns(o: {
  deleting: boolean;
  due: boolean;
  paused: boolean | undefined;
  targetRefusal: string | undefined;
  previous: ModelRolloutStatus;
}): boolean {
  return !o.deleting && o.due && !o.paused && !o.targetRefusal && o.previous.reason !== TARGET_HOLD;
}

/** Whether an analysis counts as one for the metrics: an interim check that neither failed nor met an error is only a look. */
export const analysisCounted = (a: AnalysisJudgement): boolean => !(a.interim && a.outcome !== "Failed" && a.outcome !== "Error");

/** The live state a reconcile reads, as the state machine takes it. */
export interface LiveRollout {
  weights: LiveWeights;
  stableWorkload: WorkloadState;
  candidateWorkload: WorkloadState;
  targetRefusal: string | undefined;
}

/**
 * The world of a deletion after the monitor's: no analysis, the default strategy, the stable
 * version as status recorded it; the machine only brings all traffic back to stable.
 */
export function restoreWorld(previous: ModelRolloutStatus, live: LiveRollout, now: number): RolloutWorld {
  return { now, strategy: DEFAULT_STRATEGY, stable: previous.stable ?? { version: live.stableWorkload.version ?? "unknown" }, ...live };
}

/** When to come back: soon after a failed effect, else when the machine asked. */
export function rolloutRequeueAfter(decision: Pick<RolloutDecision, "requeueAfterMs">, failedEffects: number, requeue: RolloutRequeue): number | undefined {
  return failedEffects ? requeue.effectFailedMs : decision.requeueAfterMs;
}

/** When to come back while restoring stable without the monitor: the finalizer released ends it. */
export function restoreRequeueAfter(released: boolean, failedEffects: number, requeue: RolloutRequeue): number | undefined {
  if (released) return undefined;
  return failedEffects ? requeue.effectFailedMs : requeue.restoringMs;
}

/** The effect as a Warning Event's message says it. */
export const describeEffect = (e: RolloutEffect): string =>
  e.kind === "setWeights"
    ? `setting weights ${e.weights.stable}/${e.weights.candidate}`
    : e.kind === "setMirror"
      ? `mirroring ${e.percent} % to the candidate`
      : e.kind === "parkCandidate"
        ? `scaling the candidate Deployment ${e.parked ? "to zero" : "back up"}`
        : `setting ${e.version} on the ${e.which} Deployment`;
