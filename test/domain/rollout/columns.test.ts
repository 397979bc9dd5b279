// What kubectl get shows of a ModelRollout agrees with its status message: the step as the
// message counts it, the version stable now, the last analysis of this attempt only, and a
// blocked rollout's reason in PHASE, REASON and MESSAGE.
import { describe, expect, it } from "vitest";
import { modelRolloutStatusSchema } from "../../../src/api/v1alpha1/rollout.ts";
import { blockedStatus, isTerminal, stableVersionOf, stepOf, unblocked } from "../../../src/domain/rollout/machine.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../../src/domain/rollout/names.ts";
import { RolloutHarness, finding, verdictOn } from "./support.ts";

const terminal = (h: RolloutHarness) => isTerminal(h.status.phase);

describe("STEP", () => {
  it("counts as the message does: step 1/4 is 1/4, never 0", () => {
    const h = new RolloutHarness();
    h.tick();
    expect(h.status.step).toBeUndefined(); // Pending: no step yet
    h.runUntil((x) => x.status.phase === "Progressing");
    expect(h.status.message).toMatch(/^step 1\/4: /);
    expect(h.status.step).toBe("1/4");
    h.runUntil((x) => x.status.stepIndex === 2);
    expect(h.status.message).toMatch(/^step 3\/4: /);
    expect(h.status.step).toBe("3/4");
  });

  it("says shadow in the shadow phase, also when paused there", () => {
    const h = new RolloutHarness({ shadow: { percent: 50, hold: "5m" } });
    h.runUntil((x) => x.status.phase === "Shadowing");
    expect(h.status.step).toBe("shadow");
    h.paused = true;
    h.tick();
    expect(h.status).toMatchObject({ phase: "Paused", step: "shadow" });
  });

  it("is pure: the step of a status, as people count", () => {
    const s = modelRolloutStatusSchema.parse({ phase: "Progressing", stepIndex: 0 });
    expect(stepOf(s, 4)).toBe("1/4");
    expect(stepOf(modelRolloutStatusSchema.parse({}), 4)).toBeUndefined();
  });
});

describe("STABLE", () => {
  it("is the candidate once promoted, as the message says, and the previous version again after a rollback of it", () => {
    const h = new RolloutHarness({ bake: { duration: "1h" } });
    h.tick();
    expect(h.status.stableVersion).toBe("v1");
    h.runUntil((x) => x.status.phase === "Baking");
    expect(h.status.stableVersion).toBe("v2");
    h.monitor = verdictOn("v2", h.now + 1000, finding("critical", "Latency", "p95", "p95 up", new Date(h.now).toISOString()));
    h.advance(60_000);
    h.tick();
    expect(h.status.phase).toBe("RollingBack");
    expect(h.status.stableVersion).toBe("v1");
  });

  it("agrees with 'v2 is the stable version' when the rollout succeeds", () => {
    const h = new RolloutHarness();
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "Succeeded", message: "v2 is the stable version", stableVersion: "v2" });
    expect(h.status.stable?.version).toBe("v1"); // what the rollout started from is still recorded
    expect(stableVersionOf({ ...h.status, phase: "RolledBack" }, "v2")).toBe("v1");
  });
});

describe("LAST ANALYSIS", () => {
  it("after a retry does not show the old attempt's failure", () => {
    const h = new RolloutHarness();
    h.nextOutcome = "Failed";
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "RolledBack", lastAnalysis: "Failed (step 1/4)" });
    h.nextOutcome = "Successful";
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "retry";
    h.tick();
    expect(h.status.attempt).toBe(2);
    expect(h.status.lastAnalysis).toBeUndefined();
    expect(h.status.step).toBeUndefined();
    h.runUntil((x) => x.status.lastAnalysis !== undefined);
    expect(h.status.lastAnalysis).toBe("Successful (step 1/4)");
  });
});

describe("a blocked rollout", () => {
  it("that never started is Pending with the reason and message, and starts once unblocked", () => {
    const blocked = blockedStatus(modelRolloutStatusSchema.parse({}), "MonitorNotFound", "ModelMonitor m not found");
    expect(blocked).toMatchObject({ phase: "Pending", reason: "MonitorNotFound", message: "ModelMonitor m not found" });
    const again = unblocked(blocked);
    expect([again.phase, again.reason, again.message, again.blocked]).toEqual([undefined, undefined, undefined, undefined]);
    const h = new RolloutHarness();
    h.status = blocked;
    h.tick();
    expect(h.status).toMatchObject({ phase: "Pending", reason: "CandidateDeploying", attempt: 1 });
    expect(h.status.blocked).toBeUndefined();
    expect(h.reasons()).toEqual(expect.arrayContaining(["RolloutStarted", "RolloutResumed"]));
  });

  it("mid-way shows why, keeps its phase and what it said, and says it again once it can move", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    const before = { phase: h.status.phase, reason: h.status.reason, message: h.status.message };
    h.status = blockedStatus(h.status, "MonitorInvalid", "ModelMonitor m is invalid: spec.signals: required");
    h.status = blockedStatus(h.status, "NoServing", "ModelMonitor m has no spec.serving");
    expect(h.status).toMatchObject({ phase: "Progressing", reason: "NoServing", message: "ModelMonitor m has no spec.serving", step: "2/4" });
    h.tick();
    expect(h.status).toMatchObject(before);
    expect(h.status.blocked).toBeUndefined();
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
  });

  it("while rolling back keeps its reason for the end: an abort still ends Aborted", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.stepIndex === 1);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "abort";
    h.tick({ applyEffects: false });
    expect(h.status).toMatchObject({ phase: "RollingBack", reason: "Aborted" });
    h.status = blockedStatus(h.status, "MonitorNotFound", "ModelMonitor m not found");
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Aborted");
  });
});
