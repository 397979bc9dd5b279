import { describe, expect, it } from "vitest";
import {
  chiSquareTest,
  hellingerDistance,
  jensenShannonDistance,
  klDivergence,
  ksTest,
  psi,
  wasserstein1,
  wassersteinDistance,
  type Counts,
  type Result,
} from "../../../src/domain/stats/index.ts";
import { value, reason, hist } from "./support.ts";

describe("known values", () => {
  it("PSI = Σ (c − r) ln(c/r)", () => {
    // p = (.25, .75), q = (.75, .25): 0.5 ln 3 + (−0.5) ln(1/3) = ln 3
    expect(value(psi([1, 3], [3, 1]))).toBeCloseTo(Math.log(3), 15);
    expect(value(psi([1, 1], [1, 3]))).toBeCloseTo(0.25 * Math.log(3), 15);
  });

  it("PSI and KL replace an empty bin by epsilon without renormalising", () => {
    const eps = 1e-4;
    // reference (0, 1) -> (eps, 1); current (0.5, 0.5)
    const expectedPsi = (0.5 - eps) * Math.log(0.5 / eps) + (0.5 - 1) * Math.log(0.5 / 1);
    expect(value(psi([0, 10], [5, 5]))).toBeCloseTo(expectedPsi, 14);
    const expectedKl = eps * Math.log(eps / 0.5) + 1 * Math.log(1 / 0.5);
    expect(value(klDivergence([0, 10], [5, 5]))).toBeCloseTo(expectedKl, 14);
    // a custom epsilon
    const e2 = 1e-3;
    expect(value(psi([0, 10], [5, 5], { epsilon: e2 }))).toBeCloseTo((0.5 - e2) * Math.log(0.5 / e2) + -0.5 * Math.log(0.5), 14);
  });

  it("KL is KL(reference ‖ current), Evidently's direction", () => {
    // Σ r ln(r/c) with r = (.5, .5), c = (.9, .1) is 0.5 ln(25/9); the other direction would be ≈ 0.368
    expect(value(klDivergence([5, 5], [9, 1]))).toBeCloseTo(0.5 * Math.log(25 / 9), 15);
  });

  it("Jensen–Shannon distance is sqrt of the divergence in nats: sqrt(ln 2) for disjoint support", () => {
    expect(value(jensenShannonDistance([1, 0], [0, 1]))).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(value(jensenShannonDistance([3, 4, 5], [30, 40, 50]))).toBe(0);
    expect(value(jensenShannonDistance([1, 2, 7], [4, 4, 2]))).toBe(value(jensenShannonDistance([4, 4, 2], [1, 2, 7])));
  });

  it("Hellinger distance lies in [0, 1]: 1 for disjoint support", () => {
    expect(value(hellingerDistance([1, 0], [0, 1]))).toBe(1);
    expect(value(hellingerDistance([2, 2], [1, 1]))).toBe(0);
    // p = (.5, .5), q = (1, 0): sqrt(1 − sqrt(.5)) either way
    expect(value(hellingerDistance([1, 1], [1, 0]))).toBeCloseTo(Math.sqrt(1 - Math.sqrt(0.5)), 15);
  });

  it("Wasserstein moves mass between representative points and normalises by the reference sd", () => {
    const upper = [1, 2, 3, 4, Infinity]; // points 0.5, 1.5, 2.5, 3.5, 4
    const w = value(wassersteinDistance(hist(upper, [0, 10, 10, 0, 0]), hist(upper, [0, 0, 10, 10, 0])));
    expect(w.distance).toBeCloseTo(1, 15);
    expect(w.referenceStdDev).toBeCloseTo(0.5, 15);
    expect(w.normalized).toBeCloseTo(2, 15);
    expect(value(wasserstein1([0, 1, 5], [1, 0, 0], [0, 0, 1]))).toBe(5);
    expect(value(wasserstein1([5, 1, 0], [0, 0, 1], [1, 0, 0]))).toBe(5); // points in any order
  });

  it("Wasserstein fails clearly when the reference sd is 0", () => {
    const upper = [1, 2, Infinity];
    expect(reason(wassersteinDistance(hist(upper, [0, 10, 0]), hist(upper, [5, 5, 0])))).toContain("reference standard deviation");
  });
});

type Fn = (r: Counts, c: Counts) => Result<unknown>;
const distances: [string, Fn][] = [
  ["psi", (r, c) => psi(r, c)],
  ["kl", (r, c) => klDivergence(r, c)],
  ["js", jensenShannonDistance],
  ["hellinger", hellingerDistance],
  ["ks", ksTest],
  ["chi2", chiSquareTest],
  ["wasserstein1", (r, c) => wasserstein1([1, 2, 3], r, c)],
];

describe.each(distances)("%s on bad input", (_name, fn) => {
  it.each([
    [[0, 0, 0], [1, 2, 3], "reference window is empty (total count 0)"],
    [[1, 2, 3], [0, 0, 0], "current window is empty (total count 0)"],
    [[], [], "zero bins"],
    [[1, 2, 3], [1, 2], "the reference has 3 bins and the current has 2"],
    [[1, Number.NaN, 3], [1, 2, 3], "the reference counts have a NaN count in bin 1"],
    [[1, 2, 3], [Infinity, 2, 3], "the current counts have an infinite count in bin 0"],
    [[1, -2, 3], [1, 2, 3], "a negative count (-2) in bin 1"],
  ] as [number[], number[], string][])("refuses %j vs %j", (r, c, expected) => {
    expect(reason(fn(r, c))).toContain(expected);
  });
  it("names the bucket of a histogram", () => {
    const upper = [0.1, 0.5, Infinity];
    expect(reason(fn(hist(upper, [1, Number.NaN, 1]), hist(upper, [1, 1, 1])))).toContain("the reference histogram has a NaN count in bucket le=0.5");
  });
  it("refuses histograms with different layouts", () => {
    expect(reason(fn(hist([0.1, 0.5, Infinity], [1, 1, 1]), hist([0.1, 0.6, Infinity], [1, 1, 1])))).toContain(
      "le=0.5 in the reference and le=0.6 in the current",
    );
  });
});

describe("edge cases with values", () => {
  it("all mass in one bin on both sides: every distance is 0, the tests see no difference", () => {
    const r = [0, 7, 0];
    const c = [0, 9, 0];
    expect(value(psi(r, c))).toBe(0);
    expect(value(klDivergence(r, c))).toBe(0);
    expect(value(jensenShannonDistance(r, c))).toBe(0);
    expect(value(hellingerDistance(r, c))).toBe(0);
    expect(value(ksTest(r, c))).toMatchObject({ statistic: 0, pValue: 1 });
    expect(value(chiSquareTest(r, c))).toEqual({ statistic: 0, dof: 0, pValue: 1, cramersV: 0, total: 16 });
  });

  it("a single bucket (+Inf only) compares as all mass in one bin", () => {
    const r = hist([Infinity], [12]);
    const c = hist([Infinity], [30]);
    expect(value(psi(r, c))).toBe(0);
    expect(value(jensenShannonDistance(r, c))).toBe(0);
    expect(value(ksTest(r, c))).toMatchObject({ statistic: 0, pValue: 1 });
    expect(reason(wassersteinDistance(r, c))).toContain("at least one finite bucket boundary");
  });

  it("huge counts (1e12) give the same values as small ones", () => {
    const r = [1, 2, 3, 4];
    const c = [4, 3, 2, 1];
    const big = (xs: number[]) => xs.map((x) => x * 1e12);
    for (const fn of [(a: Counts, b: Counts) => psi(a, b), (a: Counts, b: Counts) => klDivergence(a, b), jensenShannonDistance, hellingerDistance]) {
      expect(value(fn(big(r), big(c)))).toBeCloseTo(value(fn(r, c)), 14);
    }
    const small = value(chiSquareTest(r, c));
    const huge = value(chiSquareTest(big(r), big(c)));
    expect(huge.cramersV).toBeCloseTo(small.cramersV, 14); // the effect size does not grow with n
    expect(huge.statistic / small.statistic).toBeCloseTo(1e12, 0);
    expect(huge.pValue).toBe(0); // underflows gracefully
    expect(value(ksTest(big(r), big(c)))).toMatchObject({ statistic: value(ksTest(r, c)).statistic, pValue: 0 });
  });

  it("huge counts with a one-count difference keep a tiny, positive, accurate value", () => {
    const r = [1e12, 2e12, 3e12];
    const c = [1e12 + 1, 2e12 - 1, 3e12];
    // ≈ Σ (Δp)²/p with Δp = 1/6e12 on the first two bins
    const dp = 1 / 6e12;
    const approx = dp * dp * (1 / (1 / 6) + 1 / (2 / 6));
    expect(value(psi(r, c))).toBeGreaterThan(0);
    expect(value(psi(r, c)) / approx).toBeCloseTo(1, 3);
    expect(value(klDivergence(r, c)) / (approx / 2)).toBeCloseTo(1, 3);
  });

  it.each([0, 1, -1, Number.NaN])("refuses epsilon=%d", (epsilon) => {
    expect(reason(psi([1, 2], [2, 1], { epsilon }))).toContain("epsilon");
    expect(reason(klDivergence([1, 2], [2, 1], { epsilon }))).toContain("epsilon");
  });
});
