// The small interfaces between the reconcilers and the outside world. Adapters implement them;
// controller tests use fakes of them.
import type { QueryRequest, QueryResult } from "./domain/observation.ts";
import type { MonitorEvent } from "./domain/events.ts";

/** A Prometheus-compatible HTTP API. Never throws: failures are QueryResult errors. */
export interface MetricsSource {
  query(request: QueryRequest): Promise<QueryResult>;
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

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
