// Gradual rollback, tick by tick with no real time passing: the candidate's weight steps down
// after a failed analysis; a critical finding or an abort still sends everything to stable at
// once; after a promotion, or when no step is below the candidate's weight, it is immediate.
import { describe, expect, it } from "vitest";
import { rolloutStrategySchema } from "../../../src/api/v1alpha1/rollout.ts";
import { isTerminal } from "../../../src/domain/rollout/machine.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../../src/domain/rollout/names.ts";
import { RolloutHarness, finding, verdictOn } from "./support.ts";

const terminal = (h: RolloutHarness) => isTerminal(h.status.phase);
const distinct = (ws: { stable: number; candidate: number }[]) =>
  ws.filter((w, i) => i === 0 || w.stable !== ws[i - 1]?.stable || w.candidate !== ws[i - 1]?.candidate);
const GRADUAL = {
  steps: [
    { weight: 10, hold: "1m" },
    { weight: 50, hold: "1m" },
  ],
  rollback: {
    mode: "gradual" as const,
    steps: [
      { weight: 30, hold: "2m" },
      { weight: 10, hold: "2m" },
    ],
  },
};
/** A harness at step 2 (50 %) whose next analysis fails. */
function failingAtHalf() {
  const h = new RolloutHarness(GRADUAL);
  h.runUntil((x) => x.status.stepIndex === 1 && x.weights.candidate === 50);
  h.nextOutcome = "Failed";
  h.now = Date.parse(h.status.nextAnalysisTime as string);
  return h;
}

/** The failed analysis at half has begun the gradual rollback, and 5 s have passed since. */
function fiveSecondsIntoRollback() {
  const h = failingAtHalf();
  h.tick();
  h.advance(5_000);
  return h;
}

describe("gradual rollback", () => {
  it("steps the candidate's weight down, holding each step, then finishes as an immediate rollback", () => {
    const h = failingAtHalf();
    const d = h.tick();
    expect(d.status).toMatchObject({ phase: "RollingBack", reason: "AnalysisFailed", rollbackStepIndex: 0, quarantined: true });
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 70, candidate: 30 } });
    // the hold: nothing moves for 2 minutes
    for (let i = 0; i < 10; i++) {
      h.advance(10_000);
      h.tick();
    }
    expect(h.weights).toEqual({ stable: 70, candidate: 30 });
    h.advance(30_000);
    h.tick();
    expect(h.weights).toEqual({ stable: 90, candidate: 10 });
    expect(h.status.rollbackStepIndex).toBe(1);
    h.advance(120_000);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("RolledBack");
    expect(h.status.rollbackStepIndex).toBeUndefined();
    expect(h.candidate.version).toBe("v1");
    expect(distinct(h.weightHistory).slice(-4)).toEqual([
      { stable: 50, candidate: 50 },
      { stable: 70, candidate: 30 },
      { stable: 90, candidate: 10 },
      { stable: 100, candidate: 0 },
    ]);
    expect(h.reasons()).toEqual(expect.arrayContaining(["AnalysisFailed", "RollbackStarted", "RollbackStep", "RolledBack", "Quarantined"]));
    expect(h.events.find((e) => e.reason === "RollbackStarted")?.message).toMatch(/stepping the candidate down \(gradual\): 30 %, 10 %, then 0 %$/);
  });

  it("survives a restart at any tick: the step and its start are in status", () => {
    const h = failingAtHalf();
    h.tick();
    h.advance(90_000);
    // a fresh harness from the persisted status: same world, same decision
    const again = new RolloutHarness(GRADUAL);
    Object.assign(again, { now: h.now, status: structuredClone(h.status), weights: { ...h.weights }, candidate: { ...h.candidate }, stable: { ...h.stable } });
    again.tick();
    expect(again.weights).toEqual({ stable: 70, candidate: 30 });
    again.advance(30_000);
    again.tick();
    expect(again.weights).toEqual({ stable: 90, candidate: 10 });
  });

  it("a critical finding of the monitor during the steps sends all traffic to stable at once", () => {
    const h = fiveSecondsIntoRollback();
    // a verdict from before the rollback began does not count
    h.monitor = verdictOn("v1", h.now - 60_000, finding("critical", "AccuracyDrift", "accuracy", "accuracy 0.5 < 0.8"));
    h.tick();
    expect(h.weights).toEqual({ stable: 70, candidate: 30 });
    h.monitor = { ...h.monitor, lastEvaluationTime: new Date(h.now).toISOString() };
    h.advance(1_000);
    const d = h.tick();
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 100, candidate: 0 } });
    expect(h.reasons()).toContain("RollbackAccelerated");
    h.runUntil(terminal);
    expect(h.status.phase).toBe("RolledBack");
  });

  it("a warning finding does not hurry it", () => {
    const h = fiveSecondsIntoRollback();
    h.monitor = verdictOn("v1", h.now, finding("warning", "Latency", "p95", "slow"));
    h.tick();
    expect(h.weights).toEqual({ stable: 70, candidate: 30 });
  });

  it("an abort during the steps goes to stable at once and ends Aborted", () => {
    const h = fiveSecondsIntoRollback();
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "abort";
    const d = h.tick();
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 100, candidate: 0 } });
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Aborted");
  });

  it("is immediate when no step is below the candidate's weight", () => {
    const h = new RolloutHarness(GRADUAL);
    h.runUntil((x) => x.status.stepIndex === 0 && x.weights.candidate === 10);
    h.nextOutcome = "Failed";
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    const d = h.tick();
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 100, candidate: 0 } });
    expect(d.status.rollbackStepIndex).toBeUndefined();
  });

  it("the strategy refuses steps without gradual, gradual without steps, and steps that do not go down", () => {
    const problems = (rollback: unknown) => {
      const r = rolloutStrategySchema.safeParse({ rollback });
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    /** A gradual rollback through these weights, a minute each. */
    const gradualThrough = (...weights: number[]) => ({ mode: "gradual", steps: weights.map((weight) => ({ weight, hold: "1m" })) });
    expect(problems(gradualThrough(50, 20))).toEqual([]);
    expect(problems({ mode: "gradual" })).toEqual(["gradual rollback needs steps"]);
    expect(problems({ mode: "immediate", steps: [{ weight: 50, hold: "1m" }] })).toEqual(["steps apply to gradual rollback only"]);
    expect(problems(gradualThrough(20, 50))).toEqual(["rollback step weights must decrease from one step to the next"]);
    expect(problems({ mode: "gradual", steps: [{ weight: 100, hold: "1m" }] }).length).toBe(1);
  });
});
