// What the HTML report draws beyond status, re-read from an evaluation's own query results: the
// binned reference and current distributions each drift feature was compared on (a reference
// window or a pin), and each fairness check's group values.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { analysisQueries, planAnalysis } from "../../../src/domain/analysis/plan.ts";
import { reportDetails } from "../../../src/domain/analysis/report-details.ts";
import { queryKey, type QueryRequest, type QueryResult } from "../../../src/domain/observation.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const spec = (reference: Record<string, unknown>) =>
  modelMonitorSpecSchema.parse({
    model: { name: "fraud" },
    minSamples: 10,
    signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
    drift: [{ name: "inputs", histogram: { metric: "feature_value", featureLabel: "feature" }, method: "psi", reference, threshold: { warning: 0.1 } }],
    fairness: [{ signal: "accuracy", groupLabel: "plant", minRatio: 0.8 }],
  });
/** Cumulative buckets le=1, 2, +Inf of one feature. */
const buckets = (feature: string, counts: [number, number, number]) =>
  [
    ["1", counts[0]],
    ["2", counts[0] + counts[1]],
    ["+Inf", counts[0] + counts[1] + counts[2]],
  ].map(([le, value]) => ({ labels: { feature, le: le as string }, value: value as number }));
function answer(q: QueryRequest): QueryResult {
  if (q.expr.includes("_bucket"))
    return { kind: "vector", samples: q.time === T0 ? [...buckets("age", [20, 20, 10]), ...buckets("<b>", [1, 1, 1])] : [...buckets("age", [10, 30, 5])] };
  if (q.expr.includes("plant"))
    return {
      kind: "vector",
      samples: [
        { labels: { outcome: "tp", plant: "north" }, value: 90 },
        { labels: { outcome: "fp", plant: "north" }, value: 10 },
        { labels: { outcome: "tp", plant: "south" }, value: 60 },
        { labels: { outcome: "fp", plant: "south" }, value: 40 },
      ],
    };
  return {
    kind: "vector",
    samples: [
      { labels: { outcome: "tp" }, value: 150 },
      { labels: { outcome: "fp" }, value: 50 },
    ],
  };
}

describe("the report's details", () => {
  it("re-reads each feature's binned reference (window) and current distributions, and each fairness group's value", () => {
    const plan = planAnalysis(spec({ offset: "1d" }), { model: "fraud" }, T0);
    const results = new Map(analysisQueries(plan).map((q) => [queryKey(q), answer(q)]));
    const d = reportDetails(plan, results, undefined);
    expect(d.distributions.inputs).toEqual([
      // a feature without reference: current only
      { feature: "<b>", current: [{ upper: 1, count: 1 }, { upper: 2, count: 1 }, { count: 1 }] },
      {
        feature: "age",
        reference: [{ upper: 1, count: 10 }, { upper: 2, count: 30 }, { count: 5 }],
        current: [{ upper: 1, count: 20 }, { upper: 2, count: 20 }, { count: 10 }],
      },
    ]);
    expect(d.fairness).toEqual([
      {
        signal: "accuracy",
        groupLabel: "plant",
        minRatio: 0.8,
        groups: [
          { group: "north", value: 0.9, samples: 100 },
          { group: "south", value: 0.6, samples: 100 },
        ],
      },
    ]);
  });

  it("takes a pinned reference from the pins the evaluation kept", () => {
    const plan = planAnalysis(spec({ pinned: {} }), { model: "fraud" }, T0);
    const results = new Map(analysisQueries(plan).map((q) => [queryKey(q), answer(q)]));
    const pinned = { "drift:inputs:age": { bins: [{ le: 1, count: 5 }, { le: 2, count: 5 }, { count: 5 }], at: "2026-11-30T10:00:00Z" } };
    expect(reportDetails(plan, results, pinned).distributions.inputs?.find((f) => f.feature === "age")?.reference).toEqual([
      { upper: 1, count: 5 },
      { upper: 2, count: 5 },
      { count: 5 },
    ]);
  });

  it("draws nothing from a query that failed", () => {
    const plan = planAnalysis(spec({ offset: "1d" }), { model: "fraud" }, T0);
    expect(reportDetails(plan, new Map(), undefined)).toEqual({
      distributions: { inputs: [] },
      fairness: [{ signal: "accuracy", groupLabel: "plant", minRatio: 0.8, groups: [] }],
    });
  });
});
