// The monitor's side of rollouts: when a candidate becomes a ModelRollout, promotions followed,
// and the record of versions.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { planMonitorRollout, type MonitoredRollout } from "../../../src/domain/rollout/monitor.ts";
import { rolloutName } from "../../../src/domain/rollout/names.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const spec = modelMonitorSpecSchema.parse({
  model: { name: "fraud", version: "v1" },
  versionLabel: "version",
  signals: [{ name: "accuracy", classification: { metric: "predictions_total" } }],
  policyRef: { name: "p" },
  serving: {
    router: { gatewayAPI: { httpRoute: { name: "r" } } },
    stable: { backendRef: { name: "s" }, deployment: { name: "s" } },
    candidate: { backendRef: { name: "c" }, deployment: { name: "c" } },
  },
});
const withCandidate = (version: string, extra: Partial<ModelMonitorStatus> = {}): ModelMonitorStatus =>
  modelMonitorStatusSchema.parse({
    remediation: { candidate: { version, uri: `s3://m/${version}`, job: "fraud-retrain-1", time: "2026-12-01T11:00:00Z" } },
    ...extra,
  });
const plan = (status: ModelMonitorStatus, rollouts: MonitoredRollout[] = [], rolloutEnabled = true) =>
  planMonitorRollout({ monitor: { name: "fraud", namespace: "ml", uid: "u1" }, spec, status, rolloutEnabled, rollouts, now: NOW });

describe("starting a rollout", () => {
  it("turns a retraining Job's candidate into a ModelRollout owned by the monitor, with a deterministic name", () => {
    const p = plan(withCandidate("v2"));
    expect(p.create?.metadata).toMatchObject({ namespace: "ml", ownerReferences: [{ kind: "ModelMonitor", name: "fraud", uid: "u1", controller: true }] });
    expect(p.create?.metadata.name).toBe(plan(withCandidate("v2")).create?.metadata.name);
    expect(p.create?.metadata.name).toMatch(/^fraud-v2-[0-9a-z]{8}$/);
    expect(p.create?.spec).toEqual({ monitorRef: { name: "fraud" }, candidate: { version: "v2", uri: "s3://m/v2" } });
    expect(p.events.map((e) => e.reason)).toEqual(["RolloutCreated"]);
  });

  it("starts none without spec.rollout on the policy, while another rollout runs, or for the stable version", () => {
    expect(plan(withCandidate("v2"), [], false).create).toBeUndefined();
    expect(plan(withCandidate("v3"), [{ name: "fraud-v2", version: "v2", phase: "Progressing" }]).create).toBeUndefined();
    expect(plan(withCandidate("v1")).create).toBeUndefined();
  });

  it("never starts a quarantined candidate again, even once its rollout is deleted, until the URI changes", () => {
    const name = plan(withCandidate("v2")).create?.metadata.name as string;
    const rolledBack: MonitoredRollout = {
      name,
      version: "v2",
      uri: "s3://m/v2",
      phase: "RolledBack",
      quarantined: true,
      message: "p95_latency +80 %",
      finishTime: "2026-12-01T11:30:00Z",
    };
    const first = plan(withCandidate("v2"), [rolledBack]);
    expect(first.create).toBeUndefined();
    expect(first.versions?.find((v) => v.version === "v2")).toMatchObject({ state: "Quarantined", reason: "p95_latency +80 %", rollout: name });
    const afterDelete = plan(withCandidate("v2", { versions: first.versions }), []);
    expect(afterDelete.create).toBeUndefined();
    const newUri = modelMonitorStatusSchema.parse({
      ...withCandidate("v2", { versions: first.versions }),
      remediation: { candidate: { version: "v2", uri: "s3://m/v2-fixed", job: "j2", time: "2026-12-01T11:40:00Z" } },
    });
    expect(plan(newUri).create?.spec).toMatchObject({ candidate: { uri: "s3://m/v2-fixed" } });
  });
});

describe("following promotions", () => {
  /** v2's rollout, promoted over v1 at 11:49. */
  const v2Promoted = { name: "fraud-v2", version: "v2", promotedTime: "2026-12-01T11:49:00Z", stableBefore: "v1" };
  const promotedV2: MonitoredRollout = { ...v2Promoted, phase: "Succeeded", finishTime: "2026-12-01T11:50:00Z", lastAnalysis: "Successful (step 4/4)" };

  it("makes a promoted candidate the stable version and the old one Previous", () => {
    const p = plan(withCandidate("v2", { stableVersion: "v1" }), [promotedV2]);
    expect(p.stableVersion).toBe("v2");
    expect(p.events.map((e) => e.reason)).toContain("StableVersionChanged");
    expect(p.versions?.map((v) => [v.version, v.state])).toEqual(
      expect.arrayContaining([
        ["v2", "Stable"],
        ["v1", "Previous"],
      ]),
    );
    expect(p.create).toBeUndefined();
    // the next reconcile changes nothing
    const again = plan(withCandidate("v2", { stableVersion: p.stableVersion, versions: p.versions, declaredVersion: "v1" }), [promotedV2]);
    expect(again.stableVersion).toBe("v2");
    expect(again.versions).toEqual(p.versions);
    expect(again.events).toEqual([]);
  });

  it("watches the promoted version while it bakes, and the previous one again when the bake rolls it back", () => {
    const bakingRollout: MonitoredRollout = { ...v2Promoted, uri: "s3://m/v2", phase: "Baking" };
    const p = plan(withCandidate("v2", { stableVersion: "v1" }), [bakingRollout]);
    expect(p.stableVersion).toBe("v2");
    const back = plan(withCandidate("v2", { stableVersion: "v2", versions: p.versions }), [
      { ...bakingRollout, phase: "RolledBack", quarantined: true, message: "critical AccuracyDrift while baking" },
    ]);
    expect(back.stableVersion).toBe("v1");
    expect(back.versions?.find((v) => v.version === "v2")).toMatchObject({ state: "Quarantined", reason: "critical AccuracyDrift while baking" });
    expect(back.versions?.find((v) => v.version === "v1")?.state).toBe("Stable");
    expect(back.create).toBeUndefined();
  });

  it("without serving, takes a person's change of spec.model.version as the version watched, at once", () => {
    const bare = modelMonitorSpecSchema.parse({ ...spec, serving: undefined });
    const s = modelMonitorStatusSchema.parse({ stableVersion: "v2", declaredVersion: "v0" });
    const p = planMonitorRollout({
      monitor: { name: "fraud", namespace: "ml", uid: "u1" },
      spec: bare,
      status: s,
      rolloutEnabled: true,
      rollouts: [],
      now: NOW,
    });
    expect(p.stableVersion).toBe("v1");
    expect(p.declaredVersion).toBe("v1");
    expect(p.create).toBeUndefined();
  });

  it("with serving, a changed spec.model.version starts a rollout, never an instant switch", () => {
    const declared = modelMonitorSpecSchema.parse({ ...spec, model: { name: "fraud", version: "v7", uri: "s3://m/v7" } });
    const s = modelMonitorStatusSchema.parse({ stableVersion: "v2", declaredVersion: "v2" });
    const run = (status: ModelMonitorStatus, rollouts: MonitoredRollout[] = []) =>
      planMonitorRollout({ monitor: { name: "fraud", namespace: "ml", uid: "u1" }, spec: declared, status, rolloutEnabled: false, rollouts, now: NOW });
    const p = run(s);
    expect(p.stableVersion).toBe("v2");
    expect(p.create?.spec).toEqual({ monitorRef: { name: "fraud" }, candidate: { version: "v7", uri: "s3://m/v7" } });
    expect(p.declaredVersion).toBe("v7");
    expect(p.events[0]?.message).toMatch(/spec\.model\.version changed to v7: rollout fraud-v7-[0-9a-z]{8} created/);
    // while another rollout runs, the declared version waits for it, and is not forgotten
    const busy = run(s, [{ name: "fraud-v6", version: "v6", phase: "Progressing" }]);
    expect(busy.create).toBeUndefined();
    expect(busy.declaredVersion).toBe("v2");
    expect(
      run({ ...s, declaredVersion: busy.declaredVersion }, [{ name: "fraud-v6", version: "v6", phase: "RolledBack", quarantined: true }]).create?.spec,
    ).toMatchObject({ candidate: { version: "v7" } });
    // it goes before a retraining Job's candidate
    const both = run(withCandidate("v3", { stableVersion: "v2", declaredVersion: "v2" }));
    expect(both.create?.spec).toMatchObject({ candidate: { version: "v7" } });
  });

  it("summarises the rollout in progress", () => {
    const p = plan(withCandidate("v2"), [{ name: "fraud-v2", version: "v2", phase: "Progressing", stepIndex: 1, step: "2/4", weight: 25 }]);
    // the step as the rollout's messages count it, beside the index
    expect(p.rollout).toEqual({ name: "fraud-v2", candidate: "v2", phase: "Progressing", stepIndex: 1, step: "2/4", weight: 25 });
    expect(p.versions?.find((v) => v.version === "v2")?.state).toBe("Candidate");
  });
});

describe("rolloutName", () => {
  it("is the monitor and version when that is a valid name, else adds a hash of the exact version", () => {
    expect(rolloutName("fraud", "v4")).toBe("fraud-v4");
    expect(rolloutName("fraud", "V4")).toMatch(/^fraud-v4-[0-9a-z]{10}$/);
    expect(rolloutName("fraud", "V4")).not.toBe(rolloutName("fraud", "v4"));
    expect(rolloutName("fraud", "2026/12/01 build#7")).toMatch(/^fraud-2026-12-01-build-7-[0-9a-z]{10}$/);
    expect(rolloutName("m", "x".repeat(300)).length).toBeLessThanOrEqual(253);
  });
});
