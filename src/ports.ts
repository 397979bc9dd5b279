// The small interfaces between the reconcilers and the outside world. Adapters implement them;
// controller tests use fakes of them.
import type { QueryRequest, QueryResult } from "./domain/observation.ts";
import type { MonitorEvent } from "./domain/events.ts";
import type { CreateOutcome } from "./domain/remediation/plan.ts";
import type { LeaseView } from "./domain/leader.ts";

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
export const systemClock: Clock = { now: () => Date.now() };

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
