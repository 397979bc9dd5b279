import { describe, expect, it } from "vitest";
import {
  chiSquareSurvival,
  chiSquareTest,
  kolmogorovSurvival,
  ksTest,
  logGamma,
  poolAdjacentBins,
  regularizedGammaP,
  regularizedGammaQ,
} from "../../../src/domain/stats/index.ts";
import { value, reason } from "./support.ts";

describe("ksTest", () => {
  it("takes D at the bin edges and the asymptotic p-value with n·m/(n+m)", () => {
    // CDFs after each bin: reference .2 .5 1, current .4 .9 1 -> D = 0.4
    const t = value(ksTest([20, 30, 50], [40, 50, 10]));
    expect(t.statistic).toBeCloseTo(0.4, 15);
    expect(t.effectiveN).toBe(50);
    const lambda = Math.sqrt(50) * 0.4;
    let q = 0;
    for (let k = 1; k < 50; k++) q += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
    expect(t.pValue).toBeCloseTo(q, 15);
  });
  it("gives D = 1 and a tiny p-value for disjoint samples", () => {
    const t = value(ksTest([100, 0], [0, 100]));
    expect(t.statistic).toBe(1);
    expect(t.pValue).toBeLessThan(1e-40);
  });
  it("gives p = 1 for identical proportions", () => {
    expect(value(ksTest([3, 5, 2], [30, 50, 20]))).toMatchObject({ statistic: 0, pValue: 1 });
  });
});

describe("chiSquareTest", () => {
  it("drops bins empty on both sides before counting degrees of freedom", () => {
    const a = value(chiSquareTest([10, 0, 20, 0, 30], [15, 0, 15, 0, 30]));
    const b = value(chiSquareTest([10, 20, 30], [15, 15, 30]));
    expect(a).toEqual(b);
    expect(a.dof).toBe(2);
  });
  it("matches a hand computation on a 2 x 2 table", () => {
    // [[10, 20], [20, 10]]: E = 15 everywhere, χ² = 4·25/15
    const t = value(chiSquareTest([10, 20], [20, 10]));
    expect(t.statistic).toBeCloseTo(100 / 15, 13);
    expect(t.pValue).toBeCloseTo(value(chiSquareSurvival(100 / 15, 1)), 15);
    expect(t.cramersV).toBeCloseTo(Math.sqrt(100 / 15 / 60), 15);
  });
  it("keeps Cramér's V at 1 for disjoint support", () => {
    expect(value(chiSquareTest([50, 0], [0, 70])).cramersV).toBeCloseTo(1, 15);
  });
});

describe("poolAdjacentBins", () => {
  it("closes a group once its column total reaches minExpected·N/min(n, m)", () => {
    // N = 200, n = m = 100: a group needs 10 observations
    const p = value(poolAdjacentBins([1, 2, 40, 0, 50, 3, 4], [0, 3, 45, 0, 45, 4, 3]));
    expect(p).toEqual({ reference: [43, 50, 7], current: [48, 45, 7], starts: [0, 4, 5] });
    // a remainder too small for a group of its own joins the last group
    expect(value(poolAdjacentBins([50, 50, 1], [50, 50, 0]))).toEqual({ reference: [50, 51], current: [50, 50], starts: [0, 1] });
  });
  it("keeps well-filled bins as they are and skips bins empty on both sides", () => {
    expect(value(poolAdjacentBins([30, 0, 30], [30, 0, 30]))).toEqual({ reference: [30, 30], current: [30, 30], starts: [0, 2] });
  });
  it("pools a handful of observations into one group", () => {
    expect(value(poolAdjacentBins([3, 2], [0, 5])).reference).toEqual([5]);
  });
  it("refuses bad input like the tests do", () => {
    expect(reason(poolAdjacentBins([0, 0], [1, 1]))).toContain("reference window is empty");
    expect(reason(poolAdjacentBins([1, 1], [1, 1], Number.NaN))).toContain("minimum expected count");
  });
});

describe("regularized incomplete gamma", () => {
  it("has the closed forms Q(1, x) = e^(−x) and chi-square sf with 2 dof = e^(−x/2)", () => {
    for (const x of [0.1, 1, 5, 30, 700]) {
      expect(value(regularizedGammaQ(1, x)) / Math.exp(-x)).toBeCloseTo(1, 13);
      expect(value(chiSquareSurvival(x, 2)) / Math.exp(-x / 2)).toBeCloseTo(1, 13);
    }
  });
  it("has P + Q = 1", () => {
    for (const [a, x] of [
      [0.5, 0.2],
      [3, 2.5],
      [40, 39],
      [1000, 1010],
    ] as const)
      expect(value(regularizedGammaP(a, x)) + value(regularizedGammaQ(a, x))).toBeCloseTo(1, 14);
  });
  it("handles the ends: x = 0, x = Infinity, and statistics so large that p underflows", () => {
    expect(value(regularizedGammaQ(2.5, 0))).toBe(1);
    expect(value(regularizedGammaQ(2.5, Infinity))).toBe(0);
    expect(value(chiSquareSurvival(1e12, 9))).toBe(0);
    expect(value(chiSquareSurvival(Number.MAX_VALUE, 9))).toBe(0);
    expect(value(chiSquareSurvival(0, 3))).toBe(1);
  });
  it.each([
    [0, 1, "shape a=0"],
    [-1, 1, "shape a=-1"],
    [Number.NaN, 1, "shape a=NaN"],
    [Infinity, 1, "shape a=+Inf"],
    [1, -1, "argument x=-1"],
    [1, Number.NaN, "argument x=NaN"],
  ])("refuses a=%d, x=%d", (a, x, expected) => {
    expect(reason(regularizedGammaQ(a, x))).toContain(expected);
  });
  it("refuses bad chi-square arguments", () => {
    expect(reason(chiSquareSurvival(1, 0))).toContain("degrees of freedom");
    expect(reason(chiSquareSurvival(-1, 2))).toContain("statistic");
  });
  it("logGamma matches factorials", () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(0)).toBeNaN();
  });
});

describe("kolmogorovSurvival", () => {
  it("is 1 at 0, ≈ 0.05 at 1.3581, 0 far out, and refuses NaN", () => {
    expect(value(kolmogorovSurvival(0))).toBe(1);
    expect(value(kolmogorovSurvival(1.3581))).toBeCloseTo(0.05, 4);
    expect(value(kolmogorovSurvival(40))).toBe(0);
    expect(reason(kolmogorovSurvival(Number.NaN))).toContain("not a number");
  });
});
