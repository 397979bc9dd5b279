// The rollout machine with analysis.interval, ticked with real analyses: the plan's queries are
// answered from simulated counts (50 predictions/s split by the step's weight; stable 92 %
// correct), judged by the controller's own judgeAnalysis. No randomness: the counts are their
// expected values, so each case is decided by the statistics, not by luck.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { queryKey, type QueryResult } from "../../../src/domain/observation.ts";
import { judgeAnalysis, planRolloutAnalysis, rolloutAnalysisQueries, stageOf } from "../../../src/domain/rollout/analysis.ts";
import { analysisWindow, isTerminal } from "../../../src/domain/rollout/machine.ts";
import { RolloutHarness } from "./support.ts";

const monitor = modelMonitorSpecSchema.parse({
  model: { name: "m", version: "v1" },
  versionLabel: "version",
  signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
});
const RPS = 50;

/** Reconciles at each planned check until the step is left; the decision's instant stays in h.now. */
const checkUntilDecided = (h: RolloutHarness) => {
  for (let i = 0; i < 100 && h.status.phase === "Progressing"; i++) {
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    h.tick();
  }
};

/** A harness whose analyses query simulated traffic: `candidateAccuracy` of the candidate's predictions are right. */
function simulated(candidateAccuracy: number) {
  const h = new RolloutHarness({
    steps: [
      { weight: 10, hold: "10m" },
      { weight: 50, hold: "10m" },
    ],
    analysis: { interval: "30s", minSamples: 200, compare: [{ signal: "accuracy", maxDecrease: 0.02 }] },
  });
  h.analyst = (status, now, interim) => {
    const w = analysisWindow(status, now);
    const plan = planRolloutAnalysis({ monitor, strategy: h.strategy, stableVersion: "v1", candidateVersion: "v2", ...w });
    const weight = status.stepWeight ?? 0;
    const answer = (expr: string): QueryResult => {
      const stable = expr.includes('version="v1"');
      const n = (RPS * (stable ? 100 - weight : weight) * (w.windowMs / 1000)) / 100;
      const right = n * (stable ? 0.92 : candidateAccuracy);
      const counts = { tp: right / 2, tn: right / 2, fp: (n - right) / 2, fn: (n - right) / 2 };
      return { kind: "vector", samples: Object.entries(counts).map(([outcome, value]) => ({ labels: { outcome }, value })) };
    };
    const results = new Map(rolloutAnalysisQueries(plan).map((q) => [queryKey(q), answer(q.expr)]));
    return {
      ...judgeAnalysis(plan, results, h.strategy, { interim, stage: stageOf(status), boundaries: status.stepBoundaries, carried: status.carriedEvidence }),
      window: plan.window,
    };
  };
  return h;
}

/** Runs a simulated rollout into its first step and checks until that step is decided; `start` is when the step began. */
function firstStepDecided(candidateAccuracy: number) {
  const h = simulated(candidateAccuracy);
  h.runUntil((x) => x.status.phase === "Progressing");
  const start = Date.parse(h.status.stepStartTime as string);
  checkUntilDecided(h);
  return { h, start };
}

describe("interim checks on simulated traffic", () => {
  it("a candidate that answers every request wrongly is back at 0 % at the first check with minSamples, within a minute of a 10-minute hold", () => {
    const { h, start } = firstStepDecided(0);
    // 5 predictions/s at 10 %: 150 at the first check (fewer than 200), 300 at the second
    expect(h.status.phase).toBe("RollingBack");
    expect(h.now - start).toBe(60_000);
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    expect(h.status.analyses).toHaveLength(1);
    expect(h.status.analyses[0]).toMatchObject({ outcome: "Failed", interim: true });
    expect(h.status.analyses[0]?.comparisons[0]).toMatchObject({
      signal: "accuracy",
      outcome: "Failed",
      test: "sequential",
      candidate: 0,
      candidateSamples: 300,
    });
    h.runUntil((x) => isTerminal(x.status.phase));
    expect(h.status.phase).toBe("RolledBack");
    expect(h.status.exposure).toEqual({ signal: "accuracy", samples: 300 });
  });

  it("a candidate as good as stable is checked every 30 s and promoted, each step passing at its hold's end", () => {
    const h = simulated(0.92);
    h.runUntil((x) => isTerminal(x.status.phase), 400);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.interimChecks).toBe(2 * 19);
    expect(h.status.analyses.map((a) => [a.step, a.outcome, a.interim])).toEqual([
      [0, "Successful", undefined],
      [1, "Successful", undefined],
    ]);
  });

  it("a candidate worse than tolerated by a few points is caught mid-hold, not at its end", () => {
    const { h, start } = firstStepDecided(0.85);
    expect(h.status.phase).toBe("RollingBack");
    expect(h.now - start).toBeLessThan(600_000);
    expect(h.status.analyses[0]).toMatchObject({ outcome: "Failed", interim: true, step: 0 });
  });
});
