// Special functions behind the p-values: log-gamma, the regularized incomplete gamma functions
// (Numerical Recipes' series and Lentz continued fraction, with a large-a prefactor that avoids
// cancellation), the chi-square survival function, Kolmogorov's limiting distribution, and for
// the canary tests the regularized incomplete beta function (TOMS 708's continued fraction by the
// modified Lentz method), Student's t and the normal upper tails.
import { fail, fmt, ok, type Result } from "./result.ts";

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = 1e-16;
const FPMIN = 1e-300;
const MAX_ITERATIONS = 1_000_000;

/** Stirling correction lnΓ(a) − [(a − ½)ln a − a + ½ln 2π], accurate to ~1e-17 for a ≥ 10. */
function stirlingCorrection(a: number): number {
  const r = 1 / a;
  const r2 = r * r;
  // Bernoulli terms B2k / (2k(2k−1)) for k = 1..7.
  return r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
}

/** ln Γ(a) for a > 0: Stirling's series from 10 up, the recurrence Γ(a+1) = aΓ(a) below. */
export function logGamma(a: number): number {
  if (!(a > 0)) return Number.NaN;
  if (a === Infinity) return Infinity;
  if (a >= 10) return (a - 0.5) * Math.log(a) - a + LN_SQRT_2PI + stirlingCorrection(a);
  let shift = 0;
  let product = 1;
  let z = a;
  while (z < 10) {
    product *= z;
    z += 1;
    // keep the product in range for tiny a
    if (product < 1e-250) {
      shift += Math.log(product);
      product = 1;
    }
  }
  return (z - 0.5) * Math.log(z) - z + LN_SQRT_2PI + stirlingCorrection(z) - Math.log(product) - shift;
}

/** x^a e^(−x) / Γ(a), computed so that large a and x ≈ a lose no precision. */
function gammaPrefactor(a: number, x: number): number {
  if (x === 0) return 0;
  if (a < 10) return Math.exp(a * Math.log(x) - x - logGamma(a));
  // a ln x − x − lnΓ(a) = ½ ln(a/2π) + a·(ln(1+d) − d) − correction(a), with x = a(1 + d).
  // log1p keeps precision for x near a; far from a, ln(x/a) avoids forming 1 + d.
  const d = (x - a) / a;
  const log1pmx = Math.abs(d) < 0.5 ? Math.log1p(d) - d : Math.log(x / a) - d;
  return Math.sqrt(a / (2 * Math.PI)) * Math.exp(a * log1pmx - stirlingCorrection(a));
}

/** P(a, x) by its power series; good for x < a + 1. */
function lowerSeries(a: number, x: number): number | undefined {
  const prefactor = gammaPrefactor(a, x);
  if (prefactor === 0) return 0;
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) return sum * prefactor;
  }
  return undefined;
}

/** Q(a, x) by its continued fraction (modified Lentz); good for x ≥ a + 1. */
function upperContinuedFraction(a: number, x: number): number | undefined {
  // the fraction is below 1 for x ≥ a + 1: an underflowed prefactor means Q underflows too
  const prefactor = gammaPrefactor(a, x);
  if (prefactor === 0) return 0;
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return prefactor * h;
  }
  return undefined;
}

function checkGammaArgs(a: number, x: number): string | undefined {
  if (typeof a !== "number" || Number.isNaN(a) || !(a > 0) || a === Infinity)
    return `the shape a=${fmt(a)} of the incomplete gamma function must be a finite positive number`;
  if (typeof x !== "number" || Number.isNaN(x) || x < 0) return `the argument x=${fmt(x)} of the incomplete gamma function must be a non-negative number`;
  return undefined;
}

function incompleteGamma(a: number, x: number): Result<{ p: number; q: number }> {
  const problem = checkGammaArgs(a, x);
  if (problem) return fail(problem);
  if (x === 0) return ok({ p: 0, q: 1 });
  if (x === Infinity) return ok({ p: 1, q: 0 });
  if (x < a + 1) {
    const p = lowerSeries(a, x);
    if (p === undefined) return fail(`the incomplete gamma series did not converge for a=${a}, x=${x}`);
    const pc = Math.min(Math.max(p, 0), 1);
    return ok({ p: pc, q: 1 - pc });
  }
  const q = upperContinuedFraction(a, x);
  if (q === undefined) return fail(`the incomplete gamma continued fraction did not converge for a=${a}, x=${x}`);
  const qc = Math.min(Math.max(q, 0), 1);
  return ok({ p: 1 - qc, q: qc });
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) (scipy.special.gammaincc). */
export function regularizedGammaQ(a: number, x: number): Result<number> {
  const r = incompleteGamma(a, x);
  return r.ok ? ok(r.value.q) : r;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a) (scipy.special.gammainc). */
export function regularizedGammaP(a: number, x: number): Result<number> {
  const r = incompleteGamma(a, x);
  return r.ok ? ok(r.value.p) : r;
}

/**
 * P(X ≥ x) for X chi-square with `dof` degrees of freedom: Q(dof/2, x/2). Huge statistics
 * underflow gracefully to 0.
 */
export function chiSquareSurvival(x: number, dof: number): Result<number> {
  if (typeof dof !== "number" || !(dof > 0) || !Number.isFinite(dof))
    return fail(`the chi-square degrees of freedom (${fmt(dof)}) must be a finite positive number`);
  if (typeof x !== "number" || Number.isNaN(x) || x < 0) return fail(`the chi-square statistic (${fmt(x)}) must be a non-negative number`);
  return regularizedGammaQ(dof / 2, x / 2);
}

/**
 * Survival function of Kolmogorov's limiting distribution, P(K > x) = 2 Σ (−1)^(k−1) e^(−2k²x²)
 * (scipy.stats.kstwobign.sf, scipy.special.kolmogorov). Below x = 1 it is computed as 1 − CDF
 * with the Jacobi theta form of the CDF, which converges fast there.
 */
export function kolmogorovSurvival(x: number): Result<number> {
  if (typeof x !== "number" || Number.isNaN(x)) return fail("the Kolmogorov argument is not a number");
  return ok(kolmogorovSf(x));
}

/** @internal number-in, number-out version; x must not be NaN. */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  if (x < 1) {
    // CDF = sqrt(2π)/x Σ_{k≥1} exp(−(2k−1)²π²/(8x²))
    const w = (-Math.PI * Math.PI) / (8 * x * x);
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const m = 2 * k - 1;
      const term = Math.exp(m * m * w);
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    return Math.min(Math.max(1 - (Math.sqrt(2 * Math.PI) / x) * sum, 0), 1);
  }
  let sum = 0;
  let sign = 1;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += sign * term;
    if (term <= Math.abs(sum) * 1e-17) break;
    sign = -sign;
  }
  return Math.min(Math.max(2 * sum, 0), 1);
}

// ------------------------------------------------------------------------ incomplete beta

/** ln(1 + d) − d without cancellation for small d; `ratio` is 1 + d, given exactly when d is far from 0. */
function log1pMinusD(ratio: number, d: number): number {
  if (Math.abs(d) < 0.1) {
    // −d²/2 + d³/3 − …: log1p(d) − d would cancel to a relative error of ≈1e-16/d
    let power = d * d;
    let sum = 0;
    for (let k = 2; k < 60; k++) {
      const term = power / k;
      sum += k % 2 === 0 ? -term : term;
      if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
      power *= d;
    }
    return sum;
  }
  // far from 0, 1 + d rounded would lose the relative precision of a ratio near 0
  return Math.abs(d) < 0.5 ? Math.log1p(d) - d : Math.log(ratio) - d;
}

/**
 * ln B(a, b). With a large parameter lnΓ(a) and lnΓ(a + b) nearly cancel, so their difference is
 * taken from Stirling's series term by term (as TOMS 708's algdiv and betaln do).
 */
function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const s = p + q;
  if (q < 10) return logGamma(p) + logGamma(q) - logGamma(s);
  if (p >= 10) {
    const corrections = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(s);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corrections + (p - 0.5) * Math.log(p / s) + q * Math.log1p(-p / s);
  }
  // lnΓ(q) − lnΓ(q + p) for q ≥ 10
  const gammaRatio = -(q - 0.5) * Math.log1p(p / q) - p * Math.log(s) + p + stirlingCorrection(q) - stirlingCorrection(s);
  return logGamma(p) + gammaRatio;
}

/**
 * ln[x^a y^b / B(a, b)] with y = 1 − x given separately (each accurate on its own). For large a
 * and b the terms a·ln x, b·ln y and ln B are huge and cancel; written around the peak
 * x₀ = a/(a + b) they become (a + b)-scaled ln(1 + d) − d terms that keep their precision.
 */
function logBetaPrefactor(a: number, b: number, x: number, y: number): number {
  if (Math.min(a, b) >= 10) {
    const s = a + b;
    const e = (b * x - a * y) / s; // x − a/s
    const dx = (e * s) / a;
    const dy = (-e * s) / b;
    const corrections = stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(s);
    return a * log1pMinusD((x * s) / a, dx) + b * log1pMinusD((y * s) / b, dy) + 0.5 * Math.log((a / s) * b) - LN_SQRT_2PI - corrections;
  }
  const lnx = x <= 0.5 ? Math.log(x) : Math.log1p(-y);
  const lny = y <= 0.5 ? Math.log(y) : Math.log1p(-x);
  return a * lnx + b * lny - logBeta(a, b);
}

/**
 * The continued fraction of I_x(a, b)·B(a, b)/(x^a y^b) in TOMS 708's form (bfrac), evaluated with
 * the modified Lentz method. It is written in terms of λ = (a + b)y − b, which the caller forms
 * without cancellation; Numerical Recipes' betacf computes 1 − x·(…) in its odd terms and loses
 * about log10(1/y) digits when a is large and y small (8e-8 relative in a t tail at df = 1e10).
 * TOMS 708 uses this fraction for a, b > 1 only; against the 110-digit oracle it keeps its
 * accuracy down to a, b = 0.01 as well, so it serves every case here.
 */
function betaContinuedFraction(a: number, b: number, x: number, y: number, lambda: number): number | undefined {
  const c = 1 + lambda;
  const c0 = b / a;
  const c1 = 1 + 1 / a;
  const yp1 = y + 1;
  let p = 1;
  let s = a + 1;
  let f = c / c1;
  let cc = f;
  let d = 0;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    const t = n / a;
    const w = n * (b - n) * x;
    const e = a / s;
    const alpha = p * (p + c0) * e * e * (w * x);
    const beta = n + w / s + ((1 + t) / (c1 + t + t)) * (c + n * yp1);
    p = 1 + t;
    s += 2;
    d = beta + alpha * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    cc = beta + alpha / cc;
    if (Math.abs(cc) < FPMIN) cc = FPMIN;
    d = 1 / d;
    const delta = cc * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) return 1 / f;
  }
  return undefined;
}

/**
 * I_x(a, b) and 1 − I_x(a, b), each computed directly, so a tail near 0 on either side keeps its
 * relative precision. x and y = 1 − x are passed separately for the same reason.
 */
function incompleteBeta(a: number, b: number, x: number, y: number): Result<{ lower: number; upper: number }> {
  if (x <= 0) return ok({ lower: 0, upper: 1 });
  if (y <= 0) return ok({ lower: 1, upper: 0 });
  // λ = (a + b)y − b = a − (a + b)x, from whichever of x and y is the smaller (the exact one)
  const lambda = y <= x ? (a + b) * y - b : a - (a + b) * x;
  // λ ≥ 0 puts x below the mean a/(a + b): the lower tail is the small one; else use symmetry
  const direct = lambda >= 0;
  const [p, q, u, v] = direct ? [a, b, x, y] : [b, a, y, x];
  const fraction = betaContinuedFraction(p, q, u, v, Math.abs(lambda));
  if (fraction === undefined) return fail(`the incomplete beta continued fraction did not converge for a=${a}, b=${b}, x=${x}`);
  const tail = Math.min(Math.max(Math.exp(logBetaPrefactor(p, q, u, v)) * fraction, 0), 1);
  return ok(direct ? { lower: tail, upper: 1 - tail } : { lower: 1 - tail, upper: tail });
}

/** Regularized incomplete beta function I_x(a, b) = B(x; a, b)/B(a, b) (scipy.special.betainc). */
export function regularizedIncompleteBeta(a: number, b: number, x: number): Result<number> {
  for (const [name, v] of [
    ["a", a],
    ["b", b],
  ] as const)
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
      return fail(`the parameter ${name}=${fmt(v)} of the incomplete beta function must be a finite positive number`);
  if (typeof x !== "number" || Number.isNaN(x) || x < 0 || x > 1) return fail(`the argument x=${fmt(x)} of the incomplete beta function must be in [0, 1]`);
  const r = incompleteBeta(a, b, x, 1 - x);
  return r.ok ? ok(r.value.lower) : r;
}

// ------------------------------------------------------------------------ normal and Student's t

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** e^(−z²/2) with z² split into an exact part, so the far tail keeps full relative precision. */
function expMinusHalfSquare(z: number): number {
  const hi = Math.round(z * 64) / 64; // hi² is exact
  const lo = z - hi;
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (z + hi));
}

/** Mills' ratio (1 − Φ(z))/φ(z) for z ≥ 3: 1/g with Laplace's continued fraction g = z + 1/(z + 2/(z + 3/(z + …))). */
function millsRatio(z: number): number | undefined {
  let g = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 10_000; n++) {
    d = 1 / (z + n * d);
    c = z + n / c;
    const delta = c * d;
    g *= delta;
    if (Math.abs(delta - 1) < EPS) return 1 / g;
  }
  return undefined;
}

/** 1 − Φ(z) for z ≥ 0, or undefined when a series fails to converge. */
function normalUpperTail(z: number): number | undefined {
  if (z === Infinity) return 0;
  if (z < 3) {
    // erfc(z/√2)/2 = Q(½, z²/2)/2; z²/2 ≤ 4.5 here, so its rounding costs nothing
    const r = incompleteGamma(0.5, 0.5 * z * z);
    return r.ok ? 0.5 * r.value.q : undefined;
  }
  const ratio = millsRatio(z);
  return ratio === undefined ? undefined : (expMinusHalfSquare(z) / SQRT_2PI) * ratio;
}

/** P(Z > z) for a standard normal Z (scipy.stats.norm.sf), with full relative precision in the far tail. */
export function normalSurvival(z: number): Result<number> {
  if (typeof z !== "number" || Number.isNaN(z)) return fail("the normal deviate z is not a number");
  const tail = normalUpperTail(Math.abs(z));
  if (tail === undefined) return fail(`the normal tail did not converge at z=${z}`);
  return ok(z >= 0 ? tail : 1 - tail);
}

/**
 * P(T > t) for Student's t with `df` degrees of freedom (scipy.stats.t.sf); df need not be an
 * integer and may be +Infinity (the normal distribution). Uses P(T > |t|) = ½ I_x(df/2, ½) with
 * x = df/(df + t²), whose complement 1 − x = t²/(df + t²) is formed directly so large df loses
 * nothing.
 */
export function studentTSurvival(t: number, df: number): Result<number> {
  if (typeof df !== "number" || Number.isNaN(df) || !(df > 0)) return fail(`the degrees of freedom of Student's t (${fmt(df)}) must be a positive number`);
  if (typeof t !== "number" || Number.isNaN(t)) return fail("the t statistic is not a number");
  if (df === Infinity) return normalSurvival(t);
  if (t === 0) return ok(0.5);
  const at = Math.abs(t);
  let x: number;
  let y: number;
  if (at === Infinity) {
    x = 0;
    y = 1;
  } else if (at * at <= df) {
    const v = (at * at) / df;
    x = 1 / (1 + v);
    y = v / (1 + v);
  } else {
    const u = (Math.sqrt(df) / at) ** 2;
    x = u / (1 + u);
    y = 1 / (1 + u);
  }
  const r = incompleteBeta(df / 2, 0.5, x, y);
  if (!r.ok) return r;
  const tail = 0.5 * r.value.lower;
  return ok(t > 0 ? tail : 0.5 + 0.5 * r.value.upper);
}
