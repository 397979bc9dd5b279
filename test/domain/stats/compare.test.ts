// Canary comparisons: scipy fixtures (scripts/fixtures/make-stats-fixtures.py), hand-checked
// cases, edge cases and invariants.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALTERNATIVES,
  countAbove,
  histogramQuantile,
  momentsFromBins,
  normalSurvival,
  regularizedIncompleteBeta,
  studentTSurvival,
  twoProportionTest,
  welchTest,
  type Alternative,
  type MeanSample,
  type ProportionSample,
} from "../../../src/domain/stats/index.ts";
import { hist, reason, value } from "./support.ts";

type Num = number | "+Inf";
interface Fixtures {
  twoProportion: {
    name: string;
    stable: ProportionSample;
    candidate: ProportionSample;
    alternative: Alternative;
    stableRate: number;
    candidateRate: number;
    difference: number;
    z: number;
    pValue: number;
  }[];
  welch: { name: string; stable: MeanSample; candidate: MeanSample; alternative: Alternative; difference: number; t: number; df: number; pValue: number }[];
  moments: { name: string; upper: Num[]; counts: number[]; error?: string; mean?: number; variance?: number; n?: number; sum?: number; meanFromSum?: number }[];
}

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/stats/reference-values.json", import.meta.url), "utf8")) as Fixtures;

/** a = −b, with 0 and −0 counted equal. */
function expectNegated(a: number, b: number, what: string): void {
  if (!(a === -b)) throw new Error(`${what}: ${a} is not the negation of ${b}`);
}

/** |actual − expected| ≤ rtol·|expected| + atol. */
function expectClose(actual: number, expected: number, rtol: number, atol = 0, what = ""): void {
  const err = Math.abs(actual - expected);
  const bound = rtol * Math.abs(expected) + atol;
  if (!(err <= bound)) throw new Error(`${what}: got ${actual}, expected ${expected} (error ${err} > ${bound})`);
}

describe("twoProportionTest against scipy.stats.norm", () => {
  it.each(fixtures.twoProportion)("$name, $alternative", (c) => {
    const r = value(twoProportionTest(c.stable, c.candidate, c.alternative));
    expect(r.stableRate).toBe(c.stableRate);
    expect(r.candidateRate).toBe(c.candidateRate);
    expect(r.difference).toBe(c.difference);
    // The fixture writes p̂(1 − p̂) as statsmodels does; 1 − p̂ cancels for p̂ near 1 (≈4e-12
    // relative at p̂ = 0.99997), where ours uses the failure counts. The p-value's relative
    // sensitivity to z is about z², so 1e-9 on p leaves room for z up to 15 or so.
    expectClose(r.z, c.z, 1e-11, 0, "z");
    expectClose(r.pValue, c.pValue, 1e-9, 1e-300, "p");
  });
});

describe("welchTest against scipy.stats.ttest_ind_from_stats(equal_var=False)", () => {
  it.each(fixtures.welch)("$name, $alternative", (c) => {
    const r = value(welchTest(c.stable, c.candidate, c.alternative));
    expect(r.difference).toBe(c.difference);
    expectClose(r.t, c.t, 1e-14, 0, "t");
    expectClose(r.df, c.df, 1e-14, 0, "df");
    expectClose(r.pValue, c.pValue, 1e-9, 1e-300, "p");
  });
  it("covers small n, unequal variances, large n and p-values down to 1e-100", () => {
    const twoSided = fixtures.welch.filter((c) => c.alternative === "two-sided");
    expect(Math.min(...twoSided.map((c) => Math.min(c.stable.n, c.candidate.n)))).toBe(2);
    expect(Math.max(...twoSided.map((c) => c.stable.n))).toBeGreaterThanOrEqual(1e9);
    expect(twoSided.some((c) => c.pValue > 0 && c.pValue < 1e-30)).toBe(true);
    expect(twoSided.some((c) => c.pValue > 0 && c.pValue < 1e-99)).toBe(true);
  });
});

describe("momentsFromBins against a 60-digit decimal oracle", () => {
  it.each(fixtures.moments)("$name", (c) => {
    const upper = c.upper.map((u) => (u === "+Inf" ? Infinity : u));
    const h = hist(upper, c.counts);
    if (c.error !== undefined) {
      expect(momentsFromBins(h).ok).toBe(false);
      return;
    }
    // two-pass sums of at most 20 terms around a populated point
    const m = value(momentsFromBins(h));
    expectClose(m.mean, c.mean as number, 1e-13, 1e-300, "mean");
    expectClose(m.variance, c.variance as number, 1e-13, 1e-300, "variance");
    expect(m.n).toBe(c.n);
    if (c.sum !== undefined) {
      const withSum = value(momentsFromBins(h, { sum: c.sum }));
      expectClose(withSum.mean, c.meanFromSum as number, 1e-15, 0, "mean from sum");
      expect(withSum.variance).toBe(m.variance);
    }
  });
});

describe("special functions of the canary tests", () => {
  it("have the closed forms I_x(1, 1) = x, I_x(a, 1) = x^a, Cauchy and df = 2", () => {
    // the prefactor is exp of a logarithm: ≈|ln x|·ε, 2.3e-15 at x = 1e-9
    for (const x of [0, 1e-9, 0.3, 0.5, 0.99, 1]) expectClose(value(regularizedIncompleteBeta(1, 1, x)), x, 1e-14);
    expectClose(value(regularizedIncompleteBeta(3.5, 1, 0.2)), 0.2 ** 3.5, 1e-14);
    expectClose(value(regularizedIncompleteBeta(1, 4, 0.25)), 1 - 0.75 ** 4, 1e-14);
    // upper tails written without cancellation: atan(1/t)/π, and ½(1 − t/√(2 + t²)) rationalised
    const cauchy = (t: number): number => (t > 0 ? Math.atan2(1, t) / Math.PI : 1 - Math.atan2(1, -t) / Math.PI);
    const df2 = (t: number): number => {
      const r = Math.sqrt(2 + t * t);
      return t > 0 ? 1 / ((r + t) * r) : 1 - 1 / ((r - t) * r);
    };
    for (const t of [-3, -0.5, 0.7, 4, 1e6]) {
      expectClose(value(studentTSurvival(t, 1)), cauchy(t), 1e-13, 0, `Cauchy at ${t}`);
      expectClose(value(studentTSurvival(t, 2)), df2(t), 1e-13, 0, `df=2 at ${t}`);
    }
  });
  it("keep I_x(a, b) + I_(1−x)(b, a) = 1", () => {
    for (const [a, b, x] of [
      [0.3, 7, 0.25],
      [40, 40, 0.5],
      [2.5, 1e4, 0.0004],
      [1e5, 0.5, 0.75],
    ] as const)
      expectClose(value(regularizedIncompleteBeta(a, b, x)) + value(regularizedIncompleteBeta(b, a, 1 - x)), 1, 1e-13);
  });
  it("answer the limits: t = 0, infinite t, infinite df, z = ±Infinity", () => {
    expect(value(studentTSurvival(0, 3.3))).toBe(0.5);
    expect(value(studentTSurvival(Infinity, 3))).toBe(0);
    expect(value(studentTSurvival(-Infinity, 3))).toBe(1);
    expect(value(studentTSurvival(2.5, Infinity))).toBe(value(normalSurvival(2.5)));
    expectClose(value(studentTSurvival(2.5, 1e300)), value(normalSurvival(2.5)), 1e-14);
    expect(value(normalSurvival(Infinity))).toBe(0);
    expect(value(normalSurvival(-Infinity))).toBe(1);
    expect(value(normalSurvival(0))).toBe(0.5);
    expect(value(normalSurvival(40))).toBe(0); // 3.7e-350 underflows
  });
  it("refuse arguments outside their domains with a reason", () => {
    expect(reason(regularizedIncompleteBeta(0, 1, 0.5))).toMatch(/parameter a=0/);
    expect(reason(regularizedIncompleteBeta(1, Infinity, 0.5))).toMatch(/parameter b=\+Inf/);
    expect(reason(regularizedIncompleteBeta(1, 1, 1.5))).toMatch(/x=1.5 .* \[0, 1\]/);
    expect(reason(regularizedIncompleteBeta(1, 1, Number.NaN))).toMatch(/x=NaN/);
    expect(reason(studentTSurvival(1, 0))).toMatch(/degrees of freedom/);
    expect(reason(studentTSurvival(1, Number.NaN))).toMatch(/degrees of freedom of Student's t \(NaN\)/);
    expect(reason(studentTSurvival(Number.NaN, 3))).toMatch(/t statistic/);
    expect(reason(normalSurvival(Number.NaN))).toMatch(/not a number/);
  });
});

describe("twoProportionTest", () => {
  it("matches a hand computation with the pooled rate", () => {
    // p̂ = 30/200 = 0.15, se = sqrt(0.15 · 0.85 · (1/100 + 1/100)), z = 0.1/se
    const r = value(twoProportionTest({ successes: 10, trials: 100 }, { successes: 20, trials: 100 }, "greater"));
    const z = 0.1 / Math.sqrt(0.15 * 0.85 * 0.02);
    expect(r).toMatchObject({ stableRate: 0.1, candidateRate: 0.2 });
    expectClose(r.difference, 0.1, 1e-15);
    expectClose(r.z, z, 1e-14);
    expectClose(r.pValue, value(normalSurvival(z)), 1e-14);
    expectClose(value(twoProportionTest({ successes: 10, trials: 100 }, { successes: 20, trials: 100 }, "two-sided")).pValue, 2 * r.pValue, 1e-14);
  });
  it("answers z = 0 and p = 1 when the pooled rate is 0 or 1 (no variance)", () => {
    for (const alternative of ALTERNATIVES) {
      expect(value(twoProportionTest({ successes: 0, trials: 100 }, { successes: 0, trials: 7 }, alternative))).toEqual({
        stableRate: 0,
        candidateRate: 0,
        difference: 0,
        z: 0,
        pValue: 1,
      });
      expect(value(twoProportionTest({ successes: 5, trials: 5 }, { successes: 1e6, trials: 1e6 }, alternative))).toMatchObject({ z: 0, pValue: 1 });
    }
  });
  it("keeps precision for rates near 1 by pooling the failures", () => {
    // failures 10 and 50 of 1e6 each: the z of the failure rates, negated
    const near = value(twoProportionTest({ successes: 999_990, trials: 1e6 }, { successes: 999_950, trials: 1e6 }, "less"));
    const failures = value(twoProportionTest({ successes: 10, trials: 1e6 }, { successes: 50, trials: 1e6 }, "greater"));
    expectClose(near.z, -failures.z, 1e-9);
    expectClose(near.pValue, failures.pValue, 1e-8);
  });
  it("refuses counts that cannot be rates, with a reason", () => {
    const fine = { successes: 1, trials: 10 };
    expect(reason(twoProportionTest({ successes: 0, trials: 0 }, fine, "greater"))).toMatch(/stable version has 0 trials/);
    expect(reason(twoProportionTest(fine, { successes: 0, trials: -3 }, "greater"))).toMatch(/candidate version has -3 trials/);
    expect(reason(twoProportionTest(fine, { successes: 11, trials: 10 }, "greater"))).toMatch(/11 successes out of 10 trials/);
    expect(reason(twoProportionTest({ successes: -1, trials: 10 }, fine, "less"))).toMatch(/-1 successes/);
    expect(reason(twoProportionTest({ successes: Number.NaN, trials: 10 }, fine, "less"))).toMatch(/NaN successes/);
    expect(reason(twoProportionTest({ successes: 1, trials: Infinity }, fine, "less"))).toMatch(/\+Inf trials/);
    expect(reason(twoProportionTest(fine, fine, "bigger" as Alternative))).toMatch(/alternative "bigger"/);
  });
});

describe("welchTest", () => {
  it("matches a hand computation", () => {
    // v/n = 4/4 + 9/9 = 2: t = 3/sqrt 2, df = 4/(1/3 + 1/8)
    const r = value(welchTest({ mean: 10, variance: 4, n: 4 }, { mean: 13, variance: 9, n: 9 }, "two-sided"));
    expectClose(r.t, 3 / Math.SQRT2, 1e-15);
    expectClose(r.df, 4 / (1 / 3 + 1 / 8), 1e-15);
    expectClose(r.pValue, 2 * value(studentTSurvival(3 / Math.SQRT2, 4 / (1 / 3 + 1 / 8))), 1e-14);
  });
  it("with zero variance on both sides: p = 1 for equal means, 0 or 1 by direction otherwise", () => {
    for (const alternative of ALTERNATIVES)
      expect(value(welchTest({ mean: 2, variance: 0, n: 5 }, { mean: 2, variance: 0, n: 8 }, alternative))).toEqual({ difference: 0, t: 0, df: 11, pValue: 1 });
    const up = (alternative: Alternative) => value(welchTest({ mean: 2, variance: 0, n: 5 }, { mean: 2.5, variance: 0, n: 8 }, alternative));
    expect(up("two-sided")).toEqual({ difference: 0.5, t: Infinity, df: 11, pValue: 0 });
    expect(up("greater").pValue).toBe(0);
    expect(up("less").pValue).toBe(1);
    const down = value(welchTest({ mean: 2, variance: 0, n: 5 }, { mean: 1, variance: 0, n: 8 }, "greater"));
    expect(down).toMatchObject({ t: -Infinity, pValue: 1 });
  });
  it("with zero variance on one side takes df = n − 1 of the other", () => {
    expectClose(value(welchTest({ mean: 0, variance: 0, n: 50 }, { mean: 1, variance: 3, n: 12 }, "greater")).df, 11, 1e-15);
  });
  it("tends to the z-test for huge n", () => {
    const r = value(welchTest({ mean: 0, variance: 1, n: 1e12 }, { mean: 3e-6, variance: 1, n: 1e12 }, "greater"));
    expectClose(r.pValue, value(normalSurvival(r.t)), 1e-9);
  });
  it("refuses samples it cannot test, with a reason", () => {
    const fine = { mean: 1, variance: 1, n: 10 };
    expect(reason(welchTest({ mean: 1, variance: 1, n: 1 }, fine, "less"))).toMatch(/stable version has n=1; .* at least 2/);
    expect(reason(welchTest(fine, { mean: 1, variance: -1, n: 10 }, "less"))).toMatch(/candidate variance \(-1\)/);
    expect(reason(welchTest(fine, { mean: Number.NaN, variance: 1, n: 10 }, "less"))).toMatch(/candidate mean \(NaN\)/);
    expect(reason(welchTest(fine, { mean: 1, variance: Infinity, n: 10 }, "less"))).toMatch(/\+Inf/);
    expect(reason(welchTest({ mean: -1.7e308, variance: 1, n: 10 }, { mean: 1.7e308, variance: 1, n: 10 }, "less"))).toMatch(/too large/);
    expect(reason(welchTest(fine, fine, "two_sided" as Alternative))).toMatch(/alternative/);
  });
});

describe("momentsFromBins", () => {
  it("places the bins as documented and divides by n − 1", () => {
    // points 0.5 (lowest bin [0, 1]), 1.5, 3, and 4 for the +Inf bin (empty here)
    const m = value(momentsFromBins(hist([1, 2, 4, Infinity], [2, 3, 5, 0])));
    const mean = (2 * 0.5 + 3 * 1.5 + 5 * 3) / 10;
    expectClose(m.mean, mean, 1e-15);
    expectClose(m.variance, (2 * (0.5 - mean) ** 2 + 3 * (1.5 - mean) ** 2 + 5 * (3 - mean) ** 2) / 9, 1e-15);
    expect(m.n).toBe(10);
  });
  it("puts a lowest bin with le ≤ 0 at its le, and the +Inf bin at the highest finite le", () => {
    const m = value(momentsFromBins(hist([-1, 0, 1, Infinity], [10, 0, 989, 1])));
    expectClose(m.mean, (10 * -1 + 989 * 0.5 + 1 * 1) / 1000, 1e-15);
  });
  it("refuses a +Inf bucket above maxInfBucketShare (default 1 %), naming the boundary to compare instead", () => {
    expect(momentsFromBins(hist([1, 2, Infinity], [50, 49, 1])).ok).toBe(true);
    expect(reason(momentsFromBins(hist([1, 2, Infinity], [50, 48, 2])))).toMatch(/\+Inf bucket holds 2% .* share above le=2/);
    expect(momentsFromBins(hist([1, 2, Infinity], [50, 48, 2]), { maxInfBucketShare: 0.05 }).ok).toBe(true);
    expect(momentsFromBins(hist([1, 2, Infinity], [50, 49, 1]), { maxInfBucketShare: 0 }).ok).toBe(false);
    expect(reason(momentsFromBins(hist([1, Infinity], [5, 5]), { maxInfBucketShare: 2 }))).toMatch(/maxInfBucketShare/);
  });
  it("takes the exact mean from sum/n and keeps the bucket variance", () => {
    const h = hist([1, 2, 4, Infinity], [2, 3, 5, 0]);
    const bucket = value(momentsFromBins(h));
    expect(value(momentsFromBins(h, { sum: 21.7 }))).toEqual({ mean: 2.17, variance: bucket.variance, n: 10 });
    expect(reason(momentsFromBins(h, { sum: Number.NaN }))).toMatch(/sum of the observations \(NaN\)/);
  });
  it("gives variance exactly 0 when one bin holds everything", () => {
    expect(value(momentsFromBins(hist([0.1, 0.2, 0.3, Infinity], [0, 0, 1e9, 0])))).toEqual({ mean: 0.25, variance: 0, n: 1e9 });
  });
  it("refuses histograms without a variance", () => {
    expect(reason(momentsFromBins(hist([1, Infinity], [0, 0])))).toMatch(/empty/);
    expect(reason(momentsFromBins(hist([1, Infinity], [1, 0])))).toMatch(/more than one/);
    expect(reason(momentsFromBins(hist([Infinity], [10])))).toMatch(/only the le="\+Inf" bucket/);
    expect(reason(momentsFromBins(hist([1, Infinity], [-1, 5])))).toMatch(/negative count/);
  });
});

describe("countAbove", () => {
  const h = hist([0.1, 0.25, 0.5, 1, Infinity], [40, 30, 20, 7, 3]);
  it("counts the observations above a bucket boundary exactly", () => {
    expect(value(countAbove(0.25, h))).toEqual({ above: 30, total: 100 });
    expect(value(countAbove(0.1, h))).toEqual({ above: 60, total: 100 });
    expect(value(countAbove(1, h))).toEqual({ above: 3, total: 100 });
    expect(value(countAbove(Infinity, h))).toEqual({ above: 0, total: 100 });
  });
  it("refuses a threshold that is not a boundary, listing the boundaries", () => {
    expect(reason(countAbove(0.3, h))).toMatch(/le=0.3 is not a bucket boundary .* le=0.1, le=0.25, le=0.5, le=1, le=\+Inf/);
    expect(reason(countAbove(Number.NaN, h))).toMatch(/not a number/);
  });
  it("feeds the quantile comparison: shares above the stable version's p90 bucket boundary", () => {
    const stable = hist([0.1, 0.25, 0.5, 1, Infinity], [400, 300, 200, 90, 10]);
    const candidate = hist([0.1, 0.25, 0.5, 1, Infinity], [250, 300, 250, 150, 50]);
    // the stable p90 lies in (0.25, 0.5]: compare the shares above le=0.5
    const p90 = value(histogramQuantile(0.9, stable));
    expect(p90).toBeGreaterThan(0.25);
    expect(p90).toBeLessThanOrEqual(0.5);
    const s = value(countAbove(0.5, stable));
    const c = value(countAbove(0.5, candidate));
    const r = value(twoProportionTest({ successes: s.above, trials: s.total }, { successes: c.above, trials: c.total }, "greater"));
    expect(r.stableRate).toBe(0.1);
    expect(r.candidateRate).toBe(0.2);
    expect(r.pValue).toBeLessThan(1e-9);
  });
});

describe("invariants", () => {
  const alternatives = fc.constantFrom(...ALTERNATIVES);
  const proportion = fc
    .record({ trials: fc.integer({ min: 1, max: 1e9 }), share: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map(({ trials, share }) => ({ successes: Math.floor(share * trials), trials }));
  const sample = fc.record({
    mean: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    variance: fc.oneof(fc.constant(0), fc.double({ min: 1e-12, max: 1e6, noNaN: true })),
    n: fc.oneof(fc.integer({ min: 2, max: 1e9 }), fc.double({ min: 2, max: 1e7, noNaN: true })),
  });

  it("two-proportion: swapping the versions negates difference and z and swaps greater and less", () => {
    fc.assert(
      fc.property(proportion, proportion, (a, b) => {
        const greater = value(twoProportionTest(a, b, "greater"));
        const greaterBack = value(twoProportionTest(b, a, "greater"));
        expectNegated(greaterBack.difference, greater.difference, "difference");
        expectNegated(greaterBack.z, greater.z, "z");
        expect(greaterBack.pValue).toBe(value(twoProportionTest(a, b, "less")).pValue);
        expect(value(twoProportionTest(b, a, "less")).pValue).toBe(greater.pValue);
        expect(value(twoProportionTest(b, a, "two-sided")).pValue).toBe(value(twoProportionTest(a, b, "two-sided")).pValue);
      }),
    );
  });
  it("Welch: swapping the versions negates difference and t and swaps greater and less", () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const greater = value(welchTest(a, b, "greater"));
        const less = value(welchTest(a, b, "less"));
        const two = value(welchTest(a, b, "two-sided"));
        const greaterBack = value(welchTest(b, a, "greater"));
        expectNegated(greaterBack.difference, greater.difference, "difference");
        expectNegated(greaterBack.t, greater.t, "t");
        expect(greaterBack.df).toBe(greater.df);
        expect(greaterBack.pValue).toBe(less.pValue);
        expect(value(welchTest(b, a, "less")).pValue).toBe(greater.pValue);
        expect(value(welchTest(b, a, "two-sided")).pValue).toBe(two.pValue);
      }),
    );
  });
  it("p-values lie in [0, 1]; greater + less = 1 and two-sided = 2·min(greater, less) whenever there is variance", () => {
    fc.assert(
      fc.property(proportion, proportion, sample, sample, alternatives, (a, b, s, t, alt) => {
        const prop = value(twoProportionTest(a, b, alt));
        const welch = value(welchTest(s, t, alt));
        for (const p of [prop.pValue, welch.pValue]) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
        const pooled = (a.successes + b.successes) / (a.trials + b.trials);
        if (pooled > 0 && pooled < 1) {
          const greater = value(twoProportionTest(a, b, "greater")).pValue;
          const less = value(twoProportionTest(a, b, "less")).pValue;
          expectClose(greater + less, 1, 1e-14, 0, "two-proportion greater + less");
          expectClose(value(twoProportionTest(a, b, "two-sided")).pValue, Math.min(1, 2 * Math.min(greater, less)), 1e-14, 0, "two-sided");
        }
        if (s.variance > 0 || t.variance > 0) {
          const greater = value(welchTest(s, t, "greater")).pValue;
          const less = value(welchTest(s, t, "less")).pValue;
          expectClose(greater + less, 1, 1e-14, 0, "Welch greater + less");
          expectClose(value(welchTest(s, t, "two-sided")).pValue, Math.min(1, 2 * Math.min(greater, less)), 1e-14, 0, "two-sided");
        }
      }),
    );
  });
  it("the bucket mean lies between the lowest and highest populated bucket point", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 3, maxLength: 3 }), (counts) => {
        if (counts.reduce((x, y) => x + y, 0) < 2) return;
        const m = value(momentsFromBins(hist([0.1, 0.5, 2, Infinity], [...counts, 0])));
        const populated = [0.05, 0.3, 1.25].filter((_, i) => (counts[i] as number) > 0);
        expect(m.mean).toBeGreaterThanOrEqual(Math.min(...populated) * (1 - 1e-15));
        expect(m.mean).toBeLessThanOrEqual(Math.max(...populated) * (1 + 1e-15));
        expect(m.variance).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
