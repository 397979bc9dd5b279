// The ModelMonitor reconciler: gather (spec, status, metric queries, the policy and Jobs from
// the caches) -> decide (pure) -> create the Jobs decided on -> persist the status once
// (skipped when unchanged) -> emit Events. All state that must survive a restart (when it last
// evaluated, pinned baselines, pending breaches, what the policy did) lives in status.
import type { Logger } from "pino";
import {
  MODEL_MONITOR,
  MONITOR_CONDITION_TYPES,
  modelMonitorStatusSchema,
  type ModelMonitorSpec,
  type ModelMonitorStatus,
} from "../api/v1alpha1/modelmonitor.ts";
import { durationMs } from "../domain/duration.ts";
import { parseMonitorSpec } from "../domain/monitor/spec-cache.ts";
import { decide, planEvaluation, planLookups, planQueries } from "../domain/monitor/evaluate.ts";
import { EventReason, type MonitorEvent } from "../domain/events.ts";
import { planMonitorRollout, monitoredRolloutOf, type MonitoredRollout } from "../domain/rollout/monitor.ts";
import { effectiveIntervalMs, evaluationDue, evaluationIntervalMs, invalidSpecStatus, suspendedStatus, type ProcessView } from "../domain/monitor/lifecycle.ts";
import {
  evaluationLagSeconds,
  remediationRuns,
  remediationSubject,
  reportFailedEvent,
  reportWrittenEvent,
  rolloutInProgress,
  soonerRequeue,
  watchedSpec,
  withEvaluationCounted,
  withoutReport,
  withRemediation,
  withReportWritten,
  withRolloutPlan,
} from "../domain/monitor/reconcile.ts";
import { DEFAULT_VALUES_MAX_AGE_MS, statusWrite, valuesRefreshMs } from "../domain/monitor/status-writes.ts";
import { queryKey, type QueryRequest, type QueryResult } from "../domain/observation.ts";
import { queryLogOf } from "../domain/log-lines.ts";
import type { StatusOwnership } from "../domain/conditions.ts";
import { jobsAwaitingResult, parseJobResult, type JobView } from "../domain/remediation/job.ts";
import type { JobLimits } from "../domain/remediation/job-limits.ts";
import { planRemediation, settleRemediation, type CreateOutcome, type PolicyView, type RemediationResult } from "../domain/remediation/plan.ts";
import { renderGovernanceReport, reportConfigMap, reportDue, seriesConfigMap } from "../domain/monitor/report.ts";
import { reportDetails, type ReportDetails } from "../domain/analysis/report-details.ts";
import { renderHtmlReport, rolloutSummaryOf, type RolloutSummary } from "../domain/monitor/report-html.ts";
import {
  appendAll,
  MAX_SERIES_POINTS,
  parseSeries,
  pointOf,
  SERIES_FLUSH_MS,
  SERIES_KEY,
  type ReportSeries,
  type SeriesPoint,
} from "../domain/monitor/report-series.ts";
import type { Clock, EventSink, JobsPort, MetricsSource, MonitorTelemetry, ObjectRef, ReportPort, StatusWriter } from "../ports.ts";
import { formatIssues } from "../api/validation.ts";
import { persistOwnedStatus } from "./persist.ts";
import { objectRefOf, requeueAfter, type KubeObject, type ReconcileResult } from "./reconciler.ts";

/** Gives the metrics source of a monitor: the operator's default or its own spec.source. */
export type MetricsSourceResolver = (namespace: string, spec: ModelMonitorSpec) => Promise<MetricsSource>;

/** What the reconciler needs to act on findings; absent, monitors only report. */
export interface RemediationDeps {
  /** The named RetrainPolicy as the cache holds it. */
  policy(namespace: string, name: string): PolicyView;
  /** The Jobs this monitor owns, as the cache holds them. */
  jobsOf(namespace: string, monitorUid: string): JobView[];
  jobs: JobsPort;
  /** The service accounts and images Jobs may use (JOB_ALLOWED_*); absent: any. */
  jobLimits?: JobLimits;
}

/** What the reconciler needs to start rollouts and follow them; absent, no rollout is started. */
export interface RolloutDeps {
  /** The monitor's ModelRollouts, as the cache holds them. */
  rolloutsOf(namespace: string, monitor: string): KubeObject[];
  /** Whether the named RetrainPolicy has spec.rollout. */
  rolloutEnabled(namespace: string, policy: string): boolean;
  /** The step weights of the named RetrainPolicy's rollout strategy, for the report (absent: not shown). */
  rolloutSteps?(namespace: string, policy: string): number[] | undefined;
  create(manifest: Record<string, unknown> & { metadata: { name: string; namespace: string } }): Promise<CreateOutcome>;
}

export interface ReconcilerDeps {
  resolveSource: MetricsSourceResolver;
  remediation?: RemediationDeps;
  rollouts?: RolloutDeps;
  /** Where governance reports go (spec.report); absent, none is written. */
  reports?: ReportPort;
  status: StatusWriter;
  events: EventSink;
  clock: Clock;
  /** When the operator started reconciling (default: its first reconcile). */
  startedAt?: number;
  /** How long a status whose values alone moved may go unwritten, at most (status-writes.ts; default 5 min, 0 writes every evaluation). */
  valuesMaxAgeMs?: number;
  log: Logger;
  telemetry?: MonitorTelemetry;
}

/** The monitor controller writes every field of the status but the conditions of other controllers. */
export const MONITOR_STATUS_OWNERSHIP: StatusOwnership = { fields: Object.keys(modelMonitorStatusSchema.shape), conditionTypes: MONITOR_CONDITION_TYPES };

export interface MonitorReconcileResult extends ReconcileResult {
  /** Whether this reconcile evaluated the monitor (queried its metrics). */
  evaluated: boolean;
}

/** What one reconcile knows of the monitor before its steps. */
interface MonitorSnapshot {
  ref: ObjectRef;
  /** namespace/name */
  key: string;
  generation: number;
  annotations: Record<string, string>;
  previous: ModelMonitorStatus;
  now: number;
  nowIso: string;
  /** What this process remembers of this very monitor (same uid). */
  memory: Remembered | undefined;
}

/** What the steps of one reconcile have decided so far: the next status, the Events, when to come back. */
interface Pass {
  status: ModelMonitorStatus;
  events: MonitorEvent[];
  requeueAfterMs?: number | undefined;
  /** This reconcile evaluated the monitor (queried its metrics). */
  evaluated: boolean;
  /** Set when this reconcile evaluates: then a status whose values alone moved may wait. */
  refreshMs?: number;
  /** What the HTML report draws beyond status, worked out only when a report is due. */
  details?: () => ReportDetails;
  /** Old finished Jobs to delete once the status is written. */
  prune: string[];
}

/** What this process remembers of a monitor it evaluated: only what makes waiting writes safe. */
interface Remembered {
  uid: string;
  /** When this process last evaluated it: the status may be older. */
  lastEvaluated: number;
  /** The lastEvaluationTime of the status last written. */
  written: number | undefined;
}

export class ModelMonitorReconciler {
  private readonly deps: ReconcilerDeps;
  /** When this replica started reconciling (a start or a hand-over): overdue monitors are spread over a window after it. */
  private startedAt: number | undefined;
  private readonly memory = new Map<string, Remembered>();
  /**
   * The HTML report's points not yet saved to each monitor's ConfigMap (at most SERIES_FLUSH_MS of
   * evaluations), and when its series was last saved: the saved series is read back to merge into.
   */
  private readonly pending = new Map<string, { uid: string; points: SeriesPoint[]; savedAt: number }>();
  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.startedAt = deps.startedAt;
  }

  /** Drops what this process remembers of a deleted monitor. */
  forget(namespace: string, name: string): void {
    this.memory.delete(`${namespace}/${name}`);
    this.pending.delete(`${namespace}/${name}`);
  }

  /** gather (spec, status, caches) -> evaluate when due -> remediate -> follow rollouts -> report -> persist -> emit -> prune. */
  async reconcile(obj: KubeObject): Promise<MonitorReconcileResult> {
    const m = this.snapshot(obj);
    const parsed = parseMonitorSpec(obj.spec);
    const spec = parsed.success ? parsed.data : undefined;
    // the monitor's rollouts from the cache, read once: remediation and the rollout follow-up both need them
    const rollouts = (this.deps.rollouts?.rolloutsOf(m.ref.namespace, m.ref.name) ?? [])
      .map(monitoredRolloutOf)
      .filter((r): r is MonitoredRollout => r !== undefined);
    let pass = parsed.success ? await this.evaluateStep(m, parsed.data) : this.invalidSpecStep(m, formatIssues(parsed.error, "spec"));
    pass = await this.remediationStep(m, spec, rollouts, pass);
    pass = await this.rolloutStep(m, spec, rollouts, pass);
    pass = await this.reportStep(m, spec, pass);
    await this.persist(obj, m, pass);
    await this.emitAll(m.ref, pass.events);
    await this.pruneJobs(m.ref, pass.prune);
    return { evaluated: pass.evaluated, ...requeueAfter(pass.requeueAfterMs) };
  }

  private snapshot(obj: KubeObject): MonitorSnapshot {
    const ref = objectRefOf(obj, MODEL_MONITOR.kind);
    const parsedStatus = modelMonitorStatusSchema.safeParse(obj.status ?? {});
    const now = this.deps.clock.now();
    this.startedAt ??= now;
    const key = `${ref.namespace}/${ref.name}`;
    const remembered = this.memory.get(key);
    return {
      ref,
      key,
      generation: obj.metadata.generation ?? 0,
      annotations: obj.metadata.annotations ?? {},
      // an unreadable status (hand-edited) is started afresh rather than blocking the monitor
      previous: parsedStatus.success ? parsedStatus.data : modelMonitorStatusSchema.parse({}),
      now,
      nowIso: new Date(now).toISOString(),
      memory: remembered?.uid === ref.uid ? remembered : undefined,
    };
  }

  private invalidSpecStep(m: MonitorSnapshot, message: string): Pass {
    const invalid = invalidSpecStatus(m.previous, m.generation, message, m.nowIso);
    return { status: invalid.status, events: [...invalid.events], evaluated: false, prune: [] };
  }

  /** Evaluates the monitor when it is due; otherwise says when it will be. */
  private async evaluateStep(m: MonitorSnapshot, spec: ModelMonitorSpec): Promise<Pass> {
    const { previous, generation, now } = m;
    if (spec.suspend) return { status: suspendedStatus(previous, generation, m.nowIso), events: [], evaluated: false, prune: [] };
    const intervalMs = evaluationIntervalMs(durationMs(spec.interval));
    const view: ProcessView = {
      startedAt: this.startedAt ?? now,
      key: m.ref.uid || m.key,
      refreshMs: valuesRefreshMs(intervalMs, this.deps.valuesMaxAgeMs ?? DEFAULT_VALUES_MAX_AGE_MS),
      ...(m.memory ? { lastEvaluated: m.memory.lastEvaluated } : {}),
    };
    const due = evaluationDue(previous, generation, m.annotations, intervalMs, now, view);
    if (!due.due) return { status: previous, events: [], evaluated: false, prune: [], requeueAfterMs: due.afterMs };
    const lag = evaluationLagSeconds(previous, generation, intervalMs, now, view);
    if (lag !== undefined) this.deps.telemetry?.evaluationLag?.(lag);
    const decision = await this.evaluate(m.ref, generation, m.annotations, watchedSpec(spec, previous), previous, now);
    return {
      status: decision.status,
      events: [...decision.events],
      evaluated: true,
      refreshMs: view.refreshMs,
      ...(decision.details ? { details: decision.details } : {}),
      prune: [],
      // without usable credentials no query was sent: look again soon, the Secret may be fixed
      requeueAfterMs: effectiveIntervalMs(decision.status, intervalMs),
    };
  }

  private async remediationStep(m: MonitorSnapshot, spec: ModelMonitorSpec | undefined, rollouts: MonitoredRollout[], pass: Pass): Promise<Pass> {
    const policyName = spec?.policyRef?.name;
    if (!this.deps.remediation || !remediationRuns(policyName, m.previous)) return pass;
    const { model, acting } = remediationSubject(spec, m.ref.name);
    const r = await this.remediate(m.ref, model, policyName, acting, pass.status, m.now, m.annotations, rolloutInProgress(rollouts));
    return {
      ...pass,
      status: withRemediation(pass.status, r, m.nowIso, m.generation),
      events: [...pass.events, ...r.events],
      prune: r.prune,
      requeueAfterMs: soonerRequeue(pass.requeueAfterMs, r.requeueAfterMs),
    };
  }

  private async rolloutStep(m: MonitorSnapshot, spec: ModelMonitorSpec | undefined, rollouts: MonitoredRollout[], pass: Pass): Promise<Pass> {
    if (!this.deps.rollouts || !spec) return pass;
    const r = await this.followRollouts(m.ref, spec, pass.status, rollouts, m.now);
    return { ...pass, status: r.status, events: [...pass.events, ...r.events] };
  }

  /** The report shows this evaluation's numbers: written only right after one, before the status records it. */
  private async reportStep(m: MonitorSnapshot, spec: ModelMonitorSpec | undefined, pass: Pass): Promise<Pass> {
    if (!this.deps.reports || !pass.evaluated || !spec) return pass;
    const r = await this.writeReport(m.ref, spec, pass.status, m.now, pass.details);
    return { ...pass, status: r.status, events: [...pass.events, ...r.events] };
  }

  /** Writes the status (a status whose values alone moved may wait), and remembers what was written. */
  private async persist(obj: KubeObject, m: MonitorSnapshot, pass: Pass): Promise<void> {
    const { memory, previous, now } = m;
    // the last written evaluation: remembered, or (remembering nothing) the cached status is the written one
    const written = memory ? memory.written : previous.lastEvaluationTime ? Date.parse(previous.lastEvaluationTime) : undefined;
    const refreshMs = pass.refreshMs;
    const defer =
      refreshMs === undefined
        ? undefined
        : (cached: Record<string, unknown>, next: Record<string, unknown>) => statusWrite(cached, next, written, now, refreshMs) === "defer";
    const outcome = await persistOwnedStatus(this.deps.status, obj, m.ref, pass.status, MONITOR_STATUS_OWNERSHIP, defer);
    // without memory the cached status is the written one: remembering starts with an evaluation
    const lastEvaluated = pass.evaluated ? now : memory?.lastEvaluated;
    if (lastEvaluated !== undefined)
      this.memory.set(m.key, {
        uid: m.ref.uid,
        lastEvaluated,
        written: outcome === "written" && pass.status.lastEvaluationTime ? Date.parse(pass.status.lastEvaluationTime) : written,
      });
    if (pass.evaluated) this.deps.log.debug({ monitor: m.key, health: pass.status.health }, "evaluated");
  }

  /** Old finished Jobs go only once the status that records their outcome is written. */
  private async pruneJobs(ref: ObjectRef, names: string[]): Promise<void> {
    const log = this.deps.log;
    for (const name of names) {
      try {
        await this.deps.remediation?.jobs.delete(ref.namespace, name);
        log.info({ monitor: `${ref.namespace}/${ref.name}`, job: name }, "deleted a finished Job beyond the policy's history limits");
      } catch (err) {
        log.warn(
          { monitor: `${ref.namespace}/${ref.name}`, job: name, err: (err as Error).message },
          "could not delete an old Job; retrying on the next reconcile",
        );
      }
    }
  }

  private async evaluate(
    ref: ObjectRef,
    generation: number,
    annotations: Record<string, string>,
    spec: ModelMonitorSpec,
    previous: ModelMonitorStatus,
    now: number,
  ): Promise<{ status: ModelMonitorStatus; events: MonitorEvent[]; details?: () => ReportDetails }> {
    const started = performance.now();
    const plan = planEvaluation(spec, now, previous.pinned);
    const source = await this.deps.resolveSource(ref.namespace, spec);
    const results = new Map<string, QueryResult>();
    const run = async (queries: QueryRequest[]) => {
      const answers = await Promise.all(queries.map((q) => source.query(q)));
      queries.forEach((q, i) => {
        const r = answers[i] as QueryResult;
        results.set(queryKey(q), r);
        this.deps.telemetry?.queried(r);
      });
      if (queries.length)
        this.deps.log.debug({ monitor: `${ref.namespace}/${ref.name}`, queries: queries.map((q, i) => queryLogOf(q, answers[i] as QueryResult)) }, "queried");
    };
    await run(planQueries(plan));
    // a query that found no series: a lookup of its metric without the selector says which is wrong
    await run(planLookups(plan, results));
    const decision = decide({ generation, annotations, spec, status: previous }, plan, results, now);
    this.deps.telemetry?.evaluated(ref.namespace, ref.name, decision.status, (performance.now() - started) / 1000);
    // what the HTML report draws beyond status (the compared distributions, the fairness groups): worked out only when a report is due
    return spec.report ? { ...decision, details: () => reportDetails(plan, results, decision.status.pinned) } : decision;
  }

  /** Follows this monitor's Jobs, starts the ones its policy calls for, returns the new state. */
  private async remediate(
    ref: ObjectRef,
    model: { name: string; version?: string },
    policyName: string | undefined,
    acting: boolean,
    status: ModelMonitorStatus,
    now: number,
    annotations: Readonly<Record<string, string>>,
    rolloutInProgress: string | undefined,
  ): Promise<RemediationResult> {
    const deps = this.deps.remediation as RemediationDeps;
    const jobs = await this.jobsWithResults(ref, deps, status);
    const plan = planRemediation({
      namespace: ref.namespace,
      monitor: { name: ref.name, uid: ref.uid },
      model,
      policy: policyName !== undefined ? deps.policy(ref.namespace, policyName) : undefined,
      acting,
      findings: status.findings,
      previous: status.remediation,
      jobs,
      now,
      annotations,
      rolloutInProgress,
      jobLimits: deps.jobLimits,
    });
    const outcomes = new Map<string, CreateOutcome>();
    for (const intent of plan.intents) outcomes.set(intent.manifest.metadata.name, await deps.jobs.create(intent.manifest));
    const result = settleRemediation(plan, outcomes);
    const t = this.deps.telemetry;
    for (const intent of result.created) t?.actionStarted(ref.namespace, model.name, intent.purpose, intent.findingType);
    for (const f of result.finished) t?.actionFinished(ref.namespace, model.name, f.action, f.outcome);
    return result;
  }

  /**
   * The monitor's Jobs from the cache. A succeeded retraining Job reports its model version in its
   * pods' termination message: the pods are read once, when its outcome is not yet recorded.
   */
  private async jobsWithResults(ref: ObjectRef, deps: RemediationDeps, status: ModelMonitorStatus): Promise<JobView[]> {
    const jobs = deps.jobsOf(ref.namespace, ref.uid).map((j) => ({ ...j }));
    for (const job of jobsAwaitingResult(jobs, status.remediation)) {
      try {
        job.result = parseJobResult(await deps.jobs.terminationMessages(ref.namespace, job.name));
      } catch (err) {
        throw new Error(`reading the pods of Job ${job.name}: ${(err as Error).message}`, { cause: err });
      }
    }
    return jobs;
  }

  /** Follows promotions, records the versions, and starts a rollout for a new candidate. */
  private async followRollouts(
    ref: ObjectRef,
    spec: ModelMonitorSpec,
    status: ModelMonitorStatus,
    rollouts: MonitoredRollout[],
    now: number,
  ): Promise<{ status: ModelMonitorStatus; events: MonitorEvent[] }> {
    const deps = this.deps.rollouts as RolloutDeps;
    const policy = spec.policyRef?.name;
    const plan = planMonitorRollout({
      monitor: { name: ref.name, namespace: ref.namespace, uid: ref.uid },
      spec,
      status,
      rolloutEnabled: policy !== undefined && deps.rolloutEnabled(ref.namespace, policy),
      rollouts,
      now,
    });
    const events = [...plan.events];
    if (plan.create) {
      const outcome = await deps.create(plan.create);
      if (outcome.kind === "error") throw new Error(`creating ModelRollout ${plan.create.metadata.name}: ${outcome.message}`);
      if (outcome.kind === "rejected")
        events.push({ type: "Warning", reason: EventReason.InvalidSpec, message: `ModelRollout ${plan.create.metadata.name} was refused: ${outcome.message}` });
    }
    return { status: withRolloutPlan(status, plan), events };
  }

  /**
   * Counts the evaluation into the report's period and its point into the plotted series, and
   * writes the report (Markdown, HTML and series) when it is due; between reports the series
   * alone is saved every SERIES_FLUSH_MS. Only the points not yet saved are held in memory: a
   * save reads the saved series back and adds them. A failed read or write is retried at the
   * next evaluation.
   */
  private async writeReport(
    ref: ObjectRef,
    spec: ModelMonitorSpec,
    status: ModelMonitorStatus,
    now: number,
    details: (() => ReportDetails) | undefined,
  ): Promise<{ status: ModelMonitorStatus; events: MonitorEvent[] }> {
    const key = `${ref.namespace}/${ref.name}`;
    if (!spec.report) {
      this.pending.delete(key);
      return { status: withoutReport(status), events: [] };
    }
    const counted = withEvaluationCounted(status, new Date(now).toISOString());
    const pending = this.holdPoint(ref, status, now);
    const due = reportDue(spec, ref.name, status, now);
    if (!due.due) {
      if (now - pending.savedAt >= SERIES_FLUSH_MS && status.report?.configMap) await this.saveSeries(ref, status.report.configMap, pending.points, now);
      return { status: counted, events: [] };
    }
    const input = {
      namespace: ref.namespace,
      name: ref.name,
      spec,
      status,
      now,
      period: counted.report.period,
      ...(due.periodStart !== undefined ? { periodStart: due.periodStart } : {}),
    };
    try {
      // the saved series is the one in the ConfigMap the last report went to (a renamed one starts from it)
      const saved = status.report?.configMap;
      const series = saved ? await this.withSaved(ref, saved, pending.points) : appendAll({ points: [] }, pending.points);
      const html = renderHtmlReport({ ...input, series, details: details?.(), rollouts: this.rolloutSummaries(ref, spec) });
      await (this.deps.reports as ReportPort).write(reportConfigMap(ref, due.configMap, renderGovernanceReport(input), now, { html, series }));
    } catch (err) {
      this.deps.log.warn({ monitor: key, err: (err as Error).message }, "could not write the governance report; retrying at the next evaluation");
      return { status: counted, events: [reportFailedEvent((err as Error).message)] };
    }
    this.pending.set(key, { uid: ref.uid, points: [], savedAt: now });
    return { status: withReportWritten(status, due.configMap, new Date(now).toISOString()), events: [reportWrittenEvent(due.configMap, due.periodStart)] };
  }

  /** Adds this evaluation's point to the ones not yet saved (bounded), and answers them all. */
  private holdPoint(ref: ObjectRef, status: ModelMonitorStatus, now: number): { uid: string; points: SeriesPoint[]; savedAt: number } {
    const key = `${ref.namespace}/${ref.name}`;
    const held = this.pending.get(key);
    // a restarted operator (or a new leader) counts its start as the last save: the next save waits its turn
    const kept = held?.uid === ref.uid ? held : { uid: ref.uid, points: [], savedAt: now };
    const pending = { ...kept, points: [...kept.points, pointOf(status, now)].slice(-MAX_SERIES_POINTS) };
    this.pending.set(key, pending);
    return pending;
  }

  /** Between reports, saves the series alone; a failure is retried at the next evaluation. */
  private async saveSeries(ref: ObjectRef, configMap: string, points: SeriesPoint[], now: number): Promise<void> {
    const key = `${ref.namespace}/${ref.name}`;
    try {
      const series = await this.withSaved(ref, configMap, points);
      await (this.deps.reports as ReportPort).write(seriesConfigMap(ref, configMap, series), "series");
      this.pending.set(key, { uid: ref.uid, points: [], savedAt: now });
    } catch (err) {
      this.deps.log.warn({ monitor: key, err: (err as Error).message }, "could not save the report's series; retrying at the next evaluation");
    }
  }

  /** The series saved in the ConfigMap with the points not yet saved added (bounded). */
  private async withSaved(ref: ObjectRef, configMap: string, points: SeriesPoint[]): Promise<ReportSeries> {
    const text = await (this.deps.reports as ReportPort).read(ref.namespace, configMap, SERIES_KEY);
    return appendAll(parseSeries(text), points);
  }

  /** The monitor's ModelRollouts as the report shows them, newest first. */
  private rolloutSummaries(ref: ObjectRef, spec: ModelMonitorSpec): RolloutSummary[] {
    const deps = this.deps.rollouts;
    if (!deps) return [];
    const steps = spec.policyRef ? deps.rolloutSteps?.(ref.namespace, spec.policyRef.name) : undefined;
    return deps
      .rolloutsOf(ref.namespace, ref.name)
      .map((o) => rolloutSummaryOf(o, steps))
      .filter((r): r is RolloutSummary => r !== undefined)
      .sort((a, b) => (b.startTime ?? "").localeCompare(a.startTime ?? ""))
      .slice(0, 5);
  }

  private async emitAll(ref: ObjectRef, events: MonitorEvent[]): Promise<void> {
    // Events follow the persisted status they describe, in order
    for (const e of events) await this.deps.events.emit(ref, e);
  }
}
