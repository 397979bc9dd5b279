// Tests against a tolerance, checked against scipy (scripts/fixtures/make-stats-fixtures.py),
// and the property that makes them the right test for a canary: a candidate exactly as good as
// stable almost never fails, one clearly worse than tolerated does.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { meanMarginTest, proportionMarginTest, shareExcessTest, type MeanSample, type ProportionSample, type Worse } from "../../../src/domain/stats/index.ts";
import { reason, value } from "./support.ts";

type Case =
  | {
      kind: "proportion";
      name: string;
      stable: ProportionSample;
      candidate: ProportionSample;
      worse: Worse;
      margin: number;
      worseness: number;
      statistic: number;
      pValue: number;
    }
  | {
      kind: "mean";
      name: string;
      stable: MeanSample;
      candidate: MeanSample;
      worse: Worse;
      margin: number;
      worseness: number;
      statistic: number;
      df: number;
      pValue: number;
    }
  | { kind: "share"; name: string; count: number; total: number; p0: number; worseness: number; statistic: number; pValue: number };
const fixtures = (JSON.parse(readFileSync(new URL("../../fixtures/stats/reference-values.json", import.meta.url), "utf8")) as { margin: Case[] }).margin;

const close = (a: number, b: number, rel: number, what: string) => {
  if (Math.abs(a - b) > rel * Math.max(Math.abs(b), 1e-300)) throw new Error(`${what}: ${a} vs ${b}`);
};

describe("margin tests against scipy", () => {
  it("has cases of every kind", () => {
    expect(new Set(fixtures.map((c) => c.kind))).toEqual(new Set(["proportion", "mean", "share"]));
  });
  it.each(fixtures)("$kind $name", (c) => {
    const r =
      c.kind === "proportion"
        ? value(proportionMarginTest(c.stable, c.candidate, c.worse, c.margin))
        : c.kind === "mean"
          ? value(meanMarginTest(c.stable, c.candidate, c.worse, c.margin))
          : value(shareExcessTest(c.count, c.total, c.p0));
    close(r.worseness, c.worseness, 1e-12, "worseness");
    close(r.statistic, c.statistic, 1e-10, "statistic");
    // the normal and t tails agree with scipy to ~1e-13 (docs/statistics.md); 1e-9 leaves room for the statistic's rounding
    close(r.pValue, c.pValue, 1e-9, "pValue");
    if (c.kind === "mean") close(r.df as number, c.df, 1e-12, "df");
  });
});

describe("margin tests", () => {
  it("refuse what is not a sample, naming the side", () => {
    expect(reason(proportionMarginTest({ successes: 5, trials: 0 }, { successes: 1, trials: 2 }, "less", 0.1))).toMatch(/stable version has 0 trials/);
    expect(reason(meanMarginTest({ mean: 1, variance: 1, n: 10 }, { mean: 1, variance: 1, n: 1 }, "greater", 0.1))).toMatch(/candidate version has n=1/);
    expect(reason(proportionMarginTest({ successes: 5, trials: 10 }, { successes: 1, trials: 2 }, "less", -1))).toMatch(/margin/);
    expect(reason(shareExcessTest(3, 10, 1))).toMatch(/strictly between 0 and 1/);
  });

  it("with no noise, the excess over the margin is certain", () => {
    expect(value(proportionMarginTest({ successes: 10, trials: 10 }, { successes: 0, trials: 10 }, "less", 0.5)).pValue).toBe(0);
    expect(value(proportionMarginTest({ successes: 10, trials: 10 }, { successes: 10, trials: 10 }, "less", 0)).pValue).toBe(1);
  });

  it("a candidate as good as stable fails far more rarely than the significance; one beyond the margin fails", () => {
    // expected rates (no sampling noise): equal rates never look worse than a margin
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 50, max: 100_000 }),
        fc.double({ min: 0.005, max: 0.2, noNaN: true }),
        (rate, n, margin) => {
          const same = value(proportionMarginTest({ successes: rate * 10 * n, trials: 10 * n }, { successes: rate * n, trials: n }, "less", margin));
          return same.pValue > 0.5;
        },
      ),
    );
    const worse = value(proportionMarginTest({ successes: 9200, trials: 10000 }, { successes: 1700, trials: 2000 }, "less", 0.02));
    expect(worse.pValue).toBeLessThan(1e-6);
  });

  it("moving the candidate further into the worse direction only lowers the p-value", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0.01, max: 3, noNaN: true }), (shift, step) => {
        const stable = { mean: 1, variance: 0.5, n: 500 };
        const a = value(meanMarginTest(stable, { mean: 1 + shift, variance: 0.5, n: 80 }, "greater", 0.2)).pValue;
        const b = value(meanMarginTest(stable, { mean: 1 + shift + step, variance: 0.5, n: 80 }, "greater", 0.2)).pValue;
        return b <= a;
      }),
    );
  });
});
