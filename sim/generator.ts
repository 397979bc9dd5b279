// The simulated model's traffic: every tick, each segment (and fairness group) makes its
// share of predictions, drawn from its current behaviour, and the metrics count them. The
// behaviour can be patched while it runs; a new version label starts the series afresh.
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
  type ModelServerOptions,
  type SegmentBehaviour,
} from "./behaviour.ts";
import { EMBEDDING_DIMENSIONS, EMBEDDING_EMA_SECONDS, EMBEDDING_NOISE_SD, expectedEmbeddingCentroid } from "./embedding.ts";
import { buildLabels, createMetrics, type Metrics, type SegmentLabels } from "./metrics.ts";
import { Random } from "./random.ts";

/** A tick never generates more than this much traffic, however long the process slept. */
const MAX_TICK_SECONDS = 5;

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
  private tickErrorReported = false;

  /** `options` must have passed validateOptions. */
  constructor(options: ModelServerOptions, now: number) {
    this.model = options.model;
    this.currentVersion = options.version;
    this.segmentLabel = options.segmentLabel ?? "plant";
    this.random = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    for (const [name, override] of Object.entries(options.groups ?? {})) this.groupOverrides.set(name, copyPartial(override));
    this.hasGroups = this.groupOverrides.size > 0;
    this.groupNames = this.hasGroups ? [...this.groupOverrides.keys()] : [ALL_GROUPS];
    for (const [name, partial] of Object.entries(options.segments)) {
      this.segments.set(name, {
        name,
        behaviour: fillBehaviour(partial),
        cells: this.groupNames.map((group) => ({ group, carry: 0 })),
        centroid: expectedEmbeddingCentroid(fillBehaviour(partial).embeddingShift),
      });
    }
    this.metrics = createMetrics(this.registry, this.segmentLabel);
    this.initialiseSeries();
    this.last = now;
  }

  get version(): string {
    return this.currentVersion;
  }

  /** Generates the traffic since the last tick (`now` in ms, from a monotonic clock). */
  tick(now: number): void {
    const seconds = Math.min((now - this.last) / 1000, MAX_TICK_SECONDS);
    this.last = now;
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
  }

  setBehaviour(patch: Partial<SegmentBehaviour>, segment?: string): void {
    const parsed = parsePatch(patch, "patch");
    if (segment !== undefined) {
      const state = this.segments.get(segment);
      if (!state) {
        throw new BehaviourValidationError([
          { field: "segment", message: `unknown segment "${segment}" (known: ${[...this.segments.keys()].join(", ")})` },
        ]);
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
    return { model: this.model, version: this.currentVersion, segmentLabel: this.segmentLabel, segments: this.behaviour(), groups };
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

    for (const cell of segment.cells) {
      const b = this.effectiveBehaviour(segment, cell.group);
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
}
