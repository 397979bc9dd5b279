// Special functions behind the p-values: log-gamma, the regularized incomplete gamma functions
// (Numerical Recipes' series and Lentz continued fraction, with a large-a prefactor that avoids
// cancellation), the chi-square survival function and Kolmogorov's limiting distribution.
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
  return (
    r *
    (1 / 12 +
      r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))))
  );
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
  if (typeof x !== "number" || Number.isNaN(x) || x < 0)
    return `the argument x=${fmt(x)} of the incomplete gamma function must be a non-negative number`;
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
