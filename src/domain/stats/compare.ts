// Canary statistics: compare a candidate model version with the stable one. Every difference is
// candidate − stable, and the alternative says which direction is tested, because "worse" is up
// for error rates and latencies and down for accuracy. See docs/statistics.md.
import { leLabel, representativePoints, upperBounds, validateHistogram, type Bin, type Histogram } from "./histogram.ts";
import { fail, fmt, ok, type Result } from "./result.ts";
import { normalSurvival, studentTSurvival } from "./special.ts";

/** "greater" tests candidate > stable, "less" candidate < stable, "two-sided" either. */
export type Alternative = "two-sided" | "greater" | "less";
export const ALTERNATIVES: readonly Alternative[] = ["two-sided", "greater", "less"];

/** Successes out of trials (errors out of requests, say); counts need not be integers. */
export interface ProportionSample {
  successes: number;
  trials: number;
}

export interface TwoProportionResult {
  stableRate: number;
  candidateRate: number;
  /** candidateRate − stableRate. */
  difference: number;
  z: number;
  pValue: number;
}

/** Summary statistics of one version: `variance` is the sample variance (divisor n − 1). */
export interface MeanSample {
  mean: number;
  variance: number;
  n: number;
}

export interface WelchResult {
  /** candidate mean − stable mean. */
  difference: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  pValue: number;
}

/** The +Inf bucket may hold at most this share of the observations before momentsFromBins refuses. */
export const DEFAULT_MAX_INF_BUCKET_SHARE = 0.01;

export interface MomentsOptions {
  /** The exact sum of the observations (`<metric>_sum`); its mean sum/n replaces the bucket mean. */
  sum?: number;
  /** Refuse when the +Inf bucket holds more than this share (default 0.01). */
  maxInfBucketShare?: number;
}

const isFiniteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

function checkAlternative(alternative: Alternative): string | undefined {
  return ALTERNATIVES.includes(alternative)
    ? undefined
    : `the alternative "${String(alternative)}" is not one of ${ALTERNATIVES.map((a) => `"${a}"`).join(", ")}`;
}

/** The p-value of a statistic whose null distribution is symmetric with survival function `sf`. */
function pValueOf(statistic: number, alternative: Alternative, sf: (x: number) => Result<number>): Result<number> {
  if (alternative === "greater") return sf(statistic);
  if (alternative === "less") return sf(-statistic);
  const tail = sf(Math.abs(statistic));
  return tail.ok ? ok(Math.min(1, 2 * tail.value)) : tail;
}

/** Why a rate sample cannot be tested, naming its side; shared with the tests against a margin. */
export function proportionProblem(x: ProportionSample, side: string): string | undefined {
  if (!x || typeof x !== "object") return `the ${side} version has no successes and trials`;
  const { successes, trials } = x;
  if (!isFiniteNumber(trials)) return `the ${side} version has ${fmt(Number(trials))} trials; trials must be a finite number`;
  if (!(trials > 0)) return `the ${side} version has ${fmt(trials)} trials; a rate needs at least one trial`;
  if (!isFiniteNumber(successes)) return `the ${side} version has ${fmt(Number(successes))} successes; successes must be a finite number`;
  if (successes < 0 || successes > trials)
    return `the ${side} version has ${fmt(successes)} successes out of ${fmt(trials)} trials; successes must be between 0 and the trials`;
  return undefined;
}

/**
 * Two-proportion z-test with the pooled rate under the null hypothesis (the standard test, as
 * statsmodels' proportions_ztest): z = (p_c − p_s) / sqrt(p̂(1 − p̂)(1/n_s + 1/n_c)) with
 * p̂ = (x_s + x_c)/(n_s + n_c). When p̂ is 0 or 1 both rates are equal and there is no variance:
 * the answer is z = 0 and p = 1 for every alternative (no evidence of any difference).
 */
export function twoProportionTest(stable: ProportionSample, candidate: ProportionSample, alternative: Alternative): Result<TwoProportionResult> {
  const problem = proportionProblem(stable, "stable") ?? proportionProblem(candidate, "candidate") ?? checkAlternative(alternative);
  if (problem) return fail(problem);
  const stableRate = stable.successes / stable.trials;
  const candidateRate = candidate.successes / candidate.trials;
  const difference = candidateRate - stableRate;
  const trials = stable.trials + candidate.trials;
  const pooled = (stable.successes + candidate.successes) / trials;
  // the pooled failure rate from the failure counts: 1 − p̂ would cancel when p̂ is near 1
  const pooledFailures = (stable.trials - stable.successes + (candidate.trials - candidate.successes)) / trials;
  const variance = pooled * pooledFailures * (1 / stable.trials + 1 / candidate.trials);
  if (!(variance > 0)) return ok({ stableRate, candidateRate, difference, z: 0, pValue: 1 });
  const z = difference / Math.sqrt(variance);
  const pValue = pValueOf(z, alternative, normalSurvival);
  if (!pValue.ok) return pValue;
  return ok({ stableRate, candidateRate, difference, z, pValue: pValue.value });
}

/** Why a mean sample cannot be tested, naming its side; shared with the tests against a margin. */
export function meanSampleProblem(x: MeanSample, side: string): string | undefined {
  if (!x || typeof x !== "object") return `the ${side} version has no mean, variance and n`;
  if (!isFiniteNumber(x.mean)) return `the ${side} mean (${fmt(Number(x.mean))}) must be a finite number`;
  if (!isFiniteNumber(x.variance) || x.variance < 0) return `the ${side} variance (${fmt(Number(x.variance))}) must be a finite non-negative number`;
  if (!isFiniteNumber(x.n) || !(x.n >= 2)) return `the ${side} version has n=${fmt(Number(x.n))}; Welch's test needs at least 2 observations per version`;
  return undefined;
}

/**
 * Welch–Satterthwaite degrees of freedom of two samples with some variance. The squares of v/n
 * can overflow or underflow: the formula is taken over the shares of their sum.
 */
export function welchDf(stable: MeanSample, candidate: MeanSample): number {
  const a = stable.variance / stable.n;
  const b = candidate.variance / candidate.n;
  const sa = a / (a + b);
  const sb = b / (a + b);
  return 1 / ((sa * sa) / (stable.n - 1) + (sb * sb) / (candidate.n - 1));
}

/**
 * Welch's unequal-variances t-test from summary statistics (scipy.stats.ttest_ind_from_stats with
 * equal_var=False, candidate first): t = (m_c − m_s)/sqrt(v_c/n_c + v_s/n_s) with the
 * Welch–Satterthwaite df. When both variances are 0 there is no noise to test against: a zero
 * difference gives t = 0 and p = 1; any other gives t = ±Infinity, p = 0 two-sided and on its own
 * side, p = 1 on the other (scipy answers NaN for the first case). df is then n_s + n_c − 2, the
 * formula's upper limit, and does not affect p.
 */
export function welchTest(stable: MeanSample, candidate: MeanSample, alternative: Alternative): Result<WelchResult> {
  const problem = meanSampleProblem(stable, "stable") ?? meanSampleProblem(candidate, "candidate") ?? checkAlternative(alternative);
  if (problem) return fail(problem);
  const difference = candidate.mean - stable.mean;
  if (!Number.isFinite(difference)) return fail(`the difference of the means (${fmt(difference)}) is too large to represent`);
  const stableTerm = stable.variance / stable.n;
  const candidateTerm = candidate.variance / candidate.n;
  const squaredError = stableTerm + candidateTerm;
  if (!(squaredError > 0)) {
    const df = stable.n + candidate.n - 2;
    if (difference === 0) return ok({ difference, t: 0, df, pValue: 1 });
    const t = difference > 0 ? Infinity : -Infinity;
    const pValue = alternative === "two-sided" || (alternative === "greater") === t > 0 ? 0 : 1;
    return ok({ difference, t, df, pValue });
  }
  const df = welchDf(stable, candidate);
  const t = difference / Math.sqrt(squaredError);
  const pValue = pValueOf(t, alternative, (x) => studentTSurvival(x, df));
  if (!pValue.ok) return pValue;
  return ok({ difference, t, df, pValue: pValue.value });
}

/**
 * Mean, sample variance (divisor n − 1) and count of a Prometheus histogram from its buckets.
 * Each bin sits at the same point the Wasserstein distance uses (representativePoints): a finite
 * bin at its midpoint; the lowest bin at le/2 when le > 0 (PromQL's implied [0, le]) and at le
 * otherwise; the +Inf bin at the highest finite le, its lower edge. That last point understates
 * whatever lies above, so a histogram whose +Inf bucket holds more than `maxInfBucketShare` of the
 * observations is refused. With `sum`, the mean is the exact sum/n; the variance stays the bucket
 * variance around the bucket mean (the gap between the two means is an error of location, not of
 * spread). No Sheppard correction: it assumes equal-width bins and a smooth density, and leaving
 * it out keeps the variance on the larger, conservative side.
 */
export function momentsFromBins(h: Histogram, options: MomentsOptions = {}): Result<MeanSample> {
  const maxInfShare = options.maxInfBucketShare ?? DEFAULT_MAX_INF_BUCKET_SHARE;
  if (!isFiniteNumber(maxInfShare) || maxInfShare < 0 || maxInfShare > 1)
    return fail(`maxInfBucketShare (${fmt(Number(maxInfShare))}) must be a number in [0, 1]`);
  if (options.sum !== undefined && !isFiniteNumber(options.sum))
    return fail(`the sum of the observations (${fmt(Number(options.sum))}) must be a finite number`);
  const valid = validateHistogram(h);
  if (!valid.ok) return valid;
  const n = valid.value;
  if (n === 0) return fail("the histogram is empty (total count 0), so it has no mean");
  if (!(n > 1)) return fail(`the histogram holds ${fmt(n)} observations; a sample variance needs more than one`);
  const points = representativePoints(upperBounds(h));
  if (!points.ok) return points;
  const bins = h.bins;
  const last = bins[bins.length - 1] as Bin;
  const infShare = last.count / n;
  if (infShare > maxInfShare) {
    const top = (bins[bins.length - 2] as Bin).upper;
    return fail(
      `the +Inf bucket holds ${fmt(infShare * 100)}% of the observations (more than ${fmt(maxInfShare * 100)}%), so moments from the buckets would understate the mean and variance; compare the share above ${leLabel(top)} instead`,
    );
  }
  const x = points.value;
  // centred on a populated point: exact for a single populated bin, and no loss to a large offset
  const origin = x[bins.findIndex((b) => b.count > 0)] as number;
  let shifted = 0;
  for (let i = 0; i < bins.length; i++) shifted += (bins[i] as Bin).count * ((x[i] as number) - origin);
  const bucketMean = origin + shifted / n;
  let squares = 0;
  for (let i = 0; i < bins.length; i++) {
    const deviation = (x[i] as number) - bucketMean;
    squares += (bins[i] as Bin).count * deviation * deviation;
  }
  const mean = options.sum === undefined ? bucketMean : options.sum / n;
  return ok({ mean, variance: squares / (n - 1), n });
}

/**
 * The observations above the bucket boundary `le`, which must be one of the histogram's upper
 * bounds (so the count is exact, with no interpolation), and the histogram's total. For comparing
 * the shares of two versions above a boundary with twoProportionTest.
 */
export function countAbove(le: number, h: Histogram): Result<{ above: number; total: number }> {
  if (typeof le !== "number" || Number.isNaN(le)) return fail("the bucket boundary le is not a number");
  const valid = validateHistogram(h);
  if (!valid.ok) return valid;
  const index = h.bins.findIndex((b) => b.upper === le);
  if (index < 0) {
    const bounds = upperBounds(h);
    const shown = bounds.slice(0, 8).map(leLabel).join(", ") + (bounds.length > 8 ? `, and ${bounds.length - 8} more` : "");
    return fail(`${leLabel(le)} is not a bucket boundary of the histogram (its boundaries are ${shown})`);
  }
  let above = 0;
  for (let i = index + 1; i < h.bins.length; i++) above += (h.bins[i] as Bin).count;
  return ok({ above, total: valid.value });
}
