// Signal arithmetic, one table per kind, from the additive counts Prometheus returns.
import { describe, expect, it } from "vitest";
import { signalSchema, type SignalSpec } from "../../src/api/v1alpha1/modelmonitor.ts";
import type { QueryResult, Sample } from "../../src/domain/observation.ts";
import { observeSignal, signalQueries } from "../../src/domain/signals.ts";

const signal = (s: unknown): SignalSpec => signalSchema.parse(s);
const vec = (samples: Sample[]): QueryResult => ({ kind: "vector", samples });
const one = (value: number, labels: Record<string, string> = {}): Sample => ({ labels, value });

describe("classification", () => {
  const confusion = vec([one(40, { outcome: "tp" }), one(10, { outcome: "fp" }), one(45, { outcome: "tn" }), one(5, { outcome: "fn" })]);
  it.each([
    ["accuracy", 0.85],
    ["precision", 0.8],
    ["recall", 40 / 45],
    ["f1", 80 / 95],
  ])("%s", (measure, expected) => {
    const o = observeSignal(signal({ name: "s", classification: { metric: "p", measure } }), { outcome: confusion }, 10).overall;
    expect(o.state).toBe("Value");
    expect(o.state === "Value" && o.value).toBeCloseTo(expected, 12);
    expect(o.state === "Value" && o.samples).toBe(100);
  });
  it("custom outcome values", () => {
    const s = signal({
      name: "s",
      classification: {
        metric: "p",
        outcomeLabel: "result",
        outcomes: { truePositive: "hit", falsePositive: "false_alarm", trueNegative: "reject", falseNegative: "miss" },
      },
    });
    const o = observeSignal(s, { outcome: vec([one(9, { result: "hit" }), one(1, { result: "miss" })]) }, 1).overall;
    expect(o).toEqual({ state: "Value", value: 0.9, samples: 10 });
  });
  it("precision without positive predictions is ZeroDenominator, not 0 or NaN", () => {
    const o = observeSignal(
      signal({ name: "s", classification: { metric: "p", measure: "precision" } }),
      { outcome: vec([one(50, { outcome: "tn" }), one(50, { outcome: "fn" })]) },
      10,
    ).overall;
    expect(o).toMatchObject({ state: "NoData", reason: "ZeroDenominator" });
  });
  it("queries one counter summed by outcome and segment", () => {
    expect(signalQueries(signal({ name: "s", classification: { metric: "p_total" } }), { selector: { model: "m" }, window: "60s", groupBy: "plant" })).toEqual({
      outcome: 'sum by (outcome, plant) (increase(p_total{model="m"}[60s]))',
    });
  });
});

describe("regression", () => {
  // 4 predictions, errors 1, -1, 2, -2, targets 10, 12, 14, 16
  const results = {
    count: vec([one(4)]),
    abs: vec([one(6)]),
    sq: vec([one(10)]),
    tsum: vec([one(52)]),
    tsq: vec([one(100 + 144 + 196 + 256)]),
  };
  const reg = (measure: string) =>
    signal({ name: "s", regression: { count: "c", absErrorSum: "a", squaredErrorSum: "q", targetSum: "t", targetSquaredSum: "t2", measure } });
  it.each([
    ["mae", 1.5],
    ["rmse", Math.sqrt(2.5)],
    ["r2", 1 - 10 / 20],
  ])("%s", (measure, expected) => {
    const o = observeSignal(reg(measure), results, 1).overall;
    expect(o.state === "Value" && o.value).toBeCloseTo(expected, 12);
  });
  it("r2 with constant targets is ZeroDenominator", () => {
    const o = observeSignal(reg("r2"), { ...results, tsum: vec([one(40)]), tsq: vec([one(400)]) }, 1).overall;
    expect(o).toMatchObject({ state: "NoData", reason: "ZeroDenominator" });
  });
});

describe("histogram", () => {
  const buckets = vec([one(10, { le: "0.1" }), one(60, { le: "0.5" }), one(90, { le: "1" }), one(100, { le: "+Inf" })]);
  const h = (measure: string, extra: Record<string, number> = {}) => signal({ name: "s", histogram: { metric: "lat", measure, ...extra } });
  it.each([
    ["median", {}, 0.1 + ((50 - 10) / 50) * 0.4],
    ["quantile", { quantile: 0.95 }, 1], // in the +Inf bucket: PromQL answers the highest finite bound
    ["shareBelow", { threshold: 0.5 }, 0.6],
    ["shareAbove", { threshold: 0.5 }, 0.4],
    ["shareBelow", { threshold: 0.3 }, 0.1 + 0.5 * 0.5],
  ])("%s %j", (measure, extra, expected) => {
    const o = observeSignal(h(measure, extra), { bucket: buckets }, 10).overall;
    expect(o.state === "Value" && o.value).toBeCloseTo(expected, 12);
  });
  it("mean from _sum and _count", () => {
    const o = observeSignal(h("mean"), { sum: vec([one(42)]), count: vec([one(10)]) }, 1).overall;
    expect(o).toEqual({ state: "Value", value: 4.2, samples: 10 });
  });
  it("a bucket without a numeric le is invalid data", () => {
    const o = observeSignal(h("median"), { bucket: vec([one(1, { le: "abc" })]) }, 1).overall;
    expect(o).toMatchObject({ state: "Error", reason: "InvalidData" });
  });
  it("infinite counts are an error", () => {
    const o = observeSignal(h("mean"), { sum: vec([one(Infinity)]), count: vec([one(10)]) }, 1).overall;
    expect(o).toMatchObject({ state: "Error", reason: "NotFinite" });
  });
});

describe("ratio", () => {
  const s = signal({ name: "refusals", ratio: { numerator: { metric: "r", matchLabels: { refusal: "true" } }, denominator: { metric: "r" } } });
  it("is numerator over denominator per group and overall", () => {
    const obs = observeSignal(
      s,
      { num: vec([one(5, { plant: "a" }), one(30, { plant: "b" })]), den: vec([one(100, { plant: "a" }), one(100, { plant: "b" })]) },
      10,
      "plant",
    );
    expect(obs.overall).toEqual({ state: "Value", value: 35 / 200, samples: 200 });
    expect(obs.groups.get("b")).toEqual({ state: "Value", value: 0.3, samples: 100 });
  });
  it("huge counts keep their precision", () => {
    const obs = observeSignal(s, { num: vec([one(1e12)]), den: vec([one(4e12)]) }, 10);
    expect(obs.overall).toEqual({ state: "Value", value: 0.25, samples: 4e12 });
  });
  it("a failed query makes the signal an error with the query's reason", () => {
    const obs = observeSignal(s, { num: { kind: "error", error: "Timeout", message: "slow" }, den: vec([one(1)]) }, 0);
    expect(obs.overall).toEqual({ state: "Error", reason: "QueryTimeout", message: "slow" });
  });
  it("a window without samples is NoSeries", () => {
    expect(observeSignal(s, { num: vec([]), den: vec([]) }, 0).overall).toMatchObject({ state: "NoData", reason: "NoSeries" });
  });
});

describe("custom query", () => {
  const s = signal({ name: "q", query: { expr: "x", samplesExpr: "n" } });
  it("checks the sample count", () => {
    expect(observeSignal(s, { value: vec([one(3)]), samples: vec([one(5)]) }, 10).overall).toMatchObject({
      state: "NoData",
      reason: "TooFewSamples",
      samples: 5,
    });
    expect(observeSignal(s, { value: vec([one(3)]), samples: vec([one(50)]) }, 10).overall).toEqual({ state: "Value", value: 3, samples: 50 });
  });
  it("NaN is an error", () => {
    expect(observeSignal(s, { value: vec([one(NaN)]), samples: vec([one(50)]) }, 10).overall).toMatchObject({ state: "Error", reason: "NotFinite" });
  });
});
