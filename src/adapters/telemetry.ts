// The operator's own Prometheus metrics (prom-client), served on /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ModelMonitorStatus } from "../api/v1alpha1/modelmonitor.ts";
import type { QueryResult } from "../domain/observation.ts";
import type { NotificationTelemetry } from "./notifications/webhook.ts";
import { ROLLOUT_PHASES, type ModelRolloutStatus } from "../api/v1alpha1/rollout.ts";

const HEALTH_VALUES = { Healthy: 0, Warning: 1, Critical: 2, Unknown: -1 } as const;

export interface MonitorTelemetry {
  evaluated(namespace: string, name: string, status: ModelMonitorStatus, seconds: number): void;
  queried(result: QueryResult): void;
  forget(namespace: string, name: string): void;
  reconcileError(): void;
  actionStarted(namespace: string, model: string, purpose: "retrain" | "reindex", reason: string): void;
  actionFinished(namespace: string, model: string, action: string, outcome: "Succeeded" | "Failed" | "CreateFailed"): void;
  activeJobs(namespace: string, monitor: string, count: number): void;
  /** Seconds between a monitor's evaluations beyond its interval. */
  evaluationLag?(seconds: number): void;
}

export class OperatorMetrics implements MonitorTelemetry, NotificationTelemetry {
  readonly registry = new Registry();
  private readonly signal = new Gauge({ name: "modelguardian_signal_value", help: "Current value of a monitor's signal", labelNames: ["namespace", "monitor", "signal", "segment"], registers: [this.registry] });
  private readonly baseline = new Gauge({ name: "modelguardian_signal_baseline", help: "Baseline of a monitor's signal", labelNames: ["namespace", "monitor", "signal", "segment"], registers: [this.registry] });
  private readonly drift = new Gauge({ name: "modelguardian_drift_score", help: "Drift score per feature and method", labelNames: ["namespace", "monitor", "drift", "feature", "method"], registers: [this.registry] });
  private readonly health = new Gauge({ name: "modelguardian_monitor_health", help: "Health: 0 Healthy, 1 Warning, 2 Critical, -1 Unknown", labelNames: ["namespace", "monitor"], registers: [this.registry] });
  private readonly findings = new Gauge({ name: "modelguardian_findings", help: "Current findings by type and severity", labelNames: ["namespace", "monitor", "type", "severity"], registers: [this.registry] });
  private readonly duration = new Histogram({ name: "modelguardian_evaluation_duration_seconds", help: "Time to evaluate one monitor", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  private readonly lag = new Histogram({ name: "modelguardian_evaluation_lag_seconds", help: "How much later than its interval a monitor was evaluated (time since its last evaluation minus the interval)", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300], registers: [this.registry] });
  private readonly evaluations = new Counter({ name: "modelguardian_evaluations_total", help: "Evaluations by resulting health", labelNames: ["health"], registers: [this.registry] });
  private readonly queryErrors = new Counter({ name: "modelguardian_query_errors_total", help: "Failed metric queries by kind", labelNames: ["kind"], registers: [this.registry] });
  private readonly queries = new Counter({ name: "modelguardian_queries_total", help: "Metric queries run", registers: [this.registry] });
  private readonly series = new Map<string, [Gauge<string>, Record<string, string>][]>();
  private readonly retrainEvents = new Counter({ name: "modelguardian_retrain_events_total", help: "Retraining Jobs started, by model and the finding type that triggered them", labelNames: ["namespace", "model", "reason"], registers: [this.registry] });
  private readonly reindexEvents = new Counter({ name: "modelguardian_reindex_events_total", help: "Re-indexing Jobs started, by model and the finding type that triggered them", labelNames: ["namespace", "model", "reason"], registers: [this.registry] });
  private readonly jobsFinished = new Counter({ name: "modelguardian_action_jobs_finished_total", help: "Action Jobs that finished, by outcome", labelNames: ["namespace", "model", "action", "outcome"], registers: [this.registry] });
  private readonly actionsHeld = new Gauge({ name: "modelguardian_actions_held", help: "Triggered actions a RetrainPolicy's limits hold back, by action and reason (BudgetExhausted, CooldownActive, ...)", labelNames: ["namespace", "monitor", "action", "reason"], registers: [this.registry] });
  private readonly jobsActive = new Gauge({ name: "modelguardian_action_jobs_active", help: "Action Jobs running per monitor", labelNames: ["namespace", "monitor"], registers: [this.registry] });
  private readonly leader = new Gauge({ name: "modelguardian_leader", help: "1 while this replica holds the leader Lease and reconciles", registers: [this.registry] });
  private readonly canaryWeight = new Gauge({ name: "modelguardian_rollout_canary_weight", help: "Candidate weight read back from the route", labelNames: ["namespace", "rollout", "model"], registers: [this.registry] });
  private readonly rolloutPhase = new Gauge({ name: "modelguardian_rollout_phase", help: "1 for the phase a rollout is in", labelNames: ["namespace", "rollout", "model", "phase"], registers: [this.registry] });
  private readonly analyses = new Counter({ name: "modelguardian_rollout_analyses_total", help: "Canary analyses by outcome", labelNames: ["namespace", "model", "outcome"], registers: [this.registry] });
  private readonly promotions = new Counter({ name: "modelguardian_rollout_promotions_total", help: "Candidates promoted to stable", labelNames: ["namespace", "model"], registers: [this.registry] });
  private readonly rollbacks = new Counter({ name: "modelguardian_rollout_rollbacks_total", help: "Rollouts rolled back or aborted", labelNames: ["namespace", "model", "phase"], registers: [this.registry] });
  private readonly notifications = new Counter({ name: "modelguardian_notifications_total", help: "Notification webhook deliveries by outcome: delivered, retried (an attempt failed, another follows), failed (given up), dropped (queue full)", labelNames: ["namespace", "policy", "notification", "outcome"], registers: [this.registry] });
  private readonly errors = new Counter({ name: "modelguardian_reconcile_errors_total", help: "Reconciles that failed and were retried", registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.leader.set(0);
  }

  leading(yes: boolean): void {
    this.leader.set(yes ? 1 : 0);
  }

  evaluated(namespace: string, name: string, status: ModelMonitorStatus, seconds: number): void {
    this.forget(namespace, name);
    const m = { namespace, monitor: name };
    for (const s of status.signals) {
      const labels = { ...m, signal: s.name, segment: s.segment ?? "" };
      if (s.value !== undefined) this.set(this.signal, labels, s.value);
      if (s.baseline !== undefined) this.set(this.baseline, labels, s.baseline);
    }
    for (const d of status.drift)
      for (const f of d.features) if (f.score !== undefined) this.set(this.drift, { ...m, drift: d.name, feature: f.feature, method: d.method }, f.score);
    this.set(this.health, m, HEALTH_VALUES[status.health ?? "Unknown"]);
    for (const f of status.findings) this.set(this.findings, { ...m, type: f.type, severity: f.severity }, 1, true);
    for (const h of status.remediation?.held ?? []) this.set(this.actionsHeld, { ...m, action: h.action, reason: h.reason }, 1, true);
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

  activeJobs(namespace: string, monitor: string, count: number): void {
    this.jobsActive.set({ namespace, monitor }, count);
  }

  private readonly rolloutModels = new Map<string, string>();

  rollout(namespace: string, rollout: string, model: string, status: ModelRolloutStatus): void {
    this.rolloutModels.set(`${namespace}/${rollout}`, model);
    if (status.weights) this.canaryWeight.set({ namespace, rollout, model }, status.weights.candidate);
    for (const phase of ROLLOUT_PHASES) this.rolloutPhase.set({ namespace, rollout, model, phase }, status.phase === phase ? 1 : 0);
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
    for (const phase of ROLLOUT_PHASES) this.rolloutPhase.remove({ namespace, rollout, model, phase });
  }

  notified(namespace: string, policy: string, notification: string, outcome: "delivered" | "retried" | "failed" | "dropped"): void {
    this.notifications.inc({ namespace, policy, notification, outcome });
  }

  reconcileError(): void {
    this.errors.inc();
  }

  forget(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    for (const [gauge, labels] of this.series.get(key) ?? []) gauge.remove(labels);
    this.series.delete(key);
  }

  /** Drops every per-monitor series of a deleted monitor. */
  forgetMonitor(namespace: string, name: string): void {
    this.forget(namespace, name);
    this.jobsActive.remove({ namespace, monitor: name });
  }

  /** Sets a per-monitor series and remembers it, so forget() can remove exactly these. */
  private set(gauge: Gauge<string>, labels: Record<string, string>, value: number, add = false): void {
    if (add) gauge.inc(labels, value);
    else gauge.set(labels, value);
    const key = `${labels.namespace}/${labels.monitor}`;
    const list = this.series.get(key) ?? [];
    list.push([gauge, labels]);
    this.series.set(key, list);
  }
}
