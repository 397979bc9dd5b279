// The rollout state machine, tick by tick with no real time passing.
import { describe, expect, it } from "vitest";
import { analysisWindow, isTerminal } from "../../../src/domain/rollout/machine.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../../src/domain/rollout/names.ts";
import { RolloutHarness, T0, finding, verdictOn } from "./support.ts";

const terminal = (h: RolloutHarness) => isTerminal(h.status.phase);
const PLAN = [
  { stable: 100, candidate: 0 },
  { stable: 95, candidate: 5 },
  { stable: 75, candidate: 25 },
  { stable: 50, candidate: 50 },
  { stable: 0, candidate: 100 },
  { stable: 100, candidate: 0 },
];
/** Consecutive duplicates removed: the distinct weights the route went through. */
const distinct = (ws: { stable: number; candidate: number }[]) =>
  ws.filter((w, i) => i === 0 || w.stable !== ws[i - 1]?.stable || w.candidate !== ws[i - 1]?.candidate);

describe("a healthy candidate", () => {
  it("is put in place, waited for, then promoted through every step", () => {
    const h = new RolloutHarness();
    h.tick();
    expect(h.status.phase).toBe("Pending");
    expect(h.candidate.version).toBe("v2");
    expect(h.weights).toEqual({ stable: 100, candidate: 0 }); // no traffic before the candidate is ready
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(distinct(h.weightHistory)).toEqual(PLAN);
    expect(h.stable.version).toBe("v2");
    expect(h.analyses).toBe(4);
    expect(h.status.counters).toMatchObject({ successful: 4, failed: 0 });
    expect(h.reasons().filter((r) => r === "StepStarted")).toHaveLength(4);
    expect(h.reasons()).toContain("Promoted");
    expect(h.status.conditions.find((c) => c.type === "Completed")).toMatchObject({ status: "True", reason: "Succeeded" });
  });

  it("keeps every weight at the step until the step's hold is over", () => {
    const h = new RolloutHarness({ steps: [{ weight: 10, hold: "10m" }] });
    h.runUntil((x) => x.status.phase === "Progressing");
    const start = h.now;
    for (let t = 0; t < 20; t++) {
      h.advance(25_000); // 20 × 25 s < 10 min
      if (h.now - start >= 600_000) break;
      h.tick();
      expect(h.weights).toEqual({ stable: 90, candidate: 10 });
      expect(h.analyses).toBe(0);
    }
  });

  it("measures a 100 % step's stable version over the window before the step", () => {
    const w = analysisWindow({ analyses: [], conditions: [], stepWeight: 100, stepStartTime: new Date(T0).toISOString() }, T0 + 60_000);
    expect(w).toEqual({ windowMs: 60_000, candidateAt: T0 + 60_000, stableAt: T0 });
    expect(analysisWindow({ analyses: [], conditions: [], stepWeight: 50, stepStartTime: new Date(T0).toISOString() }, T0 + 60_000).stableAt).toBe(T0 + 60_000);
  });
});

describe("a worse candidate", () => {
  it("is rolled back at the first failing analysis, in the same reconcile, and quarantined", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.nextOutcome = "Failed";
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    const d = h.tick();
    expect(d.status.phase).toBe("RollingBack");
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 100, candidate: 0 } });
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    h.runUntil(terminal);
    expect(h.status.phase).toBe("RolledBack");
    expect(h.status.quarantined).toBe(true);
    expect(h.candidate.version).toBe("v1"); // the candidate Deployment back on the stable version
    expect(h.stable.version).toBe("v1");
    expect(h.reasons()).toEqual(expect.arrayContaining(["AnalysisFailed", "RollbackStarted", "RolledBack", "Quarantined"]));
    expect(distinct(h.weightHistory)).toEqual([PLAN[0], PLAN[1], PLAN[2], PLAN[0]]);
  });

  it("tolerates failures up to failureLimit, extending the step", () => {
    const h = new RolloutHarness({ analysis: { failureLimit: 1, compare: [{ signal: "x", maxIncrease: 1 }] } });
    h.runUntil((x) => x.status.phase === "Progressing");
    h.nextOutcome = "Failed";
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    h.tick();
    expect(h.status).toMatchObject({ phase: "Progressing", stepIndex: 0, reason: "AnalysisFailed" });
    expect(Date.parse(h.status.nextAnalysisTime as string)).toBe(h.now + 600_000);
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    h.tick();
    expect(h.status.phase).toBe("RollingBack");
  });
});

describe("too little data, and a failing metrics source", () => {
  it("extends the step while inconclusive, never promotes, and pauses beyond the limit", () => {
    const h = new RolloutHarness({ analysis: { inconclusiveLimit: 2 } });
    h.nextOutcome = "Inconclusive";
    h.runUntil((x) => x.status.phase === "Paused");
    expect(h.status).toMatchObject({ phase: "Paused", pauseReason: "InconclusiveLimit", stepIndex: 0 });
    expect(h.analyses).toBe(3);
    expect(distinct(h.weightHistory)).toEqual([PLAN[0], PLAN[1]]);
    // resumed by a person, with enough data now
    h.nextOutcome = "Successful";
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "resume";
    h.tick();
    expect(h.status).toMatchObject({ phase: "Progressing", stepIndex: 0 });
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
  });

  it("retries a metrics error after retryInterval and pauses after errorLimit, never promoting", () => {
    const h = new RolloutHarness({ analysis: { errorLimit: 3, retryInterval: "15s" } });
    h.nextOutcome = "Error";
    h.runUntil((x) => x.status.phase === "Progressing");
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    h.tick();
    expect(Date.parse(h.status.nextAnalysisTime as string) - h.now).toBe(15_000);
    h.runUntil((x) => x.status.phase === "Paused");
    expect(h.status).toMatchObject({ pauseReason: "ErrorLimit", stepIndex: 0 });
    expect(h.status.counters?.errors).toBe(4);
    expect(h.weights).toEqual({ stable: 95, candidate: 5 });
    for (let i = 0; i < 10; i++) {
      h.advance(60_000);
      h.tick();
    }
    expect(h.status.phase).toBe("Paused");
    expect(h.stable.version).toBe("v1");
  });
});

describe("the candidate Deployment", () => {
  it("gets no traffic before it is ready, and a candidate never ready is rolled back after readyTimeout", () => {
    const h = new RolloutHarness({ readyTimeout: "1m" });
    h.readyAfterTicks = 10_000;
    for (let i = 0; i < 100; i++) {
      h.tick();
      h.advance(500);
    }
    expect(h.status.phase).toBe("Pending");
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    h.advance(20_000);
    h.tick();
    expect(h.status).toMatchObject({ phase: "RollingBack", reason: "CandidateNotReady" });
  });
});

describe("manual control", () => {
  it("notices a person's weight edit and pauses; resume restores the plan", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.tick();
    h.weights = { stable: 60, candidate: 40 };
    h.tick();
    expect(h.status).toMatchObject({ phase: "Paused", pauseReason: "ManualWeightChange" });
    expect(h.reasons()).toContain("ManualWeightChange");
    h.tick();
    expect(h.weights).toEqual({ stable: 60, candidate: 40 }); // a paused rollout does not fight the person
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "resume-1";
    h.tick();
    expect(h.status.phase).toBe("Progressing");
    expect(h.weights).toEqual({ stable: 75, candidate: 25 });
  });

  it("pauses on spec.paused and resumes when it is cleared", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.phase === "Progressing");
    h.paused = true;
    h.tick();
    expect(h.status).toMatchObject({ phase: "Paused", pauseReason: "PausedBySpec" });
    h.advance(3_600_000);
    h.tick();
    expect(h.analyses).toBe(0);
    h.paused = false;
    h.tick();
    expect(h.status.phase).toBe("Progressing");
  });

  it("promotes now, skipping the remaining steps", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.phase === "Progressing");
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "promote";
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.analyses).toBe(0);
    expect(distinct(h.weightHistory)).toEqual([PLAN[0], PLAN[1], PLAN[0]]);
  });

  it("aborts to 100 % stable and quarantines; retry runs the candidate again", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 2);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "abort";
    h.tick();
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "Aborted", quarantined: true });
    h.tick();
    expect(h.status.phase).toBe("Aborted"); // the same annotation value is handled once
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "retry";
    h.tick();
    expect(h.status).toMatchObject({ phase: "Pending", attempt: 2, quarantined: false });
    expect(h.status.analyses).toEqual([]);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
  });

  it("reports an unknown action once and ignores actions that do not fit the phase", () => {
    const h = new RolloutHarness();
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "promot";
    h.tick();
    h.tick();
    expect(h.reasons().filter((r) => r === "UnknownAction")).toHaveLength(1);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "retry";
    h.tick();
    expect(h.status.attempt).toBe(1);
    expect(h.events.some((e) => /retry ignored: only a RolledBack or Aborted rollout is retried/.test(e.message))).toBe(true);
  });
});

describe("bake", () => {
  const baking = () => {
    const h = new RolloutHarness({ bake: { duration: "1h" } });
    h.runUntil((x) => x.status.phase === "Baking");
    return h;
  };

  it("keeps the previous version ready on the candidate Deployment, then succeeds", () => {
    const h = baking();
    h.tick();
    expect(h.stable.version).toBe("v2");
    expect(h.candidate.version).toBe("v1");
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    expect(h.reasons()).toEqual(expect.arrayContaining(["Promoted", "BakeStarted"]));
    h.monitor = verdictOn("v2", h.now + 1000, finding("warning", "Latency", "p95_latency", "p95 up", new Date(h.now).toISOString()));
    h.advance(30 * 60_000);
    h.tick();
    expect(h.status.phase).toBe("Baking"); // a warning is below the bake's minSeverity
    h.advance(31 * 60_000);
    h.tick();
    expect(h.status).toMatchObject({ phase: "Succeeded", reason: "Baked" });
  });

  it("a critical finding on the promoted version rolls back to the previous one: its Deployment takes the traffic at once", () => {
    const h = baking();
    h.tick();
    h.tick();
    h.advance(60_000);
    h.monitor = verdictOn("v2", h.now, finding("critical", "AccuracyDrift", "accuracy", "accuracy 0.61 below 0.8", new Date(h.now).toISOString()));
    const d = h.tick();
    expect(d.status).toMatchObject({ phase: "RollingBack", reason: "BakeFailed" });
    expect(d.effects[0]).toEqual({ kind: "setWeights", weights: { stable: 0, candidate: 100 } }); // v1 waits ready on the candidate Deployment
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "RolledBack", quarantined: true });
    expect(h.stable.version).toBe("v1");
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    expect(distinct(h.weightHistory).slice(-3)).toEqual([
      { stable: 100, candidate: 0 },
      { stable: 0, candidate: 100 },
      { stable: 100, candidate: 0 },
    ]);
    expect(h.reasons()).toEqual(expect.arrayContaining(["BakeFailed", "RollbackStarted", "RolledBack", "Quarantined"]));
  });

  it("ignores a verdict on another version or from before the promotion", () => {
    const h = baking();
    h.monitor = verdictOn("v1", h.now + 1000, finding("critical", "AccuracyDrift", "accuracy", "old", new Date(h.now).toISOString()));
    h.advance(5000);
    h.tick();
    expect(h.status.phase).toBe("Baking");
    h.monitor = { version: "v2", lastEvaluationTime: new Date(T0).toISOString(), findings: h.monitor.findings };
    h.tick();
    expect(h.status.phase).toBe("Baking");
  });
});

describe("approval", () => {
  it("waits for a person's approval, touching nothing, then runs", () => {
    const h = new RolloutHarness({ approval: "manual" });
    for (let i = 0; i < 20; i++) {
      h.tick();
      h.advance(60_000);
    }
    expect(h.status).toMatchObject({ phase: "Pending", reason: "AwaitingApproval" });
    expect(h.candidate.version).toBe("v1");
    expect(h.effects).toEqual([]);
    expect(h.reasons().filter((r) => r === "ApprovalRequired")).toHaveLength(1);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "approve";
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.reasons()).toContain("Approved");
  });

  it("a rejected candidate is quarantined without ever being put in place; a retry asks again", () => {
    const h = new RolloutHarness({ approval: "manual" });
    h.tick();
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "reject";
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "Aborted", quarantined: true });
    expect(h.candidate.version).toBe("v1");
    expect(h.effects.every((e) => e.kind === "setWeights" && e.weights.candidate === 0)).toBe(true);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "retry";
    h.tick();
    h.tick();
    expect(h.status).toMatchObject({ phase: "Pending", reason: "AwaitingApproval", attempt: 2 });
  });

  it("approve means nothing when no approval is asked for", () => {
    const h = new RolloutHarness();
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "approve";
    h.tick();
    expect(h.events.some((e) => /approve ignored: nothing is waiting for approval/.test(e.message))).toBe(true);
  });
});

describe("restarts and deletion", () => {
  it("a crash between persisting and acting, at any reconcile, skips and repeats no step", () => {
    const baseline = new RolloutHarness();
    baseline.runUntil(terminal);
    const ticks = baseline.effects.length + baseline.analyses + 20;
    for (let crashAt = 0; crashAt < ticks; crashAt++) {
      const h = new RolloutHarness();
      let n = 0;
      for (let i = 0; i < 300 && !terminal(h); i++) {
        const d = h.tick({ applyEffects: n++ !== crashAt }); // the process dies after the status write
        if (d.effects.length === 0 && h.status.nextAnalysisTime && h.status.phase === "Progressing")
          h.now = Math.max(h.now + 500, Date.parse(h.status.nextAnalysisTime));
        else h.now += 500;
      }
      expect(h.status.phase, `crash at reconcile ${crashAt}`).toBe("Succeeded");
      expect(distinct(h.weightHistory), `crash at reconcile ${crashAt}`).toEqual(PLAN);
      expect(h.analyses, `crash at reconcile ${crashAt}`).toBe(4);
    }
  });

  it("deleting mid-way restores 100 % stable and the stable version on the candidate Deployment before the finalizer goes", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 2);
    h.deleting = true;
    let d = h.tick();
    expect(d.releaseFinalizer).toBe(false);
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    d = h.tick();
    expect(h.candidate.version).toBe("v1");
    d = h.tick();
    expect(d.releaseFinalizer).toBe(true);
  });
});

describe("serving objects without the opt-in label (REQUIRE_TARGET_OPT_IN)", () => {
  const WHY = "Deployment model-candidate lacks the label modelguardian.dev/rollout-target=true";
  const readyCondition = (h: RolloutHarness) => h.status.conditions.find((c) => c.type === "Ready");

  it("a rollout refused before it starts stays Pending, writes nothing, and goes once the label is there", () => {
    const h = new RolloutHarness();
    h.targetRefusal = WHY;
    for (let i = 0; i < 5; i++) {
      const d = h.tick();
      expect(d.effects).toEqual([]);
      expect(d.requeueAfterMs).toBe(5_000);
      h.advance(60_000);
    }
    expect(h.status).toMatchObject({ phase: "Pending", reason: "TargetNotOptedIn", message: WHY });
    expect(readyCondition(h)).toMatchObject({ status: "False", reason: "TargetNotOptedIn", message: WHY });
    expect(h.status.conditions.find((c) => c.type === "Progressing")).toMatchObject({ status: "False", reason: "TargetNotOptedIn" });
    expect(h.candidate.version).toBe("v1");
    // one Warning when the hold begins, not one per reconcile
    expect(h.reasons().filter((r) => r === "TargetNotOptedIn")).toHaveLength(1);
    // longer than readyTimeout (10m) went by: the wait for the candidate starts only now
    h.advance(20 * 60_000);
    h.targetRefusal = undefined;
    h.tick();
    expect(h.candidate.version).toBe("v2");
    expect(h.status.phase).toBe("Pending");
    expect(readyCondition(h)).toMatchObject({ status: "True" });
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
  });

  it("a label removed mid-rollout holds the step where it is: no analysis, no step, no write; the step's hold restarts once it is back", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    const weights = { ...h.weights };
    const analyses = h.analyses;
    h.targetRefusal = WHY;
    h.advance(3_600_000); // far past the step's hold
    for (let i = 0; i < 3; i++) {
      expect(h.tick().effects).toEqual([]);
      h.advance(5_000);
    }
    expect(h.status).toMatchObject({ phase: "Progressing", reason: "TargetNotOptedIn", stepIndex: 1 });
    expect(h.weights).toEqual(weights);
    expect(h.analyses).toBe(analyses);
    h.targetRefusal = undefined;
    // an analysis handed to the reconcile that ends the hold is not judged
    h.nextOutcome = "Failed";
    expect(h.decide({ forceAnalysis: true }).status).toMatchObject({ phase: "Progressing", reason: "TargetsOptedIn", stepIndex: 1, counters: { failed: 0 } });
    h.nextOutcome = "Successful";
    h.tick();
    expect(h.status).toMatchObject({ phase: "Progressing", reason: "TargetsOptedIn", stepIndex: 1 });
    expect(Date.parse(h.status.stepStartTime as string)).toBe(h.now);
    expect(h.reasons()).toContain("RolloutResumed");
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
  });

  it("with analysis.interval, the hold that starts again once the label is back is checked every interval until its new end", () => {
    const h = new RolloutHarness({ analysis: { interval: "30s" } });
    h.runUntil((x) => x.status.stepIndex === 1);
    h.targetRefusal = WHY;
    h.advance(3_600_000); // far past the step's hold
    h.tick();
    h.targetRefusal = undefined;
    h.tick();
    expect(h.status).toMatchObject({ reason: "TargetsOptedIn", stepIndex: 1, stepChecks: 0 });
    expect(Date.parse(h.status.holdEndTime as string)).toBeGreaterThan(h.now + 30_000);
    expect(Date.parse(h.status.nextAnalysisTime as string)).toBe(h.now + 30_000);
  });

  it("an abort asked for while held waits: nothing half-applied, then all of it once the label is back", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    const weights = { ...h.weights };
    h.targetRefusal = WHY;
    h.annotations = { [ROLLOUT_ACTION_ANNOTATION]: "abort" };
    expect(h.tick().effects).toEqual([]);
    expect(h.status).toMatchObject({ phase: "Progressing", reason: "TargetNotOptedIn" });
    expect(h.weights).toEqual(weights);
    h.targetRefusal = undefined;
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Aborted");
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    expect(h.candidate.version).toBe("v1");
  });

  it("a weight a person sets while the rollout is held is theirs: the rollout pauses rather than overwrite it", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.targetRefusal = WHY;
    h.tick();
    h.weights = { stable: 100, candidate: 0 }; // the person who took the label off moved the traffic
    h.tick();
    expect(h.status.weights).not.toEqual(h.weights);
    h.targetRefusal = undefined;
    expect(h.tick().effects).toEqual([]);
    expect(h.status).toMatchObject({ phase: "Paused", pauseReason: "ManualWeightChange" });
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
  });

  it("a finished rollout is left as it is, but a retry waits for the label", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.annotations = { [ROLLOUT_ACTION_ANNOTATION]: "abort" };
    h.runUntil(terminal);
    const reason = h.status.reason;
    h.targetRefusal = WHY;
    h.tick();
    expect(h.status).toMatchObject({ phase: "Aborted", reason });
    h.annotations = { [ROLLOUT_ACTION_ANNOTATION]: "retry" };
    expect(h.tick().effects).toEqual([]);
    expect(h.status).toMatchObject({ phase: "Aborted", reason: "TargetNotOptedIn" });
    h.targetRefusal = undefined;
    h.tick();
    expect(h.status.phase).toBe("Pending");
    expect(h.candidate.version).toBe("v2");
  });

  it("deleting a held rollout writes nothing and lets the finalizer go, with a Warning", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    const weights = { ...h.weights };
    h.targetRefusal = WHY;
    h.deleting = true;
    const d = h.tick();
    expect(d.effects).toEqual([]);
    expect(d.releaseFinalizer).toBe(true);
    expect(h.weights).toEqual(weights);
    expect(d.events).toEqual([{ type: "Warning", reason: "TargetNotOptedIn", message: `deleted without restoring stable: ${WHY}` }]);
  });
});

describe("the candidate Deployment between rollouts", () => {
  const withScalableCandidate = (strategy: ConstructorParameters<typeof RolloutHarness>[0] = {}) => {
    const h = new RolloutHarness(strategy);
    h.candidate.parked = false;
    return h;
  };

  it("is scaled to zero once a promotion ends, and status says so once it reads back", () => {
    const h = withScalableCandidate();
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.effects.filter((e) => e.kind === "parkCandidate")).toEqual([{ kind: "parkCandidate", parked: true }]);
    h.tick();
    expect(h.candidate.parked).toBe(true);
    expect(h.status.candidateParked).toBe(true);
    h.tick();
    expect(h.effects.filter((e) => e.kind === "parkCandidate")).toHaveLength(1);
  });

  it("is scaled to zero after a rollback and after an abort, only once all traffic is on stable", () => {
    const h = withScalableCandidate();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.nextOutcome = "Failed";
    h.now = Date.parse(h.status.nextAnalysisTime as string);
    h.runUntil(terminal);
    h.tick();
    expect(h.status).toMatchObject({ phase: "RolledBack", candidateParked: true });
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    const a = withScalableCandidate();
    a.runUntil((x) => x.status.stepIndex === 0 && x.status.phase === "Progressing");
    a.annotations[ROLLOUT_ACTION_ANNOTATION] = "abort";
    a.runUntil(terminal);
    a.tick();
    expect(a.status).toMatchObject({ phase: "Aborted", candidateParked: true });
  });

  it("keeps the previous version up while baking, and scales it down when the bake has passed", () => {
    const h = withScalableCandidate({ bake: { duration: "1h" } });
    h.runUntil((x) => x.status.phase === "Baking");
    h.tick();
    expect(h.candidate.parked).toBe(false);
    h.advance(3_600_000);
    h.runUntil(terminal);
    h.tick();
    expect(h.status).toMatchObject({ phase: "Succeeded", candidateParked: true });
  });

  it("is woken first by the next rollout, which enters no step before the candidate is back and ready", () => {
    const h = withScalableCandidate();
    h.candidate.parked = true;
    h.tick();
    expect(h.status).toMatchObject({ phase: "Pending", reason: "CandidateScalingUp" });
    expect(h.effects).toEqual([{ kind: "parkCandidate", parked: false }]);
    h.runUntil((x) => x.status.phase === "Progressing");
    expect(h.candidate).toMatchObject({ parked: false, version: "v2", ready: true });
  });

  it("stays warm with keepCandidateWarm, and a workload the operator does not scale (KServe) is left alone", () => {
    const warm = withScalableCandidate({ keepCandidateWarm: true });
    warm.runUntil(terminal);
    warm.tick();
    expect(warm.effects.some((e) => e.kind === "parkCandidate")).toBe(false);
    const kserve = new RolloutHarness();
    kserve.runUntil(terminal);
    kserve.tick();
    expect(kserve.effects.some((e) => e.kind === "parkCandidate")).toBe(false);
    expect(kserve.status.candidateParked).toBeUndefined();
  });
});
