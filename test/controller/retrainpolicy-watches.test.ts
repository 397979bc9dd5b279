import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { policyEventMap, touchPolicy } from "../../src/controller/retrainpolicy-watches.ts";
import { retrainPolicyStatusSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { policyStatus } from "../../src/domain/remediation/policy.ts";

const policy = (spec: unknown, ready?: { status: string; reason: string }, history: unknown[] = []): KubeObject => ({
  metadata: { name: "p", namespace: "ns", uid: "p1", generation: 1 },
  spec,
  status: { conditions: ready ? [{ type: "Ready", ...ready }] : [], history },
});
const monitorsOf = (key: string) => (key === "ns/p" ? ["ns/a", "ns/b"] : []);
const requeued = [
  { controller: "modelmonitor", key: "ns/a" },
  { controller: "modelmonitor", key: "ns/b" },
];

describe("policy events", () => {
  const ok = { status: "True", reason: "Ready" };
  it.each([
    ["a new policy re-queues its monitors", { type: "upsert" as const, object: policy({ cooldown: "1h" }, ok), previous: undefined }, requeued],
    ["a spec change re-queues them", { type: "upsert" as const, object: policy({ cooldown: "2h" }, ok), previous: policy({ cooldown: "1h" }, ok) }, requeued],
    [
      "a new verdict on the Job templates re-queues them",
      { type: "upsert" as const, object: policy({}, { status: "False", reason: "InvalidJobTemplate" }), previous: policy({}, ok) },
      requeued,
    ],
    ["a summary-only status change does not", { type: "upsert" as const, object: policy({}, ok, [{ job: "j" }]), previous: policy({}, ok) }, []],
    ["a deleted policy re-queues them", { type: "remove" as const, object: policy({}, ok) }, requeued],
  ])("%s", (_, event, expected) => {
    expect(policyEventMap(event, monitorsOf)).toEqual(expected);
  });

  it("a monitor added to a policy re-queues no other monitor: the summary the policy then writes is not their concern", () => {
    // the statuses the policy's reconciler writes for one monitor, then for two
    const summary = (names: string[], previous = retrainPolicyStatusSchema.parse({})) =>
      policyStatus({
        generation: 1,
        previous,
        validity: { ok: true },
        monitors: names.map((name) => ({ name })),
        jobs: [],
        historyLimit: 20,
        nowIso: "2026-12-01T10:00:00Z",
      }).status;
    const one = summary(["a"]);
    const two = summary(["a", "b"], one);
    expect(two.conditions.find((c) => c.type === "Ready")?.message).not.toBe(one.conditions.find((c) => c.type === "Ready")?.message);
    const at = (status: unknown): KubeObject => ({ ...policy({}), status });
    expect(policyEventMap({ type: "upsert", object: at(two), previous: at(one) }, monitorsOf)).toEqual([]);
  });

  it("touching a policy is coalesced a second later; no policy, no touch", () => {
    expect(touchPolicy("ns", "p")).toEqual([{ controller: "retrainpolicy", key: "ns/p", afterMs: 1000 }]);
    expect(touchPolicy("ns", undefined)).toEqual([]);
  });
});
