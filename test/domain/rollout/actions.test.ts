import { describe, expect, it } from "vitest";
import { ROLLOUT_PHASES, type RolloutPhase } from "../../../src/api/v1alpha1/rollout.ts";
import { actionRefusal, planVerb, ROLLOUT_VERBS, type RolloutObjectView } from "../../../src/domain/rollout/actions.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../../src/domain/rollout/names.ts";
import { approvalCommand } from "../../../src/domain/rollout/machine.ts";
import { RolloutHarness } from "./support.ts";

const view = (
  phase: RolloutPhase | undefined,
  status: RolloutObjectView["status"] = {},
  paused = false,
  annotations: Record<string, string> = {},
): RolloutObjectView => ({
  spec: { paused },
  status: { phase, ...status },
  annotations,
});

const allowed = (verb: (typeof ROLLOUT_VERBS)[number], r: RolloutObjectView) => planVerb(verb, r, "t").kind === "write";

describe("which verb fits which phase", () => {
  it("promote: before the promotion only", () => {
    const yes = ROLLOUT_PHASES.filter((p) => allowed("promote", view(p)));
    expect(yes).toEqual(["Pending", "Shadowing", "Progressing", "Paused"]);
    expect(planVerb("promote", view("Succeeded"), "t")).toEqual({ kind: "refuse", reason: "a Succeeded rollout cannot be promoted" });
  });

  it("abort: anything not over, and a gradual rollback (made immediate)", () => {
    expect(ROLLOUT_PHASES.filter((p) => allowed("abort", view(p)))).toEqual(["Pending", "Shadowing", "Progressing", "Paused", "Promoting", "Baking"]);
    expect(allowed("abort", view("RollingBack", { rollbackStepIndex: 1 }))).toBe(true);
    expect(planVerb("abort", view("RolledBack"), "t")).toEqual({ kind: "refuse", reason: "the rollout is already RolledBack" });
  });

  it("retry: a RolledBack or Aborted rollout only", () => {
    expect(ROLLOUT_PHASES.filter((p) => allowed("retry", view(p)))).toEqual(["RolledBack", "Aborted"]);
    expect(planVerb("retry", view("Progressing"), "t")).toEqual({
      kind: "refuse",
      reason: "only a RolledBack or Aborted rollout is retried (it is Progressing)",
    });
  });

  it("approve and reject: only what waits for approval", () => {
    const waiting = view("Pending", { reason: "AwaitingApproval" });
    expect(planVerb("approve", waiting, "abc")).toMatchObject({ kind: "write", annotation: { key: ROLLOUT_ACTION_ANNOTATION, value: "approve-abc" } });
    expect(planVerb("reject", waiting, "abc")).toMatchObject({ kind: "write", annotation: { value: "reject-abc" } });
    for (const r of [
      view("Pending", { reason: "CandidateDeploying" }),
      view("Pending", { reason: "AwaitingApproval", approvedTime: "2026-01-01T00:00:00Z" }),
      view("Progressing"),
    ])
      expect(planVerb("approve", r, "t")).toEqual({ kind: "refuse", reason: "nothing is waiting for approval" });
  });

  it("pause writes spec.paused while steps can hold; never twice", () => {
    expect(ROLLOUT_PHASES.filter((p) => allowed("pause", view(p)))).toEqual(["Pending", "Shadowing", "Progressing"]);
    expect(planVerb("pause", view("Progressing"), "t")).toEqual({
      kind: "write",
      paused: true,
      note: "spec.paused set: the rollout holds at its current weights",
    });
    expect(planVerb("pause", view("Progressing", {}, true), "t")).toEqual({ kind: "refuse", reason: "spec.paused is already true" });
    expect(planVerb("pause", view("Paused", { pauseReason: "InconclusiveLimit" }), "t")).toEqual({
      kind: "refuse",
      reason: "the rollout is already Paused (InconclusiveLimit)",
    });
    expect(planVerb("pause", view("Baking"), "t")).toMatchObject({ kind: "refuse", reason: expect.stringMatching(/^a Baking rollout cannot be paused/) });
  });

  it("resume clears spec.paused, or asks the operator to resume a pause of its own, or both", () => {
    expect(planVerb("resume", view("Paused", { pauseReason: "PausedBySpec" }, true), "t")).toMatchObject({ kind: "write", paused: false });
    expect(planVerb("resume", view("Paused", { pauseReason: "PausedBySpec" }, true), "t")).not.toHaveProperty("annotation");
    expect(planVerb("resume", view("Paused", { pauseReason: "ErrorLimit" }), "t")).toMatchObject({ kind: "write", annotation: { value: "resume-t" } });
    expect(planVerb("resume", view("Paused", { pauseReason: "ErrorLimit" }), "t")).not.toHaveProperty("paused");
    expect(planVerb("resume", view("Paused", { pauseReason: "ErrorLimit" }, true), "t")).toMatchObject({
      kind: "write",
      paused: false,
      annotation: { value: "resume-t" },
    });
    expect(planVerb("resume", view("Progressing"), "t")).toEqual({ kind: "refuse", reason: "only a Paused rollout resumes (it is Progressing)" });
  });

  it("a rollout the operator has not seen yet is judged as the Pending rollout it starts as", () => {
    expect(allowed("promote", view(undefined))).toBe(true);
    expect(planVerb("retry", view(undefined), "t")).toEqual({ kind: "refuse", reason: "only a RolledBack or Aborted rollout is retried (it is Pending)" });
  });

  it("an action not handled yet is never overwritten", () => {
    const r = view("Progressing", { handledAction: "abort-1" }, false, { [ROLLOUT_ACTION_ANNOTATION]: "promote-2" });
    expect(planVerb("abort", r, "t")).toEqual({
      kind: "refuse",
      reason: `${ROLLOUT_ACTION_ANNOTATION}=promote-2 is not handled yet: wait for the operator to act on it`,
    });
    const handled = view("Progressing", { handledAction: "promote-2" }, false, { [ROLLOUT_ACTION_ANNOTATION]: "promote-2" });
    expect(allowed("abort", handled)).toBe(true);
    // a misspelt value the operator will only warn about does not block a real verb
    expect(allowed("abort", view("Progressing", {}, false, { [ROLLOUT_ACTION_ANNOTATION]: "promot" }))).toBe(true);
  });
});

describe("the state machine follows the same rule", () => {
  it("every verb the plugin refuses in a phase, the operator ignores in it, with the same reason", () => {
    for (const phase of ["Progressing", "Paused", "Succeeded", "RolledBack"] as const)
      for (const verb of ["promote", "abort", "resume", "retry", "approve"] as const) {
        const ruled = actionRefusal(verb, { phase, awaitingApproval: false, gradualRollback: false });
        const h = new RolloutHarness();
        h.status = {
          ...h.status,
          phase,
          analyses: [],
          stepIndex: 0,
          stepWeight: 5,
          stable: { version: "v1" },
          ...(phase === "Paused" ? { pauseReason: "ErrorLimit" } : {}),
        };
        h.annotations[ROLLOUT_ACTION_ANNOTATION] = `${verb}-x`;
        h.tick();
        const ignored = h.events.find((e) => e.message.includes(`=${verb}-x ignored: `));
        if (ruled) expect(ignored?.message, `${verb} in ${phase}`).toContain(`ignored: ${ruled}`);
        else expect(ignored, `${verb} in ${phase}`).toBeUndefined();
      }
  });
});

describe("the approval message", () => {
  it("names the namespace and the plugin's verb, so it works from any namespace", () => {
    const h = new RolloutHarness({ approval: "manual" });
    h.ref = { name: "fraud-v2", namespace: "ml" };
    h.tick();
    expect(h.status.reason).toBe("AwaitingApproval");
    expect(h.status.message).toBe(`v2 waits for a person's approval: ${approvalCommand("fraud-v2", "ml")}`);
    expect(approvalCommand("fraud-v2", "ml")).toBe(
      `kubectl modelguardian approve fraud-v2 -n ml (or reject), or kubectl annotate modelrollout fraud-v2 -n ml --overwrite ${ROLLOUT_ACTION_ANNOTATION}=approve (or =reject)`,
    );
  });
});
