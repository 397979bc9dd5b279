import { describe, expect, it } from "vitest";
import { checkRule, findingTypeFor } from "../../src/domain/rules.ts";
import { setCondition } from "../../src/domain/conditions.ts";

describe("checkRule", () => {
  const drop = { signal: "accuracy", baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } };
  it.each([
    [0.9, undefined],
    [0.87, undefined], // exactly 0.05 is not "more than" 0.05 (0.92-0.87 is 0.05000000000000004 in floats, so use 0.871)
    [0.86, "warning"],
    [0.81, "critical"],
  ])("accuracy %d against baseline 0.92 -> %s", (value, severity) => {
    const v = value === 0.87 ? 0.871 : value;
    expect(checkRule(drop, "accuracy", v, 0.92)?.severity).toBe(severity);
  });
  it("describes the breach with the numbers", () => {
    expect(checkRule(drop, "accuracy", 0.8, 0.92, 5000)?.description).toBe("accuracy 0.8 is 0.12 under its baseline 0.92 (limit 0.1) (5000 samples)");
  });
  it("min and max bounds", () => {
    expect(checkRule({ signal: "a", min: { warning: 0.85, critical: 0.8 } }, "a", 0.82, undefined)?.severity).toBe("warning");
    expect(checkRule({ signal: "a", min: { warning: 0.85, critical: 0.8 } }, "a", 0.79, undefined)?.severity).toBe("critical");
    expect(checkRule({ signal: "a", max: { critical: 0.05 } }, "a", 0.06, undefined)?.check).toBe("max");
  });
  it("relative increase: p95 latency +50 %", () => {
    const rule = { signal: "p95", baseline: { offset: "1d" }, maxRelativeIncrease: { critical: 0.5 } };
    expect(checkRule(rule, "p95", 0.29, 0.2)).toBeUndefined();
    expect(checkRule(rule, "p95", 0.31, 0.2)?.severity).toBe("critical");
    expect(checkRule(rule, "p95", 0.31, 0)).toBeUndefined(); // relative to zero is undefined
  });
  it("absolute increase over a missing baseline is not a breach", () => {
    expect(checkRule({ signal: "s", baseline: { offset: "12h" }, maxIncrease: { critical: 0.01 } }, "s", 1, undefined)).toBeUndefined();
  });
  it("finding types follow the signal", () => {
    expect(
      findingTypeFor({
        name: "accuracy",
        classification: {
          metric: "m",
          outcomeLabel: "o",
          outcomes: { truePositive: "tp", falsePositive: "fp", trueNegative: "tn", falseNegative: "fn" },
          measure: "accuracy",
        },
      }),
    ).toBe("AccuracyDrift");
    expect(findingTypeFor({ name: "p95_latency", histogram: { metric: "request_latency_seconds", measure: "quantile", quantile: 0.95 } })).toBe("Latency");
    expect(findingTypeFor({ name: "refusal_rate", ratio: { numerator: { metric: "r" }, denominator: { metric: "t" } } })).toBe("BehaviourDrift");
  });
});

describe("conditions", () => {
  const t0 = "2026-01-01T00:00:00.000Z";
  const t1 = "2026-01-01T00:01:00.000Z";
  it("lastTransitionTime changes only on a flip", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "Evaluated", message: "x" }, t0, 1);
    const b = setCondition(a, { type: "Ready", status: "True", reason: "Evaluated", message: "y" }, t1, 2);
    expect(b[0]?.lastTransitionTime).toBe(t0);
    expect(b[0]?.observedGeneration).toBe(2);
    const c = setCondition(b, { type: "Ready", status: "False", reason: "InvalidSpec", message: "z" }, t1, 2);
    expect(c[0]?.lastTransitionTime).toBe(t1);
  });
});
