// The operator's own Prometheus metrics (prom-client), served on /metrics.
import type { MonitorTelemetry } from "../ports.ts";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ModelMonitorStatus } from "../api/v1alpha1/modelmonitor.ts";
import type { QueryResult } from "../domain/observation.ts";
import type { NotificationTelemetry } from "./notifications/webhook.ts";
import { ROLLOUT_PHASES, type ModelRolloutStatus } from "../api/v1alpha1/rollout.ts";

const HEALTH_VALUES = { Healthy: 0, Warning: 1, Critical: 2, Unknown: -1 } as const;

export class OperatorMetrics implements MonitorTelemetry, NotificationTelemetry {
  readonly registry = new Registry();
  private readonly duration = new Histogram({
    name: "modelguardian_evaluation_duration_seconds",
    help: "Time to evaluate one monitor",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly lag = new Histogram({
    name: "modelguardian_evaluation_lag_seconds",
    help: "How much later than its interval a monitor was evaluated (time since its last evaluation minus the interval)",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300],
    registers: [this.registry],
  });
  private readonly evaluations = new Counter({
    name: "modelguardian_evaluations_total",
    help: "Evaluations by resulting health",
    labelNames: ["health"],
    registers: [this.registry],
  });
  private readonly queryErrors = new Counter({
    name: "modelguardian_query_errors_total",
    help: "Failed metric queries by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  private readonly queries = new Counter({ name: "modelguardian_queries_total", help: "Metric queries run", registers: [this.registry] });
  private readonly retrainEvents = new Counter({
    name: "modelguardian_retrain_events_total",
    help: "Retraining Jobs started, by model and the finding type that triggered them",
    labelNames: ["namespace", "model", "reason"],
    registers: [this.registry],
  });
  private readonly reindexEvents = new Counter({
    name: "modelguardian_reindex_events_total",
    help: "Re-indexing Jobs started, by model and the finding type that triggered them",
    labelNames: ["namespace", "model", "reason"],
    registers: [this.registry],
  });
  private readonly jobsFinished = new Counter({
    name: "modelguardian_action_jobs_finished_total",
    help: "Action Jobs that finished, by outcome",
    labelNames: ["namespace", "model", "action", "outcome"],
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: "modelguardian_leader",
    help: "1 while this replica holds the leader Lease and reconciles",
    registers: [this.registry],
  });
  private readonly canaryWeight = new Gauge({
    name: "modelguardian_rollout_canary_weight",
    help: "Candidate weight read back from the route",
    labelNames: ["namespace", "rollout", "model"],
    registers: [this.registry],
  });
  private readonly rolloutPhase = new Gauge({
    name: "modelguardian_rollout_phase",
    help: "1 for the phase a rollout is in",
    labelNames: ["namespace", "rollout", "model", "phase"],
    registers: [this.registry],
  });
  private readonly analyses = new Counter({
    name: "modelguardian_rollout_analyses_total",
    help: "Canary analyses by outcome",
    labelNames: ["namespace", "model", "outcome"],
    registers: [this.registry],
  });
  private readonly promotions = new Counter({
    name: "modelguardian_rollout_promotions_total",
    help: "Candidates promoted to stable",
    labelNames: ["namespace", "model"],
    registers: [this.registry],
  });
  private readonly exposure = new Gauge({
    name: "modelguardian_rollout_exposure_samples",
    help: "A rollout rolled back by an analysis: the candidate's samples of the failing signal (requests, labelled predictions) over the steps it served while worse than tolerated",
    labelNames: ["namespace", "rollout", "model", "signal"],
    registers: [this.registry],
  });
  private readonly rollbacks = new Counter({
    name: "modelguardian_rollout_rollbacks_total",
    help: "Rollouts rolled back or aborted",
    labelNames: ["namespace", "model", "phase"],
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: "modelguardian_notifications_total",
    help: "Notification webhook deliveries by outcome: delivered, retried (an attempt failed, another follows), failed (given up), dropped (queue full)",
    labelNames: ["namespace", "policy", "notification", "outcome"],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "modelguardian_reconcile_errors_total",
    help: "Reconciles that failed and were retried",
    registers: [this.registry],
  });

  private isLeading = false;
  /** The monitors whose statuses the per-monitor gauges read (the monitor controller's store). */
  private monitors: () => Iterable<MonitorView> = () => [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const g of perMonitorGauges) {
      const values = () => (this.isLeading ? [...seriesOf(this.monitors(), g.series)] : []);
      this.registry.registerMetric({
        name: g.name,
        help: g.help,
        type: "gauge",
        get: async () => ({ name: g.name, help: g.help, type: "gauge", aggregator: "sum", values: values() }),
      } as never);
    }
    this.leader.set(0);
  }

  leading(yes: boolean): void {
    this.isLeading = yes;
    this.leader.set(yes ? 1 : 0);
  }

  evaluated(_namespace: string, _name: string, status: ModelMonitorStatus, seconds: number): void {
    this.duration.observe(seconds);
    this.evaluations.inc({ health: status.health ?? "Unknown" });
  }

  evaluationLag(seconds: number): void {
    this.lag.observe(Math.max(0, seconds));
  }

  queried(result: QueryResult): void {
    this.queries.inc();
    if (result.kind === "error") this.queryErrors.inc({ kind: result.error });
  }

  actionStarted(namespace: string, model: string, purpose: "retrain" | "reindex", reason: string): void {
    (purpose === "reindex" ? this.reindexEvents : this.retrainEvents).inc({ namespace, model, reason });
  }

  actionFinished(namespace: string, model: string, action: string, outcome: "Succeeded" | "Failed" | "CreateFailed"): void {
    this.jobsFinished.inc({ namespace, model, action, outcome });
  }

  private readonly rolloutModels = new Map<string, string>();
  /** The signal each rollout's exposure was last exported for, so a retry (which clears it) removes the series. */
  private readonly exposedSignals = new Map<string, string>();

  rollout(namespace: string, rollout: string, model: string, status: ModelRolloutStatus): void {
    this.rolloutModels.set(`${namespace}/${rollout}`, model);
    if (status.weights) this.canaryWeight.set({ namespace, rollout, model }, status.weights.candidate);
    for (const phase of ROLLOUT_PHASES) this.rolloutPhase.set({ namespace, rollout, model, phase }, status.phase === phase ? 1 : 0);
    const key = `${namespace}/${rollout}`;
    const exported = this.exposedSignals.get(key);
    if (exported !== undefined && exported !== status.exposure?.signal) {
      this.exposure.remove({ namespace, rollout, model, signal: exported });
      this.exposedSignals.delete(key);
    }
    if (status.exposure) {
      this.exposure.set({ namespace, rollout, model, signal: status.exposure.signal }, status.exposure.samples);
      this.exposedSignals.set(key, status.exposure.signal);
    }
  }

  analysed(namespace: string, model: string, outcome: string): void {
    this.analyses.inc({ namespace, model, outcome });
  }

  finished(namespace: string, model: string, phase: string): void {
    if (phase === "Succeeded") this.promotions.inc({ namespace, model });
    else this.rollbacks.inc({ namespace, model, phase });
  }

  forgetRollout(namespace: string, rollout: string): void {
    const model = this.rolloutModels.get(`${namespace}/${rollout}`);
    if (model === undefined) return;
    this.rolloutModels.delete(`${namespace}/${rollout}`);
    this.canaryWeight.remove({ namespace, rollout, model });
    const signal = this.exposedSignals.get(`${namespace}/${rollout}`);
    if (signal !== undefined) this.exposure.remove({ namespace, rollout, model, signal });
    this.exposedSignals.delete(`${namespace}/${rollout}`);
    for (const phase of ROLLOUT_PHASES) this.rolloutPhase.remove({ namespace, rollout, model, phase });
  }

  notified(namespace: string, policy: string, notification: string, outcome: "delivered" | "retried" | "failed" | "dropped"): void {
    this.notifications.inc({ namespace, policy, notification, outcome });
  }

  reconcileError(): void {
    this.errors.inc();
  }

  /**
   * Serves the per-monitor gauges from these monitors' statuses, read at each scrape, while
   * this replica leads (a follower's cache would only repeat the leader's series).
   */
  monitorsFrom(monitors: () => Iterable<MonitorView>): void {
    this.monitors = monitors;
  }
}

/** A monitor as the per-monitor gauges read it: its status as this process holds it. */
export interface MonitorView {
  metadata: { namespace: string; name: string };
  status?: unknown;
}

type Labels = Record<string, string>;
type Series = (m: Labels, status: Partial<ModelMonitorStatus>) => Iterable<{ labels: Labels; value: number }>;

/** Counts of equal label sets (findings and held actions are exported as counts). */
function* counted(items: Labels[]): Iterable<{ labels: Labels; value: number }> {
  const counts = new Map<string, { labels: Labels; value: number }>();
  for (const labels of items) {
    const key = JSON.stringify(labels);
    const entry = counts.get(key);
    if (entry) entry.value++;
    else counts.set(key, { labels, value: 1 });
  }
  yield* counts.values();
}

/**
 * The per-monitor series, rendered from each status at scrape time rather than kept as series:
 * they cost no memory per monitor between scrapes and always show the status this process
 * holds (the newest evaluation, also while its values-only write waits).
 */
const perMonitorGauges: { name: string; help: string; series: Series }[] = [
  {
    name: "modelguardian_signal_value",
    help: "Current value of a monitor's signal",
    *series(m, s) {
      for (const x of s.signals ?? []) if (x.value !== undefined) yield { labels: { ...m, signal: x.name, segment: x.segment ?? "" }, value: x.value };
    },
  },
  {
    name: "modelguardian_signal_baseline",
    help: "Baseline of a monitor's signal",
    *series(m, s) {
      for (const x of s.signals ?? []) if (x.baseline !== undefined) yield { labels: { ...m, signal: x.name, segment: x.segment ?? "" }, value: x.baseline };
    },
  },
  {
    name: "modelguardian_drift_score",
    help: "Drift score per feature and method",
    *series(m, s) {
      for (const d of s.drift ?? [])
        for (const f of d.features ?? [])
          if (f.score !== undefined) yield { labels: { ...m, drift: d.name, feature: f.feature, method: d.method }, value: f.score };
    },
  },
  {
    name: "modelguardian_monitor_health",
    help: "Health: 0 Healthy, 1 Warning, 2 Critical, -1 Unknown",
    *series(m, s) {
      if (s.lastEvaluationTime !== undefined) yield { labels: m, value: HEALTH_VALUES[s.health ?? "Unknown"] };
    },
  },
  {
    name: "modelguardian_rules_unjudged",
    help: "Rules of a monitor that could not be judged in its last evaluation (no baseline, no data, too few samples or an error): status.rules",
    *series(m, s) {
      if (s.lastEvaluationTime !== undefined) yield { labels: m, value: (s.rules ?? []).filter((r) => r.coverage !== "Judged").length };
    },
  },
  {
    name: "modelguardian_findings",
    help: "Current findings by type and severity",
    series: (m, s) => counted((s.findings ?? []).map((f) => ({ ...m, type: f.type, severity: f.severity }))),
  },
  {
    name: "modelguardian_actions_held",
    help: "Triggered actions a RetrainPolicy's limits hold back, by action and reason (BudgetExhausted, CooldownActive, ...)",
    series: (m, s) => counted((s.remediation?.held ?? []).map((h) => ({ ...m, action: h.action, reason: h.reason }))),
  },
  {
    name: "modelguardian_action_jobs_active",
    help: "Action Jobs running per monitor",
    *series(m, s) {
      if (s.remediation) yield { labels: m, value: s.remediation.active ?? 0 };
    },
  },
];

function* seriesOf(monitors: Iterable<MonitorView>, series: Series): Iterable<{ labels: Labels; value: number }> {
  for (const o of monitors) {
    const status = o.status;
    if (!status || typeof status !== "object") continue;
    yield* series({ namespace: o.metadata.namespace, monitor: o.metadata.name }, status as Partial<ModelMonitorStatus>);
  }
}
