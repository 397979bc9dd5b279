// Simulated ML inference server.
//
// Exports, through a private prom-client Registry, the metrics a real inference
// service would (predictions by outcome, confidence, scores, latency, input
// features, query-embedding centroid, LLM-style refusals and safety flags, user
// feedback, regression error sums). Its behaviour (accuracy, latency, drift...)
// can be changed while it runs, from code or over HTTP. Used by the demo and by
// integration tests against a real Prometheus.
//
// Runs directly with Node 24 (`node sim/model-server.ts` style imports): only
// erasable TypeScript syntax.

import http from "node:http";
import { once } from "node:events";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { z } from "zod";

// ---------------------------------------------------------------------------
// Public types

export interface SegmentBehaviour {
  /** predictions generated per second for this segment */
  requestsPerSecond: number;
  /** probability a prediction is correct (0..1) */
  accuracy: number;
  /** share of actual positives (for tp/fp/tn/fn) */
  positiveRate: number;
  /** latency ~ lognormal (sigma 0.5) with this mean */
  latencyMeanSeconds: number;
  /** prediction confidence ~ beta (concentration 20) with this mean (0..1) */
  confidenceMean: number;
  /** per feature ("age" | "income" | "tenure"): mean shift in units of that feature's sd */
  featureShift: Record<string, number>;
  /** 0 = centroid at baseline; larger rotates the centroid away (cosine distance grows) */
  embeddingShift: number;
  /** share of responses that are refusals */
  refusalRate: number;
  /** share of responses with a safety/toxicity flag */
  toxicityRate: number;
  /** user feedback score mean (1..5 scale) */
  feedbackMean: number;
  /** sd of regression error */
  regressionErrorSd: number;
}

export interface ModelServerOptions {
  model: string;
  version: string;
  /** segment label value -> behaviour (defaults filled in) */
  segments: Record<string, Partial<SegmentBehaviour>>;
  /** default "plant" */
  segmentLabel?: string;
  /**
   * Optional fairness groups (label "group"). Every segment's traffic is split
   * equally across the groups; a group's fields override the segment's
   * behaviour for that group (a group's `requestsPerSecond`, if given, is that
   * group's absolute rate in every segment instead of the equal share).
   */
  groups?: Record<string, Partial<SegmentBehaviour>>;
  /** 0 = ephemeral; binds 127.0.0.1 only */
  port?: number;
  /** seed of the deterministic PRNG (mulberry32); random if omitted */
  seed?: number;
  /** generation tick, default 100 ms */
  tickMs?: number;
}

export interface ModelServer {
  url: string;
  port: number;
  /** Patch the behaviour of one segment, or of all segments when `segment` is omitted. Throws on invalid input. */
  setBehaviour(patch: Partial<SegmentBehaviour>, segment?: string): void;
  /** Patch the override of one fairness group (applies in every segment). Throws if groups are not configured. */
  setGroupBehaviour(group: string, patch: Partial<SegmentBehaviour>): void;
  /** Switch the `version` label; series of the previous version are dropped (as after a redeploy). */
  setVersion(version: string): void;
  /** Current behaviour per segment (copies). */
  behaviour(): Record<string, SegmentBehaviour>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Constants (part of the contract with tests and the demo)

export const FEATURES = ["age", "income", "tenure"] as const;
export type FeatureName = (typeof FEATURES)[number];

export const EMBEDDING_DIMENSIONS = 8;

/** Label value of `group` on model_predictions_total when no groups are configured. */
export const ALL_GROUPS = "all";

export const DEFAULT_BEHAVIOUR: SegmentBehaviour = Object.freeze({
  requestsPerSecond: 10,
  accuracy: 0.92,
  positiveRate: 0.3,
  latencyMeanSeconds: 0.08,
  confidenceMean: 0.85,
  featureShift: Object.freeze({ age: 0, income: 0, tenure: 0 }) as Record<string, number>,
  embeddingShift: 0,
  refusalRate: 0.02,
  toxicityRate: 0.005,
  feedbackMean: 4.2,
  regressionErrorSd: 5,
});

export const CONFIDENCE_BUCKETS = range(0.05, 1.0, 0.05);
export const SCORE_BUCKETS = range(0.1, 1.0, 0.1);
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5];
export const FEATURE_BUCKETS = range(-3, 3, 0.5);
export const FEEDBACK_BUCKETS = [1, 2, 3, 4, 5];

/** Share of predictions that receive a user feedback score. */
export const FEEDBACK_SHARE = 0.2;
/** Regression targets ~ N(REGRESSION_TARGET_MEAN, REGRESSION_TARGET_SD). */
export const REGRESSION_TARGET_MEAN = 100;
export const REGRESSION_TARGET_SD = 15;
/** Time constant of the exponential moving average of the embedding centroid. */
export const EMBEDDING_EMA_SECONDS = 1;
/** Per-dimension sd of the noise of a single query embedding. */
export const EMBEDDING_NOISE_SD = 0.25;
/**
 * Rotation (radians) of the expected centroid per unit of embeddingShift:
 * acos(0.9), so the expected cosine distance to the baseline is
 * 1 - cos(0.451 * s): s=0.5 -> 0.025, 1 -> 0.10, 2 -> 0.38, 3 -> 0.78
 * (measured at 50 rps: 0.027, 0.096, 0.375, 0.787; at s=0 noise gives ~0.002);
 * the angle is capped at pi (distance 2).
 */
export const EMBEDDING_RADIANS_PER_SHIFT = Math.acos(0.9);

/** Unit vector: expected query-embedding centroid at embeddingShift 0. */
export const BASELINE_EMBEDDING: readonly number[] = normalize([0.42, -0.18, 0.33, 0.05, -0.27, 0.51, 0.12, -0.09]);
/** Unit vector orthogonal to the baseline: the direction of drift. */
const DRIFT_DIRECTION: readonly number[] = orthonormalize([0.1, 0.35, -0.2, 0.45, 0.3, -0.05, -0.4, 0.25], BASELINE_EMBEDDING);

const CONFIDENCE_CONCENTRATION = 20;
const LATENCY_LOG_SD = 0.5;
const MAX_TICK_SECONDS = 5;
const MAX_BODY_BYTES = 64 * 1024;
const RESERVED_LABELS = new Set(["model", "version", "group", "outcome", "feature", "dim", "refusal", "le", "quantile"]);

// ---------------------------------------------------------------------------
// Validation

export const behaviourPatchSchema = z
  .object({
    requestsPerSecond: z.number().min(0).max(100_000),
    accuracy: z.number().min(0).max(1),
    positiveRate: z.number().min(0).max(1),
    latencyMeanSeconds: z.number().positive().max(60),
    confidenceMean: z.number().gt(0).lt(1),
    featureShift: z.partialRecord(z.enum(FEATURES), z.number().min(-20).max(20)),
    embeddingShift: z.number().min(0).max(100),
    refusalRate: z.number().min(0).max(1),
    toxicityRate: z.number().min(0).max(1),
    feedbackMean: z.number().min(1).max(5),
    regressionErrorSd: z.number().min(0).max(1e6),
  })
  .partial()
  .strict();

const behaviourRequestSchema = z
  .object({
    segment: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    patch: behaviourPatchSchema,
  })
  .strict();

const versionRequestSchema = z.object({ version: z.string().min(1).max(200) }).strict();

/** Error whose message names the offending field(s); HTTP handlers turn it into a 400. */
export class BehaviourValidationError extends Error {
  readonly issues: { field: string; message: string }[];
  constructor(issues: { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join("; "));
    this.name = "BehaviourValidationError";
    this.issues = issues;
  }
}

function zodIssues(error: z.ZodError, prefix: string): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const issue of error.issues) {
    const base = [prefix, ...issue.path.map(String)].filter((p) => p !== "").join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ field: base ? `${base}.${key}` : key, message: "unknown field" });
      }
    } else {
      out.push({ field: base || "(body)", message: issue.message });
    }
  }
  return out;
}

function parsePatch(patch: unknown, prefix: string): Partial<SegmentBehaviour> {
  const result = behaviourPatchSchema.safeParse(patch);
  if (!result.success) throw new BehaviourValidationError(zodIssues(result.error, prefix));
  return result.data as Partial<SegmentBehaviour>;
}

// ---------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32 PRNG with normal, gamma, beta helpers. */
export class Random {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
    this.spareNormal = undefined;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** standard normal (Box-Muller, caches the second value) */
  normal(): number {
    const spare = this.spareNormal;
    if (spare !== undefined) {
      this.spareNormal = undefined;
      return spare;
    }
    const u1 = 1 - this.next(); // (0, 1]
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Gamma(shape, 1), Marsaglia-Tsang */
  gamma(shape: number): number {
    if (shape < 1) {
      return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta with the given mean and concentration (alpha + beta) */
  betaMean(mean: number, concentration: number): number {
    const a = this.gamma(mean * concentration);
    const b = this.gamma((1 - mean) * concentration);
    return a / (a + b);
  }
}

// ---------------------------------------------------------------------------
// Implementation

interface CellState {
  group: string;
  carry: number;
}

interface SegmentState {
  name: string;
  behaviour: SegmentBehaviour;
  cells: CellState[];
  centroid: number[];
}

interface Metrics {
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

type Labels = Record<string, string>;

function createMetrics(registry: Registry, segmentLabel: string): Metrics {
  const base = ["model", "version", segmentLabel];
  const registers = [registry];
  return {
    predictions: new Counter({
      name: "model_predictions_total",
      help: "Predictions by confusion-matrix outcome (tp, fp, tn, fn) and fairness group (\"all\" when no groups are configured).",
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
interface SegmentLabels {
  base: Labels;
  outcome: Map<string, Record<"tp" | "fp" | "tn" | "fn", Labels>>;
  feature: Labels[];
  dim: Labels[];
  refusalTrue: Labels;
  refusalFalse: Labels;
}

function buildLabels(model: string, version: string, segmentLabel: string, segment: string, groups: string[]): SegmentLabels {
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

function fillBehaviour(partial: Partial<SegmentBehaviour>): SegmentBehaviour {
  return {
    ...DEFAULT_BEHAVIOUR,
    ...partial,
    featureShift: { ...DEFAULT_BEHAVIOUR.featureShift, ...partial.featureShift },
  };
}

function applyPatch(target: SegmentBehaviour, patch: Partial<SegmentBehaviour>): void {
  const { featureShift, ...rest } = patch;
  Object.assign(target, rest);
  if (featureShift) target.featureShift = { ...target.featureShift, ...featureShift };
}

function copyBehaviour(b: SegmentBehaviour): SegmentBehaviour {
  return { ...b, featureShift: { ...b.featureShift } };
}

function copyPartial(b: Partial<SegmentBehaviour>): Partial<SegmentBehaviour> {
  return b.featureShift ? { ...b, featureShift: { ...b.featureShift } } : { ...b };
}

/** Expected (noise-free) centroid direction for a given embeddingShift. */
export function expectedEmbeddingCentroid(embeddingShift: number): number[] {
  const theta = Math.min(Math.max(embeddingShift, 0) * EMBEDDING_RADIANS_PER_SHIFT, Math.PI);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return BASELINE_EMBEDDING.map((b, i) => c * b + s * (DRIFT_DIRECTION[i] ?? 0));
}

/** 1 - cosine similarity. */
export function cosineDistance(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}

function validateOptions(options: ModelServerOptions): void {
  if (typeof options.model !== "string" || options.model === "") throw new Error("model: must be a non-empty string");
  if (typeof options.version !== "string" || options.version === "") throw new Error("version: must be a non-empty string");
  const segmentLabel = options.segmentLabel ?? "plant";
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(segmentLabel) || segmentLabel.startsWith("__") || RESERVED_LABELS.has(segmentLabel)) {
    throw new Error(`segmentLabel: "${segmentLabel}" is not a valid, unreserved Prometheus label name`);
  }
  const segments = Object.keys(options.segments ?? {});
  if (segments.length === 0) throw new Error("segments: at least one segment is required");
  for (const name of segments) {
    if (name === "") throw new Error("segments: segment names must be non-empty");
    parsePatch(options.segments[name], `segments.${name}`);
  }
  for (const [name, override] of Object.entries(options.groups ?? {})) {
    if (name === "") throw new Error("groups: group names must be non-empty");
    parsePatch(override, `groups.${name}`);
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new Error("port: must be an integer in 0..65535");
  }
  if (options.tickMs !== undefined && (!Number.isFinite(options.tickMs) || options.tickMs < 10 || options.tickMs > 10_000)) {
    throw new Error("tickMs: must be in 10..10000");
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) throw new Error("seed: must be a finite number");
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  validateOptions(options);
  const model = options.model;
  let version = options.version;
  const segmentLabel = options.segmentLabel ?? "plant";
  const tickMs = options.tickMs ?? 100;
  const random = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 32));

  const groupOverrides = new Map<string, Partial<SegmentBehaviour>>();
  for (const [name, override] of Object.entries(options.groups ?? {})) groupOverrides.set(name, copyPartial(override));
  const hasGroups = groupOverrides.size > 0;
  const groupNames = hasGroups ? [...groupOverrides.keys()] : [ALL_GROUPS];

  const segments = new Map<string, SegmentState>();
  for (const [name, partial] of Object.entries(options.segments)) {
    segments.set(name, {
      name,
      behaviour: fillBehaviour(partial),
      cells: groupNames.map((group) => ({ group, carry: 0 })),
      centroid: expectedEmbeddingCentroid(fillBehaviour(partial).embeddingShift),
    });
  }

  const registry = new Registry();
  const metrics = createMetrics(registry, segmentLabel);
  let labels = new Map<string, SegmentLabels>();

  /** (Re)build label objects and create every series at zero so all families and label sets exist from the first scrape. */
  function initialiseSeries(): void {
    labels = new Map();
    for (const segment of segments.values()) {
      const l = buildLabels(model, version, segmentLabel, segment.name, groupNames);
      labels.set(segment.name, l);
      for (const byOutcome of l.outcome.values()) {
        for (const ls of Object.values(byOutcome)) metrics.predictions.inc(ls, 0);
      }
      metrics.confidence.zero(l.base);
      metrics.score.zero(l.base);
      metrics.latency.zero(l.base);
      for (const ls of l.feature) metrics.feature.zero(ls);
      for (let d = 0; d < EMBEDDING_DIMENSIONS; d++) metrics.centroid.set(l.dim[d]!, segment.centroid[d]!);
      metrics.responses.inc(l.refusalTrue, 0);
      metrics.responses.inc(l.refusalFalse, 0);
      metrics.safetyFlags.inc(l.base, 0);
      metrics.feedback.zero(l.base);
      metrics.regressionPredictions.inc(l.base, 0);
      metrics.regressionAbsError.inc(l.base, 0);
      metrics.regressionSquaredError.inc(l.base, 0);
      metrics.regressionTarget.inc(l.base, 0);
      metrics.regressionTargetSquared.inc(l.base, 0);
    }
  }
  initialiseSeries();

  function effectiveBehaviour(segment: SegmentState, group: string): SegmentBehaviour {
    if (!hasGroups) return segment.behaviour;
    const override = groupOverrides.get(group) ?? {};
    return {
      ...segment.behaviour,
      ...override,
      requestsPerSecond: override.requestsPerSecond ?? segment.behaviour.requestsPerSecond / groupOverrides.size,
      featureShift: { ...segment.behaviour.featureShift, ...override.featureShift },
    };
  }

  function generateSegment(segment: SegmentState, seconds: number): void {
    const l = labels.get(segment.name);
    if (!l) return;
    let refusals = 0;
    let responses = 0;
    let flags = 0;
    let absError = 0;
    let squaredError = 0;
    let targetSum = 0;
    let targetSquaredSum = 0;
    const embeddingSum = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);

    for (const cell of segment.cells) {
      const b = effectiveBehaviour(segment, cell.group);
      cell.carry += b.requestsPerSecond * seconds;
      const n = Math.floor(cell.carry);
      cell.carry -= n;
      if (n === 0) continue;

      let tp = 0;
      let fp = 0;
      let tn = 0;
      let fn = 0;
      const logMean = Math.log(b.latencyMeanSeconds) - (LATENCY_LOG_SD * LATENCY_LOG_SD) / 2;
      const shifts = FEATURES.map((f) => b.featureShift[f] ?? 0);
      const feedbackP = (b.feedbackMean - 1) / 4;

      for (let i = 0; i < n; i++) {
        const actualPositive = random.next() < b.positiveRate;
        const correct = random.next() < b.accuracy;
        const predictedPositive = actualPositive === correct;
        if (actualPositive) {
          if (correct) tp++;
          else fn++;
        } else if (correct) tn++;
        else fp++;

        const confidence = random.betaMean(b.confidenceMean, CONFIDENCE_CONCENTRATION);
        metrics.confidence.observe(l.base, confidence);
        metrics.score.observe(l.base, predictedPositive ? 0.5 + 0.5 * confidence : 0.5 - 0.5 * confidence);
        metrics.latency.observe(l.base, Math.exp(logMean + LATENCY_LOG_SD * random.normal()));
        for (let f = 0; f < shifts.length; f++) {
          metrics.feature.observe(l.feature[f]!, (shifts[f] ?? 0) + random.normal());
        }

        if (random.next() < b.refusalRate) refusals++;
        if (random.next() < b.toxicityRate) flags++;
        if (random.next() < FEEDBACK_SHARE) {
          let score = 1;
          for (let k = 0; k < 4; k++) if (random.next() < feedbackP) score++;
          metrics.feedback.observe(l.base, score);
        }

        const target = REGRESSION_TARGET_MEAN + REGRESSION_TARGET_SD * random.normal();
        const error = b.regressionErrorSd * random.normal();
        absError += Math.abs(error);
        squaredError += error * error;
        targetSum += target;
        targetSquaredSum += target * target;
      }

      const byOutcome = l.outcome.get(cell.group);
      if (byOutcome) {
        if (tp) metrics.predictions.inc(byOutcome.tp, tp);
        if (fp) metrics.predictions.inc(byOutcome.fp, fp);
        if (tn) metrics.predictions.inc(byOutcome.tn, tn);
        if (fn) metrics.predictions.inc(byOutcome.fn, fn);
      }
      responses += n;

      // The sum of n embeddings (mean + noise) is n*mean + sqrt(n)*sd*N(0,1) per dimension.
      const mean = expectedEmbeddingCentroid(b.embeddingShift);
      const noise = EMBEDDING_NOISE_SD * Math.sqrt(n);
      for (let d = 0; d < EMBEDDING_DIMENSIONS; d++) {
        embeddingSum[d] = (embeddingSum[d] ?? 0) + n * (mean[d] ?? 0) + noise * random.normal();
      }
    }

    if (responses === 0) return;
    if (refusals) metrics.responses.inc(l.refusalTrue, refusals);
    if (responses - refusals) metrics.responses.inc(l.refusalFalse, responses - refusals);
    if (flags) metrics.safetyFlags.inc(l.base, flags);
    metrics.regressionPredictions.inc(l.base, responses);
    metrics.regressionAbsError.inc(l.base, absError);
    metrics.regressionSquaredError.inc(l.base, squaredError);
    metrics.regressionTarget.inc(l.base, targetSum);
    metrics.regressionTargetSquared.inc(l.base, targetSquaredSum);

    const alpha = 1 - Math.exp(-seconds / EMBEDDING_EMA_SECONDS);
    for (let d = 0; d < EMBEDDING_DIMENSIONS; d++) {
      const current = segment.centroid[d] ?? 0;
      const next = current + alpha * ((embeddingSum[d] ?? 0) / responses - current);
      segment.centroid[d] = next;
      metrics.centroid.set(l.dim[d]!, next);
    }
  }

  let last = performance.now();
  let tickErrorReported = false;
  function tick(): void {
    const now = performance.now();
    const seconds = Math.min((now - last) / 1000, MAX_TICK_SECONDS);
    last = now;
    try {
      for (const segment of segments.values()) generateSegment(segment, seconds);
    } catch (error) {
      if (!tickErrorReported) {
        tickErrorReported = true;
        console.error("model-server: generation tick failed", error);
      }
    }
  }

  function setBehaviour(patch: Partial<SegmentBehaviour>, segment?: string): void {
    const parsed = parsePatch(patch, "patch");
    if (segment !== undefined) {
      const state = segments.get(segment);
      if (!state) {
        throw new BehaviourValidationError([
          { field: "segment", message: `unknown segment "${segment}" (known: ${[...segments.keys()].join(", ")})` },
        ]);
      }
      applyPatch(state.behaviour, parsed);
      return;
    }
    for (const state of segments.values()) applyPatch(state.behaviour, parsed);
  }

  function setGroupBehaviour(group: string, patch: Partial<SegmentBehaviour>): void {
    const parsed = parsePatch(patch, "patch");
    const override = groupOverrides.get(group);
    if (!override) {
      const known = hasGroups ? [...groupOverrides.keys()].join(", ") : "none: no groups configured";
      throw new BehaviourValidationError([{ field: "group", message: `unknown group "${group}" (known: ${known})` }]);
    }
    const { featureShift, ...rest } = parsed;
    Object.assign(override, rest);
    if (featureShift) override.featureShift = { ...override.featureShift, ...featureShift };
  }

  function setVersion(next: string): void {
    const result = versionRequestSchema.safeParse({ version: next });
    if (!result.success) throw new BehaviourValidationError(zodIssues(result.error, ""));
    if (next === version) return;
    version = next;
    registry.resetMetrics();
    initialiseSeries();
  }

  function behaviour(): Record<string, SegmentBehaviour> {
    const out: Record<string, SegmentBehaviour> = {};
    for (const [name, state] of segments) out[name] = copyBehaviour(state.behaviour);
    return out;
  }

  function behaviourDocument(): unknown {
    const groups: Record<string, Partial<SegmentBehaviour>> = {};
    for (const [name, override] of groupOverrides) groups[name] = copyPartial(override);
    return { model, version, segmentLabel, segments: behaviour(), groups };
  }

  // ---------------------------------------------------------------- HTTP
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    switch (pathname) {
      case "/metrics": {
        if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET");
        const body = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(method === "HEAD" ? undefined : body);
        return;
      }
      case "/healthz": {
        if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET");
        return sendJson(res, 200, { status: "ok" });
      }
      case "/behaviour": {
        if (method === "GET") return sendJson(res, 200, behaviourDocument());
        if (method !== "POST") return methodNotAllowed(res, "GET, POST");
        const body = await readJson(req, res);
        if (body === undefined) return;
        const parsed = behaviourRequestSchema.safeParse(body);
        if (!parsed.success) return sendValidationError(res, new BehaviourValidationError(zodIssues(parsed.error, "")));
        const { segment, group, patch } = parsed.data;
        try {
          if (group !== undefined) {
            if (segment !== undefined) {
              throw new BehaviourValidationError([
                { field: "group", message: "segment and group are exclusive (group overrides apply to every segment)" },
              ]);
            }
            setGroupBehaviour(group, patch as Partial<SegmentBehaviour>);
          } else {
            setBehaviour(patch as Partial<SegmentBehaviour>, segment);
          }
        } catch (error) {
          if (error instanceof BehaviourValidationError) return sendValidationError(res, error);
          throw error;
        }
        return sendJson(res, 200, behaviourDocument());
      }
      case "/version": {
        if (method !== "POST") return methodNotAllowed(res, "POST");
        const body = await readJson(req, res);
        if (body === undefined) return;
        const parsed = versionRequestSchema.safeParse(body);
        if (!parsed.success) return sendValidationError(res, new BehaviourValidationError(zodIssues(parsed.error, "")));
        setVersion(parsed.data.version);
        return sendJson(res, 200, { model, version });
      }
      default:
        return sendJson(res, 404, { error: `not found: ${pathname}` });
    }
  }

  server.listen(options.port ?? 0, "127.0.0.1");
  try {
    await Promise.race([
      once(server, "listening"),
      once(server, "error").then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    server.close();
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("model-server: unexpected server address");
  const port = address.port;

  last = performance.now();
  const timer = setInterval(tick, tickMs);
  timer.unref();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve, reject) => {
      clearInterval(timer);
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setBehaviour,
    setGroupBehaviour,
    setVersion,
    behaviour,
    close,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendValidationError(res: http.ServerResponse, error: BehaviourValidationError): void {
  sendJson(res, 400, { error: error.message, issues: error.issues });
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  sendJson(res, 405, { error: `method not allowed (allowed: ${allow})` });
}

/** Reads a JSON body; on failure answers 400/413 itself and returns undefined. */
async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      return undefined;
    }
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    sendJson(res, 400, { error: "body: invalid JSON" });
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Prometheus file-based service discovery

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function targetPath(targetsDir: string, name: string): string {
  if (!TARGET_NAME.test(name)) throw new Error(`target name "${name}" must match ${TARGET_NAME.source}`);
  return path.join(targetsDir, `${name}.json`);
}

/**
 * Writes <targetsDir>/<name>.json in file_sd format, atomically (temporary
 * file, not matching *.json, then rename). Returns the path.
 */
export async function writePrometheusTarget(
  targetsDir: string,
  name: string,
  port: number,
  labels: Record<string, string> = {},
): Promise<string> {
  const file = targetPath(targetsDir, name);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`port ${port} is not a valid TCP port`);
  await mkdir(targetsDir, { recursive: true });
  const tmp = path.join(targetsDir, `.${name}.json.${process.pid}.${Date.now()}.tmp`);
  const content = JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels }], null, 2) + "\n";
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return file;
}

/** Removes <targetsDir>/<name>.json; no error if it does not exist. */
export async function removePrometheusTarget(targetsDir: string, name: string): Promise<void> {
  await rm(targetPath(targetsDir, name), { force: true });
}

// ---------------------------------------------------------------------------
// helpers

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  const n = Math.round((to - from) / step);
  for (let i = 0; i <= n; i++) out.push(Number((from + i * step).toFixed(10)));
  return out;
}

function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function orthonormalize(v: number[], against: readonly number[]): number[] {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += (v[i] ?? 0) * (against[i] ?? 0);
  return normalize(v.map((x, i) => x - dot * (against[i] ?? 0)));
}
