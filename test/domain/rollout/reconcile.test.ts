// The rollout reconciler's pure decisions around the state machine.
import { describe, expect, it } from "vitest";
import { modelRolloutStatusSchema } from "../../../src/api/v1alpha1/rollout.ts";
import {
  analysisCounted,
  analysisRuns,
  blockedRolloutStatus,
  describeEffect,
  knownStableVersion,
  monitorOfRollout,
  monitorVerdictOf,
  restoreRequeueAfter,
  restoreWorld,
  ROLLOUT_REQUEUE,
  RolloutBlockedReason,
  rolloutRequeueAfter,
  rolloutVersions,
  stableServing,
} from "../../../src/domain/rollout/reconcile.ts";
import { TARGET_HOLD } from "../../../src/domain/rollout/machine.ts";

const empty = modelRolloutStatusSchema.parse({});
const monitorSpec = {
  model: { name: "fraud", version: "v1" },
  versionLabel: "version",
  signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
  serving: { router: { kserve: { inferenceService: { name: "fraud" } } } },
};
const workload = (version: string | undefined, uri?: string) => ({ found: true, ready: true, message: "", version, uri });

describe("monitorOfRollout", () => {
  it("blocks with a typed reason naming the monitor", () => {
    expect(monitorOfRollout("m", undefined)).toEqual({
      ok: false,
      block: { reason: RolloutBlockedReason.MonitorNotFound, message: "ModelMonitor m not found" },
    });
    const invalid = monitorOfRollout("m", { spec: { model: {} } });
    expect(invalid).toMatchObject({ ok: false, block: { reason: "MonitorInvalid" } });
    expect(!invalid.ok && invalid.block.message).toMatch(/^ModelMonitor m is invalid: spec\./);
    const { serving: _s, ...unwired } = monitorSpec;
    expect(monitorOfRollout("m", { spec: unwired })).toMatchObject({ ok: false, block: { reason: "NoServing" } });
  });

  it("gives the monitor's spec, wiring and readable status", () => {
    const found = monitorOfRollout("m", { spec: monitorSpec, status: { stableVersion: "v3" } });
    expect(found.ok && found.monitor.serving).toEqual(expect.objectContaining({ router: { kserve: { inferenceService: { name: "fraud" } } } }));
    expect(found.ok && found.monitor.status?.stableVersion).toBe("v3");
    // an unreadable status is no status
    const unreadable = monitorOfRollout("m", { spec: monitorSpec, status: { health: 42 } });
    expect(unreadable.ok && unreadable.monitor.status).toBeUndefined();
  });
});

describe("the stable version", () => {
  it("is the one the monitor recorded serving stable, else the one its spec names", () => {
    const found = monitorOfRollout("m", { spec: monitorSpec, status: { stableVersion: "v3" } });
    expect(found.ok && knownStableVersion(found.monitor)).toBe("v3");
    const fresh = monitorOfRollout("m", { spec: monitorSpec });
    expect(fresh.ok && knownStableVersion(fresh.monitor)).toBe("v1");
  });

  it("a workload that does not say its version serves stable: its URI is taken", () => {
    expect(stableServing("v1", workload(undefined, "s3://m/x"))).toEqual({ version: "v1", uri: "s3://m/x" });
    expect(stableServing("v1", workload("v1", "s3://m/v1"))).toEqual({ version: "v1", uri: "s3://m/v1" });
    // a workload serving another version lends no URI
    expect(stableServing("v1", workload("v0", "s3://m/v0"))).toEqual({ version: "v1", uri: undefined });
    // nothing known: the workload's word, else unknown
    expect(stableServing(undefined, workload("v0", "s3://m/v0"))).toEqual({ version: "v0", uri: "s3://m/v0" });
    expect(stableServing(undefined, workload(undefined))).toEqual({ version: "unknown", uri: undefined });
  });

  it("the rollout's versions: status.stable once recorded, else the known one", () => {
    const spec = { monitorRef: { name: "m" }, candidate: { version: "v2" }, paused: false };
    expect(rolloutVersions(spec, empty, "v1")).toEqual({ stable: { version: "v1" }, candidate: { version: "v2" }, promoted: false });
    const recorded = { ...empty, stable: { version: "v0", uri: "s3://m/v0" }, promotedTime: "2026-12-01T10:00:00Z" };
    expect(rolloutVersions(spec, recorded, "v1")).toEqual({ stable: { version: "v0", uri: "s3://m/v0" }, candidate: { version: "v2" }, promoted: true });
  });
});

describe("blockedRolloutStatus", () => {
  it("says the reason in the phase's reason, the message and a False Ready condition", () => {
    const s = blockedRolloutStatus(empty, 3, { reason: RolloutBlockedReason.NoServing, message: "no wiring" }, "2026-12-01T10:00:00.000Z");
    expect(s).toMatchObject({ phase: "Pending", reason: "NoServing", message: "no wiring", observedGeneration: 3, blocked: { reason: "NoServing" } });
    expect(s.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status: "False", reason: "NoServing", message: "no wiring", observedGeneration: 3 }),
    ]);
  });
});

describe("analysisRuns", () => {
  const base = { deleting: false, due: true, paused: false, targetRefusal: undefined, previous: empty };
  it("runs a due analysis of a rollout that can act on it", () => expect(analysisRuns(base)).toBe(true));
  it.each([
    ["not due", { due: false }],
    ["deleting", { deleting: true }],
    ["paused", { paused: true }],
    ["held by a target without opt-in", { targetRefusal: "not opted in" }],
    ["ending a target hold", { previous: { ...empty, reason: TARGET_HOLD } }],
  ])("does not run when %s", (_, over) => expect(analysisRuns({ ...base, ...over })).toBe(false));

  it("counts an interim check only when it failed or met an error", () => {
    const judged = (outcome: "Successful" | "Failed" | "Error" | "Inconclusive", interim: boolean) =>
      ({ outcome, interim }) as Parameters<typeof analysisCounted>[0];
    expect(analysisCounted(judged("Successful", false))).toBe(true);
    expect(analysisCounted(judged("Successful", true))).toBe(false);
    expect(analysisCounted(judged("Inconclusive", true))).toBe(false);
    expect(analysisCounted(judged("Failed", true))).toBe(true);
    expect(analysisCounted(judged("Error", true))).toBe(true);
  });
});

describe("requeue", () => {
  it("comes back soon after a failed effect, else when the machine asked", () => {
    expect(rolloutRequeueAfter({ requeueAfterMs: 5_000 }, 1, ROLLOUT_REQUEUE)).toBe(ROLLOUT_REQUEUE.effectFailedMs);
    expect(rolloutRequeueAfter({ requeueAfterMs: 5_000 }, 0, ROLLOUT_REQUEUE)).toBe(5_000);
    expect(rolloutRequeueAfter({}, 0, ROLLOUT_REQUEUE)).toBeUndefined();
  });

  it("restoring stable comes back until the finalizer is released", () => {
    expect(restoreRequeueAfter(true, 0, ROLLOUT_REQUEUE)).toBeUndefined();
    expect(restoreRequeueAfter(false, 0, ROLLOUT_REQUEUE)).toBe(ROLLOUT_REQUEUE.restoringMs);
    expect(restoreRequeueAfter(false, 2, ROLLOUT_REQUEUE)).toBe(ROLLOUT_REQUEUE.effectFailedMs);
  });
});

describe("the other helpers", () => {
  it("the world of a deletion after the monitor keeps the recorded stable version", () => {
    const live = {
      weights: { kind: "weights" as const, weights: { stable: 50, candidate: 50 } },
      stableWorkload: workload("v9"),
      candidateWorkload: workload("v2"),
      targetRefusal: undefined,
    };
    expect(restoreWorld({ ...empty, stable: { version: "v1" } }, live, 7).stable).toEqual({ version: "v1" });
    expect(restoreWorld(empty, live, 7)).toMatchObject({ now: 7, stable: { version: "v9" }, weights: live.weights });
  });

  it("the monitor's verdict, and effects as messages say them", () => {
    expect(monitorVerdictOf(undefined)).toBeUndefined();
    expect(monitorVerdictOf({ observedVersion: "v1", findings: [], conditions: [] } as never)).toEqual({
      version: "v1",
      lastEvaluationTime: undefined,
      findings: [],
    });
    expect(describeEffect({ kind: "setWeights", weights: { stable: 95, candidate: 5 } })).toBe("setting weights 95/5");
    expect(describeEffect({ kind: "setMirror", percent: 10 })).toBe("mirroring 10 % to the candidate");
    expect(describeEffect({ kind: "parkCandidate", parked: true })).toBe("scaling the candidate Deployment to zero");
    expect(describeEffect({ kind: "setWorkload", which: "stable", version: "v1" })).toBe("setting v1 on the stable Deployment");
  });
});
