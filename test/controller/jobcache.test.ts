import { describe, expect, it } from "vitest";
import { Index, JobCache } from "../../src/controller/jobcache.ts";

const job = (name: string, monitorUid: string, policy: string, extra: Record<string, unknown> = {}) => ({
  metadata: {
    name,
    creationTimestamp: "2026-11-22T10:00:00Z",
    labels: {
      "app.kubernetes.io/managed-by": "model-guardian",
      "modelguardian.dev/purpose": "retrain",
      "modelguardian.dev/action": "retrain",
      "modelguardian.dev/policy": policy,
    },
    ownerReferences: [{ kind: "ModelMonitor", name: `m-${monitorUid}`, uid: monitorUid, controller: true }],
  },
  ...extra,
});

describe("JobCache", () => {
  it("indexes the operator's Jobs by monitor and by policy, and forgets deleted ones", () => {
    const c = new JobCache();
    expect(c.upsert("a", job("j1", "u1", "p"))).toMatchObject({ name: "j1", monitor: "m-u1", phase: "Active" });
    c.upsert("a", job("j2", "u1", "q"));
    c.upsert("b", job("j3", "u1", "p"));
    expect(c.upsert("a", { metadata: { name: "foreign", labels: {} } })).toBeUndefined();
    expect(
      c
        .ofMonitor("a", "u1")
        .map((j) => j.name)
        .sort(),
    ).toEqual(["j1", "j2"]);
    expect(c.ofPolicy("a", "p").map((j) => j.name)).toEqual(["j1"]);
    c.upsert("a", job("j1", "u1", "p", { status: { conditions: [{ type: "Failed", status: "True", lastTransitionTime: "2026-11-22T10:01:00Z" }] } }));
    expect(c.ofMonitor("a", "u1").find((j) => j.name === "j1")?.phase).toBe("Failed");
    expect(c.remove("a", "j1")?.name).toBe("j1");
    expect(c.ofMonitor("a", "u1").map((j) => j.name)).toEqual(["j2"]);
    expect(c.size).toBe(2);
  });
});

describe("Index", () => {
  it("moves a member between groups and drops it", () => {
    const i = new Index();
    i.set("ns/m1", "ns/p");
    i.set("ns/m2", "ns/p");
    i.set("ns/m1", "ns/q");
    expect(i.of("ns/p")).toEqual(["ns/m2"]);
    expect(i.of("ns/q")).toEqual(["ns/m1"]);
    i.set("ns/m2", undefined);
    expect(i.of("ns/p")).toEqual([]);
  });
});
