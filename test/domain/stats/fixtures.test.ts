// Compares the statistics core with values computed independently by numpy/scipy and by Python's
// decimal module at 60 digits (scripts/fixtures/make-stats-fixtures.py -> reference-values.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  binsFromCumulative,
  chiSquareSurvival,
  chiSquareTest,
  cosineDistance,
  evaluateFeatureDrift,
  FALSE_FINDINGS_PER_30_DAYS,
  noiseLevelForInterval,
  poolAdjacentBins,
  euclideanDistance,
  hellingerDistance,
  histogramQuantile,
  jensenShannonDistance,
  klDivergence,
  kolmogorovSurvival,
  ksTest,
  logGamma,
  normalSurvival,
  psi,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
  shareBelow,
  studentTSurvival,
  wasserstein1,
  wassersteinDistance,
  type Histogram,
  type Result,
} from "../../../src/domain/stats/index.ts";

type Num = number | "+Inf" | "-Inf";
interface PairCase {
  name: string;
  upper: Num[];
  reference: number[];
  current: number[];
  epsilon: number;
  psi: number;
  psiDecimal: number;
  kl: number;
  klDecimal: number;
  klScipyEntropy?: number;
  js: number;
  jsDecimal: number;
  hellinger: number;
  hellingerDecimal: number;
  wasserstein: { error?: string; points?: number[]; distance?: number; referenceStdDev?: number; normalized?: number };
  ks: { statistic: number; effectiveN: number; pValueAsymptotic: number; scipy?: { statistic: number; pValue: number } };
  chi2: { error?: string; statistic?: number; pValue?: number; dof?: number; cramersV?: number };
}
interface Fixtures {
  versions: Record<string, string>;
  pairs: PairCase[];
  gamma: { a: number; x: number; q: number; p: number }[];
  logGamma: { a: number; value: number }[];
  chi2Survival: { x: number; dof: number; sf: number }[];
  kolmogorov: { x: number; sf: number }[];
  vectors: { u: number[]; v: number[]; cosine: number; euclidean: number }[];
  quantiles: { upper: Num[]; counts: number[]; q: number; expected: Num }[];
  shares: { upper: Num[]; counts: number[]; threshold: number; expected: number }[];
  cumulative: { name: string; buckets: { le: Num; count: number }[]; upper: Num[]; counts: number[]; total: number; forcedMonotonic: boolean }[];
  betaIncomplete: { a: number; b: number; x: number; value: number; scipy: number }[];
  studentT: { t: number; df: number; sf: number; scipy: number }[];
  normal: { z: number; sf: number; scipy: number }[];
  noiseGate: {
    budgetPer30Days: number;
    levels: { intervalMs: number; level: number }[];
    quantiles: { dof: number; level: number; x: number; sf: number }[];
    examples: {
      reference: number[];
      current: number[];
      psi: number;
      pooledReference: number[];
      pooledCurrent: number[];
      statistic: number;
      pValue: number;
      dof: number;
      level: number;
      psiNoiseFloor: number;
    }[];
  };
}

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/stats/reference-values.json", import.meta.url), "utf8")) as Fixtures;

const num = (x: Num): number => (x === "+Inf" ? Infinity : x === "-Inf" ? -Infinity : x);

function histogram(upper: Num[], counts: number[]): Histogram {
  const u = upper.map(num);
  return {
    bins: u.map((up, i) => ({ lower: i === 0 ? -Infinity : (u[i - 1] as number), upper: up, count: counts[i] as number })),
    total: counts.reduce((a, b) => a + b, 0),
  };
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected a value, got: ${r.reason}`);
  return r.value;
}

/** |actual − expected| ≤ rtol·|expected| + atol. */
function expectClose(actual: number, expected: number, rtol: number, atol = 0, what = ""): void {
  const err = Math.abs(actual - expected);
  const bound = rtol * Math.abs(expected) + atol;
  if (!(err <= bound)) throw new Error(`${what}: got ${actual}, expected ${expected} (error ${err} > ${bound})`);
}

const RTOL = 1e-9;

describe("fixtures", () => {
  it("were generated with numpy and scipy", () => {
    expect(fixtures.versions.scipy).toBeTruthy();
    expect(fixtures.pairs.length).toBeGreaterThan(100);
  });
});

describe.each(fixtures.pairs)("pair $name", (c) => {
  const ref = histogram(c.upper, c.reference);
  const cur = histogram(c.current.length === c.upper.length ? c.upper : c.upper, c.current);
  const opts = { epsilon: c.epsilon };

  // Against the 60-digit decimal oracle our formulas are limited only by rounding each proportion
  // to double (≈1e-17 absolute): in the PSI terms that error multiplies a difference of
  // proportions (≤ 1e-28 absolute for the nearly identical huge-count case), in KL, JS and
  // Hellinger it enters linearly (≤ 1e-16 absolute).
  // Against scipy/numpy: their naive formulas (ln(q/p) of a ratio near 1, sums of terms that cancel)
  // carry ≈1e-16 absolute error per term, so an absolute allowance of 1e-15 is added; the
  // Jensen–Shannon *distance* is the square root of a divergence with that error, which makes
  // scipy's distance off by up to min(sqrt(1e-15), 1e-15 / (2d)).
  it("PSI matches numpy and the decimal oracle", () => {
    const got = value(psi(ref, cur, opts));
    expectClose(got, c.psiDecimal, 1e-11, 1e-28, "psi vs decimal");
    expectClose(got, c.psi, RTOL, 1e-15, "psi vs numpy");
  });
  it("KL(reference ‖ current) matches scipy.special.rel_entr, scipy.stats.entropy and the oracle", () => {
    const got = value(klDivergence(ref, cur, opts));
    expectClose(got, c.klDecimal, 1e-11, 1e-16, "kl vs decimal");
    expectClose(got, c.kl, RTOL, 1e-15, "kl vs scipy rel_entr");
    if (c.klScipyEntropy !== undefined) expectClose(got, c.klScipyEntropy, RTOL, 1e-15, "kl vs scipy entropy");
  });
  it("Jensen–Shannon distance matches scipy.spatial.distance.jensenshannon and the oracle", () => {
    const got = value(jensenShannonDistance(ref, cur));
    expectClose(got, c.jsDecimal, 1e-11, 1e-16, "js vs decimal");
    const scipyNoise = Math.min(Math.sqrt(1e-15), 1e-15 / (2 * Math.max(c.jsDecimal, 1e-300)));
    expectClose(got, c.js, RTOL, scipyNoise, "js vs scipy");
  });
  it("Hellinger distance matches numpy and the oracle", () => {
    const got = value(hellingerDistance(ref, cur));
    expectClose(got, c.hellingerDecimal, 1e-11, 1e-16, "hellinger vs decimal");
    expectClose(got, c.hellinger, RTOL, 1e-15, "hellinger vs numpy");
  });
  it("Wasserstein matches scipy.stats.wasserstein_distance with weights", () => {
    const w = c.wasserstein;
    const got = wassersteinDistance(ref, cur);
    if (w.error !== undefined) {
      expect(got.ok).toBe(false);
      if (w.points && w.distance !== undefined) expectClose(value(wasserstein1(w.points, c.reference, c.current)), w.distance, RTOL, 1e-15);
      return;
    }
    const v = value(got);
    // scipy sorts and integrates the same step functions; both are sums of ≤ 40 terms.
    expectClose(v.distance, w.distance as number, RTOL, 1e-14, "raw distance");
    expectClose(v.referenceStdDev, w.referenceStdDev as number, RTOL, 0, "reference sd");
    expectClose(v.normalized, w.normalized as number, RTOL, 1e-14, "normalised");
  });
  it("KS statistic matches scipy.stats.ks_2samp on the expanded samples", () => {
    const got = value(ksTest(ref, cur));
    expectClose(got.statistic, c.ks.statistic, 1e-12, 1e-15, "D vs numpy");
    expectClose(got.effectiveN, c.ks.effectiveN, 1e-12, 0, "effective n");
    // Our p-value is Kolmogorov's limiting distribution at sqrt(n_eff)·D (scipy.stats.kstwobign).
    // The far tail exp(−2λ²) turns the ≈1e-16 relative error of λ² into 2λ²·1e-16 ≤ 1.5e-13.
    expectClose(got.pValue, c.ks.pValueAsymptotic, 1e-11, 1e-300, "p vs kstwobign");
    const s = c.ks.scipy;
    if (!s) return;
    expect(got.statistic).toBe(s.statistic);
    // ks_2samp(method="asymp") evaluates the finite-n distribution kstwo at round(n_eff) instead of
    // the limit. The limit is conservative (a larger p-value) once n_eff is not tiny, and the gap
    // closes like 1/sqrt(n_eff) (Korolyuk's first correction term): within 3/sqrt(n_eff) relative
    // for p ≥ 1e-6 in every fixture (1.5/sqrt(n) typical near p = 0.001, see docs/statistics.md).
    if (c.ks.effectiveN >= 3) expect(got.pValue).toBeGreaterThanOrEqual(s.pValue * (1 - 1e-9));
    if (c.ks.effectiveN >= 100 && s.pValue >= 1e-6) expectClose(got.pValue, s.pValue, 3 / Math.sqrt(c.ks.effectiveN), 0, "p vs ks_2samp asymp");
  });
  it("chi-square test matches scipy.stats.chi2_contingency(correction=False)", () => {
    const e = c.chi2;
    const got = chiSquareTest(ref, cur);
    if (e.error !== undefined) {
      expect(got.ok).toBe(false);
      return;
    }
    const v = value(got);
    expect(v.dof).toBe(e.dof);
    // scipy forms O − E from expected counts; for identical proportions the statistic is a sum of
    // rounding noise of O(N·1e-16 · 1e-16·N / E) — an absolute allowance of 1e-15·N covers it.
    const n = v.total;
    expectClose(v.statistic, e.statistic as number, RTOL, 1e-15 * n, "statistic");
    expectClose(v.pValue, e.pValue as number, 1e-8, 1e-300, "p-value");
    expectClose(v.cramersV, e.cramersV as number, RTOL, Math.sqrt(1e-15), "Cramér's V");
  });
});

describe("special functions", () => {
  it.each(fixtures.gamma)("regularized gamma Q and P at a=$a x=$x match scipy.special.gammaincc/gammainc", ({ a, x, q, p }) => {
    // The prefactor x^a e^(−x)/Γ(a) is exp of a sum of terms of size ≈ a; its rounding error grows
    // like a·1e-16 for large a (1e-11 at a = 1e5); elsewhere 1e-12 holds.
    const tol = Math.max(1e-12, a * 2e-16);
    expectClose(value(regularizedGammaQ(a, x)), q, tol, 1e-300, "Q");
    expectClose(value(regularizedGammaP(a, x)), p, tol, 1e-300, "P");
  });
  it.each(fixtures.logGamma)("logGamma($a) matches scipy.special.gammaln", ({ a, value: expected }) => {
    expectClose(logGamma(a), expected, 1e-13, 1e-14);
  });
  it.each(fixtures.chi2Survival)("chi-square survival at x=$x dof=$dof matches scipy.stats.chi2.sf", ({ x, dof, sf }) => {
    expectClose(value(chiSquareSurvival(x, dof)), sf, 1e-11, 1e-300);
  });
  it.each(fixtures.kolmogorov)("Kolmogorov survival at $x matches scipy.special.kolmogorov", ({ x, sf }) => {
    expectClose(value(kolmogorovSurvival(x)), sf, 1e-12, 1e-300);
  });
});

describe("special functions of the canary tests", () => {
  const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
  const parameterPairs = [...new Set(fixtures.betaIncomplete.map((c) => `${c.a} ${c.b}`))].map((key) => {
    const [a, b] = key.split(" ").map(Number) as [number, number];
    return { a, b, cases: fixtures.betaIncomplete.filter((c) => c.a === a && c.b === b) };
  });
  it("cover the parameter grid", () => {
    expect(parameterPairs.length).toBe(121);
    expect(fixtures.betaIncomplete.length).toBeGreaterThan(1000);
  });
  it.each(parameterPairs)("incomplete beta I_x($a, $b) matches the 110-digit decimal value at every x", ({ a, b, cases }) => {
    // Near the peak x₀ = a/(a + b) the prefactor's exponent is a·(ln(1 + d) − d) + b·(…) with
    // d = x/x₀ − 1; x₀ and d carry a rounding error of ≈ε, which the exponent turns into ≈a·d·ε,
    // ≈ k·sqrt(a)·ε at k standard deviations (3e-12 at a = b = 1e7, k = 10). Elsewhere 2e-13 holds.
    const tol = 2e-13 + 2e-15 * Math.sqrt(Math.min(a, b));
    for (const c of cases) expectClose(value(regularizedIncompleteBeta(a, b, c.x)), c.value, tol, 1e-300, `I_${c.x}(${a}, ${b})`);
  });
  it("incomplete beta matches scipy.special.betainc wherever Cephes' incbet is itself accurate", () => {
    // Cephes' incbet is off the decimal value by more than 1e-10 in 90 cases, all with a or b ≥ 1e4
    // or with b = 0.01 and x near 1: up to 2e-2 relative, and betainc(1e7, 1e7, 0.5) = 0.4907
    // where symmetry says 0.5. There the check is that ours is the closer one.
    let cephesOff = 0;
    for (const c of fixtures.betaIncomplete) {
      const got = value(regularizedIncompleteBeta(c.a, c.b, c.x));
      if (relativeError(c.scipy, c.value) <= 1e-10) expectClose(got, c.scipy, RTOL, 1e-300, `I_${c.x}(${c.a}, ${c.b}) vs scipy`);
      else {
        cephesOff++;
        expect(Math.max(c.a, c.b) >= 1e4 || Math.min(c.a, c.b) <= 0.01).toBe(true);
        expect(relativeError(got, c.value)).toBeLessThan(relativeError(c.scipy, c.value));
      }
    }
    expect(cephesOff).toBeLessThan(100);
  });
  it.each(fixtures.studentT)("Student's t survival at t=$t df=$df matches scipy.stats.t.sf and the decimal value", ({ t, df, sf, scipy }) => {
    // scipy's t.sf is cdflib's bratio (TOMS 708), itself within 7e-14 of the decimal value here.
    const got = value(studentTSurvival(t, df));
    expectClose(got, sf, 2e-13, 1e-300, "vs decimal");
    expectClose(got, scipy, 5e-13, 1e-300, "vs scipy");
  });
  it.each(fixtures.normal)("normal survival at z=$z matches scipy.stats.norm.sf and the decimal value", ({ z, sf, scipy }) => {
    const got = value(normalSurvival(z));
    expectClose(got, sf, 1e-14, 1e-300, "vs decimal");
    // Cephes' erfc takes exp(−z²) of a rounded z²: up to z²·ε ≈ 1e-13 relative at z = 30.
    expectClose(got, scipy, 2e-13, 1e-300, "vs scipy");
  });
});

describe("embedding vectors", () => {
  it.each(fixtures.vectors.map((v, i) => ({ ...v, i, dim: v.u.length })))("case $i (dimension $dim) matches scipy cosine and euclidean", (c) => {
    // cosine distance near 0 is 1 − (a number near 1): its absolute rounding floor is ≈1e-16 per
    // dimension, hence the absolute allowance.
    expectClose(value(cosineDistance(c.u, c.v)), c.cosine, RTOL, 1e-13, "cosine");
    expectClose(value(euclideanDistance(c.u, c.v)), c.euclidean, 1e-12, 0, "euclidean");
  });
});

describe("histograms from cumulative buckets", () => {
  it.each(fixtures.cumulative)("$name: per-bin counts match numpy (maximum.accumulate, diff)", (c) => {
    const h = value(binsFromCumulative(c.buckets.map((b) => ({ le: num(b.le), count: b.count }))));
    expect(h.bins.map((b) => b.upper)).toEqual(c.upper.map(num));
    h.bins.forEach((b, i) => expectClose(b.count, c.counts[i] as number, 1e-12, 1e-9, `bin ${i}`));
    expect(h.total).toBe(c.total);
    expect(h.forcedMonotonic).toBe(c.forcedMonotonic);
  });
  it.each(fixtures.quantiles)("quantile q=$q matches a Python port of PromQL bucketQuantile", (c) => {
    expectClose(value(histogramQuantile(c.q, histogram(c.upper, c.counts))), num(c.expected), 1e-12, 1e-12);
  });
  it.each(fixtures.shares)("share below $threshold matches a Python port of PromQL BucketFraction", (c) => {
    expectClose(value(shareBelow(c.threshold, histogram(c.upper, c.counts))), c.expected, 1e-12, 1e-15);
  });
});

describe("the drift noise gate", () => {
  const gate = fixtures.noiseGate;
  const U10: Num[] = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, "+Inf"];
  it("spends the documented budget of false findings per 30 days", () => {
    expect(FALSE_FINDINGS_PER_30_DAYS).toBe(gate.budgetPer30Days);
  });
  it.each(gate.levels)("its level at an interval of $intervalMs ms is the budget's share of 30 days ($level)", ({ intervalMs, level }) => {
    expectClose(noiseLevelForInterval(intervalMs), level, 1e-15);
  });
  it.each(gate.quantiles)("the chi-square quantile at that level, dof $dof (scipy isf, mpmath sf), has survival = the level", ({ dof, level, x, sf }) => {
    expectClose(sf, level, 1e-12, 0, "mpmath");
    expectClose(value(chiSquareSurvival(x, dof)), level, 1e-11, 0, "chiSquareSurvival");
  });
  it("has a worked example that noise explains (n = 100) and one it does not (n = 1 000)", () => {
    expect(gate.examples.map((e) => e.pValue < e.level)).toEqual([false, true]);
  });
  it.each(gate.examples)("worked example %#: scipy's pooled test, and the decision without and with the gate", (ex) => {
    const reference = histogram(U10, ex.reference);
    const current = histogram(U10, ex.current);
    const pooled = value(poolAdjacentBins(reference, current));
    expect([pooled.reference, pooled.current]).toEqual([ex.pooledReference, ex.pooledCurrent]);
    const input = { reference, current, method: "psi" as const, minSamples: 1 };
    const before = evaluateFeatureDrift(input);
    const after = evaluateFeatureDrift({ ...input, noiseLevel: noiseLevelForInterval(60_000) });
    if (before.state !== "Value" || after.state !== "Value") throw new Error(JSON.stringify({ before, after }));
    for (const r of [before, after]) {
      expectClose(r.score, ex.psi, 1e-12, 0, "psi");
      expectClose(r.pValue, ex.pValue, 1e-9, 1e-300, "p");
      expect(r.dof).toBe(ex.dof);
    }
    // PSI 0.38 is over the critical 0.25 and p < 0.05 in both examples: a finding without the gate.
    // With it, the finding stands only when noise of that window size cannot explain it.
    expect(before.severity).toBe("critical");
    expectClose(after.alpha, ex.level, 1e-15);
    expect(after.severity).toBe(ex.pValue < ex.level ? "critical" : "none");
    expect(ex.psi > ex.psiNoiseFloor).toBe(ex.pValue < ex.level);
  });
});
