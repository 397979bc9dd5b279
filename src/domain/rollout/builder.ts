// What the rollout state machine's parts share: the snapshot and the world they decide from,
// the effects they ask for, and the builder of the next status.
import type { Severity } from "../../api/v1alpha1/common.ts";
import type { ModelRolloutSpec, ModelRolloutStatus, RolloutPhase, RolloutStrategy, ServingSpec, Weights } from "../../api/v1alpha1/rollout.ts";
import type { MonitorEvent } from "../events.ts";
import type { AnalysisJudgement } from "./analysis.ts";

export interface WorkloadState {
  found: boolean;
  version?: string | undefined;
  uri?: string | undefined;
  /** Available with its current spec (observed generation, updated and available replicas). */
  ready: boolean;
  message: string;
  /**
   * Scaled to zero by the operator between rollouts (true), serving (false), or a workload the
   * operator does not scale (undefined: a KServe revision, scaled by KServe).
   */
  parked?: boolean | undefined;
}

/** The split read back from the route, and the share (%) it mirrors to the candidate (0: none). */
export type LiveWeights = { kind: "weights"; weights: Weights; mirror?: number | undefined } | { kind: "error"; reason: string; message: string };

export interface RolloutSnapshot {
  /** The ModelRollout's name, for the commands its messages give. */
  name?: string | undefined;
  /** Its namespace, for the same commands (run from another namespace they need -n). */
  namespace?: string | undefined;
  generation: number;
  spec: ModelRolloutSpec;
  annotations: Readonly<Record<string, string>>;
  status: ModelRolloutStatus;
  deleting: boolean;
}

export interface RolloutWorld {
  now: number;
  strategy: RolloutStrategy;
  /** Why the strategy cannot analyse this model (no comparisons, unknown signals). */
  strategyProblem?: string | undefined;
  /** The version serving stable traffic now: recorded when the rollout starts. */
  stable: { version: string; uri?: string | undefined };
  weights: LiveWeights;
  stableWorkload: WorkloadState;
  candidateWorkload: WorkloadState;
  /** Present when an analysis was due and has been run. */
  analysis?: (AnalysisJudgement & { window: string }) | undefined;
  /** What the monitor last concluded (its rollback triggers, during a bake). */
  monitor?: MonitorVerdict | undefined;
  /** The monitor's wiring, recorded in status so a deletion after the monitor's can still restore stable. */
  serving?: ServingSpec | undefined;
  /** Why the rollout may change none of its serving objects (REQUIRE_TARGET_OPT_IN, targets.ts): it then writes nothing and holds. */
  targetRefusal?: string | undefined;
}

export interface MonitorVerdict {
  /** The version the monitor evaluated. */
  version?: string | undefined;
  lastEvaluationTime?: string | undefined;
  findings: readonly { type: string; severity: Severity; source: string; description: string; since: string }[];
}

export type RolloutEffect =
  | { kind: "setWeights"; weights: Weights }
  | { kind: "setWorkload"; which: "stable" | "candidate"; version: string; uri?: string | undefined }
  /** The route mirrors this share (%) of requests to the candidate; 0 removes the mirror. */
  | { kind: "setMirror"; percent: number }
  /** Scales the candidate Deployment to zero (remembering its replicas on it) or back to what it had. */
  | { kind: "parkCandidate"; parked: boolean };

export interface RolloutDecision {
  status: ModelRolloutStatus;
  effects: RolloutEffect[];
  events: MonitorEvent[];
  requeueAfterMs?: number | undefined;
  /** The rollout can still move traffic: it must hold its finalizer (so a deletion restores stable first). */
  holdFinalizer: boolean;
  /** The finalizer may go: the rollout is over, or it is being deleted and the route is back at 100 % stable. */
  releaseFinalizer: boolean;
}

export const ALL_STABLE: Weights = { stable: 100, candidate: 0 };
export const sameWeights = (a: Weights | undefined, b: Weights | undefined) => !!a && !!b && a.stable === b.stable && a.candidate === b.candidate;
export const stepWeights = (weight: number): Weights => ({ stable: 100 - weight, candidate: weight });
export const ZERO_COUNTERS = { successful: 0, failed: 0, inconclusive: 0, errors: 0, consecutiveInconclusive: 0, consecutiveErrors: 0 };
/** How often the live weights are re-read while a rollout runs (a person's edit is noticed this fast). */
export const WATCH_INTERVAL_MS = 5_000;
/** How often a Deployment's readiness is re-read while the rollout waits for it. */
export const WAIT_MS = 1_000;

export const ALL_CANDIDATE: Weights = { stable: 0, candidate: 100 };

export class Builder {
  status: ModelRolloutStatus;
  readonly effects: RolloutEffect[] = [];
  readonly events: MonitorEvent[] = [];
  readonly now: number;
  readonly iso: string;
  requeueAfterMs: number | undefined;
  constructor(status: ModelRolloutStatus, now: number) {
    this.status = { ...status };
    this.now = now;
    this.iso = new Date(now).toISOString();
  }
  set(patch: Partial<ModelRolloutStatus>) {
    this.status = { ...this.status, ...patch };
  }
  phase(phase: RolloutPhase, reason: string, message: string) {
    if (this.status.phase !== phase) this.status = { ...this.status, phase, phaseTime: this.iso };
    this.status = { ...this.status, reason, message };
  }
  event(type: "Normal" | "Warning", reason: MonitorEvent["reason"], message: string) {
    this.events.push({ type, reason, message });
  }
  requeue(ms: number) {
    this.requeueAfterMs = Math.min(this.requeueAfterMs ?? Infinity, Math.max(0, ms));
  }
  counters() {
    return { ...ZERO_COUNTERS, ...this.status.counters };
  }
}
