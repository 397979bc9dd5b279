// The simulated model's traffic: every tick, each segment (and fairness group) makes its
// share of predictions, drawn from its current behaviour, and the metrics count them. In
// served mode the tick makes nothing and each predict() call (one HTTP request) draws exactly
// one prediction the same way. The behaviour can be patched while it runs; a new version
// label starts the series afresh.
import { Registry } from "prom-client";
import {
  ALL_GROUPS,
  applyPatch,
  BehaviourValidationError,
  CONFIDENCE_CONCENTRATION,
  copyBehaviour,
  copyPartial,
  FEATURES,
  FEEDBACK_SHARE,
  fillBehaviour,
  LATENCY_LOG_SD,
  parsePatch,
  REGRESSION_TARGET_MEAN,
  REGRESSION_TARGET_SD,
  versionRequestSchema,
  zodIssues,
  type FeatureName,
  type ModelServerOptions,
  type SegmentBehaviour,
  type TrafficMode,
} from "./behaviour.ts";
import { EMBEDDING_DIMENSIONS, EMBEDDING_EMA_SECONDS, EMBEDDING_NOISE_SD, expectedEmbeddingCentroid } from "./embedding.ts";
import { buildLabels, createMetrics, type Metrics, type SegmentLabels } from "./metrics.ts";
import { Random } from "./random.ts";

/** A tick never generates more than this much traffic, however long the process slept. */
const MAX_TICK_SECONDS = 5;

interface CellState {
  group: string;
  /** generated mode: fractional prediction carried over to the next tick */
  carry: number;
  /** served mode: smooth weighted round-robin credit */
  credit: number;
}

interface SegmentState {
  name: string;
  behaviour: SegmentBehaviour;
  cells: CellState[];
  centroid: number[];
  /** served mode: when the centroid's moving average last moved (ms, monotonic) */
  lastServedAt: number;
}

/** The values drawn for one prediction (served mode returns them to the client). */
export interface Prediction {
  /** fairness group, "all" when no groups are configured */
  group: string;
  outcome: "tp" | "fp" | "tn" | "fn";
  /** the actual class was positive */
  actual: boolean;
  /** the model predicted positive */
  predicted: boolean;
  confidence: number;
  /** P(positive) = 0.5 ± confidence/2 */
  score: number;
  latencySeconds: number;
  features: Record<FeatureName, number>;
  refusal: boolean;
  safetyFlag: boolean;
  /** user feedback score 1..5, given on 20 % of predictions */
  feedback: number | null;
  regression: { target: number; prediction: number };
  embedding: number[];
}

/** What served mode answers for one request. */
export interface ServedPrediction {
  model: string;
  version: string;
  segment: string;
  group: string;
  prediction: Omit<Prediction, "group">;
}

export class TrafficGenerator {
  readonly registry = new Registry();
  readonly model: string;
  private currentVersion: string;
  private readonly segmentLabel: string;
  private readonly random: Random;
  private readonly groupOverrides = new Map<string, Partial<SegmentBehaviour>>();
  private readonly hasGroups: boolean;
  private readonly groupNames: string[];
  private readonly segments = new Map<string, SegmentState>();
  private readonly metrics: Metrics;
  private labels = new Map<string, SegmentLabels>();
  private last: number;
  /** served mode: next segment of the round-robin when a request names none */
  private nextSegment = 0;
  readonly traffic: TrafficMode;
  readonly serveLatencyScale: number;
  private tickErrorReported = false;

  /** `options` must have passed validateOptions. */
  constructor(options: ModelServerOptions, now: number) {
    this.model = options.model;
    this.currentVersion = options.version;
    this.segmentLabel = options.segmentLabel ?? "plant";
    this.traffic = options.traffic ?? "generated";
    this.serveLatencyScale = options.serveLatencyScale ?? 0;
    this.random = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    for (const [name, override] of Object.entries(options.groups ?? {})) this.groupOverrides.set(name, copyPartial(override));
    this.hasGroups = this.groupOverrides.size > 0;
    this.groupNames = this.hasGroups ? [...this.groupOverrides.keys()] : [ALL_GROUPS];
    for (const [name, partial] of Object.entries(options.segments)) {
      this.segments.set(name, {
        name,
        behaviour: fillBehaviour(partial),
        cells: this.groupNames.map((group) => ({ group, carry: 0, credit: 0 })),
        centroid: expectedEmbeddingCentroid(fillBehaviour(partial).embeddingShift),
        lastServedAt: now,
      });
    }
    this.metrics = createMetrics(this.registry, this.segmentLabel);
    this.initialiseSeries();
    this.last = now;
  }

  get version(): string {
    return this.currentVersion;
  }

  /** Generates the traffic since the last tick (`now` in ms, from a monotonic clock). In served mode it does nothing. */
  tick(now: number): void {
    const seconds = Math.min((now - this.last) / 1000, MAX_TICK_SECONDS);
    this.last = now;
    if (this.traffic === "served") return;
    try {
      for (const segment of this.segments.values()) this.generateSegment(segment, seconds);
    } catch (error) {
      if (!this.tickErrorReported) {
        this.tickErrorReported = true;
        console.error("model-server: generation tick failed", error);
      }
    }
  }

  /** Starts counting time from now, generating nothing for the time before. */
  restartClock(now: number): void {
    this.last = now;
    for (const segment of this.segments.values()) segment.lastServedAt = now;
  }

  /**
   * Draws exactly one prediction, from the current behaviour of `segment` (default: the next
   * segment in round-robin order) and `group` (default: the groups in proportion to their
   * `requestsPerSecond`, equally when those are all 0), and counts it in every metric as a
   * generated prediction would be. `now` (ms, monotonic) advances the embedding centroid's
   * moving average. Throws BehaviourValidationError on an unknown segment or group. Works in
   * either traffic mode; the server only calls it in served mode.
   */
  predict(request: { segment?: string | undefined; group?: string | undefined }, now: number): ServedPrediction {
    let segment: SegmentState | undefined;
    if (request.segment !== undefined) {
      segment = this.segments.get(request.segment);
      if (!segment) {
        throw new BehaviourValidationError([
          { field: "segment", message: `unknown segment "${request.segment}" (known: ${[...this.segments.keys()].join(", ")})` },
        ]);
      }
    } else {
      const all = [...this.segments.values()];
      segment = all[this.nextSegment % all.length]!;
      this.nextSegment = (this.nextSegment + 1) % all.length;
    }

    let cellIndex: number;
    if (request.group !== undefined) {
      cellIndex = this.hasGroups ? segment.cells.findIndex((cell) => cell.group === request.group) : -1;
      if (cellIndex < 0) {
        const known = this.hasGroups ? this.groupNames.join(", ") : "none: no groups configured";
        throw new BehaviourValidationError([{ field: "group", message: `unknown group "${request.group}" (known: ${known})` }]);
      }
    } else {
      cellIndex = this.pickCell(segment);
    }

    const counts = segment.cells.map((_, i) => (i === cellIndex ? 1 : 0));
    const seconds = Math.max(0, (now - segment.lastServedAt) / 1000);
    segment.lastServedAt = now;
    const out: Prediction = {
      group: "",
      outcome: "tn",
      actual: false,
      predicted: false,
      confidence: 0,
      score: 0,
      latencySeconds: 0,
      features: { age: 0, income: 0, tenure: 0 },
      refusal: false,
      safetyFlag: false,
      feedback: null,
      regression: { target: 0, prediction: 0 },
      embedding: [],
    };
    this.emit(segment, counts, seconds, out);
    const { group, ...prediction } = out;
    return { model: this.model, version: this.currentVersion, segment: segment.name, group, prediction };
  }

  /** Smooth weighted round-robin over the segment's groups, weighted by their requestsPerSecond. */
  private pickCell(segment: SegmentState): number {
    const cells = segment.cells;
    if (cells.length === 1) return 0;
    let weights = cells.map((cell) => this.effectiveBehaviour(segment, cell.group).requestsPerSecond);
    let sum = weights.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) {
      weights = cells.map(() => 1);
      sum = cells.length;
    }
    let best = 0;
    for (let i = 0; i < cells.length; i++) {
      cells[i]!.credit += weights[i]!;
      if (cells[i]!.credit > cells[best]!.credit) best = i;
    }
    cells[best]!.credit -= sum;
    return best;
  }

  setBehaviour(patch: Partial<SegmentBehaviour>, segment?: string): void {
    const parsed = parsePatch(patch, "patch");
    if (segment !== undefined) {
      const state = this.segments.get(segment);
      if (!state) {
        throw new BehaviourValidationError([{ field: "segment", message: `unknown segment "${segment}" (known: ${[...this.segments.keys()].join(", ")})` }]);
      }
      applyPatch(state.behaviour, parsed);
      return;
    }
    for (const state of this.segments.values()) applyPatch(state.behaviour, parsed);
  }

  setGroupBehaviour(group: string, patch: Partial<SegmentBehaviour>): void {
    const parsed = parsePatch(patch, "patch");
    const override = this.groupOverrides.get(group);
    if (!override) {
      const known = this.hasGroups ? [...this.groupOverrides.keys()].join(", ") : "none: no groups configured";
      throw new BehaviourValidationError([{ field: "group", message: `unknown group "${group}" (known: ${known})` }]);
    }
    const { featureShift, ...rest } = parsed;
    Object.assign(override, rest);
    if (featureShift) override.featureShift = { ...override.featureShift, ...featureShift };
  }

  setVersion(next: string): void {
    const result = versionRequestSchema.safeParse({ version: next });
    if (!result.success) throw new BehaviourValidationError(zodIssues(result.error, ""));
    if (next === this.currentVersion) return;
    this.currentVersion = next;
    this.registry.resetMetrics();
    this.initialiseSeries();
  }

  behaviour(): Record<string, SegmentBehaviour> {
    const out: Record<string, SegmentBehaviour> = {};
    for (const [name, state] of this.segments) out[name] = copyBehaviour(state.behaviour);
    return out;
  }

  /** Everything the server's GET /behaviour shows. */
  document(): unknown {
    const groups: Record<string, Partial<SegmentBehaviour>> = {};
    for (const [name, override] of this.groupOverrides) groups[name] = copyPartial(override);
    return {
      model: this.model,
      version: this.currentVersion,
      segmentLabel: this.segmentLabel,
      traffic: this.traffic,
      serveLatencyScale: this.serveLatencyScale,
      segments: this.behaviour(),
      groups,
    };
  }

  /** (Re)build label objects and create every series at zero so all families and label sets exist from the first scrape. */
  private initialiseSeries(): void {
    const metrics = this.metrics;
    this.labels = new Map();
    for (const segment of this.segments.values()) {
      const l = buildLabels(this.model, this.currentVersion, this.segmentLabel, segment.name, this.groupNames);
      this.labels.set(segment.name, l);
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

  private effectiveBehaviour(segment: SegmentState, group: string): SegmentBehaviour {
    if (!this.hasGroups) return segment.behaviour;
    const override = this.groupOverrides.get(group) ?? {};
    return {
      ...segment.behaviour,
      ...override,
      requestsPerSecond: override.requestsPerSecond ?? segment.behaviour.requestsPerSecond / this.groupOverrides.size,
      featureShift: { ...segment.behaviour.featureShift, ...override.featureShift },
    };
  }

  private generateSegment(segment: SegmentState, seconds: number): void {
    const counts = segment.cells.map((cell) => {
      cell.carry += this.effectiveBehaviour(segment, cell.group).requestsPerSecond * seconds;
      const n = Math.floor(cell.carry);
      cell.carry -= n;
      return n;
    });
    this.emit(segment, counts, seconds, undefined);
  }

  /**
   * Draws `counts[i]` predictions for cell i from its current behaviour and counts them. The
   * centroid's moving average advances by `seconds`. With `out`, the values of the last draw are
   * written there (served mode draws one prediction at a time).
   */
  private emit(segment: SegmentState, counts: readonly number[], seconds: number, out: Prediction | undefined): void {
    const { metrics, random } = this;
    const l = this.labels.get(segment.name);
    if (!l) return;
    let refusals = 0;
    let responses = 0;
    let flags = 0;
    let absError = 0;
    let squaredError = 0;
    let targetSum = 0;
    let targetSquaredSum = 0;
    const embeddingSum = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);

    for (let c = 0; c < segment.cells.length; c++) {
      const cell = segment.cells[c]!;
      const n = counts[c] ?? 0;
      if (n === 0) continue;
      const b = this.effectiveBehaviour(segment, cell.group);

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
        const score = predictedPositive ? 0.5 + 0.5 * confidence : 0.5 - 0.5 * confidence;
        const latency = Math.exp(logMean + LATENCY_LOG_SD * random.normal());
        metrics.confidence.observe(l.base, confidence);
        metrics.score.observe(l.base, score);
        metrics.latency.observe(l.base, latency);
        for (let f = 0; f < shifts.length; f++) {
          const value = (shifts[f] ?? 0) + random.normal();
          metrics.feature.observe(l.feature[f]!, value);
          if (out) out.features[FEATURES[f]!] = value;
        }

        const refusal = random.next() < b.refusalRate;
        const flagged = random.next() < b.toxicityRate;
        if (refusal) refusals++;
        if (flagged) flags++;
        let feedback: number | null = null;
        if (random.next() < FEEDBACK_SHARE) {
          let rating = 1;
          for (let k = 0; k < 4; k++) if (random.next() < feedbackP) rating++;
          metrics.feedback.observe(l.base, rating);
          feedback = rating;
        }

        const target = REGRESSION_TARGET_MEAN + REGRESSION_TARGET_SD * random.normal();
        const error = b.regressionErrorSd * random.normal();
        absError += Math.abs(error);
        squaredError += error * error;
        targetSum += target;
        targetSquaredSum += target * target;

        if (out) {
          out.group = cell.group;
          out.outcome = actualPositive ? (correct ? "tp" : "fn") : correct ? "tn" : "fp";
          out.actual = actualPositive;
          out.predicted = predictedPositive;
          out.confidence = confidence;
          out.score = score;
          out.latencySeconds = latency;
          out.refusal = refusal;
          out.safetyFlag = flagged;
          out.feedback = feedback;
          out.regression = { target, prediction: target + error };
        }
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
    if (out) out.embedding = embeddingSum.map((x) => x / responses);
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
}
