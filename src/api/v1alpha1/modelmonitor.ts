// ModelMonitor: which model to watch, where its metrics live, which signals to compute and
// what "healthy" means. This zod schema is the single source of truth: the TypeScript types
// are inferred from it, the controller validates objects with it and crds/ is generated from it.
import { z } from "zod";
import { actionRecord } from "./retrainpolicy.ts";
import { ROLLOUT_PHASES, servingSchema } from "./rollout.ts";
import {
  conditions,
  DAY,
  DNS_SUBDOMAIN_PATTERN,
  duration,
  exactlyOneOf,
  listMap,
  MINUTE,
  SECOND,
  text,
  withRules,
  identifier,
  labelMatchers,
  labelName,
  localObjectReference,
  metricName,
  severity,
  tiers,
  time,
  FINDING_TYPES,
} from "./common.ts";

// ---------------------------------------------------------------- durations

// Bounds of every duration: the floor keeps the operator and Prometheus out of busy loops and
// empty queries, the ceiling keeps windows and offsets within what a Prometheus can answer.
const INTERVAL = { min: SECOND, max: 7 * DAY };
const WINDOW = { min: SECOND, max: 365 * DAY };
const OFFSET = { min: SECOND, max: 365 * DAY };
const FOR = { min: 0, max: 30 * DAY };
const TIMEOUT = { min: 100, max: 5 * MINUTE };
const REPORT_EVERY = { min: MINUTE, max: 90 * DAY };

// ---------------------------------------------------------------- signals

const CLASSIFICATION_MEASURES = ["accuracy", "precision", "recall", "f1"] as const;
const classificationSignal = z
  .strictObject({
    metric: metricName().describe("Counter of predictions labelled by outcome, e.g. model_predictions_total."),
    outcomeLabel: labelName().default("outcome").describe("The label of metric whose value says the outcome (a cell of the confusion matrix)."),
    outcomes: z
      .strictObject({
        truePositive: text(128).default("tp").describe("The outcomeLabel value of a true positive."),
        falsePositive: text(128).default("fp").describe("The outcomeLabel value of a false positive."),
        trueNegative: text(128).default("tn").describe("The outcomeLabel value of a true negative."),
        falseNegative: text(128).default("fn").describe("The outcomeLabel value of a false negative."),
      })
      .default({ truePositive: "tp", falsePositive: "fp", trueNegative: "tn", falseNegative: "fn" })
      .describe("Values of outcomeLabel for each cell of the confusion matrix."),
    measure: z.enum(CLASSIFICATION_MEASURES).default("accuracy").describe("Which measure of the confusion matrix the signal's value is."),
  })
  .describe("Accuracy, precision, recall or F1 from outcome counters.");

const REGRESSION_MEASURES = ["rmse", "mae", "r2"] as const;
const regressionSignal = withRules(
  z.strictObject({
    count: metricName().describe("Counter of scored predictions."),
    absErrorSum: metricName().optional().describe("Counter: sum of |error| (needed for mae)."),
    squaredErrorSum: metricName().optional().describe("Counter: sum of error^2 (needed for rmse and r2)."),
    targetSum: metricName().optional().describe("Counter: sum of targets (needed for r2)."),
    targetSquaredSum: metricName().optional().describe("Counter: sum of targets^2 (needed for r2)."),
    measure: z
      .enum(REGRESSION_MEASURES)
      .describe("rmse (needs squaredErrorSum), mae (needs absErrorSum) or r2 (needs squaredErrorSum, targetSum and targetSquaredSum)."),
  }),
  {
    rule: "self.measure != 'mae' || has(self.absErrorSum)",
    message: "mae needs absErrorSum",
    holds: (r) => r.measure !== "mae" || r.absErrorSum !== undefined,
  },
  {
    rule: "self.measure != 'rmse' || has(self.squaredErrorSum)",
    message: "rmse needs squaredErrorSum",
    holds: (r) => r.measure !== "rmse" || r.squaredErrorSum !== undefined,
  },
  {
    rule: "self.measure != 'r2' || (has(self.squaredErrorSum) && has(self.targetSum) && has(self.targetSquaredSum))",
    message: "r2 needs squaredErrorSum, targetSum and targetSquaredSum",
    holds: (r) => r.measure !== "r2" || (r.squaredErrorSum !== undefined && r.targetSum !== undefined && r.targetSquaredSum !== undefined),
  },
).describe("rmse, mae or r2 from exported sums.");

const HISTOGRAM_MEASURES = ["mean", "median", "quantile", "shareBelow", "shareAbove"] as const;
const histogramSignal = withRules(
  z.strictObject({
    metric: metricName().describe("Histogram base name (without _bucket/_sum/_count)."),
    measure: z
      .enum(HISTOGRAM_MEASURES)
      .describe("mean, median, quantile (needs quantile), or the share of observations below or above threshold (shareBelow, shareAbove)."),
    quantile: z.number().min(0).max(1).optional().describe("For measure quantile, e.g. 0.95."),
    threshold: z.number().optional().describe("For shareBelow/shareAbove, e.g. 0.75."),
  }),
  {
    rule: "self.measure != 'quantile' || has(self.quantile)",
    message: "measure quantile needs quantile",
    holds: (h) => h.measure !== "quantile" || h.quantile !== undefined,
  },
  {
    rule: "!(self.measure == 'shareBelow' || self.measure == 'shareAbove') || has(self.threshold)",
    message: "measures shareBelow and shareAbove need threshold",
    holds: (h) => !(h.measure === "shareBelow" || h.measure === "shareAbove") || h.threshold !== undefined,
  },
).describe("Mean, median, any quantile or the share below/above a threshold of a histogram.");

const counterSelection = z.strictObject({
  metric: metricName().describe("A counter; its increase over the window is taken."),
  matchLabels: labelMatchers().optional().describe('Extra label matchers, e.g. {refusal: "true"}.'),
});
const ratioSignal = z
  .strictObject({
    numerator: counterSelection.describe("The counter (and label matchers) counted on top, e.g. refused requests."),
    denominator: counterSelection.describe("The counter (and label matchers) counted below, e.g. all requests; a zero increase is no data."),
  })
  .describe("increase(numerator) / increase(denominator) over the window, e.g. a refusal rate.");

const querySignal = z
  .strictObject({
    expr: text(4096).min(1).describe("PromQL template. {{selector}} expands to the escaped label matchers, {{window}} to the window."),
    samplesExpr: text(4096).optional().describe("Optional PromQL template giving the sample count behind the value (checked against minSamples)."),
  })
  .describe("Any PromQL expression returning one series.");

const SIGNAL_KINDS = ["classification", "regression", "histogram", "ratio", "query"] as const;
export const signalSchema = withRules(
  z.strictObject({
    name: identifier("signal name").describe("The signal's name, unique in spec.signals; rules, fairness checks and analyses refer to it."),
    window: duration(WINDOW).optional().describe("Overrides spec.window for this signal."),
    minSamples: z.int32().min(0).optional().describe("Overrides spec.minSamples for this signal."),
    classification: classificationSignal.optional(),
    regression: regressionSignal.optional(),
    histogram: histogramSignal.optional(),
    ratio: ratioSignal.optional(),
    query: querySignal.optional(),
  }),
  exactlyOneOf([...SIGNAL_KINDS]),
);
export type SignalSpec = z.infer<typeof signalSchema>;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

// ---------------------------------------------------------------- baselines and rules

export const PIN_TRIGGERS = ["FirstEvaluation", "VersionChange"] as const;
// `when`, not `on`: YAML 1.1 readers (kubectl's, the API server's) read an unquoted `on` key
// as the boolean true, so a field named `on` is silently lost from every YAML manifest.
const pinnedSchema = z.strictObject({
  when: z.enum(PIN_TRIGGERS).default("FirstEvaluation").describe("When the snapshot is taken; the annotation modelguardian.dev/repin re-takes it on request."),
});
const baselineSchema = withRules(
  z.strictObject({
    value: z.number().optional().describe("A fixed baseline value."),
    offset: duration(OFFSET).optional().describe("The same signal over an earlier window, e.g. 7d ago."),
    pinned: pinnedSchema.optional().describe("A snapshot of the signal kept in status, so it outlives Prometheus retention."),
  }),
  exactlyOneOf(["value", "offset", "pinned"]),
);
export type BaselineSpec = z.infer<typeof baselineSchema>;

export { FINDING_TYPES } from "./common.ts";
export type { FindingType } from "./common.ts";

export const RULE_PRESETS = ["rollback-sop", "strict", "relaxed"] as const;

const COMPARISONS = ["min", "max", "maxDrop", "maxRelativeDrop", "maxIncrease", "maxRelativeIncrease"] as const;
const BASELINE_COMPARISONS = ["maxDrop", "maxRelativeDrop", "maxIncrease", "maxRelativeIncrease"] as const;
export const ruleSchema = withRules(
  z.strictObject({
    signal: identifier("signal name").describe("Name of a signal in spec.signals."),
    min: tiers("Value under which").optional().describe("The signal's value must not fall under these thresholds."),
    max: tiers("Value over which").optional().describe("The signal's value must not rise over these thresholds."),
    maxDrop: tiers("Absolute drop below the baseline from which").optional().describe("How far (absolute) the value may fall below the baseline."),
    maxRelativeDrop: tiers("Relative drop below the baseline (0.1 = 10 %) from which")
      .optional()
      .describe("How far (a fraction of the baseline) the value may fall below it."),
    maxIncrease: tiers("Absolute rise above the baseline from which").optional().describe("How far (absolute) the value may rise above the baseline."),
    maxRelativeIncrease: tiers("Relative rise above the baseline (0.5 = 50 %) from which")
      .optional()
      .describe("How far (a fraction of the baseline) the value may rise above it."),
    baseline: baselineSchema
      .optional()
      .describe("What maxDrop, maxRelativeDrop, maxIncrease and maxRelativeIncrease compare with: exactly one of value, offset or pinned."),
    for: duration(FOR).optional().describe("The breach must last this long before it becomes a finding."),
    findingType: z.enum(FINDING_TYPES).optional().describe("Overrides the finding type derived from the signal."),
  }),
  {
    rule: COMPARISONS.map((c) => `has(self.${c})`).join(" || "),
    message: `a rule needs at least one of ${COMPARISONS.join(", ")}`,
    holds: (r) => COMPARISONS.some((c) => r[c] !== undefined),
  },
  {
    rule: `!(${BASELINE_COMPARISONS.map((c) => `has(self.${c})`).join(" || ")}) || has(self.baseline)`,
    message: `${BASELINE_COMPARISONS.join(", ")} compare with a baseline: set baseline`,
    holds: (r) => !BASELINE_COMPARISONS.some((c) => r[c] !== undefined) || r.baseline !== undefined,
  },
);
export type RuleSpec = z.infer<typeof ruleSchema>;

// ---------------------------------------------------------------- drift

export const DISTRIBUTION_METHODS = ["psi", "kl", "js", "hellinger", "wasserstein", "ks", "chi2"] as const;
export const EMBEDDING_METHODS = ["cosine", "euclidean"] as const;
const isEmbeddingMethod = (m: string) => (EMBEDDING_METHODS as readonly string[]).includes(m);

export const driftSchema = withRules(
  z.strictObject({
    name: identifier("drift name").describe("The drift check's name, unique in spec.drift; findings name it as their source."),
    histogram: z
      .strictObject({
        metric: metricName().describe("Histogram base name of an input feature, the score or the confidence."),
        featureLabel: labelName().optional().describe("Label that names the feature: one score per feature."),
      })
      .optional()
      .describe("Compare the distribution of a histogram (bucket counts) now with a reference window."),
    embedding: z
      .strictObject({
        metric: metricName().describe("Gauge holding the current centroid, one series per dimension."),
        dimensionLabel: labelName().default("dim").describe("The label that numbers the centroid's dimensions."),
      })
      .optional()
      .describe("Compare an embedding centroid now with a pinned reference centroid."),
    method: z
      .enum([...DISTRIBUTION_METHODS, ...EMBEDDING_METHODS])
      .describe("The drift score: psi, kl, js, hellinger, wasserstein, ks or chi2 for a histogram; cosine or euclidean for an embedding (docs/statistics.md)."),
    window: duration(WINDOW).optional().describe("Current window; defaults to spec.window."),
    reference: withRules(
      z.strictObject({
        offset: duration(OFFSET).optional().describe("Reference window ends this long ago, e.g. 7d."),
        window: duration(WINDOW).optional().describe("Length of the reference window; defaults to the current window."),
        pinned: pinnedSchema.optional().describe("A snapshot of the distribution kept in status, so it outlives Prometheus retention."),
      }),
      exactlyOneOf(["offset", "pinned"], "reference needs exactly one of offset or pinned"),
    ).describe("What the current window is compared with: an earlier window (offset) or a snapshot (pinned)."),
    threshold: tiers("Score from which").describe("The drift scores from which a feature has drifted, as a warning or critical."),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.05)
      .describe(
        "Significance level of the test every finding needs (ks for ks, chi-square of the binned counts otherwise), before correction. The noise gate lowers it to a budget of 0.05 false findings per 30 days spread over the evaluations (1.16e-6 at interval 1m) when that is smaller.",
      ),
    correction: z
      .enum(["bonferroni", "holm", "none"])
      .default("bonferroni")
      .describe("How alpha is corrected for testing many features at once (docs/statistics.md)."),
    epsilon: z.number().gt(0).lt(1).default(1e-4).describe("Replaces empty bins in psi and kl."),
    minSamples: z.int32().min(0).optional().describe("Overrides spec.minSamples for this check: fewer observations in either window is no verdict."),
    datasetDriftShare: z.number().min(0).max(1).default(0.5).describe("Share of drifted features that means dataset drift."),
  }),
  exactlyOneOf(["histogram", "embedding"]),
  {
    rule: "!has(self.embedding) || self.method in ['cosine', 'euclidean']",
    message: "embedding drift uses method cosine or euclidean",
    holds: (d) => d.embedding === undefined || isEmbeddingMethod(d.method),
  },
  {
    rule: "!has(self.histogram) || !(self.method in ['cosine', 'euclidean'])",
    message: "histogram drift uses method psi, kl, js, hellinger, wasserstein, ks or chi2",
    holds: (d) => d.histogram === undefined || !isEmbeddingMethod(d.method),
  },
  {
    rule: "!has(self.embedding) || has(self.reference.pinned)",
    message: "embedding drift compares with a pinned reference centroid",
    holds: (d) => d.embedding === undefined || d.reference.pinned !== undefined,
  },
);
export type DriftSpec = z.infer<typeof driftSchema>;

// ---------------------------------------------------------------- spec

/**
 * A Prometheus-compatible base URL: http or https, a host (name, IPv4 or [IPv6]), an optional
 * port and path; no credentials (they belong in authSecretRef), no query or fragment (the
 * operator appends /api/v1/...). A pattern rather than a URL parser, so that the API server
 * (Go) and the operator (JavaScript) read it the same way.
 */
export const PROMETHEUS_URL_PATTERN =
  /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:[0-9]{1,5})?(\/[-A-Za-z0-9._~%!$&'()*+,;=:@/]*)?$/;

export const modelMonitorSpecSchema = withRules(
  z.strictObject({
    model: z
      .strictObject({
        name: text(253).min(1).describe("The model's name; the default selector is {model: <name>}."),
        version: text(128)
          .optional()
          .describe("The declared version. With spec.serving, changing it starts a rollout of the new version; without, the monitor watches it at once."),
        uri: text(2048).optional().describe("Where the declared version's model is (handed to the Deployment with the version)."),
      })
      .describe("The model watched: its name and the version declared to serve."),
    selector: labelMatchers().optional().describe("Label matchers added to every query. Defaults to {model: <model.name>}."),
    versionLabel: labelName().optional().describe("When set, queries also match <versionLabel>=<model.version>."),
    source: z
      .strictObject({
        url: z
          .string()
          .max(2048)
          .regex(PROMETHEUS_URL_PATTERN, { message: "must be an http:// or https:// URL with a host, and no credentials, query or fragment" })
          .optional()
          .describe("Prometheus-compatible API (http or https); defaults to the operator's."),
        authSecretRef: localObjectReference()
          .optional()
          .describe(
            "Secret with token, or username and password, and optionally ca.crt. It is used only if it carries the label modelguardian.dev/metrics-credentials=true and its annotation modelguardian.dev/allowed-urls lists this source's URL (docs/operations/security.md); otherwise no query is sent.",
          ),
        timeout: duration(TIMEOUT).default("10s").describe("How long one query may take before it counts as an error."),
      })
      .optional()
      .describe("Where the metrics are queried; defaults to the operator's Prometheus (PROMETHEUS_URL)."),
    interval: duration(INTERVAL).default("1m").describe("How often the monitor is evaluated."),
    window: duration(WINDOW).default("1h").describe("Default window of every signal."),
    minSamples: z.int32().min(0).default(100).describe("Fewer samples than this is 'no data', never a verdict."),
    signals: listMap(z.array(signalSchema).max(32), "name")
      .default([])
      .describe("The values computed from the metrics at each evaluation: each exactly one of classification, regression, histogram, ratio or query."),
    rules: z.array(ruleSchema).max(64).default([]).describe("What healthy means: limits on signals, absolute or against a baseline; a breach is a finding."),
    presets: z.array(z.enum(RULE_PRESETS)).max(4).default([]).describe("Named rule sets expanded before spec.rules."),
    drift: listMap(z.array(driftSchema).max(16), "name")
      .default([])
      .describe("Distribution drift checks of input features, scores or embeddings against a reference."),
    segments: z
      .strictObject({
        label: labelName().describe("Every signal is also evaluated per value of this label."),
        values: z.array(text(256)).max(64).optional().describe("Restrict to these values."),
      })
      .optional()
      .describe("Evaluate every signal per segment too (a label such as region or tier); findings name their segment."),
    fairness: z
      .array(
        z.strictObject({
          signal: identifier("signal name").describe("The signal compared across groups (a name in spec.signals)."),
          groupLabel: labelName().describe("The label whose values are the groups, e.g. gender or age_band."),
          minRatio: z.number().gt(0).max(1).default(0.8).describe("Unfair when worst/best group falls under this."),
          severity: severity().default("warning").describe("The severity of an unfairness finding."),
        }),
      )
      .max(16)
      .default([])
      .describe("Fairness checks: the signal's worst group over its best must stay above minRatio (the four-fifths rule by default)."),
    policyRef: localObjectReference().optional().describe("RetrainPolicy acting on this monitor's findings."),
    serving: servingSchema.optional().describe("How the model's versions are served: the router and the stable and candidate Deployments a rollout drives."),
    report: z
      .strictObject({
        every: duration(REPORT_EVERY).default("7d").describe("How often the governance report is written (the first at the first evaluation)."),
        configMapName: z
          .string()
          .min(1)
          .max(253)
          .regex(DNS_SUBDOMAIN_PATTERN, { message: "must be a lower-case DNS subdomain name" })
          .optional()
          .describe("The ConfigMap (in the monitor's namespace) the report is written to; defaults to <monitor>-report."),
      })
      .optional()
      .describe(
        "A Markdown governance report of this model (KPIs per segment, drift, findings, actions, recommendations) written to a ConfigMap on a schedule.",
      ),
    suspend: z.boolean().default(false).describe("Stop evaluating; status keeps its last values."),
  }),
  {
    rule: "self.rules.all(r, self.signals.exists(s, s.name == r.signal))",
    message: "every rules[].signal must name a signal in spec.signals",
    fieldPath: ".rules",
    holds: (spec) => spec.rules.every((r) => spec.signals.some((s) => s.name === r.signal)),
  },
  {
    rule: "self.fairness.all(f, self.signals.exists(s, s.name == f.signal))",
    message: "every fairness[].signal must name a signal in spec.signals",
    fieldPath: ".fairness",
    holds: (spec) => spec.fairness.every((f) => spec.signals.some((s) => s.name === f.signal)),
  },
  {
    rule: "!has(self.serving) || has(self.versionLabel)",
    message: "versionLabel is required with serving: a rollout tells the versions' metrics apart by it",
    fieldPath: ".versionLabel",
    reason: "FieldValueRequired",
    holds: (spec) => spec.serving === undefined || spec.versionLabel !== undefined,
  },
);
export type ModelMonitorSpec = z.infer<typeof modelMonitorSpecSchema>;
export type ModelMonitorSpecInput = z.input<typeof modelMonitorSpecSchema>;

// ---------------------------------------------------------------- status

export const HEALTH_STATES = ["Healthy", "Warning", "Critical", "Unknown"] as const;
export type Health = (typeof HEALTH_STATES)[number];
export const OBSERVATION_STATES = ["Value", "NoData", "Error"] as const;
export type ObservationState = (typeof OBSERVATION_STATES)[number];

/** A query the evaluation ran, as status shows it (debugging "why has this signal no value"). */
const queryStatus = z.object({
  expr: z.string().describe("The PromQL, at most 512 characters (a longer one is cut, and says so)."),
  series: z.int32().min(0).optional().describe("Series in the answer: 0 means nothing matched. Absent when the query failed."),
  message: z.string().optional().describe("When it matched nothing: whether the metric exists at all, and what to fix."),
});
export type QueryStatus = z.infer<typeof queryStatus>;

const signalStatus = z.object({
  name: z.string().describe("The signal's name (spec.signals[].name)."),
  segment: z.string().optional().describe("Segment label value; absent for the overall value."),
  state: z.enum(OBSERVATION_STATES).describe("Value: it has one; NoData: too few samples or no series; Error: a query or its data failed."),
  value: z.number().optional().describe("The signal's value over its window."),
  baseline: z.number().optional().describe("The value of its rules' baseline, when one has a baseline."),
  samples: z.number().optional().describe("The samples behind the value (checked against minSamples)."),
  reason: z.string().optional().describe("Why there is no value, as an UpperCamelCase reason."),
  message: z.string().optional().describe("Why there is no value, in a sentence."),
  queries: z.array(queryStatus).max(8).optional().describe("The queries of the current window, on the overall row only."),
});
export type SignalStatus = z.infer<typeof signalStatus>;

const featureDriftStatus = z.object({
  feature: z.string().describe("The feature (the featureLabel's value), or the metric itself when there is no featureLabel."),
  state: z
    .enum(["Value", "InsufficientData", "Error"])
    .describe("Value: scored; InsufficientData: fewer samples than minSamples in a window; Error: a query failed."),
  score: z.number().optional().describe("The drift score by the check's method."),
  pValue: z.number().optional().describe("The p-value of the test that the distributions are the same."),
  severity: z.enum(["none", "warning", "critical"]).optional().describe("How far the score is past the thresholds, once the test is significant."),
  referenceSamples: z.number().optional().describe("Observations in the reference window (or snapshot)."),
  currentSamples: z.number().optional().describe("Observations in the current window."),
  reason: z.string().optional().describe("Why the feature has no score."),
});
/**
 * Whether a rule or drift check could be judged in the last evaluation. UpperCamelCase, as a
 * condition reason: Judged; NoBaseline (its baseline or reference has no value yet, e.g. an
 * offset window before the model's first metrics); NoData (no series, or a zero denominator);
 * InsufficientSamples (fewer samples than minSamples); Error (a query or its data failed).
 */
export const PIN_STATES = ["Accumulating", "Pinned"] as const;
/** The tests a pinned signal baseline can take part in; `none`: the limit alone decides. */
export const PIN_TESTS = ["twoProportion", "welch", "quantileShare", "none"] as const;

export const COVERAGE_STATES = ["Judged", "NoBaseline", "NoData", "InsufficientSamples", "Error"] as const;
export type Coverage = (typeof COVERAGE_STATES)[number];

const ruleStatus = z.object({
  name: z.string().describe("Where the rule comes from: spec.rules[i], or preset <name>."),
  rule: z.string().describe("The rule in short: its signal, comparisons and baseline."),
  coverage: z.enum(COVERAGE_STATES).describe("Whether the rule could be judged on the signal's overall value."),
  message: z.string().optional().describe("Why it could not be judged."),
  unjudgedSegments: z.int32().min(0).optional().describe("Segments on which it could not be judged (a count: status stays bounded)."),
  baselineSamples: z
    .number()
    .min(0)
    .optional()
    .describe("Samples behind the baseline of the overall value (a pinned or offset baseline), or gathered so far while a pin accumulates."),
});
export type RuleStatus = z.infer<typeof ruleStatus>;

const driftStatus = z.object({
  name: z.string().describe("The drift check's name (spec.drift[].name)."),
  method: z.string().describe("The method it scores with."),
  state: z.enum(OBSERVATION_STATES).describe("Value: scored; NoData: not enough observations; Error: a query or its data failed."),
  coverage: z.enum(COVERAGE_STATES).optional().describe("Whether the check could be judged (NoBaseline: no reference distribution yet)."),
  reason: z.string().optional().describe("Why there is no score."),
  driftedFeatures: z.array(z.string()).optional().describe("The features that drifted."),
  driftedShare: z.number().optional().describe("The share of features that drifted."),
  datasetDrift: z.boolean().optional().describe("Whether driftedShare reached datasetDriftShare."),
  features: z.array(featureDriftStatus).default([]).describe("Each feature's score and test."),
  queries: z.array(queryStatus).max(2).optional().describe("The queries run: the current window, and the reference window when it is one."),
});
export type DriftStatus = z.infer<typeof driftStatus>;

export const findingSchema = z.object({
  type: z.enum(FINDING_TYPES).describe("What kind of problem: derived from the signal or check, or the rule's findingType."),
  severity: severity().describe("warning or critical, by the threshold tier crossed."),
  source: z.string().describe("The signal, drift or fairness check behind the finding."),
  segment: z.string().optional().describe("The segment it was found in; absent for the overall value."),
  description: z.string().describe("The finding in a sentence, with its numbers."),
  value: z.number().optional().describe("The value (or drift score) that breached."),
  baseline: z.number().optional().describe("The baseline it was compared with, if any."),
  threshold: z.number().optional().describe("The threshold it crossed."),
  since: time().describe("When the finding (at any severity) first appeared."),
  features: z.array(z.string()).optional().describe("Drifted features, for drift findings."),
});
export type Finding = z.infer<typeof findingSchema>;

const pinnedValue = z.object({
  value: z.number().optional().describe("A signal's pinned value."),
  bins: z
    .array(
      z.object({
        le: z.number().optional().describe("Upper bound; absent for +Inf."),
        count: z.number().describe("Observations up to le (cumulative, as Prometheus counts)."),
      }),
    )
    .max(256)
    .optional()
    .describe("A drift check's pinned histogram buckets."),
  vector: z.array(z.number()).optional().describe("An embedding check's pinned centroid."),
  version: z.string().optional().describe("The model version it was taken on."),
  at: time().describe("When it was taken; while Accumulating, when the accumulation started."),
  state: z
    .enum(PIN_STATES)
    .optional()
    .describe("A signal's pinned baseline is Accumulating (not used yet) until its window holds enough samples for the rules' margins, then Pinned."),
  from: time().optional().describe("Start of the window the baseline covers (a signal's pin): it ends at `at`."),
  samples: z.number().min(0).optional().describe("Samples in that window."),
  test: z.enum(PIN_TESTS).optional().describe("The two-sample test the pinned counts allow (docs/statistics.md)."),
  successes: z.number().min(0).optional().describe("For a rate: the successes of `samples` trials."),
  variance: z.number().min(0).optional().describe("For a mean: the sample variance (n − 1) around `value`."),
});
export type PinnedValue = z.infer<typeof pinnedValue>;

/** A rule breach that has not yet lasted its `for` duration. */
const pendingBreach = z.object({
  key: z.string().describe("The rule, tier and segment breached."),
  since: time().describe("When the breach began."),
});

const historyEntry = z.object({
  time: time().describe("When the evaluation ran."),
  health: z.enum(HEALTH_STATES).describe("The health it found."),
  findings: z.int32().min(0).describe("How many findings it had."),
  values: z.record(z.string(), z.number()).optional().describe("The signals' overall values, by name."),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

const handledTrigger = z.object({
  trigger: z.string().describe("The trigger's identity (part of the Job's name)."),
  episodes: z.array(z.string()).describe("type|source|segment|since of each finding behind it."),
});

/** What the monitor's RetrainPolicy has done for it; the state its limits are counted from. */
const remediationStatus = z.object({
  policy: z.string().optional().describe("The RetrainPolicy acting on this monitor."),
  actions: z
    .array(
      z.object({
        name: z.string().describe("The action (spec.actions[].name of the policy)."),
        lastStartTime: time().optional().describe("The last Job of this action (cooldown counts from it)."),
        consecutiveFailures: z.int32().min(0).default(0).describe("Failed Jobs in a row (the backoff doubles with each)."),
        lastFailureTime: time().optional().describe("Backoff counts from it."),
        lastDryRunTime: time().optional().describe("The last dry-run decision (cooldown in dry-run counts from it)."),
        handled: z.array(handledTrigger).default([]).describe("Triggers already acted on: a finding episode starts at most one Job."),
        dryRunHandled: z.array(handledTrigger).optional().describe("Triggers already recorded in dry-run."),
      }),
    )
    .default([])
    .describe("Per action: the state its cooldown, backoff and triggers are counted from."),
  held: z
    .array(
      z.object({
        action: z.string().describe("The action held."),
        reason: z.string().describe("What holds it (CooldownActive, BackoffActive, BudgetExhausted, ApprovalRequired, ...), as an Event reason."),
        message: z.string().describe("What holds it, in a sentence."),
        until: time().optional().describe("When it may start, if that is known."),
      }),
    )
    .default([])
    .describe("Triggered actions the policy's limits hold back, and until when."),
  recentStarts: z.array(time()).default([]).describe("Job creations inside the budget window."),
  active: z.int32().min(0).default(0).describe("Running Jobs for this monitor."),
  candidate: z
    .object({
      version: z.string().describe("The version the Job reported."),
      uri: z.string().optional().describe("Where it stored the model."),
      job: z.string().describe("The Job that reported it."),
      time: time().describe("When it was reported."),
    })
    .optional()
    .describe("The latest model version a retraining Job reported; a rollout can promote it."),
  history: z.array(actionRecord).default([]).describe("Actions for this monitor, newest first."),
});
export type RemediationStatus = z.infer<typeof remediationStatus>;

/** The condition types this resource's own controller writes (and owns, under server-side apply). */
export const MONITOR_CONDITION_TYPES = ["Ready", "MetricsAvailable", "RulesJudged", "Degraded", "Drifted", "ActionHeld", "ActionRunning"] as const;

export const VERSION_STATES = ["Stable", "Previous", "Candidate", "Quarantined", "Retired"] as const;

/** One version of the model as the monitor's rollouts saw it: the answer to "which versions ran, how did each do". */
const versionRecord = z.object({
  version: z.string().describe("The model version."),
  uri: z.string().optional().describe("Where its model is stored."),
  state: z.enum(VERSION_STATES).describe("Stable (serving), Previous (the one before), Candidate (being rolled out), Quarantined (rolled back) or Retired."),
  rollout: z.string().optional().describe("The ModelRollout that last ran it."),
  time: time().describe("When it entered this state."),
  lastAnalysis: z.string().optional().describe("Its last analysis in short."),
  reason: z.string().optional().describe("Why it is in this state (why a candidate was rejected)."),
});
export type VersionRecord = z.infer<typeof versionRecord>;

export const modelMonitorStatusSchema = z.object({
  observedGeneration: z.number().int().min(0).optional().describe("The metadata.generation of the spec last evaluated."),
  health: z.enum(HEALTH_STATES).optional().describe("Healthy, Warning or Critical by the worst finding; Unknown when a rule could not be judged."),
  summary: z.string().optional().describe("The headline signal and its value, for kubectl get."),
  worstFinding: z.string().optional().describe("The most severe finding in short, for kubectl get."),
  maxDriftScore: z.number().optional().describe("The highest drift score of the last evaluation."),
  lastEvaluationTime: time().optional().describe("When the monitor was last evaluated."),
  observedVersion: z.string().optional().describe("The model version the last evaluation measured."),
  conditions: conditions(),
  signals: z.array(signalStatus).default([]).describe("Each signal's value, overall and per segment."),
  drift: z.array(driftStatus).default([]).describe("Each drift check's scores."),
  // at most 64 spec.rules and 4 presets of at most one rule per signal (32): 192
  rules: z.array(ruleStatus).max(256).optional().describe("Each rule (presets expanded) and whether it could be judged in the last evaluation."),
  judgedRules: z.string().optional().describe("Rules judged of all, e.g. 2/3, for kubectl get."),
  findings: z.array(findingSchema).default([]).describe("The problems found in the last evaluation."),
  pinned: z.record(z.string(), pinnedValue).optional().describe("Baseline snapshots, by signal or drift name."),
  pending: z.array(pendingBreach).optional().describe("Breaches that have not lasted their rule's `for` yet."),
  repinToken: z.string().optional().describe("The last handled value of the modelguardian.dev/repin annotation."),
  evaluateToken: z.string().optional().describe("The last handled value of the modelguardian.dev/evaluate annotation."),
  history: z.array(historyEntry).max(96).default([]).describe("The latest evaluations, newest last."),
  remediation: remediationStatus.optional().describe("What the monitor's RetrainPolicy has done for it: Jobs, holds, the candidate version."),
  stableVersion: z.string().optional().describe("The version serving stable traffic: spec.model.version until a rollout promotes another."),
  declaredVersion: z
    .string()
    .optional()
    .describe("The last spec.model.version acted on (adopted, switched to, or rolled out): a change of it is a person's decision."),
  rollout: z
    .object({
      name: z.string().describe("The ModelRollout's name."),
      candidate: z.string().describe("The version it rolls out."),
      phase: z.enum(ROLLOUT_PHASES).optional().describe("Its phase."),
      stepIndex: z.int32().min(0).optional().describe("The step in progress, counted from 0."),
      step: z.string().optional().describe("The step in progress as people count it (1/4), or shadow, as the rollout's messages say it."),
      weight: z.int32().min(0).optional().describe("The candidate's weight (%) read back from the route."),
    })
    .optional()
    .describe("The rollout in progress (or the last one), in short."),
  versions: z.array(versionRecord).max(20).optional().describe("The model's versions, newest first."),
  report: z
    .object({
      configMap: z.string().optional().describe("The ConfigMap holding the latest report (key report.md)."),
      lastTime: time().optional().describe("When it was written; the next report covers the time since."),
      period: z
        .object({
          since: time().describe("The start of the period."),
          evaluations: z
            .object({
              Healthy: z.int32().min(0).optional().describe("Evaluations found Healthy."),
              Warning: z.int32().min(0).optional().describe("Evaluations found Warning."),
              Critical: z.int32().min(0).optional().describe("Evaluations found Critical."),
              Unknown: z.int32().min(0).optional().describe("Evaluations found Unknown."),
            })
            .describe("Evaluations since, by health."),
          withFindings: z.int32().min(0).describe("Evaluations that had at least one finding."),
        })
        .optional()
        .describe("The evaluations of the period the next report covers, counted as they happen (status.history keeps only the latest 6)."),
    })
    .optional()
    .describe("The latest governance report (spec.report)."),
});
export type ModelMonitorStatus = z.infer<typeof modelMonitorStatusSchema>;

export const MODEL_MONITOR = {
  kind: "ModelMonitor",
  plural: "modelmonitors",
  singular: "modelmonitor",
  shortNames: ["mm"],
  categories: ["modelguardian"],
  printerColumns: [
    { name: "Model", type: "string", jsonPath: ".spec.model.name" },
    { name: "Version", type: "string", jsonPath: ".spec.model.version" },
    { name: "Serving", type: "string", jsonPath: ".status.stableVersion", description: "The version serving stable traffic: follows promotions" },
    { name: "Health", type: "string", jsonPath: ".status.health" },
    {
      name: "Judged",
      type: "string",
      jsonPath: ".status.judgedRules",
      description: "Rules judged in the last evaluation, of all (Unknown health when not all)",
    },
    { name: "Signal", type: "string", jsonPath: ".status.summary", description: "Headline signal and value" },
    { name: "Worst Finding", type: "string", jsonPath: ".status.worstFinding" },
    {
      name: "Metrics",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="MetricsAvailable")].reason',
      description: "Why metrics are (not) available: the first thing to read when Health is Unknown",
      priority: 1,
    },
    { name: "Drift", type: "number", jsonPath: ".status.maxDriftScore", priority: 1 },
    { name: "Candidate", type: "string", jsonPath: ".status.remediation.candidate.version", priority: 1 },
    { name: "Rollout", type: "string", jsonPath: ".status.rollout.phase", priority: 1 },
    { name: "Canary", type: "integer", jsonPath: ".status.rollout.weight", description: "Candidate weight of the rollout in progress", priority: 1 },
    { name: "Last Eval", type: "date", jsonPath: ".status.lastEvaluationTime" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
} as const;
