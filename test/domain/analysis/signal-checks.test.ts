// Segments without spec.segments.values are bounded: at most MAX_SEGMENTS (the ones with the
// most samples) are evaluated, and the overall row says how many were left out.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { analyse } from "../../../src/domain/analysis/analyse.ts";
import { analysisQueries, planAnalysis } from "../../../src/domain/analysis/plan.ts";
import { MAX_SEGMENTS } from "../../../src/domain/analysis/signal-checks.ts";
import { queryKey, type QueryResult } from "../../../src/domain/observation.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const memory = () => ({ pending: new Map<string, string>(), pinned: Object.freeze({}), version: undefined, repinRequested: false });
const specWith = (values?: string[]) =>
  modelMonitorSpecSchema.parse({
    model: { name: "fraud" },
    minSamples: 10,
    segments: { label: "plant", ...(values ? { values } : {}) },
    signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
    rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
  });
// 100 plants; plant-i has 100 + i predictions; the odd ones are inaccurate
const PLANTS = Array.from({ length: 100 }, (_, i) => `plant-${String(i).padStart(3, "0")}`);
const vector = (): QueryResult => ({
  kind: "vector",
  samples: PLANTS.flatMap((plant, i) => {
    const n = 100 + i;
    const acc = i % 2 ? 0.5 : 0.95;
    return [
      { labels: { outcome: "tp", plant }, value: n * acc },
      { labels: { outcome: "fp", plant }, value: n * (1 - acc) },
    ];
  }),
});
const run = (values?: string[]) => {
  const plan = planAnalysis(specWith(values), { model: "fraud" }, T0);
  const queries = analysisQueries(plan);
  return analyse(plan, new Map(queries.map((q) => [queryKey(q), vector()])), memory(), T0);
};

describe("segments without a list of values", () => {
  it(`evaluates at most ${MAX_SEGMENTS}, those with the most samples, and says how many were left out`, () => {
    const a = run();
    const segments = a.signals.filter((s) => s.segment !== undefined).map((s) => s.segment);
    expect(segments).toHaveLength(MAX_SEGMENTS);
    expect(segments).toEqual(PLANTS.slice(100 - MAX_SEGMENTS));
    const overall = a.signals.find((s) => s.segment === undefined);
    expect(overall?.message).toBe(
      `${100 - MAX_SEGMENTS} more values of plant not evaluated: at most ${MAX_SEGMENTS} segments (the ones with the most samples); list them in spec.segments.values`,
    );
    // findings only for evaluated segments
    expect(a.findings.every((f) => f.segment === undefined || segments.includes(f.segment))).toBe(true);
    expect(a.findings.filter((f) => f.segment !== undefined)).toHaveLength(MAX_SEGMENTS / 2);
  });
  it("a listed set is evaluated as listed, with no note", () => {
    const a = run(["plant-001", "plant-002"]);
    expect(a.signals.map((s) => s.segment ?? "overall")).toEqual(["overall", "plant-001", "plant-002"]);
    expect(a.signals[0]?.message).toBeUndefined();
  });
});
