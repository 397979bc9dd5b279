// Anytime-valid tests against a tolerance: may the candidate be looked at as often as one likes?
// The fixed-horizon tests in margin.ts hold their significance for ONE look; repeated at every
// check, the chance of failing a good candidate grows with the number of looks. The test here is
// a one-sided normal-mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari,
// Pekelis and Walsh "Always valid inference", Howard et al. 2021's normal-mixture boundary) on the
// asymptotically normal estimate of how much worse than tolerated the candidate is. Its evidence
// Λ is a nonnegative (super)martingale whenever the candidate is within the tolerance, so by
// Ville's inequality P(Λ ever reaches 1/α) ≤ α over an unbounded sequence of looks.
//
// Every look is a function of the CUMULATIVE counts since the step began (both versions at the
// same instant), never of a history of looks: a look repeated, skipped or made again after a
// restart gives the same answer for the same counts, so nothing is double counted and there is
// no running state to persist. See docs/statistics.md, "Anytime-valid comparisons".
import { meanSampleProblem, proportionProblem, type MeanSample, type ProportionSample } from "./compare.ts";
import type { Worse } from "./margin.ts";
import { fail, fmt, ok, type Result } from "./result.ts";
import { normalSurvival } from "./special.ts";

/** The tolerance: an absolute margin on the worseness, or a share of the stable version's value. */
export type Tolerance = { margin: number } | { relative: number };

export interface SequentialOptions {
  /** The probability of EVER failing a candidate that is within the tolerance, over all looks (0 < α < 1). */
  alpha: number;
  /**
   * The standard deviation τ of the normal mixing distribution over the excess, on the scale of
   * the worseness. The test is most powerful for an excess of about τ. By default the tolerance
   * itself (see defaultMixingSd).
   */
  mixingSd?: number;
}

export interface SequentialResult {
  /** How much worse the candidate is: (candidate − stable) for "greater", (stable − candidate) for "less". */
  worseness: number;
  /** The estimated excess over the tolerance; H0 says its true value is ≤ 0. */
  excess: number;
  /** Standard error of the excess. */
  standardError: number;
  /** The mixing standard deviation τ used. */
  mixingSd: number;
  /** ln Λ, the log of the one-sided mixture likelihood ratio; the test fails the candidate when it reaches ln(1/α). */
  logEvidence: number;
  /** The standardised excess z = excess / standardError needed to fail the candidate at this much information. */
  boundary: number;
  /**
   * The anytime-valid interval on the excess: each end is a one-sided (1 − α) confidence sequence,
   * so both hold at every look at once with probability at least 1 − 2α. The test fails the
   * candidate exactly when `lower` > 0.
   */
  lower: number;
  upper: number;
  /** The candidate is worse than tolerated, at anytime-valid level α. */
  reject: boolean;
}

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Φ(x), the log of the standard normal distribution function, without underflow in the lower tail. */
export function logNormalCdf(x: number): number {
  if (x >= 0) return Math.log1p(-(normalSurvival(x) as { value: number }).value);
  const y = -x;
  if (y < 37) return Math.log((normalSurvival(y) as { value: number }).value);
  // Q(y) = φ(y)/y · (1 − 1/y² + 3/y⁴ − 15/y⁶ + …); beyond y = 37 the series is exact to double precision
  const y2 = y * y;
  return -y2 / 2 - LN_SQRT_2PI - Math.log(y) + Math.log1p(-1 / y2 + 3 / (y2 * y2) - 15 / (y2 * y2 * y2));
}

/** φ(x)/Φ(x) for x ≥ 0. */
const inverseMills = (x: number) => Math.exp((-x * x) / 2 - LN_SQRT_2PI - logNormalCdf(x));

/**
 * ln Λ for a standardised excess z = excess/SE and u = τ²/SE² (the information in units of the
 * mixing variance): with S = excess/SE² and I = 1/SE², the mixture over θ ≥ 0 with the half-normal
 * density 2φ(θ/τ)/τ of exp(θS − θ²I/2) is Λ = 2 (1 + u)^(−½) exp(z² r/2) Φ(z √r), r = u/(1 + u).
 */
export function mixtureLogEvidence(z: number, u: number): number {
  const r = u / (1 + u);
  return Math.LN2 - 0.5 * Math.log1p(u) + 0.5 * z * z * r + logNormalCdf(z * Math.sqrt(r));
}

/**
 * The smallest standardised excess z* with ln Λ(z*, u) = ln(1/α). ln Λ is increasing in z and,
 * for z ≥ 0, convex, and the two-sided boundary sqrt((2 ln(1/α) + ln(1 + u))/r) lies above z*
 * (there Λ = 2Φ(·)/α ≥ 1/α): Newton's method from that point decreases monotonically to z*.
 */
export function mixtureBoundary(u: number, alpha: number): number {
  const target = Math.log(1 / alpha);
  const r = u / (1 + u);
  const sr = Math.sqrt(r);
  let z = Math.sqrt((2 * target + Math.log1p(u)) / r);
  for (let i = 0; i < 100; i++) {
    const f = mixtureLogEvidence(z, u) - target;
    const slope = z * r + sr * inverseMills(z * sr);
    const step = f / slope;
    z -= step;
    if (!(Math.abs(step) > 1e-15 * z)) break;
  }
  return z;
}

function optionsProblem(o: SequentialOptions): string | undefined {
  if (!(typeof o.alpha === "number" && o.alpha > 0 && o.alpha < 1)) return `alpha (${fmt(Number(o.alpha))}) must be a number strictly between 0 and 1`;
  if (o.mixingSd !== undefined && !(Number.isFinite(o.mixingSd) && o.mixingSd > 0))
    return `the mixing standard deviation (${fmt(Number(o.mixingSd))}) must be a finite positive number`;
  return undefined;
}

function toleranceProblem(t: Tolerance, worse: Worse): string | undefined {
  if (worse !== "greater" && worse !== "less") return `worse must be "greater" or "less", not ${JSON.stringify(worse)}`;
  if ("margin" in t)
    return Number.isFinite(t.margin) && t.margin >= 0 ? undefined : `the margin (${fmt(Number(t.margin))}) must be a finite non-negative number`;
  if ("relative" in t) {
    if (!(Number.isFinite(t.relative) && t.relative >= 0)) return `the relative tolerance (${fmt(Number(t.relative))}) must be a finite non-negative number`;
    if (worse === "less" && t.relative > 1) return `a relative decrease of ${fmt(t.relative)} is more than the whole value; it must be at most 1`;
    return undefined;
  }
  return "the tolerance needs a margin or a relative share";
}

/**
 * The default mixing standard deviation: the tolerance on the worseness scale, so the test is
 * tuned to regressions about twice the tolerance; with a zero tolerance, a tenth of the stable
 * value's scale; with no scale at all, `fallback`.
 */
export function defaultMixingSd(toleranceOnScale: number, stableScale: number, fallback: number): number {
  if (toleranceOnScale > 0) return toleranceOnScale;
  if (Math.abs(stableScale) > 0) return 0.1 * Math.abs(stableScale);
  return fallback;
}

/**
 * The core: H0 "excess ≤ 0" from an asymptotically normal estimate of the excess and its variance,
 * with `tolerance` (the tolerance on the worseness scale) added back for the worseness figures.
 */
export function normalMixtureTest(excess: number, variance: number, mixingSd: number, alpha: number, worseness = excess): Result<SequentialResult> {
  const problem = optionsProblem({ alpha, mixingSd });
  if (problem) return fail(problem);
  if (!Number.isFinite(excess)) return fail(`the excess over the tolerance (${fmt(excess)}) must be a finite number`);
  if (!(Number.isFinite(variance) && variance >= 0)) return fail(`the variance of the excess (${fmt(variance)}) must be a finite non-negative number`);
  if (variance === 0) {
    // no noise: the excess is certain either way
    const reject = excess > 0;
    return ok({
      worseness,
      excess,
      standardError: 0,
      mixingSd,
      logEvidence: reject ? Infinity : -Infinity,
      boundary: Infinity,
      lower: excess,
      upper: excess,
      reject,
    });
  }
  const se = Math.sqrt(variance);
  const u = (mixingSd * mixingSd) / variance;
  const z = excess / se;
  // a mixture so narrow against the noise that u underflows carries no evidence at all
  if (!(u > 1e-300))
    return ok({ worseness, excess, standardError: se, mixingSd, logEvidence: 0, boundary: Infinity, lower: -Infinity, upper: Infinity, reject: false });
  const logEvidence = mixtureLogEvidence(z, u);
  const boundary = mixtureBoundary(u, alpha);
  const lower = excess - boundary * se;
  return ok({
    worseness,
    excess,
    standardError: se,
    mixingSd,
    logEvidence,
    boundary,
    lower,
    upper: excess + boundary * se,
    reject: logEvidence >= Math.log(1 / alpha),
  });
}

/**
 * The excess and its variance for a linear contrast of the two versions' estimates. Absolute:
 * worseness − margin. Relative ("greater"): candidate − (1 + L)·stable, which exceeds 0 exactly when
 * the candidate is more than L above the stable value; ("less"): (1 − L)·stable − candidate. The
 * relative form keeps the stable value's own noise in the variance instead of taking it as known.
 */
function contrast(s: number, c: number, vs: number, vc: number, worse: Worse, t: Tolerance) {
  const worseness = worse === "greater" ? c - s : s - c;
  if ("margin" in t) return { worseness, excess: worseness - t.margin, variance: vs + vc, toleranceOnScale: t.margin };
  const k = worse === "greater" ? 1 + t.relative : 1 - t.relative;
  const excess = worse === "greater" ? c - k * s : k * s - c;
  return { worseness, excess, variance: vc + k * k * vs, toleranceOnScale: t.relative * Math.abs(s) };
}

/**
 * Two rates (errors of requests, correct of labelled predictions): the difference of the observed
 * rates with the unpooled binomial variance p_s q_s/n_s + p_c q_c/n_c, as proportionMarginTest.
 */
export function sequentialProportionTest(
  stable: ProportionSample,
  candidate: ProportionSample,
  worse: Worse,
  tolerance: Tolerance,
  o: SequentialOptions,
): Result<SequentialResult> {
  const problem = proportionProblem(stable, "stable") ?? proportionProblem(candidate, "candidate") ?? toleranceProblem(tolerance, worse) ?? optionsProblem(o);
  if (problem) return fail(problem);
  const ps = stable.successes / stable.trials;
  const pc = candidate.successes / candidate.trials;
  const qs = (stable.trials - stable.successes) / stable.trials;
  const qc = (candidate.trials - candidate.successes) / candidate.trials;
  const x = contrast(ps, pc, (ps * qs) / stable.trials, (pc * qc) / candidate.trials, worse, tolerance);
  // a rate has no natural scale below one percentage point
  const tau = o.mixingSd ?? defaultMixingSd(x.toleranceOnScale, ps, 0.01);
  return normalMixtureTest(x.excess, x.variance, tau, o.alpha, x.worseness);
}

/** Two means (latency, absolute error): the difference of the means with the variance v_s/n_s + v_c/n_c (normal, not t: the counts are large). */
export function sequentialMeanTest(
  stable: MeanSample,
  candidate: MeanSample,
  worse: Worse,
  tolerance: Tolerance,
  o: SequentialOptions,
): Result<SequentialResult> {
  const problem = meanSampleProblem(stable, "stable") ?? meanSampleProblem(candidate, "candidate") ?? toleranceProblem(tolerance, worse) ?? optionsProblem(o);
  if (problem) return fail(problem);
  const x = contrast(stable.mean, candidate.mean, stable.variance / stable.n, candidate.variance / candidate.n, worse, tolerance);
  const tau = o.mixingSd ?? defaultMixingSd(x.toleranceOnScale, stable.mean, Math.sqrt(stable.variance) > 0 ? 0.1 * Math.sqrt(stable.variance) : 1);
  if (!Number.isFinite(x.excess)) return fail(`the difference of the means (${fmt(x.excess)}) is too large to represent`);
  return normalMixtureTest(x.excess, x.variance, tau, o.alpha, x.worseness);
}

/**
 * One share against a bound (a quantile beyond a bucket boundary, see shareExcessTest): the
 * excess k/n − p0 with the variance p0(1 − p0)/n at the bound, the least favourable point of H0.
 * The default τ is min(p0, 1 − p0): for a p95 (p0 = 0.05), tuned to the share beyond doubling.
 */
export function sequentialShareTest(count: number, total: number, p0: number, o: SequentialOptions): Result<SequentialResult> {
  if (!(Number.isFinite(total) && total > 0)) return fail(`${fmt(total)} observations; at least one is needed`);
  if (!(Number.isFinite(count) && count >= 0 && count <= total)) return fail(`${fmt(count)} of ${fmt(total)} observations is not a count`);
  if (!(p0 > 0 && p0 < 1)) return fail(`the bound on the share (${fmt(p0)}) must lie strictly between 0 and 1`);
  const problem = optionsProblem(o);
  if (problem) return fail(problem);
  const excess = count / total - p0;
  return normalMixtureTest(excess, (p0 * (1 - p0)) / total, o.mixingSd ?? Math.min(p0, 1 - p0), o.alpha, excess);
}
