// The shadow phase of the rollout state machine, tick by tick: the candidate sees mirrored
// requests only, and the analysis judges it with the same outcomes and limits as a step.
import { describe, expect, it } from "vitest";
import { isTerminal } from "../../../src/domain/rollout/machine.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../../src/domain/rollout/names.ts";
import { RolloutHarness } from "./support.ts";

const terminal = (h: RolloutHarness) => isTerminal(h.status.phase);
const SHADOW = {
  shadow: { percent: 40, hold: "5m" },
  steps: [
    { weight: 20, hold: "5m" },
    { weight: 100, hold: "5m" },
  ],
};
const liveToCandidate = (h: RolloutHarness) => h.weightHistory.some((w) => w.candidate > 0);

describe("a shadow phase before any live weight", () => {
  it("mirrors to a ready candidate, keeps all live traffic on stable, and starts the steps once its analysis passes", () => {
    const h = new RolloutHarness(SHADOW);
    h.runUntil((x) => x.status.phase === "Shadowing");
    h.tick();
    expect(h.mirror).toBe(40);
    expect(h.weights).toEqual({ stable: 100, candidate: 0 });
    expect(h.status).toMatchObject({ desiredMirror: 40, mirror: 40, stepWeight: 0 });
    expect(h.reasons()).toContain("ShadowStarted");
    h.runUntil((x) => x.status.phase === "Progressing");
    const leaving = h.effects.slice(-2);
    expect(leaving).toEqual([
      { kind: "setMirror", percent: 0 },
      { kind: "setWeights", weights: { stable: 80, candidate: 20 } },
    ]);
    expect(h.mirror).toBe(0);
    expect(h.weights).toEqual({ stable: 80, candidate: 20 });
    expect(h.status.analyses[0]).toMatchObject({ shadow: true, step: 0, weight: 0, outcome: "Successful" });
    expect(h.reasons()).toContain("ShadowPassed");
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.mirrorHistory).toEqual([40, 0]);
  });

  it("rolls a candidate whose shadow fails back and quarantines it, without it ever serving a live request", () => {
    const h = new RolloutHarness(SHADOW);
    h.nextOutcome = "Failed";
    h.runUntil(terminal);
    expect(h.status).toMatchObject({ phase: "RolledBack", reason: "ShadowFailed", quarantined: true });
    expect(h.status.message).toMatch(/before any live traffic/);
    expect(liveToCandidate(h)).toBe(false);
    expect(h.mirror).toBe(0);
    expect(h.candidate.version).toBe("v1"); // the candidate Deployment has the stable version back
  });

  it("extends the shadow on an inconclusive analysis, then pauses at the limit, as a step does", () => {
    const h = new RolloutHarness({ ...SHADOW, analysis: { inconclusiveLimit: 2, compare: [{ signal: "accuracy", maxDecrease: 0.05 }] } });
    h.nextOutcome = "Inconclusive";
    h.runUntil((x) => x.status.phase === "Paused");
    expect(h.analyses).toBe(3);
    expect(h.status.pauseReason).toBe("InconclusiveLimit");
    expect(h.status.message).toMatch(/the shadow phase/);
    expect(liveToCandidate(h)).toBe(false);
  });

  it("removes the mirror before a person's promotion from the shadow phase", () => {
    const h = new RolloutHarness(SHADOW);
    h.runUntil((x) => x.status.phase === "Shadowing" && x.mirror === 40);
    h.annotations[ROLLOUT_ACTION_ANNOTATION] = "promote";
    h.tick();
    expect(h.status.phase).toBe("Promoting");
    expect(h.mirror).toBe(0);
    h.runUntil(terminal);
    expect(h.status.phase).toBe("Succeeded");
    expect(h.stable.version).toBe("v2");
  });

  it("survives a restart at any tick: the mirror is re-read and set again from status", () => {
    for (let crash = 0; crash < 12; crash++) {
      const h = new RolloutHarness(SHADOW);
      h.nextOutcome = "Failed";
      for (let i = 0; i < 40 && !terminal(h); i++) {
        // the process dies after persisting the status, before performing the effects
        h.tick({ applyEffects: i !== crash });
        h.advance(h.status.nextAnalysisTime ? Math.max(500, Date.parse(h.status.nextAnalysisTime) - h.now) : 500);
      }
      expect(h.status.phase, `crash at tick ${crash}`).toBe("RolledBack");
      expect(h.mirror).toBe(0);
      expect(liveToCandidate(h)).toBe(false);
    }
  });

  it("a shadow phase dropped from the strategy mid-shadow still ends with its analysis, then step 1", () => {
    const h = new RolloutHarness(SHADOW);
    h.runUntil((x) => x.status.phase === "Shadowing");
    const without = new RolloutHarness({ steps: SHADOW.steps });
    Object.assign(h, { strategy: without.strategy });
    h.runUntil((x) => x.status.phase === "Progressing");
    expect(h.status.analyses[0]).toMatchObject({ shadow: true, outcome: "Successful" });
    expect(h.status.stepIndex).toBe(0);
  });

  it("removes a mirror left behind when the rollout is deleted mid-shadow", () => {
    const h = new RolloutHarness(SHADOW);
    h.runUntil((x) => x.mirror === 40);
    h.deleting = true;
    const d = h.tick();
    expect(d.effects).toEqual([{ kind: "setMirror", percent: 0 }]);
    let released = false;
    for (let i = 0; i < 5 && !released; i++) released = h.tick().releaseFinalizer;
    expect(released).toBe(true);
    expect(h.mirror).toBe(0);
  });
});
