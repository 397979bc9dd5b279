import { describe, expect, it } from "vitest";
import { DEFAULT_STRATEGY, strategyOf } from "../../../src/domain/rollout/strategy.ts";

describe("the strategy a rollout follows", () => {
  it("its monitor's policy's spec.rollout, else the defaults", () => {
    expect(strategyOf(undefined)).toEqual({ strategy: DEFAULT_STRATEGY });
    expect(strategyOf({ metadata: { name: "p" }, spec: {} })).toEqual({ strategy: DEFAULT_STRATEGY });
    const own = strategyOf({ metadata: { name: "p" }, spec: { rollout: { steps: [{ weight: 20, hold: "1m" }, { weight: 100 }] } } });
    expect(own.strategy.steps).toEqual([
      { weight: 20, hold: "1m" },
      { weight: 100, hold: "10m" },
    ]);
    expect(own.problem).toBeUndefined();
  });

  it("an invalid policy: the defaults, and the problem naming the field", () => {
    const r = strategyOf({ metadata: { name: "p" }, spec: { rollout: { steps: [{ weight: 50 }, { weight: 20 }] } } });
    expect(r.strategy).toBe(DEFAULT_STRATEGY);
    expect(r.problem).toMatch(/^RetrainPolicy p is invalid: spec\.rollout\.steps/);
  });
});
