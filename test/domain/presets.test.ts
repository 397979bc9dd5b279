import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { effectiveRules } from "../../src/domain/presets.ts";
import { planEvaluation, planQueries } from "../../src/domain/monitor/evaluate.ts";

const base = {
  model: { name: "m" },
  signals: [
    { name: "accuracy", classification: { metric: "p_total" } },
    { name: "p95_latency", histogram: { metric: "lat", measure: "quantile", quantile: 0.95 } },
    { name: "feedback", histogram: { metric: "fb", measure: "mean" } },
    { name: "safety_incident_rate", ratio: { numerator: { metric: "s_total" }, denominator: { metric: "r_total" } } },
  ],
} as const;

describe("presets", () => {
  it("rollback-sop adds the operating procedure's three triggers", () => {
    const spec = modelMonitorSpecSchema.parse({ ...base, presets: ["rollback-sop"] });
    expect(effectiveRules(spec)).toEqual([
      { signal: "safety_incident_rate", baseline: { offset: "12h" }, maxIncrease: { critical: 0.01 } },
      { signal: "feedback", baseline: { offset: "24h" }, maxDrop: { critical: 0.5 } },
      { signal: "p95_latency", baseline: { offset: "1d" }, maxRelativeIncrease: { critical: 0.5 }, for: "1h" },
    ]);
  });
  it("a user's rule for a signal replaces the preset's", () => {
    const spec = modelMonitorSpecSchema.parse({ ...base, presets: ["relaxed"], rules: [{ signal: "accuracy", min: { warning: 0.9 } }] });
    expect(effectiveRules(spec)).toEqual([{ signal: "accuracy", min: { warning: 0.9 } }]);
  });
  it("strict is stricter than relaxed", () => {
    const strict = effectiveRules(modelMonitorSpecSchema.parse({ ...base, presets: ["strict"] }))[0];
    const relaxed = effectiveRules(modelMonitorSpecSchema.parse({ ...base, presets: ["relaxed"] }))[0];
    expect(strict?.maxDrop?.warning).toBeLessThan(relaxed?.maxDrop?.warning as number);
  });
  it("offset baselines are the same queries evaluated that long ago", () => {
    const now = Date.parse("2026-11-01T12:00:00Z");
    const plan = planEvaluation(modelMonitorSpecSchema.parse({ ...base, presets: ["rollback-sop"] }), now);
    const times = new Set(planQueries(plan).map((q) => now - q.time));
    expect([...times].sort((a, b) => a - b)).toEqual([0, 12 * 3600_000, 24 * 3600_000]);
  });
});
