// The ModelMonitor reconciler: gather (spec, status, metric queries) -> decide (pure) ->
// persist the status once (skipped when unchanged) -> emit Events. All state that must survive
// a restart (when it last evaluated, pinned baselines, pending breaches) lives in status.
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { API_VERSION } from "../api/v1alpha1/common.ts";
import {
  MODEL_MONITOR,
  modelMonitorSpecSchema,
  modelMonitorStatusSchema,
  type ModelMonitorSpec,
  type ModelMonitorStatus,
} from "../api/v1alpha1/modelmonitor.ts";
import { durationMs } from "../domain/duration.ts";
import { decide, planEvaluation, planQueries } from "../domain/evaluate.ts";
import type { MonitorEvent } from "../domain/events.ts";
import { evaluationDue, invalidSpecStatus, suspendedStatus } from "../domain/lifecycle.ts";
import { queryKey, type QueryResult } from "../domain/observation.ts";
import type { Clock, EventSink, MetricsSource, ObjectRef, StatusWriter } from "../ports.ts";
import type { MonitorTelemetry } from "../adapters/telemetry.ts";
import { formatIssues } from "./validation.ts";

export interface ModelMonitorObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

/** Gives the metrics source of a monitor: the operator's default or its own spec.source. */
export type MetricsSourceResolver = (namespace: string, spec: ModelMonitorSpec) => Promise<MetricsSource>;

export interface ReconcilerDeps {
  resolveSource: MetricsSourceResolver;
  status: StatusWriter;
  events: EventSink;
  clock: Clock;
  log: Logger;
  telemetry?: MonitorTelemetry;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  evaluated: boolean;
}

export class ModelMonitorReconciler {
  private readonly deps: ReconcilerDeps;
  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: ModelMonitorObject): Promise<ReconcileResult> {
    const { clock, log } = this.deps;
    const ref: ObjectRef = {
      apiVersion: API_VERSION,
      kind: MODEL_MONITOR.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
    };
    const generation = obj.metadata.generation ?? 0;
    const parsedStatus = modelMonitorStatusSchema.safeParse(obj.status ?? {});
    // an unreadable status (hand-edited) is started afresh rather than blocking the monitor
    const previous: ModelMonitorStatus = parsedStatus.success ? parsedStatus.data : modelMonitorStatusSchema.parse({});
    const now = clock.now();
    const nowIso = new Date(now).toISOString();

    const spec = modelMonitorSpecSchema.safeParse(obj.spec ?? {});
    if (!spec.success) {
      const invalid = invalidSpecStatus(previous, generation, formatIssues(spec.error, "spec"), nowIso);
      await this.persist(obj, ref, invalid.status);
      await this.emitAll(ref, invalid.events);
      return { evaluated: false };
    }
    if (spec.data.suspend) {
      await this.persist(obj, ref, suspendedStatus(previous, generation, nowIso));
      return { evaluated: false };
    }

    const intervalMs = durationMs(spec.data.interval);
    const due = evaluationDue(previous, generation, obj.metadata.annotations ?? {}, intervalMs, now);
    if (!due.due) return { evaluated: false, requeueAfterMs: due.afterMs };

    const started = performance.now();
    const plan = planEvaluation(spec.data, now);
    const source = await this.deps.resolveSource(ref.namespace, spec.data);
    const queries = planQueries(plan);
    const answers = await Promise.all(queries.map((q) => source.query(q)));
    const results = new Map<string, QueryResult>();
    queries.forEach((q, i) => {
      const r = answers[i] as QueryResult;
      results.set(queryKey(q), r);
      this.deps.telemetry?.queried(r);
    });
    const decision = decide(
      { generation, annotations: obj.metadata.annotations ?? {}, spec: spec.data, status: previous },
      plan,
      results,
      now,
    );
    await this.persist(obj, ref, decision.status);
    const seconds = (performance.now() - started) / 1000;
    this.deps.telemetry?.evaluated(ref.namespace, ref.name, decision.status, seconds);
    log.debug({ monitor: `${ref.namespace}/${ref.name}`, health: decision.status.health, queries: queries.length, seconds }, "evaluated");
    await this.emitAll(ref, decision.events);
    return { evaluated: true, requeueAfterMs: intervalMs };
  }

  /** Writes the status unless it is unchanged; returns whether it wrote. */
  private async persist(obj: ModelMonitorObject, ref: ObjectRef, next: ModelMonitorStatus): Promise<boolean> {
    const clean = JSON.parse(JSON.stringify(next)) as unknown;
    if (isDeepStrictEqual(obj.status, clean)) return false;
    await this.deps.status.writeStatus(ref, clean);
    // the watch brings the new status a moment later; until then the cached object must not
    // look older than what was just written, or a stale reconcile could evaluate twice
    obj.status = clean;
    return true;
  }

  private async emitAll(ref: ObjectRef, events: MonitorEvent[]): Promise<void> {
    // Events follow the persisted status they describe, in order
    for (const e of events) await this.deps.events.emit(ref, e);
  }
}
