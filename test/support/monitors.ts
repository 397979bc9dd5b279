// Parts of ModelMonitor specs and statuses that many unit tests build alike.
import type { ModelMonitorSpecInput } from "../../src/api/v1alpha1/modelmonitor.ts";

type DriftInput = NonNullable<ModelMonitorSpecInput["drift"]>[number];

/** Drift check "inputs": PSI of each feature of a histogram (labelled `feature`), warning at 0.1, critical at 0.25, against `reference`. */
export const featureDrift = (reference: DriftInput["reference"], metric = "model_feature_value"): DriftInput => ({
  name: "inputs",
  histogram: { metric, featureLabel: "feature" },
  method: "psi",
  reference,
  threshold: { warning: 0.1, critical: 0.25 },
});

/** The status of drift check "inputs" (PSI) when no feature has drifted: one result per feature as given. */
export const quietFeatureDrift = <F>(features: F[]) => ({
  name: "inputs",
  method: "psi" as const,
  state: "Value" as const,
  driftedFeatures: [],
  driftedShare: 0,
  datasetDrift: false,
  features,
});

/** A monitor's remediation status with nothing pending, held or running: only the given history. */
export const remediationWithHistory = <H>(history: H[]) => ({ actions: [], held: [], recentStarts: [], active: 0, history });

/** The fraud detector of the report tests: version v3, segmented by plant. */
export const FRAUD_DETECTOR = { model: { name: "fraud-detector", version: "v3" }, segments: { label: "plant" } };
/** Its first two signals: classification accuracy and the 95th percentile of the request latency. */
export const ACCURACY_AND_P95_LATENCY = [
  { name: "accuracy", classification: { metric: "model_predictions_total" } },
  { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile" as const, quantile: 0.95 } },
];

/** The status of drift check "inputs" (PSI): feature age scored `ageScore`, income with too few samples for a score. */
export const ageScoredIncomeUnscored = (ageScore: number) => ({
  name: "inputs",
  method: "psi" as const,
  state: "Value" as const,
  features: [
    { feature: "age", state: "Value" as const, score: ageScore },
    { feature: "income", state: "InsufficientData" as const },
  ],
});
