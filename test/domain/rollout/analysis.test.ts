// Canary comparisons: a difference beyond its tolerance fails only when a test says it is real;
// too few samples is inconclusive; a failed query is an error. Analyses judged from query
// results the way Prometheus answers them.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { rolloutStrategySchema, servingSchema, type RolloutStrategyInput } from "../../../src/api/v1alpha1/rollout.ts";
import { queryKey, type QueryResult } from "../../../src/domain/observation.ts";
import { effectiveComparisons, judgeAnalysis, planRolloutAnalysis, rolloutAnalysisQueries, strategyProblem } from "../../../src/domain/rollout/analysis.ts";
import { checkBound, compareVersions, quantileExcess } from "../../../src/domain/rollout/comparisons.ts";
import type { Evidence } from "../../../src/domain/rollout/evidence.ts";
import { mean, rate } from "./support.ts";
import { binsFromCumulative } from "../../../src/domain/stats/index.ts";

const o = { minSamples: 100, significance: 0.05 };
/** The analysis at the end of the first step's hold. */
const atHoldEnd = { interim: false, stage: { shadow: false, index: 0 } };

describe("compareVersions", () => {
  it("passes a difference inside its tolerance whatever a test would say", () => {
    expect(compareVersions({ signal: "acc", maxDecrease: 0.05 }, rate(9200, 10000), rate(8800, 10000), o).outcome).toBe("Passed");
  });

  it("fails a rate beyond its tolerance when the two-proportion test says it is real", () => {
    const r = compareVersions({ signal: "acc", maxDecrease: 0.02 }, rate(9200, 10000), rate(8500, 10000), o);
    expect(r).toMatchObject({
      outcome: "Failed",
      test: "twoProportion",
      stable: 0.92,
      candidate: 0.85,
      difference: -0.07,
      stableSamples: 10000,
      candidateSamples: 10000,
    });
    expect(r.pValue).toBeLessThan(1e-10);
  });

  it("is inconclusive when the difference passes the tolerance but too few samples make it not significant", () => {
    const r = compareVersions({ signal: "acc", maxDecrease: 0.02 }, rate(9200, 10000), rate(107, 120), o);
    expect(r.outcome).toBe("Inconclusive");
    expect(r.pValue).toBeGreaterThan(0.05);
    expect(r.message).toMatch(/not significant yet/);
  });

  it("is inconclusive with fewer candidate samples than minSamples, and an error when a version's query failed", () => {
    expect(compareVersions({ signal: "acc", maxDecrease: 0.02 }, rate(9200, 10000), rate(10, 50), o)).toMatchObject({
      outcome: "Inconclusive",
      message: "candidate: 50 samples, fewer than the 100 required",
    });
    expect(compareVersions({ signal: "acc", maxDecrease: 0.02 }, { state: "Error", message: "connection refused" }, rate(10, 50), o)).toMatchObject({
      outcome: "Error",
      message: "stable: connection refused",
    });
    expect(compareVersions({ signal: "acc", maxDecrease: 0.02 }, rate(9200, 10000), { state: "NoData", message: "no series" }, o).outcome).toBe("Inconclusive");
  });

  it("tests means with Welch, relative to stable", () => {
    const r = compareVersions({ signal: "latency", maxRelativeIncrease: 0.5 }, mean(0.2, 0.01, 5000), mean(0.32, 0.02, 400), o);
    expect(r).toMatchObject({ outcome: "Failed", test: "welch", difference: 0.6 });
    expect(compareVersions({ signal: "latency", maxRelativeIncrease: 0.5 }, mean(0.2, 0.01, 5000), mean(0.29, 0.02, 400), o).outcome).toBe("Passed");
  });

  it("decides by the tolerance alone when the measure has no test, and says so", () => {
    const none = (v: number): Evidence => ({ state: "Value", value: v, samples: 1000, basis: { test: "none" } });
    const r = compareVersions({ signal: "f1", maxDecrease: 0.05 }, none(0.9), none(0.8), o);
    expect(r).toMatchObject({ outcome: "Failed", test: "none" });
    expect(r.message).toMatch(/tolerance alone decides/);
  });
});

describe("quantileExcess", () => {
  const h = (counts: number[]) => {
    const les = [0.1, 0.25, 0.5, 1, Infinity];
    let c = 0;
    return (binsFromCumulative(les.map((le, i) => ({ le, count: (c += counts[i] as number) }))) as { ok: true; value: Parameters<typeof quantileExcess>[0] })
      .value;
  };

  it("counts the candidate beyond the first boundary past the tolerated quantile", () => {
    // p95 tolerated up to 0.33 (0.22 + 50 %): the boundary is 0.5, and 1 - 0.95 of the candidate may lie above it
    expect(quantileExcess(h([300, 500, 150, 50, 0]), 0.95, 0.33, "greater")).toMatchObject({ boundary: 0.5, count: 50, total: 1000 });
    expect(quantileExcess(h([300, 500, 150, 50, 0]), 0.95, 0.33, "greater")?.p0).toBeCloseTo(0.05, 12);
    expect(quantileExcess(h([300, 500, 150, 50, 0]), 0.5, 0.2, "less")).toEqual({ boundary: 0.1, count: 300, total: 1000, p0: 0.5 });
    expect(quantileExcess(h([300, 500, 150, 50, 0]), 0.95, 3, "greater")).toBeUndefined();
  });

  it("fails a p95 that really moved beyond its tolerance, not one inside it", () => {
    const quantile = (v: number, histogram: ReturnType<typeof h>): Evidence => ({
      state: "Value",
      value: v,
      samples: histogram.total,
      basis: { test: "quantileShare", histogram, q: 0.95 },
    });
    const stable = h([500, 450, 45, 5, 0]);
    const bad = h([100, 300, 400, 200, 0]); // 20 % above 0.5
    const fine = h([480, 460, 52, 8, 0]);
    expect(compareVersions({ signal: "p95", maxRelativeIncrease: 0.5 }, quantile(0.24, stable), quantile(0.9, bad), o)).toMatchObject({
      outcome: "Failed",
      test: "quantileShare",
    });
    expect(compareVersions({ signal: "p95", maxRelativeIncrease: 0.5 }, quantile(0.24, stable), quantile(0.27, fine), o).outcome).toBe("Passed");
  });
});

describe("a whole analysis", () => {
  const monitor = modelMonitorSpecSchema.parse({
    model: { name: "m", version: "v1" },
    versionLabel: "version",
    signals: [
      { name: "accuracy", classification: { metric: "model_predictions_total" } },
      { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
      { name: "feedback", histogram: { metric: "model_feedback_score", measure: "mean" } },
    ],
  });
  const strategy = (s: RolloutStrategyInput) => rolloutStrategySchema.parse(s);
  const NOW = Date.parse("2026-12-01T12:00:00Z");

  it("expands the rollback-sop preset for the signals the monitor declares, own comparisons first for a signal", () => {
    const st = strategy({ analysis: { presets: ["rollback-sop"], compare: [{ signal: "feedback", maxDecrease: 0.3 }] } });
    expect(effectiveComparisons(st, monitor.signals)).toEqual([
      { signal: "p95_latency", maxRelativeIncrease: 0.5 },
      { signal: "feedback", maxDecrease: 0.3 },
    ]);
    expect(strategyProblem(strategy({}), monitor)).toMatch(/compares nothing/);
    expect(strategyProblem(strategy({ analysis: { compare: [{ signal: "nope", maxIncrease: 1 }] } }), monitor)).toMatch(/"nope"/);
  });

  it("refuses a shadow phase on a router that cannot mirror, before anything is written", () => {
    const shadow = strategy({ shadow: { percent: 50, hold: "1m" }, analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }] } });
    const versions = { stable: { backendRef: { name: "s" }, deployment: { name: "s" } }, candidate: { backendRef: { name: "c" }, deployment: { name: "c" } } };
    const withRouter = (router: Record<string, unknown>, v: Record<string, unknown> = versions) => ({
      ...monitor,
      serving: servingSchema.parse({ router, ...v }),
    });
    expect(strategyProblem(shadow, withRouter({ gatewayAPI: { httpRoute: { name: "r" } } }))).toMatch(/requestMirror is not true.*Traefik/);
    expect(strategyProblem(shadow, withRouter({ gatewayAPI: { httpRoute: { name: "r" }, requestMirror: true } }))).toBeUndefined();
    expect(strategyProblem(shadow, withRouter({ kserve: { inferenceService: { name: "i" } } }, {}))).toMatch(/KServe cannot mirror/);
    const istio = {
      stable: { destination: { host: "h", subset: "a" }, deployment: { name: "s" } },
      candidate: { destination: { host: "h", subset: "b" }, deployment: { name: "c" } },
    };
    expect(strategyProblem(shadow, withRouter({ istio: { virtualService: { name: "v" } } }, istio))).toBeUndefined();
  });

  it("judges a shadow comparison of outputs that the model exports (a disagreement rate) as a signal like any other", () => {
    // e.g. a sidecar that sees both answers of a mirrored request counts the predicted classes that differ, labelled with the candidate's version
    const withShadow = modelMonitorSpecSchema.parse({
      ...monitor,
      signals: [
        ...monitor.signals,
        {
          name: "shadow_disagreement",
          ratio: { numerator: { metric: "model_shadow_disagreements_total" }, denominator: { metric: "model_shadow_comparisons_total" } },
        },
      ],
    });
    const st = strategy({ shadow: { percent: 100, hold: "5m" }, analysis: { bounds: [{ signal: "shadow_disagreement", max: 0.05 }], minSamples: 100 } });
    expect(strategyProblem(st, withShadow)).toBeUndefined();
    const plan = planRolloutAnalysis({
      monitor: withShadow,
      strategy: st,
      stableVersion: "v1",
      candidateVersion: "v2",
      windowMs: 300_000,
      candidateAt: NOW,
      stableAt: NOW,
    });
    const queries = rolloutAnalysisQueries(plan);
    const judge = (disagreements: number) => {
      const answer = (expr: string): QueryResult => {
        if (!expr.includes('version="v2"')) return { kind: "vector", samples: [] };
        return { kind: "vector", samples: [{ labels: {}, value: expr.includes("disagreements") ? disagreements : 1000 }] };
      };
      return judgeAnalysis(plan, new Map(queries.map((q) => [queryKey(q), answer(q.expr)])), st, atHoldEnd);
    };
    expect(judge(150).outcome).toBe("Failed");
    expect(judge(150).comparisons[0]).toMatchObject({ signal: "shadow_disagreement", outcome: "Failed", candidate: 0.15 });
    expect(judge(20).outcome).toBe("Successful");
  });

  it("queries both versions over the same window and judges from the answers", () => {
    const st = strategy({
      analysis: {
        compare: [
          { signal: "accuracy", maxDecrease: 0.02 },
          { signal: "feedback", maxDecrease: 0.5 },
        ],
        minSamples: 100,
      },
    });
    const plan = planRolloutAnalysis({
      monitor,
      strategy: st,
      stableVersion: "v1",
      candidateVersion: "v2",
      windowMs: 120_000,
      candidateAt: NOW,
      stableAt: NOW,
    });
    const queries = rolloutAnalysisQueries(plan);
    expect(plan.window).toBe("120s");
    expect(queries.every((q) => q.expr.includes('version="v1"') || q.expr.includes('version="v2"'))).toBe(true);
    const answer = (version: string, expr: string): QueryResult => {
      const good = version === "v1";
      if (expr.includes("model_predictions_total"))
        return {
          kind: "vector",
          samples: [
            ["tp", good ? 300 : 250],
            ["tn", good ? 620 : 500],
            ["fp", good ? 40 : 120],
            ["fn", good ? 40 : 130],
          ].map(([outcome, value]) => ({ labels: { outcome: outcome as string }, value: value as number })),
        };
      if (expr.includes("_sum")) return { kind: "vector", samples: [{ labels: {}, value: good ? 4200 : 4100 }] };
      if (expr.includes("_count")) return { kind: "vector", samples: [{ labels: {}, value: 1000 }] };
      return {
        kind: "vector",
        samples: [1, 2, 3, 4, 5, Infinity].map((le, i) => ({
          labels: { le: le === Infinity ? "+Inf" : String(le) },
          value: [20, 60, 150, 500, 1000, 1000][i] as number,
        })),
      };
    };
    const results = new Map(queries.map((q) => [queryKey(q), answer(q.expr.includes('version="v1"') ? "v1" : "v2", q.expr)]));
    const j = judgeAnalysis(plan, results, st, atHoldEnd);
    expect(j.outcome).toBe("Failed");
    expect(j.comparisons.map((c) => [c.signal, c.outcome])).toEqual([
      ["accuracy", "Failed"],
      ["feedback", "Passed"],
    ]);
    // the metrics source failing is an error, never a verdict
    const failing = new Map(queries.map((q) => [queryKey(q), { kind: "error", error: "Unreachable", message: "connect ECONNREFUSED" } as QueryResult]));
    expect(judgeAnalysis(plan, failing, st, atHoldEnd).outcome).toBe("Error");
    // no series yet: inconclusive
    const empty = new Map(queries.map((q) => [queryKey(q), { kind: "vector", samples: [] } as QueryResult]));
    expect(judgeAnalysis(plan, empty, st, atHoldEnd).outcome).toBe("Inconclusive");
  });
});

describe("numbers people read in comparisons", () => {
  it("shows float noise as 0, not 2.22045e-16, in the record and the message", () => {
    // 0.3 - 0.1 - 0.2 is not 0 in floating point: the two versions are equal
    const r = compareVersions({ signal: "latency", maxIncrease: 0 }, mean(0.1 + 0.2, 0.01, 1000), mean(0.3, 0.01, 1000), o);
    expect(r.difference).toBe(0);
    expect(JSON.stringify(r)).not.toMatch(/e-1[0-9]/);
  });

  it("rounds a bound's candidate and counts fractional samples (increase() over a window) whole", () => {
    const [rec] = checkBound(
      { signal: "latency", max: 500 },
      { state: "Value", value: 661.0301000000001, samples: 661.0301000000001, basis: { test: "none" } },
      o,
    );
    expect(rec).toMatchObject({ outcome: "Failed", candidate: 661.03, candidateSamples: 661, message: "latency 661 is above the bound 500" });
  });

  it("writes a relative difference as a rounded percentage and a tiny p-value without an exponent", () => {
    const r = compareVersions({ signal: "acc", maxRelativeDecrease: 0.02 }, rate(9200, 10000), rate(8500, 10000), o);
    expect(r.message).toBe("acc -7.609 % is beyond the limit 0.02 (p < 0.0001)");
  });
});
