// Objects for the hostile-input tests: a ModelMonitor and a RetrainPolicy that use every field,
// and the path helpers the corpus and the differential test mutate them with.
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicySpecSchema } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import { formatIssues } from "../../../src/api/validation.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = (string | number)[];
export interface ApiObject {
  apiVersion: string;
  kind: "ModelMonitor" | "RetrainPolicy";
  metadata: { name: string; namespace: string };
  spec: Json;
}

const job = (container: string) => ({
  spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: container, image: `${container}:1` }] } } },
});

/** A ModelMonitor using every field of the spec. */
export const fullMonitorSpec = (): Json => ({
  model: { name: "fraud-detector", version: "v3" },
  selector: { model: "fraud-detector", app_name: "fraud" },
  versionLabel: "version",
  source: { url: "http://prometheus.monitoring:9090/prom", authSecretRef: { name: "prom-auth" }, timeout: "10s" },
  interval: "1m",
  window: "1h",
  minSamples: 100,
  signals: [
    { name: "accuracy", classification: { metric: "model_predictions_total", outcomeLabel: "outcome", measure: "accuracy" } },
    { name: "rmse", regression: { count: "scored_total", squaredErrorSum: "squared_error_total", measure: "rmse" } },
    { name: "p95", window: "30m", histogram: { metric: "latency_seconds", measure: "quantile", quantile: 0.95 } },
    { name: "refusal", ratio: { numerator: { metric: "refusals_total", matchLabels: { refusal: "true" } }, denominator: { metric: "requests_total" } } },
    {
      name: "custom",
      minSamples: 10,
      query: { expr: "avg_over_time(score{ {{selector}} }[{{window}}])", samplesExpr: "sum(count_over_time(score{ {{selector}} }[{{window}}]))" },
    },
  ],
  rules: [
    { signal: "accuracy", min: { critical: 0.8 }, maxDrop: { warning: 0.05 }, baseline: { pinned: { when: "VersionChange" } }, for: "5m" },
    { signal: "p95", maxRelativeIncrease: { critical: 0.5 }, baseline: { offset: "1d" } },
    { signal: "refusal", max: { warning: 0.1 }, findingType: "BehaviourDrift" },
  ],
  presets: ["relaxed"],
  drift: [
    {
      name: "features",
      histogram: { metric: "feature_value", featureLabel: "feature" },
      method: "psi",
      window: "2h",
      reference: { offset: "7d", window: "1d" },
      threshold: { warning: 0.1, critical: 0.25 },
      alpha: 0.05,
      correction: "holm",
      epsilon: 0.0001,
      minSamples: 50,
      datasetDriftShare: 0.5,
    },
    { name: "embeddings", embedding: { metric: "centroid", dimensionLabel: "dim" }, method: "cosine", reference: { pinned: {} }, threshold: { warning: 0.1 } },
  ],
  segments: { label: "region", values: ["eu", "us"] },
  fairness: [{ signal: "accuracy", groupLabel: "group", minRatio: 0.8, severity: "warning" }],
  policyRef: { name: "fraud-policy" },
  suspend: false,
});

/** A RetrainPolicy using every field of the spec. */
export const fullPolicySpec = (): Json => ({
  triggers: [
    { findings: ["AccuracyDrift", "DataDrift"], minSeverity: "warning", sources: ["accuracy"], features: ["amount"], segments: ["eu"], action: "retrain" },
    { findings: ["EmbeddingDrift"], action: "refresh" },
  ],
  actions: [
    { name: "retrain", jobTemplate: job("train"), config: { epochs: "10", "batch.size": "64" } },
    { name: "refresh", purpose: "reindex", jobTemplate: job("index") },
  ],
  cooldown: "6h",
  maxActiveJobs: 1,
  backoff: { initial: "10m", max: "6h" },
  budget: { maxJobs: 3, per: "1d" },
  historyLimit: 20,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 1,
  dryRun: false,
  suspend: false,
});

export const DELETE = Symbol("delete");

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Sets (or deletes) the value at a path, creating nothing: the path must exist up to its parent. */
export function setAt(root: Json, path: Path, value: Json | typeof DELETE): Json {
  const out = clone(root);
  let node = out as Record<string | number, Json>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (value === DELETE) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return out;
}

/** `spec.signals[0].window`, as the API server names a field. */
export function fieldOf(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc === "" ? p : `${acc}.${p}`), "");
}

/** Every path of a value (objects, arrays and leaves). */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

export function apiObject(kind: ApiObject["kind"], name: string, namespace: string, spec: Json): ApiObject {
  return { apiVersion: "modelguardian.dev/v1alpha1", kind, metadata: { name, namespace }, spec };
}

export const specSchemaOf = (kind: ApiObject["kind"]) => (kind === "ModelMonitor" ? modelMonitorSpecSchema : retrainPolicySpecSchema);

/** The operator's verdict: what its schema (the one the controller validates with) says. */
export function operatorVerdict(kind: ApiObject["kind"], spec: Json): { accepted: true; value: unknown } | { accepted: false; message: string } {
  const r = specSchemaOf(kind).safeParse(spec);
  return r.success ? { accepted: true, value: r.data } : { accepted: false, message: formatIssues(r.error, "spec") };
}
