// Histograms as Prometheus exposes them: cumulative `le` buckets, turned into per-bin counts.
// Quantiles and shares follow PromQL's histogram_quantile and histogram_fraction on classic
// buckets, including their conventions for the lowest and the +Inf bucket.
import { countProblem, fail, fmt, ok, type Result } from "./result.ts";

/** One bin: the observations in (lower, upper]. The first bin has lower -Inf, the last upper +Inf. */
export interface Bin {
  lower: number;
  upper: number;
  count: number;
}

/** Per-bin counts of one window, ordered by upper bound; the last bin is the +Inf bucket. */
export interface Histogram {
  bins: readonly Bin[];
  /** Sum of the bin counts (= the le="+Inf" count after the monotonicity fix). */
  total: number;
  /** True when a cumulative count was below the one before it and was raised to it. */
  forcedMonotonic?: boolean;
}

/** A cumulative bucket as returned by `sum by (le) (increase(metric_bucket[w]))`. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/** Formats an upper bound the way Prometheus writes the le label. */
export const leLabel = (le: number): string => `le=${fmt(le)}`;

/**
 * Turns cumulative `le` buckets (any order, le may be +Infinity) into per-bin counts.
 *
 * - sorted by le; buckets with the same le are merged by adding their counts (as PromQL does);
 * - a +Inf bucket is required: it carries the total;
 * - counts must be finite and non-negative;
 * - `increase()` extrapolates each series on its own, so a cumulative count can come out below
 *   the one before it. Such a negative difference is clamped to zero and the next bucket is
 *   differenced against the running maximum (PromQL's monotonicity fix), so the per-bin counts
 *   still add up to the +Inf count.
 */
export function binsFromCumulative(buckets: readonly CumulativeBucket[]): Result<Histogram> {
  if (!Array.isArray(buckets) || buckets.length === 0) return fail('the histogram has no buckets; it needs at least the le="+Inf" bucket');
  for (const b of buckets) {
    if (typeof b.le !== "number" || Number.isNaN(b.le)) return fail("a histogram bucket has an upper bound (le) that is not a number");
    if (b.le === -Infinity) return fail("a histogram bucket has le=-Inf, which is not a valid upper bound");
    const problem = countProblem(b.count);
    if (problem) return fail(`the histogram bucket ${leLabel(b.le)} has ${problem}`);
  }
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const merged: CumulativeBucket[] = [];
  for (const b of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ le: b.le, count: b.count });
  }
  const top = merged[merged.length - 1];
  if (!top || top.le !== Infinity) return fail('the histogram has no le="+Inf" bucket, so its total count is unknown');

  const bins: Bin[] = [];
  let lower = -Infinity;
  let runningMax = 0;
  let forcedMonotonic = false;
  for (const b of merged) {
    let count = 0;
    if (b.count >= runningMax) {
      count = b.count - runningMax;
      runningMax = b.count;
    } else {
      forcedMonotonic = true;
    }
    bins.push({ lower, upper: b.le, count });
    lower = b.le;
  }
  // The running maximum is the +Inf count after the fix.
  return ok({ bins, total: runningMax, forcedMonotonic });
}

/**
 * Checks that a histogram is well formed: bins ordered by strictly increasing upper bound, each
 * bin starting where the previous one ends, the first at -Inf, the last ending at +Inf, counts
 * finite and non-negative. Answers the recomputed total. `side` names it in the reason.
 */
export function validateHistogram(h: Histogram, side = "the"): Result<number> {
  const name = side === "the" ? "the histogram" : `the ${side} histogram`;
  if (!h || !Array.isArray(h.bins)) return fail(`${name} has no bins`);
  if (h.bins.length === 0) return fail(`${name} has zero bins; it needs at least the le="+Inf" bucket`);
  let total = 0;
  let prevUpper = -Infinity;
  for (let i = 0; i < h.bins.length; i++) {
    const b = h.bins[i] as Bin;
    if (typeof b.upper !== "number" || Number.isNaN(b.upper)) return fail(`${name} has a bin whose upper bound is not a number`);
    const problem = countProblem(b.count);
    if (problem) return fail(`${name} has ${problem} in bucket ${leLabel(b.upper)}`);
    if (i > 0 && !(b.upper > prevUpper)) return fail(`${name} has bucket ${leLabel(b.upper)} after ${leLabel(prevUpper)}; upper bounds must increase`);
    if (b.lower !== prevUpper) return fail(`${name} has bucket ${leLabel(b.upper)} starting at ${fmt(b.lower)} instead of ${fmt(prevUpper)}`);
    prevUpper = b.upper;
    total += b.count;
  }
  if (prevUpper !== Infinity) return fail(`${name} has no le="+Inf" bucket`);
  return ok(total);
}

/** Upper bounds of the bins. */
export const upperBounds = (h: Histogram): number[] => h.bins.map((b) => b.upper);

/**
 * Refuses to compare histograms with different bucket layouts. Answers the shared upper bounds.
 */
export function sameLayout(reference: Histogram, current: Histogram): Result<number[]> {
  const a = upperBounds(reference);
  const b = upperBounds(current);
  if (a.length !== b.length) {
    const onlyA = a.filter((x) => !b.includes(x));
    const onlyB = b.filter((x) => !a.includes(x));
    const parts: string[] = [];
    if (onlyA.length > 0) parts.push(`only the reference has ${list(onlyA)}`);
    if (onlyB.length > 0) parts.push(`only the current has ${list(onlyB)}`);
    return fail(
      `the bucket layouts differ: the reference histogram has ${a.length} buckets and the current one has ${b.length}` +
        (parts.length > 0 ? ` (${parts.join("; ")})` : ""),
    );
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i])
      return fail(
        `the bucket layouts differ: bucket ${i + 1} of ${a.length} is ${leLabel(a[i] as number)} in the reference histogram and ${leLabel(b[i] as number)} in the current one`,
      );
  }
  return ok(a);
}

function list(les: number[]): string {
  const shown = les.slice(0, 5).map(leLabel).join(", ");
  return les.length > 5 ? `${shown} and ${les.length - 5} more` : shown;
}

/**
 * The q-quantile with PromQL's histogram_quantile interpolation: linear inside the bucket; the
 * lowest bucket spans [0, le] when le > 0 and answers its le otherwise; a rank in the +Inf bucket
 * answers the highest finite le. The one case where PromQL answers NaN on a non-empty histogram,
 * q = 0 with an empty lowest bucket whose le > 0, answers the lower edge of the first non-empty
 * bucket instead.
 */
export function histogramQuantile(q: number, h: Histogram): Result<number> {
  if (typeof q !== "number" || Number.isNaN(q)) return fail("the quantile q is not a number");
  if (q < 0 || q > 1) return fail(`the quantile q=${fmt(q)} is outside [0, 1]`);
  const valid = validateHistogram(h);
  if (!valid.ok) return valid;
  const bins = h.bins;
  if (bins.length < 2) return fail('the histogram has only the le="+Inf" bucket; a quantile needs at least one finite bucket boundary');
  const total = valid.value;
  if (total === 0) return fail("the histogram is empty (total count 0), so it has no quantile");
  const rank = q * total;
  const last = bins.length - 1;
  const first = bins[0] as Bin;
  if (rank === 0 && first.upper > 0 && first.count === 0) {
    // PromQL computes 0/0 here (NaN): answer where the lowest observation can be.
    const j = bins.findIndex((x) => x.count > 0);
    return ok(j === last ? (bins[last - 1] as Bin).upper : (bins[j] as Bin).lower);
  }
  let b = last;
  let cumBefore = 0;
  let cum = 0;
  for (let i = 0; i < last; i++) {
    const next = cum + (bins[i] as Bin).count;
    if (next >= rank) {
      b = i;
      cumBefore = cum;
      break;
    }
    cum = next;
  }
  if (b === last) return ok((bins[last - 1] as Bin).upper);
  const bin = bins[b] as Bin;
  if (b === 0 && bin.upper <= 0) return ok(bin.upper);
  const start = b === 0 ? 0 : bin.lower;
  const within = Math.min(Math.max(rank - cumBefore, 0), bin.count);
  return ok(start + (bin.upper - start) * (within / bin.count));
}

/** The median, histogramQuantile(0.5, h). */
export const histogramMedian = (h: Histogram): Result<number> => histogramQuantile(0.5, h);

/**
 * Share of observations at or below `threshold`, as PromQL's histogram_fraction(-Inf, threshold)
 * computes it on classic buckets: linear interpolation inside the bucket that holds the threshold;
 * the lowest bucket spans [0, le] when le > 0 (so a threshold <= 0 answers 0) and is counted whole
 * when le <= 0; the +Inf bucket counts as above any finite threshold.
 */
export function shareBelow(threshold: number, h: Histogram): Result<number> {
  if (typeof threshold !== "number" || Number.isNaN(threshold)) return fail("the threshold is not a number");
  const valid = validateHistogram(h);
  if (!valid.ok) return valid;
  const bins = h.bins;
  if (bins.length < 2) return fail('the histogram has only the le="+Inf" bucket; the share below a threshold needs at least one finite bucket boundary');
  const total = valid.value;
  if (total === 0) return fail("the histogram is empty (total count 0), so no share can be computed");
  let rank = total;
  let cum = 0;
  for (let i = 0; i < bins.length; i++) {
    const bin = bins[i] as Bin;
    const lower = i === 0 ? (bin.upper > 0 ? 0 : -Infinity) : bin.lower;
    if (lower >= threshold) {
      rank = cum;
      break;
    }
    if (threshold < bin.upper) {
      if (lower === -Infinity) rank = cum + bin.count;
      else if (bin.upper === Infinity) rank = cum;
      else rank = cum + (bin.count * (threshold - lower)) / (bin.upper - lower);
      break;
    }
    cum += bin.count;
  }
  return ok(Math.min(Math.max(rank / total, 0), 1));
}

/**
 * Representative point of each bin, used by the Wasserstein distance: the midpoint of a finite
 * bin; for the lowest bin (-Inf, le] the midpoint of [0, le] when le > 0 (PromQL's natural lower
 * bound) and le itself otherwise; for the +Inf bin the highest finite le (what histogram_quantile
 * answers there). Needs at least one finite boundary.
 */
export function representativePoints(upper: readonly number[]): Result<number[]> {
  if (upper.length < 2) return fail('the histogram has only the le="+Inf" bucket; representative points need at least one finite bucket boundary');
  const points: number[] = [];
  for (let i = 0; i < upper.length; i++) {
    const u = upper[i] as number;
    if (i === 0) points.push(u > 0 ? u / 2 : u);
    else if (u === Infinity) points.push(upper[i - 1] as number);
    else {
      points.push((upper[i - 1] as number) / 2 + u / 2);
    }
  }
  return ok(points);
}
