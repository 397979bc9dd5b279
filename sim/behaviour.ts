// The simulated model server's configuration: the behaviour of a segment (accuracy, latency,
// drift...), its defaults and bounds, the options of a server, and their validation with
// messages that name the field.
import { z } from "zod";

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
  /**
   * "generated" (default): every tick each segment generates `requestsPerSecond` predictions per
   * second by itself. "served": the tick generates nothing; each request to /predict makes exactly
   * one prediction (and `requestsPerSecond` only weighs the fairness groups against each other).
   */
  traffic?: TrafficMode;
  /** served mode: a /predict response waits for its drawn latency times this factor (default 0 = at once) */
  serveLatencyScale?: number;
}

export const TRAFFIC_MODES = ["generated", "served"] as const;
export type TrafficMode = (typeof TRAFFIC_MODES)[number];

/** A served response never waits longer than this, whatever the drawn latency and scale. */
export const MAX_SERVE_WAIT_SECONDS = 60;

export const FEATURES = ["age", "income", "tenure"] as const;
export type FeatureName = (typeof FEATURES)[number];

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

/** Concentration of the beta distribution of confidences, and the sigma of log latency. */
export const CONFIDENCE_CONCENTRATION = 20;
export const LATENCY_LOG_SD = 0.5;
export const RESERVED_LABELS = new Set(["model", "version", "group", "outcome", "feature", "dim", "refusal", "le", "quantile"]);

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

export const behaviourRequestSchema = z
  .object({
    segment: z.string().min(1).optional(),
    group: z.string().min(1).optional(),
    patch: behaviourPatchSchema,
  })
  .strict();

export const versionRequestSchema = z.object({ version: z.string().min(1).max(200) }).strict();

/** Error whose message names the offending field(s); HTTP handlers turn it into a 400. */
export class BehaviourValidationError extends Error {
  readonly issues: { field: string; message: string }[];
  constructor(issues: { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join("; "));
    this.name = "BehaviourValidationError";
    this.issues = issues;
  }
}

export function zodIssues(error: z.ZodError, prefix: string): { field: string; message: string }[] {
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

export function parsePatch(patch: unknown, prefix: string): Partial<SegmentBehaviour> {
  const result = behaviourPatchSchema.safeParse(patch);
  if (!result.success) throw new BehaviourValidationError(zodIssues(result.error, prefix));
  return result.data as Partial<SegmentBehaviour>;
}

export function fillBehaviour(partial: Partial<SegmentBehaviour>): SegmentBehaviour {
  return {
    ...DEFAULT_BEHAVIOUR,
    ...partial,
    featureShift: { ...DEFAULT_BEHAVIOUR.featureShift, ...partial.featureShift },
  };
}

export function applyPatch(target: SegmentBehaviour, patch: Partial<SegmentBehaviour>): void {
  const { featureShift, ...rest } = patch;
  Object.assign(target, rest);
  if (featureShift) target.featureShift = { ...target.featureShift, ...featureShift };
}

export function copyBehaviour(b: SegmentBehaviour): SegmentBehaviour {
  return { ...b, featureShift: { ...b.featureShift } };
}

export function copyPartial(b: Partial<SegmentBehaviour>): Partial<SegmentBehaviour> {
  return b.featureShift ? { ...b, featureShift: { ...b.featureShift } } : { ...b };
}

export function validateOptions(options: ModelServerOptions): void {
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
  if (options.traffic !== undefined && !(TRAFFIC_MODES as readonly string[]).includes(options.traffic)) {
    throw new Error(`traffic: must be one of ${TRAFFIC_MODES.join(", ")}`);
  }
  const scale = options.serveLatencyScale;
  if (scale !== undefined && (typeof scale !== "number" || !Number.isFinite(scale) || scale < 0 || scale > 100)) {
    throw new Error("serveLatencyScale: must be in 0..100");
  }
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  const n = Math.round((to - from) / step);
  for (let i = 0; i <= n; i++) out.push(Number((from + i * step).toFixed(10)));
  return out;
}
