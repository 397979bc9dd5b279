// The analysis core on its own: the same checks for two selectors over the same window (as a
// canary analysis will run them for stable and candidate), and no shared state written.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { analyse } from "../../../src/domain/analysis/analyse.ts";
import { analysisQueries, planAnalysis } from "../../../src/domain/analysis/plan.ts";
import { queryKey, type QueryRequest, type QueryResult } from "../../../src/domain/observation.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const spec = modelMonitorSpecSchema.parse({
  model: { name: "fraud" },
  minSamples: 10,
  signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
  rules: [{ signal: "accuracy", min: { warning: 0.85, critical: 0.8 }, maxDrop: { warning: 0.05 }, baseline: { pinned: {} } }],
});
const counts = (acc: number): QueryResult => ({
  kind: "vector",
  samples: [
    { labels: { outcome: "tp" }, value: 1000 * acc },
    { labels: { outcome: "fp" }, value: 1000 * (1 - acc) },
  ],
});
// the "metrics backend": accuracy by the version the query selects
const answer = (q: QueryRequest): QueryResult => counts(q.expr.includes('version="v2"') ? 0.82 : 0.93);
const resultsOf = (queries: QueryRequest[]) => new Map(queries.map((q) => [queryKey(q), answer(q)]));
const memory = (pinned = {}) => ({ pending: new Map<string, string>(), pinned: Object.freeze(pinned), version: undefined, repinRequested: false });

describe("analyse", () => {
  it("runs the same checks for a stable and a candidate selector over the same window", () => {
    const stable = planAnalysis(spec, { model: "fraud", version: "v1" }, T0);
    const candidate = planAnalysis(spec, { model: "fraud", version: "v2" }, T0);
    const times = (qs: QueryRequest[]) => qs.map((q) => q.time);
    expect(times(analysisQueries(candidate))).toEqual(times(analysisQueries(stable)));
    expect(analysisQueries(candidate)[0]?.expr).toContain('version="v2"');

    const s = analyse(stable, resultsOf(analysisQueries(stable)), memory(), T0);
    const c = analyse(candidate, resultsOf(analysisQueries(candidate)), memory(), T0);
    expect(s.signals[0]).toMatchObject({ name: "accuracy", state: "Value", value: 0.93 });
    expect(s.findings).toEqual([]);
    expect(c.signals[0]).toMatchObject({ name: "accuracy", state: "Value", value: 0.82 });
    expect(c.findings.map((f) => [f.severity, f.description])).toEqual([["warning", "accuracy 0.82 is under its minimum 0.85 (1000 samples)"]]);
  });

  it("returns the pins it took without touching the remembered ones; a remembered pin is a baseline", () => {
    const plan = planAnalysis(spec, { model: "fraud", version: "v2" }, T0);
    const remembered = { "signal:accuracy": { value: 0.93, at: "2026-11-30T10:00:00.000Z" } };
    const first = analyse(plan, resultsOf(analysisQueries(plan)), memory(), T0);
    // 1000 samples: a standard error of 0.012, under a quarter of the 0.05 margin
    expect(first.pinned).toEqual({
      "signal:accuracy": {
        state: "Pinned",
        value: 0.82,
        at: "2026-12-01T10:00:00.000Z",
        from: "2026-12-01T09:00:00.000Z",
        samples: 1000,
        test: "twoProportion",
        successes: 820,
      },
    });
    expect(first.events.map((e) => e.reason)).toEqual(["BaselinePinned"]);
    const again = analyse(plan, resultsOf(analysisQueries(plan)), memory(remembered), T0);
    expect(again.pinned).toEqual(remembered);
    expect(again.events).toEqual([]);
    expect(again.signals[0]?.baseline).toBe(0.93);
    expect(again.findings[0]).toMatchObject({ baseline: 0.93, value: 0.82 });
  });

  it("an unanswered query is a reason, never a finding", () => {
    const plan = planAnalysis(spec, { model: "fraud" }, T0);
    const r = analyse(plan, new Map(), memory(), T0);
    expect(r.findings).toEqual([]);
    expect(r.unknownReasons).toHaveLength(1);
  });
});
