// The small interfaces between the reconcilers and the outside world. Adapters implement them;
// controller tests use fakes of them.
import type { QueryRequest, QueryResult } from "./domain/observation.ts";
import type { MonitorEvent } from "./domain/events.ts";
import type { CreateOutcome } from "./domain/remediation/plan.ts";
import type { LeaseView } from "./domain/leader.ts";
import type { ReportConfigMap } from "./domain/monitor/report.ts";
import type { LiveWeights, RolloutEffect, WorkloadState } from "./domain/rollout/machine.ts";
import type { ServingSpec, Weights } from "./api/v1alpha1/rollout.ts";
import type { ModelMonitorStatus } from "./api/v1alpha1/modelmonitor.ts";
import type { ServingTarget } from "./domain/rollout/targets.ts";

/** A Prometheus-compatible HTTP API. Never throws: failures are QueryResult errors. */
export interface MetricsSource {
  query(request: QueryRequest): Promise<QueryResult>;
}

/** A Kubernetes resource as the API's paths name it. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface StatusWriter {
  /** Replaces the status subresource; throws on conflict or error so the key is retried. */
  writeStatus(ref: ObjectRef, status: unknown): Promise<void>;
}

export interface EventSink {
  emit(ref: ObjectRef, event: MonitorEvent): Promise<void>;
}

type Manifest = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } };

/** The Jobs the operator starts. */
export interface JobsPort {
  /** Never throws: AlreadyExists, a refusal and a transient failure are distinct outcomes. */
  create(manifest: Manifest): Promise<CreateOutcome>;
  /** A server-side dry run: the API server's message when it would refuse the Job. */
  validate(manifest: Manifest): Promise<string | undefined>;
  /** Termination messages of the Job's pods' containers. */
  terminationMessages(namespace: string, job: string): Promise<string[]>;
  /** Deletes a Job and its pods; a Job already gone is not an error. */
  delete(namespace: string, job: string): Promise<void>;
}

export interface Clock {
  now(): number;
}
let clockOffsetMs = 0;
/** CLOCK_OFFSET: shifts every time the operator reads, to prove what clock skew between replicas does (docs/operations/faults.md). */
export function setClockOffset(ms: number): void {
  clockOffsetMs = ms;
}
export const systemClock: Clock = { now: () => Date.now() + clockOffsetMs };

/** The Lease a leader holds; writes carry a precondition, so two replicas never both win. */
export interface LeasePort {
  get(): Promise<StoredLease | undefined>;
  /** false when another replica created it first. */
  create(spec: LeaseSpecWrite): Promise<boolean>;
  /** false when the lease changed since `resourceVersion`. */
  update(resourceVersion: string, spec: LeaseSpecWrite, acquireTime?: string): Promise<boolean>;
}

export interface LeaseSpecWrite {
  holder: string;
  durationMs: number;
  transitions: number;
  /** Set on create and take-over; kept as it is on a renewal. */
  acquireTime?: Date;
  renewTime: Date;
}

export interface StoredLease {
  view: LeaseView;
  resourceVersion: string;
  acquireTime?: string;
}

/** Why a router could not read or write the weights; the reason lands in the rollout's Ready condition. */
export type RouterErrorReason =
  | "RouteNotFound"
  | "RuleNotFound"
  | "BackendNotFound"
  | "RouteChanged"
  | "RouterForbidden"
  | "RouterUnavailable"
  | "DeploymentModeUnsupported"
  | "MirrorUnsupported";

export class RouterError extends Error {
  readonly reason: RouterErrorReason;
  constructor(reason: RouterErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The traffic split between a model's stable and candidate backends, on one routing object. */
export interface TrafficRouter {
  /** The weights as the object holds them now; never throws (failures are typed errors). */
  read(): Promise<LiveWeights>;
  /** Sets both weights in one write, touching nothing else; throws RouterError. */
  write(weights: Weights): Promise<void>;
  /** Mirrors this share (%) of the route's requests to the candidate, answers discarded; 0 removes the mirror. */
  writeMirror(percent: number): Promise<void>;
  /** The routing object as the last read() found it; undefined when it could not be read. */
  target(): ServingTarget | undefined;
}

/** A model's two versions as they are served now: the traffic split and each version's workload. */
export interface LiveServing {
  weights: LiveWeights;
  stable: WorkloadState;
  candidate: WorkloadState;
  /** Every object found that the rollout may change, with its labels (REQUIRE_TARGET_OPT_IN). */
  targets: ServingTarget[];
}

/** What a rollout knows that the serving platform may not say: which version is which. */
export interface RolloutView {
  /** The version that served before the rollout began (status.stable), when known. */
  stable: { version?: string | undefined; uri?: string | undefined };
  candidate: { version: string; uri?: string | undefined };
  /** The candidate has been promoted (status.promotedTime): a rollback now restores `stable`. */
  promoted: boolean;
}

/**
 * Where a model's versions are served: two Deployments behind a router, or one object holding
 * both (a KServe InferenceService). The rollout reads it and applies its effects through it.
 */
export interface ServedVersions {
  /** Re-read at every reconcile; never throws (a router failure is a typed weights error). */
  read(view: RolloutView): Promise<LiveServing>;
  /** Performs one effect the rollout decided; throws RouterError or the API's error. */
  apply(effect: RolloutEffect, view: RolloutView): Promise<void>;
}

/** The Deployments serving a model's versions, told their model version and URI by env vars. */
export interface WorkloadPort {
  /** The state, and the Deployment as a serving target when it was found. */
  read(namespace: string, deployment: string, env: ModelEnv): Promise<WorkloadState & { target?: ServingTarget }>;
  setModel(namespace: string, deployment: string, env: ModelEnv, version: string, uri: string | undefined): Promise<void>;
  /** Scales the Deployment to zero between rollouts (its replicas kept on it), or back. */
  park(namespace: string, deployment: string, parked: boolean): Promise<void>;
}

export interface ModelEnv {
  container?: string | undefined;
  version: string;
  uri: string;
}

/** Adds or removes one finalizer, guarded so a concurrent change of the list is never overwritten. */
export interface FinalizerPort {
  /** `current` is the list as last read; throws when it changed since, so the key is retried. */
  add(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void>;
  remove(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void>;
}

/** The ConfigMaps holding governance reports. */
export interface ReportPort {
  /**
   * Creates the ConfigMap, or replaces it when it is this monitor's (owner reference); throws with
   * the reason otherwise. `part` "series": only the keys given change (the plots' series between reports).
   */
  write(configMap: ReportConfigMap, part?: "report" | "series"): Promise<void>;
  /** The report text, or undefined when the ConfigMap or its key does not exist. */
  read(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** What the monitor controller reports to the operator's metrics (adapters/telemetry.ts implements it). */
export interface MonitorTelemetry {
  evaluated(namespace: string, name: string, status: ModelMonitorStatus, seconds: number): void;
  queried(result: QueryResult): void;
  reconcileError(): void;
  actionStarted(namespace: string, model: string, purpose: "retrain" | "reindex", reason: string): void;
  actionFinished(namespace: string, model: string, action: string, outcome: "Succeeded" | "Failed" | "CreateFailed"): void;
  /** Seconds between a monitor's evaluations beyond its interval. */
  evaluationLag?(seconds: number): void;
}

/** The serving platform of a monitor's spec.serving, in a namespace (adapters/routers picks the router). */
export type ServingFactory = (namespace: string, serving: ServingSpec) => ServedVersions;

/** A list + watch of one resource feeding a controller's store (adapters/kubernetes/watch.ts). */
export interface ResourceWatch {
  stop(): Promise<void>;
  /** Resolves once every watched namespace has been listed: the cache is complete. */
  synced: Promise<void>;
}

/** What a watch calls for each event; `resumed` once it is back after failing. */
export interface ResourceWatchHandlers<T> {
  upsert(obj: T): void;
  remove(obj: T): void;
  resumed?(): void;
}

/** The ports on one cluster that the controllers' setup functions build their reconcilers from (adapters/kubernetes/client.ts). */
export interface ClusterPorts {
  /** A controller's status writer, under its own field manager. */
  statusWriter(type: ResourceType, controller: string): StatusWriter;
  finalizers(type: ResourceType): FinalizerPort;
  /** Creates objects the operator owns; AlreadyExists is adoption. */
  creator(type: ResourceType): { create(manifest: Record<string, unknown> & { metadata: { name: string; namespace: string } }): Promise<CreateOutcome> };
  jobs(): JobsPort;
  reports(): ReportPort;
  /** Where models' versions are served, changed under the controller's field manager. */
  serving(controller: string, requireTargetOptIn: boolean): ServingFactory;
}
