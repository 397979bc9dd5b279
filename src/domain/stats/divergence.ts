// Distances between two binned distributions (reference, current). Natural log everywhere.
// Proportions are counts divided by the window's total. Each formula is written so that nearly
// equal distributions and huge counts keep full precision (log1p, no 1 − x cancellations).
import { readPair, sum, type Counts } from "./counts.ts";
import { representativePoints, validateHistogram, type Histogram } from "./histogram.ts";
import { fail, fmt, ok, type Result } from "./result.ts";

/** Replacement for empty bins in PSI and KL (the value Evidently uses). */
export const DEFAULT_EPSILON = 1e-4;

export interface EpsilonOption {
  /** Proportion that replaces an empty bin in PSI and KL, without renormalising. Default 1e-4. */
  epsilon?: number;
}

function readEpsilon(options: EpsilonOption | undefined): Result<number> {
  const e = options?.epsilon ?? DEFAULT_EPSILON;
  if (typeof e !== "number" || Number.isNaN(e) || !(e > 0) || !(e < 1)) return fail(`epsilon (${fmt(e)}) must be a number strictly between 0 and 1`);
  return ok(e);
}

/**
 * Population stability index: Σ (c − r)·ln(c / r) over proportions, where an empty bin's
 * proportion (on either side) is replaced by epsilon and the vectors are not renormalised.
 * Symmetric, ≥ 0.
 */
export function psi(reference: Counts, current: Counts, options?: EpsilonOption): Result<number> {
  const eps = readEpsilon(options);
  if (!eps.ok) return eps;
  const pair = readPair(reference, current, "PSI");
  if (!pair.ok) return pair;
  const { reference: r, current: c, referenceTotal: nr, currentTotal: nc } = pair.value;
  let total = 0;
  for (let i = 0; i < r.length; i++) {
    const pr = (r[i] as number) / nr || eps.value;
    const pc = (c[i] as number) / nc || eps.value;
    total += (pc - pr) * Math.log1p((pc - pr) / pr);
  }
  return ok(Math.max(total, 0));
}

/**
 * Kullback–Leibler divergence KL(reference ‖ current) = Σ r·ln(r / c) over proportions: the
 * direction Evidently uses (scipy.stats.entropy(reference, current)). Empty bins are replaced by
 * epsilon without renormalising, so with empty bins the value can differ from scipy's (which
 * renormalises) by about epsilon, and can be very slightly negative.
 */
export function klDivergence(reference: Counts, current: Counts, options?: EpsilonOption): Result<number> {
  const eps = readEpsilon(options);
  if (!eps.ok) return eps;
  const pair = readPair(reference, current, "the KL divergence");
  if (!pair.ok) return pair;
  const { reference: r, current: c, referenceTotal: nr, currentTotal: nc } = pair.value;
  // Σ p ln(p/q) = Σ q·g(p/q) + Σp − Σq with g(t) = t ln t − t + 1 ≥ 0, which has no cancellation
  // between bins. The proportions of non-empty bins add up to 1 on each side, so
  // Σp − Σq = epsilon · (empty reference bins − empty current bins), exactly.
  let total = 0;
  let emptyDifference = 0;
  for (let i = 0; i < r.length; i++) {
    let pr = (r[i] as number) / nr;
    let pc = (c[i] as number) / nc;
    if (pr === 0) {
      pr = eps.value;
      emptyDifference++;
    }
    if (pc === 0) {
      pc = eps.value;
      emptyDifference--;
    }
    total += pc * gOf1p((pr - pc) / pc);
  }
  return ok(total + eps.value * emptyDifference);
}

/** g(1 + u) = (1 + u)ln(1 + u) − u, without cancellation for small u. */
function gOf1p(u: number): number {
  if (Math.abs(u) < 0.1) {
    // Σ_{k≥2} (−u)^k / (k(k−1))
    let power = u * u;
    let s = 0;
    for (let k = 2; k <= 18; k++) {
      s += power / (k * (k - 1));
      power *= -u;
    }
    return s;
  }
  return (1 + u) * Math.log1p(u) - u;
}

/** (1+t)ln(1+t) + (1−t)ln(1−t) for t in [−1, 1], without cancellation near 0. */
function jsTerm(t: number): number {
  const a = Math.abs(t);
  if (a < 0.1) {
    // Σ_{k≥1} t^(2k) / (k(2k−1))
    const t2 = t * t;
    let power = t2;
    let s = 0;
    for (let k = 1; k <= 12; k++) {
      s += power / (k * (2 * k - 1));
      power *= t2;
    }
    return s;
  }
  if (a >= 1) return 2 * Math.LN2;
  return (1 + a) * Math.log1p(a) + (1 - a) * Math.log1p(-a);
}

/**
 * Jensen–Shannon distance: the square root of the JS divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2,
 * natural log (scipy.spatial.distance.jensenshannon with its default base). In [0, √ln2 ≈ 0.8326].
 * Empty bins need no epsilon.
 */
export function jensenShannonDistance(reference: Counts, current: Counts): Result<number> {
  const pair = readPair(reference, current, "the Jensen-Shannon distance");
  if (!pair.ok) return pair;
  const { reference: r, current: c, referenceTotal: nr, currentTotal: nc } = pair.value;
  let divergence = 0;
  for (let i = 0; i < r.length; i++) {
    const p = (r[i] as number) / nr;
    const q = (c[i] as number) / nc;
    const s = p + q;
    if (s === 0) continue;
    // p ln(p/m) + q ln(q/m) = m·f(t) with m = s/2, t = (p − q)/s
    divergence += (s / 2) * jsTerm((p - q) / s);
  }
  return ok(Math.sqrt(Math.max(divergence / 2, 0)));
}

/**
 * Hellinger distance H = sqrt(1 − Σ sqrt(p·q)) = sqrt(½ Σ (√p − √q)²), in [0, 1] (the convention
 * with the ½, as in Evidently). Computed from the second form to keep precision.
 */
export function hellingerDistance(reference: Counts, current: Counts): Result<number> {
  const pair = readPair(reference, current, "the Hellinger distance");
  if (!pair.ok) return pair;
  const { reference: r, current: c, referenceTotal: nr, currentTotal: nc } = pair.value;
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const p = (r[i] as number) / nr;
    const q = (c[i] as number) / nc;
    if (p === 0 && q === 0) continue;
    const d = (p - q) / (Math.sqrt(p) + Math.sqrt(q));
    s += d * d;
  }
  return ok(Math.min(Math.sqrt(s / 2), 1));
}

/**
 * Wasserstein-1 (earth mover's) distance between two weighted point sets on the same points:
 * ∫|F_r − F_c| dx (scipy.stats.wasserstein_distance(points, points, reference, current)).
 */
export function wasserstein1(points: readonly number[], reference: Counts, current: Counts): Result<number> {
  const pair = readPair(reference, current, "the Wasserstein distance");
  if (!pair.ok) return pair;
  const { reference: r, current: c, referenceTotal: nr, currentTotal: nc } = pair.value;
  if (points.length !== r.length) return fail(`the Wasserstein distance needs one point per bin, but there are ${points.length} points for ${r.length} bins`);
  for (const x of points) if (typeof x !== "number" || !Number.isFinite(x)) return fail(`the Wasserstein distance needs finite points, but got ${fmt(x)}`);
  const order = points.map((_, i) => i).sort((a, b) => (points[a] as number) - (points[b] as number));
  let cr = 0;
  let cc = 0;
  let w = 0;
  for (let k = 0; k < order.length - 1; k++) {
    const i = order[k] as number;
    cr += r[i] as number;
    cc += c[i] as number;
    const gap = (points[order[k + 1] as number] as number) - (points[i] as number);
    if (gap > 0) w += Math.abs(cr / nr - cc / nc) * gap;
  }
  return ok(w);
}

export interface WassersteinResult {
  /** W1 divided by the reference standard deviation: the drift score. */
  normalized: number;
  /** W1 in the units of the observed value. */
  distance: number;
  /** Population standard deviation of the reference over the representative points. */
  referenceStdDev: number;
}

/**
 * Wasserstein-1 distance between two histograms with the same layout, each bin placed at its
 * representative point (see representativePoints), normalised by the reference standard deviation
 * computed from the same points (population, ddof = 0, as numpy.std in Evidently).
 */
export function wassersteinDistance(reference: Histogram, current: Histogram): Result<WassersteinResult> {
  const vr = validateHistogram(reference, "reference");
  if (!vr.ok) return vr;
  const vc = validateHistogram(current, "current");
  if (!vc.ok) return vc;
  const pair = readPair(reference, current, "the Wasserstein distance");
  if (!pair.ok) return pair;
  const points = representativePoints(reference.bins.map((b) => b.upper));
  if (!points.ok) return fail(`the Wasserstein distance cannot be computed: ${points.reason}`);
  const x = points.value;
  const { reference: r, referenceTotal: nr } = pair.value;
  const mean = sum(x.map((xi, i) => ((r[i] as number) / nr) * xi));
  const variance = sum(x.map((xi, i) => ((r[i] as number) / nr) * (xi - mean) * (xi - mean)));
  const sd = Math.sqrt(Math.max(variance, 0));
  if (!(sd > 0))
    return fail(
      "the reference standard deviation over the bin representative points is 0 (all reference observations fall on one point), so the normalised Wasserstein distance is undefined",
    );
  const w = wasserstein1(x, pair.value.reference, pair.value.current);
  if (!w.ok) return w;
  return ok({ normalized: w.value / sd, distance: w.value, referenceStdDev: sd });
}
