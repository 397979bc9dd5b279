// Interim checks judged from counts: comparisons by their anytime-valid test, bounds as at the
// hold's end; the interval shown on the scale of the difference.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { rolloutStrategySchema } from "../../../src/api/v1alpha1/rollout.ts";
import { queryKey, type QueryResult } from "../../../src/domain/observation.ts";
import {
  exposureOf,
  judgeAnalysis,
  keptBoundaries,
  planRolloutAnalysis,
  rolloutAnalysisQueries,
  carriedEvidence,
  FIRST_STAGE_WEIGHT,
  stageAlpha,
} from "../../../src/domain/rollout/analysis.ts";
import { sequentialComparison } from "../../../src/domain/rollout/comparisons.ts";
import type { Evidence } from "../../../src/domain/rollout/evidence.ts";
import { mean, rate } from "./support.ts";
import { binsFromCumulative, normalMixtureTest, sequentialMeanTest, sequentialProportionTest, type Histogram } from "../../../src/domain/stats/index.ts";

const o = { minSamples: 200, alpha: 0.0125 };

describe("sequentialComparison", () => {
  it("fails a broken candidate at the first look with minSamples, and says where the difference lies at every look at once", () => {
    const r = sequentialComparison({ signal: "errors", maxIncrease: 0.01 }, rate(40, 4000), rate(200, 200), o);
    expect(r).toMatchObject({ outcome: "Failed", test: "sequential", difference: 0.99 });
    expect(r.lowerBound as number).toBeGreaterThan(0.01);
    expect(r.message).toMatch(/at every look at once \(α = 0.0125\)/);
  });

  it("is inconclusive beyond the limit without a rejection, passes inside it, and waits for minSamples", () => {
    expect(sequentialComparison({ signal: "errors", maxIncrease: 0.01 }, rate(100, 10_000), rate(6, 250), o).outcome).toBe("Inconclusive");
    expect(sequentialComparison({ signal: "errors", maxIncrease: 0.01 }, rate(100, 10_000), rate(3, 250), o)).toMatchObject({
      outcome: "Passed",
      test: "sequential",
    });
    expect(sequentialComparison({ signal: "errors", maxIncrease: 0.01 }, rate(100, 10_000), rate(100, 150), o)).toMatchObject({
      outcome: "Inconclusive",
      message: "candidate: 150 samples, fewer than the 200 required",
    });
  });

  it("shows the interval of the stats core on the scale of the difference, either direction and relative", () => {
    const abs = sequentialComparison({ signal: "errors", maxIncrease: 0.01 }, rate(100, 10_000), rate(40, 1000), o);
    const core = sequentialProportionTest({ successes: 100, trials: 10_000 }, { successes: 40, trials: 1000 }, "greater", { margin: 0.01 }, { alpha: 0.0125 });
    if (!core.ok) throw new Error(core.reason);
    expect(abs.lowerBound).toBeCloseTo(0.01 + core.value.lower, 5);
    expect(abs.upperBound).toBeCloseTo(0.01 + core.value.upper, 5);
    const down = sequentialComparison({ signal: "accuracy", maxDecrease: 0.02 }, rate(9200, 10_000), rate(850, 1000), o);
    expect(down.outcome).toBe("Failed");
    expect(down.upperBound as number).toBeLessThan(-0.02); // the candidate is below stable by more than tolerated
    const rel = sequentialComparison({ signal: "latency", maxRelativeIncrease: 0.2 }, mean(0.2, 0.01, 5000), mean(0.26, 0.02, 400), o);
    const coreRel = sequentialMeanTest(
      { mean: 0.2, variance: 0.01, n: 5000 },
      { mean: 0.26, variance: 0.02, n: 400 },
      "greater",
      { relative: 0.2 },
      { alpha: 0.0125 },
    );
    if (!coreRel.ok) throw new Error(coreRel.reason);
    expect(rel).toMatchObject({ difference: 0.3, test: "sequential" });
    expect(rel.lowerBound).toBeCloseTo(0.2 + coreRel.value.lower / 0.2, 5);
    expect(rel.outcome).toBe(coreRel.value.reject ? "Failed" : "Inconclusive");
  });

  it("never fails a measure with no test on its counts before the hold's end", () => {
    const none = (v: number): Evidence => ({ state: "Value", value: v, samples: 1000, basis: { test: "none" } });
    expect(sequentialComparison({ signal: "f1", maxDecrease: 0.05 }, none(0.9), none(0.5), o)).toMatchObject({ outcome: "Inconclusive", test: "none" });
  });
});

describe("judgeAnalysis with analysis.interval", () => {
  const monitor = modelMonitorSpecSchema.parse({
    model: { name: "m", version: "v1" },
    versionLabel: "version",
    signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
  });
  const NOW = Date.parse("2026-12-01T12:00:00Z");
  const judge = (compare: object[], bounds: object[], candidate: [number, number, number, number], interim = true, interval = "30s") => {
    const st = rolloutStrategySchema.parse({ analysis: { compare, bounds, minSamples: 200, ...(interval ? { interval } : {}) } });
    const plan = planRolloutAnalysis({ monitor, strategy: st, stableVersion: "v1", candidateVersion: "v2", windowMs: 60_000, candidateAt: NOW, stableAt: NOW });
    const answer = (good: boolean): QueryResult => {
      const [tp, tn, fp, fn] = good ? [3000, 6200, 400, 400] : candidate;
      return { kind: "vector", samples: Object.entries({ tp, tn, fp, fn }).map(([outcome, value]) => ({ labels: { outcome }, value })) };
    };
    const queries = rolloutAnalysisQueries(plan);
    return judgeAnalysis(plan, new Map(queries.map((q) => [queryKey(q), answer(q.expr.includes('version="v1"'))])), st, {
      interim,
      stage: { shadow: false, index: 0 },
    });
  };

  it("splits the significance over the stages: a 100 % step alone at α/K, the others as one mixture over starting stages", () => {
    const st = rolloutStrategySchema.parse({}); // 5/25/50/100: K = 4 stages, C = 3 carried, α_c = 0.05·3/4
    const w = [FIRST_STAGE_WEIGHT, (1 - FIRST_STAGE_WEIGHT) / 2, (1 - FIRST_STAGE_WEIGHT) / 2];
    const at = (index: number, carried?: number) => stageAlpha(st, { shadow: false, index }, carried);
    expect(at(3)).toBe(0.05 / 4); // the 100 % step reads stable before it: its own share
    // entering carried stage i with carried evidence P: (P + w_i) / (1/α_c − Σ_{k > i} w_k)
    expect(at(0)).toBeCloseTo((w[0] as number) / (1 / 0.0375 - 0.25), 12);
    expect(at(1)).toBeCloseTo((w[1] as number) / (1 / 0.0375 - 0.125), 12);
    expect(at(2)).toBeCloseTo((w[2] as number) * 0.0375, 12);
    expect(at(1, 2)).toBeCloseTo((2 + (w[1] as number)) / (1 / 0.0375 - 0.125), 12);
    expect(at(1, 0)).toBe(at(1));
    const shadowed = rolloutStrategySchema.parse({ shadow: { percent: 10 } }); // K = 5, C = 4, α_c = 0.04
    expect(stageAlpha(shadowed, { shadow: true, index: 0 })).toBeCloseTo(FIRST_STAGE_WEIGHT / (1 / 0.04 - (1 - FIRST_STAGE_WEIGHT)), 12);
    expect(stageAlpha(shadowed, { shadow: false, index: 3 })).toBe(0.05 / 5);
    expect(stageAlpha(rolloutStrategySchema.parse({ steps: [{ weight: 20 }] }), { shadow: false, index: 0 })).toBeCloseTo(0.05, 12);
  });

  it("carries a passed stage's evidence as (P + w)·Λ, per comparison, and nothing out of a 100 % step", () => {
    const st = rolloutStrategySchema.parse({});
    const rec = (signal: string, logEvidence?: number) => ({
      signal,
      check: "maxIncrease",
      limit: 0.01,
      outcome: "Passed" as const,
      ...(logEvidence !== undefined ? { logEvidence } : {}),
    });
    const first = carriedEvidence(st, { shadow: false, index: 0 }, undefined, [rec("errors", Math.log(3)), rec("latency", -745), rec("p95")]);
    expect(first?.["errors:maxIncrease"]).toBeCloseTo(3 * FIRST_STAGE_WEIGHT, 7);
    expect(first?.["latency:maxIncrease"]).toBeLessThan(1e-300); // Λ = 0 (no noise, no excess): nothing against the candidate
    expect(first?.["p95:maxIncrease"]).toBeUndefined();
    const second = carriedEvidence(st, { shadow: false, index: 1 }, first, [rec("errors", Math.log(0.5))]);
    expect(second?.["errors:maxIncrease"]).toBeCloseTo((3 * FIRST_STAGE_WEIGHT + (1 - FIRST_STAGE_WEIGHT) / 2) * 0.5, 7);
    expect(carriedEvidence(st, { shadow: false, index: 3 }, second, [rec("errors", 2)])).toEqual(second);
  });

  it("keeps the chance of ever failing a candidate exactly at its tolerance under the significance, over every look of every stage", () => {
    // seeded simulation on the test's own scale: the excess estimate after n requests is N(0, σ²/n) (H0's worst case), looked at 20 times a stage
    const st = rolloutStrategySchema.parse({});
    let seed = 20261206;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const tau = 0.01;
    const sigma = 0.1;
    let failed = 0;
    const reps = 4000;
    for (let rep = 0; rep < reps; rep++) {
      let carried: Record<string, number> | undefined;
      let rejected = false;
      for (let index = 0; index < 4 && !rejected; index++) {
        let sum = 0;
        let n = 0;
        let last = 0;
        for (let look = 1; look <= 20 && !rejected; look++) {
          for (let k = 0; k < 50; k++, n++) sum += sigma * normal();
          const variance = (sigma * sigma) / n;
          const excess = sum / n;
          const alpha = stageAlpha(st, { shadow: false, index }, carried?.["x:maxIncrease"]);
          const t = normalMixtureTest(excess, variance, tau, alpha);
          if (!t.ok) throw new Error(t.reason);
          rejected = t.value.reject;
          last = t.value.logEvidence;
        }
        carried = carriedEvidence(st, { shadow: false, index }, carried, [
          { signal: "x", check: "maxIncrease", limit: 0, outcome: "Passed", logEvidence: last },
        ]);
      }
      if (rejected) failed++;
    }
    expect(failed / reps).toBeLessThanOrEqual(0.05);
  });

  it("fails a bound at the first check with minSamples, whatever the hold", () => {
    const j = judge([], [{ signal: "accuracy", min: 0.8 }], [50, 60, 50, 60]);
    expect(j).toMatchObject({ outcome: "Failed", interim: true });
    expect(judge([], [{ signal: "accuracy", min: 0.8 }], [40, 50, 50, 50]).outcome).toBe("Inconclusive"); // 190 samples: not yet
  });

  it("fails a comparison only on the anytime-valid test, and otherwise lets the step go on", () => {
    expect(judge([{ signal: "accuracy", maxDecrease: 0.02 }], [], [300, 300, 200, 200]).outcome).toBe("Failed");
    const close = judge([{ signal: "accuracy", maxDecrease: 0.02 }], [{ signal: "accuracy", min: 0.5 }], [900, 1900, 100, 100]);
    expect(close.interim).toBe(true);
    expect(close.outcome).toBe("Successful");
    // the running summary: the estimate with its anytime-valid interval, and the bound
    expect(close.message).toMatch(/^accuracy \+0\.013\d* \(anytime-valid interval -?0\.\d+ to 0\.\d+\); limit 0\.02; accuracy 0\.933\d* within min 0\.5$/);
  });

  it("judges the hold's end by the same anytime-valid test, never a fresh fixed-horizon one", () => {
    // 0.872 against 0.92 with 1 000 candidate samples: beyond a 0.02 tolerance, a fixed test would fail it (z = 2.5), the anytime-valid one not yet
    const candidate: [number, number, number, number] = [290, 582, 64, 64];
    const end = judge([{ signal: "accuracy", maxDecrease: 0.02 }], [], candidate, false);
    expect(end.interim).toBeUndefined();
    expect(end.outcome).toBe("Inconclusive");
    expect(end.comparisons[0]).toMatchObject({ test: "sequential", outcome: "Inconclusive" });
    expect(end.comparisons[0]?.logEvidence).toBeLessThan(Math.log(1 / 0.0125));
  });
});

describe("exposureOf", () => {
  const record = (step: number, samples: number, extra: object = {}) => ({
    step,
    weight: 10,
    time: "2026-12-01T12:00:00Z",
    window: "10m",
    outcome: "Successful" as const,
    comparisons: [{ signal: "errors", check: "maxIncrease", limit: 0.01, outcome: "Passed" as const, candidateSamples: samples }],
    ...extra,
  });
  it("adds, per live step, the most samples any of its analyses counted; the shadow served none", () => {
    const analyses = [record(0, 500, { shadow: true }), record(0, 3000), record(0, 6000), record(1, 1200)];
    expect(exposureOf(analyses, "errors")).toBe(7200);
    expect(exposureOf(analyses, "latency")).toBe(0);
  });
});

describe("a quantile's bucket boundary over a step", () => {
  const h = (counts: number[]): Histogram => {
    const les = [0.1, 0.25, 0.5, 1, Infinity];
    let c = 0;
    return (binsFromCumulative(les.map((le, i) => ({ le, count: (c += counts[i] as number) }))) as { ok: true; value: Histogram }).value;
  };
  const quantile = (v: number, histogram: Histogram): Evidence => ({
    state: "Value",
    value: v,
    samples: histogram.total,
    basis: { test: "quantileShare", histogram, q: 0.95 },
  });
  const p95 = { signal: "p95", maxRelativeIncrease: 0.5 };
  const candidate = h([100, 300, 400, 200, 0]);

  it("is chosen from stable's quantile at the first look, then the kept one is counted beyond", () => {
    // stable's p95 0.24 tolerates 0.36: the first boundary past it is 0.5; with 0.5 kept, a later stable p95 of 0.6 changes nothing
    const first = sequentialComparison(p95, quantile(0.24, h([500, 450, 45, 5, 0])), quantile(0.9, candidate), o);
    expect(first).toMatchObject({ boundary: 0.5, outcome: "Failed", test: "sequential" });
    const later = sequentialComparison(p95, quantile(0.6, h([100, 450, 395, 55, 0])), quantile(0.9, candidate), { ...o, boundary: 0.5 });
    expect(later).toMatchObject({ boundary: 0.5, outcome: "Failed" });
    expect(sequentialComparison(p95, quantile(0.6, h([100, 450, 395, 55, 0])), quantile(0.9, candidate), o).boundary).toBe(1);
  });

  it("keeps the first boundary of each comparison and adds only new ones", () => {
    const rec = (signal: string, boundary: number) => ({ signal, check: "maxRelativeIncrease", limit: 0.5, outcome: "Passed" as const, boundary });
    expect(keptBoundaries(undefined, [rec("p95", 0.5)])).toEqual({ "p95:maxRelativeIncrease": 0.5 });
    expect(keptBoundaries({ "p95:maxRelativeIncrease": 0.5 }, [rec("p95", 1)])).toBeUndefined();
    expect(keptBoundaries({ "p95:maxRelativeIncrease": 0.5 }, [rec("p95", 1), rec("p99", 2.5)])).toEqual({
      "p95:maxRelativeIncrease": 0.5,
      "p99:maxRelativeIncrease": 2.5,
    });
  });
});
