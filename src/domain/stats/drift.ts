// Drift decisions: one feature, then a set of features with multiple-testing correction.
//
// Soundness rule: a finding (severity other than "none") needs the effect size to reach its
// threshold AND p < alpha (after the multiple-testing correction over features), for every method.
// ks uses its own Kolmogorov–Smirnov p-value; chi2 and the distance methods (psi, kl, js,
// hellinger, wasserstein) use the chi-square test of homogeneity on the same two count vectors,
// pooled to expected counts >= 5. The effect-size gate keeps huge windows, where every p-value is
// tiny, from raising false alarms; the significance gate keeps small windows, where effect sizes
// are inflated by sampling noise, quiet, so the false-alarm rate stays at or below alpha.
//
// The noise gate (optional noiseLevel): a monitor evaluates every minute over sliding windows, so
// a per-evaluation alpha of 0.05 still gives dozens of false findings a day in small windows. The
// operator passes noiseLevelForInterval(interval), which spends a budget of false findings per
// 30 days over the evaluations in them; a finding then needs p < min(alpha, noiseLevel).
import { validateHistogram, sameLayout, type Histogram } from "./histogram.ts";
import { DEFAULT_EPSILON, hellingerDistance, jensenShannonDistance, klDivergence, psi, wassersteinDistance } from "./divergence.ts";
import { chiSquareTest, ksTest, poolAdjacentBins } from "./hypothesis.ts";
import { severityRank, tierOf } from "./severity.ts";
import { fail, fmt, ok, type Result } from "./result.ts";

export const DRIFT_METHODS = ["psi", "kl", "js", "hellinger", "wasserstein", "ks", "chi2"] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

export type DriftSeverity = "none" | "warning" | "critical";

export interface DriftThresholds {
  warning?: number;
  critical?: number;
}

/**
 * Default thresholds on each method's score (see docs/statistics.md): psi 0.1/0.25, kl 0.1/0.2,
 * js 0.1/0.15, hellinger 0.1/0.2, wasserstein (normalised by the reference sd) 0.1/0.25,
 * ks (D) 0.1/0.2, chi2 (Cramér's V) 0.1/0.2; every method also needs p < alpha.
 */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<Record<DriftMethod, Readonly<{ warning: number; critical: number }>>> = Object.freeze({
  psi: Object.freeze({ warning: 0.1, critical: 0.25 }),
  kl: Object.freeze({ warning: 0.1, critical: 0.2 }),
  js: Object.freeze({ warning: 0.1, critical: 0.15 }),
  hellinger: Object.freeze({ warning: 0.1, critical: 0.2 }),
  wasserstein: Object.freeze({ warning: 0.1, critical: 0.25 }),
  ks: Object.freeze({ warning: 0.1, critical: 0.2 }),
  chi2: Object.freeze({ warning: 0.1, critical: 0.2 }),
});

export const DEFAULT_ALPHA = 0.05;
/** The chi-square significance test pools adjacent buckets until every expected count reaches this. */
export const CHI2_MIN_EXPECTED = 5;
export const DEFAULT_DATASET_DRIFT_SHARE = 0.5;

/**
 * Stationary data may raise at most this many drift findings per 30 days and drift check: the
 * budget the noise gate spends evenly over the evaluations of 30 days (see noiseLevelForInterval).
 * It bounds evaluations that pass the gate, so it also bounds episodes (a finding raised and later
 * cleared), which cannot be more than those evaluations.
 */
export const FALSE_FINDINGS_PER_30_DAYS = 0.05;
const THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000;

/**
 * The per-evaluation significance level of the noise gate for a monitor evaluated every
 * intervalMs: FALSE_FINDINGS_PER_30_DAYS × intervalMs / 30 days (≈ 1.16e-6 at one evaluation a
 * minute), at most 1. Intervals below a second count as a second (the operator's floor).
 */
export function noiseLevelForInterval(intervalMs: number): number {
  const interval = Number.isFinite(intervalMs) ? Math.max(intervalMs, 1000) : 1000;
  return Math.min((FALSE_FINDINGS_PER_30_DAYS * interval) / THIRTY_DAYS_MS, 1);
}

/** The test that gives a method's p-value: "ks" for ks, "chi2" (pooled chi-square) for the others. */
export type SignificanceTest = "chi2" | "ks";

/** The significance test behind each method's p-value. */
export const significanceTestOf = (method: DriftMethod): SignificanceTest => (method === "ks" ? "ks" : "chi2");

/**
 * Whether a method's Value result carries a p-value and its finding needs p < alpha. True for every
 * method: the distance methods take theirs from the pooled chi-square test (see significanceTestOf).
 */
export const hasPValue = (method: DriftMethod): boolean => (DRIFT_METHODS as readonly string[]).includes(method);

export interface FeatureDriftInput {
  reference: Histogram;
  current: Histogram;
  method: DriftMethod;
  /** Defaults to DEFAULT_DRIFT_THRESHOLDS[method]; a level left out is never reached. */
  thresholds?: DriftThresholds;
  /** For psi and kl; default 1e-4. */
  epsilon?: number;
  /** Either window with fewer observations (and any empty window) is InsufficientData. */
  minSamples: number;
  /** Significance level for every method; default 0.05. */
  alpha?: number;
  /**
   * The noise gate's level per evaluation (noiseLevelForInterval); the p-value is compared with
   * min(alpha, noiseLevel). Default 1: no gate beyond alpha.
   */
  noiseLevel?: number;
}

export type FeatureDriftResult =
  | {
      state: "Value";
      /** The effect size compared with the thresholds: the distance, KS D, or Cramér's V for chi2. */
      score: number;
      /** The p-value of the significance test (see significanceTest). */
      pValue: number;
      /** Where pValue comes from: the KS test for ks; the pooled chi-square test for all other methods. */
      significanceTest: SignificanceTest;
      /** The pooled chi-square statistic χ², when significanceTest is chi2 (for ks the statistic is the score D). */
      statistic?: number;
      /** Degrees of freedom of the pooled chi-square test, when significanceTest is chi2. */
      dof?: number;
      /** The significance level the p-value was compared with: min(alpha, noiseLevel), after correction. */
      alpha: number;
      severity: DriftSeverity;
      referenceSamples: number;
      currentSamples: number;
    }
  | { state: "InsufficientData"; reason: string; referenceSamples: number; currentSamples: number }
  | { state: "Error"; reason: string };

/** The severity for an effect size, given thresholds and whether p < alpha. */
export function severityOf(score: number, thresholds: DriftThresholds, significant = true): DriftSeverity {
  if (!significant || Number.isNaN(score)) return "none";
  // the one edge convention of every rule and method (domain/severity.ts): strictly beyond
  return tierOf(score, thresholds)?.severity ?? "none";
}

// ---------------------------------------------------------------------------------- validation

interface Config {
  method: DriftMethod;
  thresholds: DriftThresholds;
  epsilon: number;
  minSamples: number;
  alpha: number;
  /** min(alpha, noiseLevel): the level before correction. */
  level: number;
}

function readConfig(input: {
  method: unknown;
  thresholds?: DriftThresholds | undefined;
  epsilon?: number | undefined;
  minSamples: number;
  alpha?: number | undefined;
  noiseLevel?: number | undefined;
}): Result<Config> {
  const method = input.method;
  if (typeof method !== "string" || !(DRIFT_METHODS as readonly string[]).includes(method))
    return fail(`the drift method ${JSON.stringify(method)} is unknown; expected one of ${DRIFT_METHODS.join(", ")}`);
  const m = method as DriftMethod;
  const thresholds = input.thresholds ?? DEFAULT_DRIFT_THRESHOLDS[m];
  for (const level of ["warning", "critical"] as const) {
    const t = thresholds[level];
    if (t === undefined) continue;
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0) return fail(`the ${level} threshold (${fmt(t as number)}) must be a finite non-negative number`);
  }
  const epsilon = input.epsilon ?? DEFAULT_EPSILON;
  if (typeof epsilon !== "number" || !(epsilon > 0 && epsilon < 1)) return fail(`epsilon (${fmt(epsilon)}) must be a number strictly between 0 and 1`);
  const alpha = input.alpha ?? DEFAULT_ALPHA;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) return fail(`alpha (${fmt(alpha)}) must be a number strictly between 0 and 1`);
  const noiseLevel = input.noiseLevel ?? 1;
  if (typeof noiseLevel !== "number" || !(noiseLevel > 0 && noiseLevel <= 1)) return fail(`noiseLevel (${fmt(noiseLevel)}) must be a number in (0, 1]`);
  const minSamples = input.minSamples;
  if (typeof minSamples !== "number" || Number.isNaN(minSamples) || minSamples < 0)
    return fail(`minSamples (${fmt(minSamples)}) must be a non-negative number`);
  return ok({ method: m, thresholds, epsilon, minSamples, alpha, level: Math.min(alpha, noiseLevel) });
}

// ---------------------------------------------------------------------------------- measuring

type Measured =
  | {
      state: "Measured";
      score: number;
      pValue: number;
      significanceTest: SignificanceTest;
      statistic?: number;
      dof?: number;
      referenceSamples: number;
      currentSamples: number;
    }
  | { state: "InsufficientData"; reason: string; referenceSamples: number; currentSamples: number }
  | { state: "Error"; reason: string };

function measure(reference: Histogram, current: Histogram, cfg: Config): Measured {
  const rv = validateHistogram(reference, "reference");
  if (!rv.ok) return { state: "Error", reason: rv.reason };
  const cv = validateHistogram(current, "current");
  if (!cv.ok) return { state: "Error", reason: cv.reason };
  const layout = sameLayout(reference, current);
  if (!layout.ok) return { state: "Error", reason: layout.reason };
  const referenceSamples = rv.value;
  const currentSamples = cv.value;
  const needed = Math.max(cfg.minSamples, 1);
  const short: string[] = [];
  if (referenceSamples < needed) short.push(`the reference window has ${fmtCount(referenceSamples)} observations`);
  if (currentSamples < needed) short.push(`the current window has ${fmtCount(currentSamples)} observations`);
  if (short.length > 0)
    return {
      state: "InsufficientData",
      reason: `${capitalise(short.join(" and "))}, fewer than the ${fmtCount(needed)} required (minSamples).`,
      referenceSamples,
      currentSamples,
    };
  if (cfg.method === "ks") {
    const t = ksTest(reference, current);
    if (!t.ok) return { state: "Error", reason: t.reason };
    return { state: "Measured", score: t.value.statistic, pValue: t.value.pValue, significanceTest: "ks", referenceSamples, currentSamples };
  }
  // A distance's score comes first, so that data the method cannot score is an Error even in
  // windows too small for the significance test.
  let distance: number | undefined;
  if (cfg.method !== "chi2") {
    const d = distanceScore(cfg.method, reference, current, cfg.epsilon);
    if (!d.ok) return { state: "Error", reason: d.reason };
    distance = d.value;
  }
  // The significance evidence for chi2 and the distance methods: the chi-square test of
  // homogeneity on the same two count vectors. Its p-value is only trustworthy with expected counts
  // of at least 5, so sparse adjacent buckets are pooled first. When the observations sit in more
  // than one bucket but cannot fill two groups, the windows are too small for any decision.
  const pooled = poolAdjacentBins(reference, current, CHI2_MIN_EXPECTED);
  if (!pooled.ok) return { state: "Error", reason: pooled.reason };
  const occupied = reference.bins.filter((b, i) => b.count + (current.bins[i] as { count: number }).count > 0).length;
  if (pooled.value.reference.length < 2 && occupied > 1)
    return {
      state: "InsufficientData",
      reason: `Too few observations for the chi-square test: ${fmtCount(referenceSamples)} and ${fmtCount(currentSamples)} observations cannot fill two groups of adjacent buckets with expected counts of at least ${CHI2_MIN_EXPECTED}.`,
      referenceSamples,
      currentSamples,
    };
  const t = chiSquareTest(pooled.value.reference, pooled.value.current);
  if (!t.ok) return { state: "Error", reason: t.reason };
  return {
    state: "Measured",
    score: distance ?? t.value.cramersV,
    pValue: t.value.pValue,
    significanceTest: "chi2",
    statistic: t.value.statistic,
    dof: t.value.dof,
    referenceSamples,
    currentSamples,
  };
}

type DistanceMethod = Exclude<DriftMethod, "ks" | "chi2">;

function distanceScore(method: DistanceMethod, reference: Histogram, current: Histogram, epsilon: number): Result<number> {
  switch (method) {
    case "psi":
      return psi(reference, current, { epsilon });
    case "kl":
      return klDivergence(reference, current, { epsilon });
    case "js":
      return jensenShannonDistance(reference, current);
    case "hellinger":
      return hellingerDistance(reference, current);
    case "wasserstein": {
      const w = wassersteinDistance(reference, current);
      return w.ok ? ok(w.value.normalized) : w;
    }
  }
}

function fmtCount(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function classify(m: Measured, cfg: Config, alpha: number, significant: boolean): FeatureDriftResult {
  if (m.state !== "Measured") return m;
  const result: FeatureDriftResult = {
    state: "Value",
    score: m.score,
    pValue: m.pValue,
    significanceTest: m.significanceTest,
    alpha,
    severity: severityOf(m.score, cfg.thresholds, significant),
    referenceSamples: m.referenceSamples,
    currentSamples: m.currentSamples,
  };
  if (m.statistic !== undefined) result.statistic = m.statistic;
  if (m.dof !== undefined) result.dof = m.dof;
  return result;
}

// ---------------------------------------------------------------------------------- one feature

/**
 * Drift of one feature between a reference and a current window with the same bucket layout.
 * Value: the score, the p-value with the test it came from, and a severity that needs the score to
 * reach its threshold and p < alpha. InsufficientData: a window below minSamples, or (every method
 * but ks) too few observations for two pooled groups of the chi-square test.
 * Error: invalid data or configuration, with the reason.
 */
export function evaluateFeatureDrift(input: FeatureDriftInput): FeatureDriftResult {
  const cfg = readConfig(input);
  if (!cfg.ok) return { state: "Error", reason: cfg.reason };
  const m = measure(input.reference, input.current, cfg.value);
  const significant = m.state === "Measured" && m.pValue < cfg.value.level;
  return classify(m, cfg.value, cfg.value.level, significant);
}

// ---------------------------------------------------------------------------------- many features

export const CORRECTIONS = ["bonferroni", "holm", "none"] as const;
export type Correction = (typeof CORRECTIONS)[number];

export interface DatasetDriftInput {
  features: Record<string, { reference: Histogram; current: Histogram }>;
  method: DriftMethod;
  thresholds?: DriftThresholds;
  epsilon?: number;
  minSamples: number;
  /** Family-wise significance level before correction, for every method; default 0.05. */
  alpha?: number;
  /** The noise gate's family-wise level per evaluation; the features share min(alpha, noiseLevel). Default 1. */
  noiseLevel?: number;
  /** Multiple-testing correction over the features that were tested; default bonferroni. */
  correction?: Correction;
  /** Dataset drift when at least this share of tested features drifted; default 0.5. */
  datasetDriftShare?: number;
}

export interface DatasetDriftReport {
  method: DriftMethod;
  correction: Correction;
  alpha: number;
  features: Record<string, FeatureDriftResult>;
  /** Names of the features with severity other than none, sorted. */
  driftedFeatures: string[];
  /** Features that had a value (neither InsufficientData nor Error). */
  testedFeatures: number;
  /** driftedFeatures / testedFeatures; 0 when nothing was tested. */
  driftedShare: number;
  /** At least one drifted feature and driftedShare ≥ datasetDriftShare. */
  datasetDrift: boolean;
  worstSeverity: DriftSeverity;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Drift over several features with one method. For every method the significance level is corrected
 * over the m features that were tested: Bonferroni compares each p-value with alpha/m; Holm sorts
 * the p-values and compares the i-th smallest (from 0) with alpha/(m − i), stopping at the first
 * that is not below. Effect-size thresholds apply as for one feature.
 */
export function evaluateDatasetDrift(input: DatasetDriftInput): Result<DatasetDriftReport> {
  const cfgR = readConfig(input);
  if (!cfgR.ok) return cfgR;
  const cfg = cfgR.value;
  const correction = input.correction ?? "bonferroni";
  if (!(CORRECTIONS as readonly string[]).includes(correction))
    return fail(`the correction ${JSON.stringify(correction)} is unknown; expected one of ${CORRECTIONS.join(", ")}`);
  const share = input.datasetDriftShare ?? DEFAULT_DATASET_DRIFT_SHARE;
  if (typeof share !== "number" || !(share >= 0 && share <= 1)) return fail(`datasetDriftShare (${fmt(share)}) must be a number between 0 and 1`);
  if (!input.features || typeof input.features !== "object") return fail("the features are missing");

  const names = Object.keys(input.features).sort(byName);
  const measured = new Map<string, Measured>();
  for (const name of names) {
    const f = input.features[name];
    if (!f || typeof f !== "object") {
      measured.set(name, { state: "Error", reason: `the feature ${JSON.stringify(name)} has no reference and current histograms` });
      continue;
    }
    measured.set(name, measure(f.reference, f.current, cfg));
  }

  const tested = names.filter((n) => measured.get(n)?.state === "Measured");
  const m = tested.length;
  const levels = new Map<string, { alpha: number; significant: boolean }>();
  const pOf = (n: string): number => {
    const x = measured.get(n);
    return x?.state === "Measured" ? x.pValue : 1;
  };
  if (correction === "holm") {
    const order = [...tested].sort((a, b) => pOf(a) - pOf(b) || byName(a, b));
    let rejecting = true;
    order.forEach((n, i) => {
      const level = cfg.level / (m - i);
      rejecting = rejecting && pOf(n) < level;
      levels.set(n, { alpha: level, significant: rejecting });
    });
  } else {
    const level = correction === "bonferroni" ? cfg.level / Math.max(m, 1) : cfg.level;
    for (const n of tested) levels.set(n, { alpha: level, significant: pOf(n) < level });
  }

  const features: Record<string, FeatureDriftResult> = {};
  const drifted: string[] = [];
  let worst: DriftSeverity = "none";
  for (const name of names) {
    const level = levels.get(name) ?? { alpha: cfg.level, significant: false };
    const r = classify(measured.get(name) as Measured, cfg, level.alpha, level.significant);
    Object.defineProperty(features, name, { value: r, enumerable: true, writable: true, configurable: true });
    if (r.state === "Value" && r.severity !== "none") {
      drifted.push(name);
      if (severityRank(r.severity) > severityRank(worst)) worst = r.severity;
    }
  }
  const driftedShare = m === 0 ? 0 : drifted.length / m;
  return ok({
    method: cfg.method,
    correction,
    alpha: cfg.alpha,
    features,
    driftedFeatures: drifted,
    testedFeatures: m,
    driftedShare,
    datasetDrift: drifted.length > 0 && driftedShare >= share,
    worstSeverity: worst,
  });
}
