// docs/reference/metrics.md from the operator's own registry (src/adapters/telemetry.ts): the
// metrics are read from a live OperatorMetrics, so a metric added there appears here on the next
// `npm run docs:gen`.
import { HEALTH_STATES, type ModelMonitorStatus } from "../../src/api/v1alpha1/modelmonitor.ts";
import { ANALYSIS_OUTCOMES, ROLLOUT_PHASES } from "../../src/api/v1alpha1/rollout.ts";
import { QUERY_ERROR_KINDS } from "../../src/domain/observation.ts";
import { OperatorMetrics } from "../../src/adapters/telemetry.ts";
import { cell, code, GENERATED_NOTE, table } from "./markdown.ts";

const PREFIX = "modelguardian_";

/**
 * A status with every part the per-monitor gauges read, so each of them yields a series and its
 * labels can be listed (those gauges are rendered from statuses at scrape time, not declared).
 */
const SAMPLE_STATUS: Partial<ModelMonitorStatus> = {
  health: "Warning",
  lastEvaluationTime: "2026-01-01T00:00:00Z",
  signals: [{ name: "accuracy", segment: "eu", state: "Value", value: 0.9, baseline: 0.95 }],
  drift: [{ name: "inputs", method: "psi", state: "Value", features: [{ feature: "amount", state: "Value", score: 0.3 }] }],
  rules: [{ name: "spec.rules[0]", rule: "accuracy", coverage: "NoData" }],
  findings: [{ type: "AccuracyDrift", severity: "warning", source: "accuracy", description: "d", since: "2026-01-01T00:00:00Z" }],
  remediation: {
    actions: [],
    held: [{ action: "retrain", reason: "CooldownActive", message: "m" }],
    recentStarts: [],
    active: 1,
    history: [],
  },
};

export interface MetricDoc {
  name: string;
  type: string;
  help: string;
  labels: string[];
}

export async function operatorMetrics(): Promise<MetricDoc[]> {
  const metrics = new OperatorMetrics();
  metrics.monitorsFrom(() => [{ metadata: { namespace: "ns", name: "m" }, status: SAMPLE_STATUS }]);
  metrics.leading(true);
  const out: MetricDoc[] = [];
  for (const metric of metrics.registry.getMetricsAsArray()) {
    // prom-client's metric objects (and the per-monitor gauges registered as plain objects) all have get()
    const declared = metric as unknown as { labelNames?: string[]; get(): Promise<unknown> };
    const got = (await declared.get()) as { name: string; help: string; type: string; values: { labels: Record<string, unknown> }[] };
    if (!got.name.startsWith(PREFIX)) continue;
    const seen = new Set<string>(declared.labelNames ?? []);
    for (const v of got.values) for (const l of Object.keys(v.labels)) if (l !== "le") seen.add(l);
    out.push({ name: got.name, type: String(got.type), help: got.help, labels: [...seen] });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function renderMetrics(): Promise<string> {
  const rows = (await operatorMetrics()).map((m) => [
    code(m.name),
    m.type,
    m.labels.map(code).join(", "),
    cell(m.help) + (m.type === "histogram" ? ` (series ${code(`${m.name}_bucket`)}, ${code("_sum")}, ${code("_count")})` : ""),
  ]);
  return [
    GENERATED_NOTE("npm run docs:gen", "the operator's metrics registry in src/adapters/telemetry.ts"),
    "",
    "# Metrics",
    "",
    "The operator serves these on `/metrics` at `METRICS_ADDR` (127.0.0.1:8080 by default), beside Node.js's process metrics.",
    "The per-monitor gauges (`modelguardian_signal_value`, `modelguardian_monitor_health`, ...) are served by the leader only.",
    "The [dashboard and alerts](../operations/observability) are built on them.",
    "",
    table(["Metric", "Type", "Labels", "Meaning"], rows),
    "",
    "## Label values",
    "",
    table(
      ["Label", "Values"],
      [
        [`${code("health")} of ${code("modelguardian_evaluations_total")}`, HEALTH_STATES.map(code).join(", ")],
        [`${code("kind")} of ${code("modelguardian_query_errors_total")}`, QUERY_ERROR_KINDS.map(code).join(", ")],
        [`${code("phase")} of ${code("modelguardian_rollout_phase")}`, ROLLOUT_PHASES.map(code).join(", ")],
        [`${code("outcome")} of ${code("modelguardian_rollout_analyses_total")}`, ANALYSIS_OUTCOMES.map(code).join(", ")],
      ],
    ),
    "",
  ].join("\n");
}
