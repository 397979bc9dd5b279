// Leader election with two real operator processes on one Lease: only the leader reconciles;
// the leader killed with SIGKILL is replaced once its lease runs out; a leader stopped with
// SIGTERM releases the Lease and is replaced at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, createNamespace, deleteNamespace, getJson, kubectl, startOperator, waitFor, type Operator } from "./support.ts";

const LEASE = "mg-leader";
let ns: string;
const operators: Operator[] = [];
beforeAll(async () => {
  ns = await createNamespace("leader");
});
afterAll(async () => {
  for (const op of operators) await op.stop("SIGKILL");
  await deleteNamespace(ns);
});

const electing = (name: string) => ({
  POD_NAME: name,
  LEADER_ELECT: "true",
  LEASE_NAMESPACE: ns,
  LEASE_NAME: LEASE,
  LEASE_DURATION: "6s",
  LEASE_RENEW_DEADLINE: "4s",
  LEASE_RETRY_PERIOD: "500ms",
});
async function start(name: string): Promise<Operator> {
  const op = await startOperator([ns], `${ns}-${name}`, electing(name));
  operators.push(op);
  return op;
}
async function holder(): Promise<string | undefined> {
  const r = await kubectl(["get", "lease", LEASE, "-n", ns, "-o", "json"]);
  return r.code === 0 ? (JSON.parse(r.stdout).spec?.holderIdentity as string | undefined) || undefined : undefined;
}
async function metric(op: Operator, name: string): Promise<number> {
  const text = await (await fetch(op.metricsUrl)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(name) && !l.startsWith("#"))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}
const lastEvaluation = async () => (await getJson<{ status?: { lastEvaluationTime?: string } }>("modelmonitor", "m", ns)).status?.lastEvaluationTime;

describe("leader election", () => {
  it("one leader reconciles; SIGKILL hands over after the lease runs out, SIGTERM at once", async () => {
    const a = await start("op-a");
    const b = await start("op-b");
    const first = await waitFor("a leader", holder, 15_000, 200);
    const [leader, follower] = first.startsWith("op-a_") ? [a, b] : [b, a];
    await apply({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "m", namespace: ns },
      spec: { model: { name: "nobody" }, interval: "1s", signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }] },
    });
    await waitFor("a first evaluation", lastEvaluation, 20_000, 200);
    await waitFor("a few evaluations by the leader", async () => (await metric(leader, "modelguardian_evaluations_total")) >= 3, 20_000, 250);
    expect(await metric(leader, "modelguardian_leader")).toBe(1);
    expect(await metric(follower, "modelguardian_leader")).toBe(0);
    expect(await metric(follower, "modelguardian_evaluations_total")).toBe(0);

    // SIGKILL: nothing is released; the follower takes over once the lease has not changed for 6 s
    const killedAt = Date.now();
    await leader.stop("SIGKILL");
    const second = await waitFor("the follower to take over", async () => ((await holder()) !== first ? holder() : undefined), 15_000, 100);
    const takeoverMs = Date.now() - killedAt;
    console.log(`takeover after SIGKILL: ${takeoverMs} ms (lease duration 6 s, retry 0.5 s)`);
    expect(second.startsWith(first.startsWith("op-a_") ? "op-b_" : "op-a_")).toBe(true);
    const before = await lastEvaluation();
    await waitFor("evaluations by the new leader", async () => {
      const t = await lastEvaluation();
      return t !== undefined && before !== undefined && Date.parse(t) > Date.parse(before) + 1000;
    }, 15_000, 250);
    expect(await metric(follower, "modelguardian_leader")).toBe(1);

    // SIGTERM: the leader finishes its work and releases the Lease; a fresh replica takes over
    // within a retry period, not a lease duration
    const c = await start("op-c");
    expect(await metric(c, "modelguardian_leader")).toBe(0);
    const stoppedAt = Date.now();
    await follower.stop("SIGTERM");
    const third = await waitFor("the fresh replica to take over", async () => ((await holder())?.startsWith("op-c_") ? holder() : undefined), 10_000, 100);
    const handoverMs = Date.now() - stoppedAt;
    console.log(`handover after SIGTERM: ${handoverMs} ms`);
    expect(third.startsWith("op-c_")).toBe(true);
    // a released Lease is taken at the next retry; an expired one would take the 6 s lease duration
    expect(handoverMs).toBeLessThan(5_000);
    await waitFor("evaluations by the third leader", async () => (await metric(c, "modelguardian_evaluations_total")) >= 2, 15_000, 250);
  });
});
