// Interim checks (analysis.interval), tick by tick: a step is checked every interval while it
// holds; a check can fail the candidate at once but never pass the step, which passes only at the
// end of its hold; extensions and restarts resume from status.
import { describe, expect, it } from "vitest";
import { interimCheckDue, isTerminal } from "../../../src/domain/rollout/machine.ts";
import { RolloutHarness } from "./support.ts";

const terminal = (h: RolloutHarness) => isTerminal(h.status.phase);
const MINUTE = 60_000;
const toNextCheck = (h: RolloutHarness) => {
  h.now = Date.parse(h.status.nextAnalysisTime as string);
  return h.tick();
};

/** A rollout of two steps of `hold` each, at these weights, with an interim check every minute. */
const twoStepsCheckedEveryMinute = (first: number, second: number, hold: string) =>
  new RolloutHarness({
    steps: [
      { weight: first, hold },
      { weight: second, hold },
    ],
    analysis: { interval: "1m" },
  });

describe("with analysis.interval", () => {
  it("checks every interval while the step holds, and passes it only at the hold's end", () => {
    const h = twoStepsCheckedEveryMinute(10, 100, "10m");
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = Date.parse(h.status.stepStartTime as string);
    expect(h.status).toMatchObject({
      stepIndex: 0,
      stepChecks: 0,
      holdEndTime: new Date(start + 10 * MINUTE).toISOString(),
      nextAnalysisTime: new Date(start + MINUTE).toISOString(),
    });
    for (let i = 1; i <= 9; i++) {
      toNextCheck(h);
      expect(h.now).toBe(start + i * MINUTE);
      expect(h.status).toMatchObject({ phase: "Progressing", stepIndex: 0, stepChecks: i, reason: "Checking" });
      expect(h.weights).toEqual({ stable: 90, candidate: 10 });
    }
    // a passing check leaves no record and no Event
    expect(h.status.analyses).toEqual([]);
    expect(h.reasons()).not.toContain("AnalysisSuccessful");
    expect(h.interimChecks).toBe(9);
    expect(h.analyses).toBe(0);
    toNextCheck(h); // the hold's end: the step's analysis
    expect(h.now).toBe(start + 10 * MINUTE);
    expect(h.analyses).toBe(1);
    expect(h.status).toMatchObject({ stepIndex: 1, stepChecks: 0 });
    expect(h.status.analyses).toHaveLength(1);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.interimChecks).toBe(18);
  });

  it("rolls back at the first failing check, mid-hold, in the same reconcile, with a record of the check", () => {
    const h = new RolloutHarness({ analysis: { interval: "30s" } });
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = Date.parse(h.status.stepStartTime as string);
    toNextCheck(h);
    toNextCheck(h);
    h.nextInterimOutcome = "Failed";
    const d = toNextCheck(h);
    expect(h.now).toBe(start + 90_000);
    expect(d.status.phase).toBe("RollingBack");
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 100, candidate: 0 } });
    expect(h.status.analyses).toHaveLength(1);
    expect(h.status.analyses[0]).toMatchObject({ outcome: "Failed", interim: true, step: 0 });
    expect(h.reasons()).toContain("AnalysisFailed");
    h.runUntil(terminal);
    expect(h.status.phase).toBe("RolledBack");
  });

  it("a failed check within failureLimit is recorded, extends the hold from now and the checks go on; one more rolls back", () => {
    const h = new RolloutHarness({ steps: [{ weight: 10, hold: "10m" }], analysis: { interval: "1m", failureLimit: 1 } });
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = Date.parse(h.status.stepStartTime as string);
    h.nextInterimOutcome = "Failed";
    toNextCheck(h);
    expect(h.status).toMatchObject({
      phase: "Progressing",
      reason: "AnalysisFailed",
      holdEndTime: new Date(start + 11 * MINUTE).toISOString(),
      nextAnalysisTime: new Date(start + 2 * MINUTE).toISOString(),
    });
    expect(h.status.analyses.map((a) => [a.outcome, a.interim])).toEqual([["Failed", true]]);
    expect(h.status.counters).toMatchObject({ failed: 1 });
    toNextCheck(h);
    expect(h.status.phase).toBe("RollingBack");
  });

  it("an inconclusive check goes on; an inconclusive end extends the hold and the checks go on within it", () => {
    const h = new RolloutHarness({ steps: [{ weight: 10, hold: "2m" }], analysis: { interval: "1m" } });
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = Date.parse(h.status.stepStartTime as string);
    h.nextInterimOutcome = "Inconclusive";
    toNextCheck(h);
    expect(h.status).toMatchObject({ phase: "Progressing", stepChecks: 1 });
    h.nextOutcome = "Inconclusive";
    toNextCheck(h);
    expect(h.now).toBe(start + 2 * MINUTE);
    expect(h.status).toMatchObject({ phase: "Progressing", reason: "StepExtended", stepChecks: 2, holdEndTime: new Date(start + 4 * MINUTE).toISOString() });
    expect(h.status.nextAnalysisTime).toBe(new Date(start + 3 * MINUTE).toISOString());
    expect(h.status.stepStartTime).toBe(new Date(start).toISOString()); // the evidence keeps accumulating from the step's start
    toNextCheck(h);
    expect(h.status).toMatchObject({ phase: "Progressing", stepChecks: 3 });
    h.nextOutcome = "Successful";
    toNextCheck(h);
    expect(h.now).toBe(start + 4 * MINUTE);
    expect(h.status.phase).toBe("Promoting");
  });

  it("a restart between checks resumes from status: the same step, the same hold's end, nothing counted twice", () => {
    const h = new RolloutHarness({ analysis: { interval: "1m" } });
    h.runUntil((x) => x.status.phase === "Progressing");
    toNextCheck(h);
    toNextCheck(h);
    const saved = JSON.parse(JSON.stringify(h.status));
    // a new operator process: only the persisted status survives; it reconciles early and late
    const again = new RolloutHarness({ analysis: { interval: "1m" } });
    Object.assign(again, { status: saved, now: h.now + 10_000, weights: { ...h.weights }, candidate: { ...h.candidate }, stable: { ...h.stable } });
    again.tick(); // not due: no check
    expect(again.interimChecks).toBe(0);
    expect(again.status).toMatchObject({ stepChecks: 2, holdEndTime: saved.holdEndTime, stepStartTime: saved.stepStartTime });
    again.now = Date.parse(again.status.nextAnalysisTime as string);
    again.tick();
    again.tick(); // a second reconcile at the same instant: the check was done
    expect(again.interimChecks).toBe(1);
    expect(again.status).toMatchObject({ stepChecks: 3, holdEndTime: saved.holdEndTime, stepStartTime: saved.stepStartTime });
  });

  it("never passes a step before its hold ends, even when the strategy lengthens its interval mid-step", () => {
    const h = new RolloutHarness({ steps: [{ weight: 10, hold: "10m" }], analysis: { interval: "1m" } });
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = Date.parse(h.status.stepStartTime as string);
    (h.strategy.analysis as { interval: string }).interval = "24h";
    expect(interimCheckDue(h.status, start + MINUTE)).toBe(true);
    toNextCheck(h); // the check planned a minute in: still interim, and the next look is the hold's end
    expect(h.status).toMatchObject({ phase: "Progressing", stepIndex: 0 });
    expect(h.status.nextAnalysisTime).toBe(new Date(start + 10 * MINUTE).toISOString());
    toNextCheck(h);
    expect(h.status.phase).toBe("Promoting");
    expect(h.status.holdEndTime).toBeUndefined();
  });

  it("checks the shadow phase too", () => {
    const h = new RolloutHarness({ shadow: { percent: 50, hold: "5m" }, analysis: { interval: "1m" } });
    h.runUntil((x) => x.status.phase === "Shadowing");
    toNextCheck(h);
    expect(h.status).toMatchObject({ phase: "Shadowing", stepChecks: 1 });
    h.nextInterimOutcome = "Failed";
    toNextCheck(h);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("RolledBack");
    expect(h.weightHistory.every((w) => w.candidate === 0)).toBe(true);
  });

  it("looks every 30 s by default", () => {
    const h = new RolloutHarness({ analysis: { interval: undefined } });
    h.runUntil((x) => x.status.phase === "Progressing");
    expect(Date.parse(h.status.nextAnalysisTime as string) - Date.parse(h.status.stepStartTime as string)).toBe(30_000);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.interimChecks).toBe(4 * 19); // 20 looks a 10-minute step, the last its analysis
    expect(h.analyses).toBe(4);
  });

  it("with an interval as long as the hold: one analysis at each hold's end", () => {
    const h = new RolloutHarness({ analysis: { interval: "10m" } });
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.interimChecks).toBe(0);
    expect(h.analyses).toBe(4);
    expect(h.status.holdEndTime).toBeUndefined();
    expect(h.status.stepChecks).toBeUndefined();
  });

  it("keeps a quantile's bucket boundary in status from the step's first look to its end, and passes it to every later look", () => {
    const h = twoStepsCheckedEveryMinute(10, 50, "2m");
    const seen: (Record<string, number> | undefined)[] = [];
    let chosen = 0.5;
    h.analyst = (status, _now, interim) => {
      seen.push(status.stepBoundaries);
      const comparisons = [
        {
          signal: "p95",
          check: "maxRelativeIncrease",
          limit: 0.5,
          outcome: "Passed" as const,
          boundary: status.stepBoundaries?.["p95:maxRelativeIncrease"] ?? chosen,
        },
      ];
      return { outcome: "Successful", message: "ok", comparisons, window: "1m", ...(interim ? { interim: true } : {}) };
    };
    h.runUntil((x) => x.status.phase === "Progressing");
    toNextCheck(h); // step 1's first look chooses 0.5
    chosen = 1; // stable's quantile moved: a fresh choice would differ
    toNextCheck(h); // the hold's end: 0.5 still
    expect(seen).toEqual([undefined, { "p95:maxRelativeIncrease": 0.5 }]);
    expect(h.status).toMatchObject({ stepIndex: 1 });
    expect(h.status.stepBoundaries).toBeUndefined(); // a new step chooses again
    toNextCheck(h);
    expect(h.status.stepBoundaries).toEqual({ "p95:maxRelativeIncrease": 1 });
  });
  it("carries each comparison's evidence from step to step in status, never out of a 100 % step, and starts afresh on a retry", () => {
    const h = new RolloutHarness({
      steps: [
        { weight: 10, hold: "2m" },
        { weight: 50, hold: "2m" },
        { weight: 100, hold: "2m" },
      ],
      analysis: { interval: "1m" },
    });
    const seen: (number | undefined)[] = [];
    h.analyst = (status, _now, interim) => {
      // each harness tick starts from the persisted status alone, as after a restart
      seen.push(status.carriedEvidence?.["errors:maxIncrease"]);
      const comparisons = [{ signal: "errors", check: "maxIncrease", limit: 0.01, outcome: "Passed" as const, logEvidence: Math.log(2) }];
      return { outcome: "Successful", message: "ok", comparisons, window: "1m", ...(interim ? { interim: true } : {}) };
    };
    h.runUntil((x) => x.status.phase === "Promoting");
    // C = 2 carried steps, w = (3/4, 1/4): after step 1 (3/4)·2 = 1.5; after step 2 (1.5 + 1/4)·2 = 3.5; the 100 % step adds nothing
    expect(seen).toEqual([undefined, undefined, 1.5, 1.5, 3.5, 3.5]);
    expect(h.status.carriedEvidence).toEqual({ "errors:maxIncrease": 3.5 });
    h.runUntil(terminal);
    h.status = { ...h.status, phase: "RolledBack" };
    h.annotations["modelguardian.dev/rollout-action"] = "retry";
    h.tick();
    expect(h.status.carriedEvidence).toBeUndefined();
  });
});
