// The Prometheus metrics of the simulated model, as a real inference service exports them, and
// the label sets prepared once per version and segment.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { CONFIDENCE_BUCKETS, FEATURE_BUCKETS, FEATURES, FEEDBACK_BUCKETS, LATENCY_BUCKETS, SCORE_BUCKETS } from "./behaviour.ts";
import { EMBEDDING_DIMENSIONS, EMBEDDING_EMA_SECONDS } from "./embedding.ts";

export interface Metrics {
  predictions: Counter<string>;
  confidence: Histogram<string>;
  score: Histogram<string>;
  latency: Histogram<string>;
  feature: Histogram<string>;
  centroid: Gauge<string>;
  responses: Counter<string>;
  safetyFlags: Counter<string>;
  feedback: Histogram<string>;
  regressionPredictions: Counter<string>;
  regressionAbsError: Counter<string>;
  regressionSquaredError: Counter<string>;
  regressionTarget: Counter<string>;
  regressionTargetSquared: Counter<string>;
}

export type Labels = Record<string, string>;

export function createMetrics(registry: Registry, segmentLabel: string): Metrics {
  const base = ["model", "version", segmentLabel];
  const registers = [registry];
  return {
    predictions: new Counter({
      name: "model_predictions_total",
      help: 'Predictions by confusion-matrix outcome (tp, fp, tn, fn) and fairness group ("all" when no groups are configured).',
      labelNames: [...base, "group", "outcome"],
      registers,
    }),
    confidence: new Histogram({
      name: "model_prediction_confidence",
      help: "Confidence of each prediction (0..1).",
      labelNames: base,
      buckets: CONFIDENCE_BUCKETS,
      registers,
    }),
    score: new Histogram({
      name: "model_prediction_score",
      help: "Predicted probability of the positive class (0..1).",
      labelNames: base,
      buckets: SCORE_BUCKETS,
      registers,
    }),
    latency: new Histogram({
      name: "model_request_latency_seconds",
      help: "Inference request latency in seconds.",
      labelNames: base,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    feature: new Histogram({
      name: "model_feature_value",
      help: "Standardised input feature values (standard normal at baseline).",
      labelNames: [...base, "feature"],
      buckets: FEATURE_BUCKETS,
      registers,
    }),
    centroid: new Gauge({
      name: "model_query_embedding_centroid",
      help: `Exponential moving average (time constant ${EMBEDDING_EMA_SECONDS}s) of query embeddings, per dimension.`,
      labelNames: [...base, "dim"],
      registers,
    }),
    responses: new Counter({
      name: "model_responses_total",
      help: "Responses, by whether the response was a refusal.",
      labelNames: [...base, "refusal"],
      registers,
    }),
    safetyFlags: new Counter({
      name: "model_safety_flags_total",
      help: "Responses flagged by the safety/toxicity classifier.",
      labelNames: base,
      registers,
    }),
    feedback: new Histogram({
      name: "model_feedback_score",
      help: "User feedback scores (1..5).",
      labelNames: base,
      buckets: FEEDBACK_BUCKETS,
      registers,
    }),
    regressionPredictions: new Counter({
      name: "model_regression_predictions_total",
      help: "Regression predictions with a known target.",
      labelNames: base,
      registers,
    }),
    regressionAbsError: new Counter({
      name: "model_regression_abs_error_sum",
      help: "Sum of absolute regression errors.",
      labelNames: base,
      registers,
    }),
    regressionSquaredError: new Counter({
      name: "model_regression_squared_error_sum",
      help: "Sum of squared regression errors.",
      labelNames: base,
      registers,
    }),
    regressionTarget: new Counter({
      name: "model_regression_target_sum",
      help: "Sum of regression targets.",
      labelNames: base,
      registers,
    }),
    regressionTargetSquared: new Counter({
      name: "model_regression_target_squared_sum",
      help: "Sum of squared regression targets.",
      labelNames: base,
      registers,
    }),
  };
}

/** Label objects prepared once per (version, segment) so the hot loop allocates nothing. */
export interface SegmentLabels {
  base: Labels;
  outcome: Map<string, Record<"tp" | "fp" | "tn" | "fn", Labels>>;
  feature: Labels[];
  dim: Labels[];
  refusalTrue: Labels;
  refusalFalse: Labels;
}

export function buildLabels(model: string, version: string, segmentLabel: string, segment: string, groups: string[]): SegmentLabels {
  const base: Labels = { model, version, [segmentLabel]: segment };
  const outcome = new Map<string, Record<"tp" | "fp" | "tn" | "fn", Labels>>();
  for (const group of groups) {
    outcome.set(group, {
      tp: { ...base, group, outcome: "tp" },
      fp: { ...base, group, outcome: "fp" },
      tn: { ...base, group, outcome: "tn" },
      fn: { ...base, group, outcome: "fn" },
    });
  }
  return {
    base,
    outcome,
    feature: FEATURES.map((feature) => ({ ...base, feature })),
    dim: Array.from({ length: EMBEDDING_DIMENSIONS }, (_, d) => ({ ...base, dim: String(d) })),
    refusalTrue: { ...base, refusal: "true" },
    refusalFalse: { ...base, refusal: "false" },
  };
}
