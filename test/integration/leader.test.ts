// Leader election with real operator processes on one Lease: only the leader reconciles; the
// leader killed with SIGKILL is replaced once its lease runs out; a leader stopped with SIGTERM
// releases the Lease and is replaced at once; a retraining Job in flight across two hand-overs
// is created once and its outcome recorded once.
import { describe, expect, it } from "vitest";
import type { ModelServer } from "../../sim/model-server.ts";
import {
  ACCURACY,
  apply,
  getJson,
  given,
  kubectl,
  kubectlOk,
  metricSum,
  modelMonitor,
  type Operator,
  retrainOnDrift,
  startOperator,
  startScrapedModel,
  stopScrapedModel,
  useStage,
  waitFor,
  watching,
} from "../stage/index.ts";

const LEASE = "mg-leader";
const operators: Operator[] = [];
const stage = useStage(
  given("leader").withStep(async () => async () => {
    for (const op of operators) await op.stop("SIGKILL");
    await stopScrapedModel(sim, model);
  }),
);
let sim: ModelServer | undefined;
const model = `leader-${Date.now().toString(36)}`;

const electing = (name: string) => ({
  POD_NAME: name,
  LEADER_ELECT: "true",
  LEASE_NAMESPACE: stage.ns,
  LEASE_NAME: LEASE,
  LEASE_DURATION: "6s",
  LEASE_RENEW_DEADLINE: "4s",
  LEASE_RETRY_PERIOD: "500ms",
});
async function start(name: string): Promise<Operator> {
  const op = await startOperator([stage.ns], `${stage.ns}-${name}`, electing(name));
  operators.push(op);
  return op;
}
async function holder(): Promise<string | undefined> {
  const r = await kubectl(["get", "lease", LEASE, "-n", stage.ns, "-o", "json"]);
  return r.code === 0 ? (JSON.parse(r.stdout).spec?.holderIdentity as string | undefined) || undefined : undefined;
}
const lastEvaluationOf = async (name: string) =>
  (await getJson<{ status?: { lastEvaluationTime?: string } }>("modelmonitor", name, stage.ns)).status?.lastEvaluationTime;
const lastEvaluation = async () => (await getJson<{ status?: { lastEvaluationTime?: string } }>("modelmonitor", "m", stage.ns)).status?.lastEvaluationTime;

describe("leader election", () => {
  it("one leader reconciles; SIGKILL hands over after the lease runs out, SIGTERM at once", async () => {
    const a = await start("op-a");
    const b = await start("op-b");
    const first = await waitFor("a leader", holder, 15_000, 200);
    const [leader, follower] = first.startsWith("op-a_") ? [a, b] : [b, a];
    await apply(modelMonitor(stage.ns, "m", { model: { name: "nobody" }, interval: "1s", signals: [ACCURACY] }));
    await waitFor("a first evaluation", lastEvaluation, 20_000, 200);
    await waitFor("a few evaluations by the leader", async () => (await metricSum(leader, "modelguardian_evaluations_total")) >= 3, 20_000, 250);
    expect(await metricSum(leader, "modelguardian_leader")).toBe(1);
    expect(await metricSum(follower, "modelguardian_leader")).toBe(0);
    expect(await metricSum(follower, "modelguardian_evaluations_total")).toBe(0);
    // both are ready; /healthz and /readyz say which one leads
    const probe = async (op: Operator, path: string) => {
      const res = await fetch(new URL(path, op.metricsUrl));
      return `${res.status} ${(await res.text()).trim()}`;
    };
    for (const path of ["/healthz", "/readyz"]) {
      expect(await probe(leader, path)).toBe(`200 ok: leading (Lease ${LEASE})`);
      expect(await probe(follower, path)).toBe(`200 ok: standby (Lease ${LEASE} held by ${first})`);
    }

    // SIGKILL: nothing is released; the follower takes over once the lease has not changed for 6 s
    const killedAt = Date.now();
    await leader.stop("SIGKILL");
    const second = await waitFor("the follower to take over", async () => ((await holder()) !== first ? holder() : undefined), 15_000, 100);
    const takeoverMs = Date.now() - killedAt;
    console.log(`takeover after SIGKILL: ${takeoverMs} ms (lease duration 6 s, retry 0.5 s)`);
    expect(second.startsWith(first.startsWith("op-a_") ? "op-b_" : "op-a_")).toBe(true);
    const before = await lastEvaluation();
    await waitFor(
      "evaluations by the new leader",
      async () => {
        const t = await lastEvaluation();
        return t !== undefined && before !== undefined && Date.parse(t) > Date.parse(before) + 1000;
      },
      15_000,
      250,
    );
    expect(await metricSum(follower, "modelguardian_leader")).toBe(1);

    // SIGTERM: the leader finishes its work and releases the Lease; a fresh replica takes over
    // within a retry period, not a lease duration
    const c = await start("op-c");
    expect(await metricSum(c, "modelguardian_leader")).toBe(0);
    const stoppedAt = Date.now();
    await follower.stop("SIGTERM");
    const third = await waitFor("the fresh replica to take over", async () => ((await holder())?.startsWith("op-c_") ? holder() : undefined), 10_000, 100);
    const handoverMs = Date.now() - stoppedAt;
    console.log(`handover after SIGTERM: ${handoverMs} ms`);
    expect(third.startsWith("op-c_")).toBe(true);
    // a released Lease is taken at the next retry; an expired one would take the 6 s lease duration
    expect(handoverMs).toBeLessThan(5_000);
    await waitFor("evaluations by the third leader", async () => (await metricSum(c, "modelguardian_evaluations_total")) >= 2, 15_000, 250);
  });

  it("a Job in flight across a SIGKILL and a SIGTERM hand-over is created once and recorded once", async () => {
    // a degraded model from the start: the first evaluation triggers the retraining
    sim = await startScrapedModel({ model, version: "v1", segments: { a: { requestsPerSecond: 40, accuracy: 0.55 } }, seed: 51 });
    const x = await start("op-x");
    const y = await start("op-y");
    const z = await start("op-z");
    const byIdentity = async (): Promise<Operator | undefined> => {
      const h = await holder();
      return h === undefined ? undefined : ([x, y, z] as Operator[])[["op-x_", "op-y_", "op-z_"].findIndex((p) => h.startsWith(p))];
    };
    // the previous test's last leader still runs: it hands over to one of x, y, z
    for (const o of operators.filter((o) => ![x, y, z].includes(o))) await o.stop("SIGTERM");
    const first = await waitFor("one of x, y, z to lead", byIdentity, 20_000, 200);
    // a Job long enough to span both hand-overs
    await apply(retrainOnDrift(stage.ns, "retrain", { runDuration: "16s" }));
    await apply(
      modelMonitor(stage.ns, "degraded", {
        ...watching(model, "1s", "20s", 50),
        rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
        policyRef: { name: "retrain" },
      }),
    );
    const seen = new Set<string>();
    const jobs = async () => {
      const names = (await kubectlOk(["get", "jobs", "-n", stage.ns, "-l", "modelguardian.dev/monitor=degraded", "-o", "jsonpath={.items[*].metadata.name}"]))
        .split(/\s+/)
        .filter(Boolean);
      for (const n of names) seen.add(n);
      return names;
    };
    // the moment the Job exists the leader dies: its status write may or may not have landed
    await waitFor("the retraining Job", async () => (await jobs()).length > 0, 90_000, 100);
    await first.stop("SIGKILL");
    const second = await waitFor(
      "a new leader after the SIGKILL",
      async () => {
        const o = await byIdentity();
        return o !== undefined && o !== first ? o : undefined;
      },
      20_000,
      200,
    );
    // the second leader follows the Job (it records it if the first could not), then stops gracefully mid-Job
    await waitFor(
      "the Job recorded as Active",
      async () => {
        const m = await getJson<{ status?: { remediation?: { history?: { outcome: string }[] } } }>("modelmonitor", "degraded", stage.ns);
        return m.status?.remediation?.history?.[0]?.outcome === "Active";
      },
      20_000,
      200,
    );
    await second.stop("SIGTERM");
    const third = await waitFor(
      "the third replica to lead",
      async () => {
        const o = await byIdentity();
        return o !== undefined && o !== first && o !== second ? o : undefined;
      },
      10_000,
      100,
    );
    const m = await waitFor(
      "the outcome recorded by the third leader",
      async () => {
        await jobs();
        const mm = await getJson<{
          status?: {
            remediation?: { history?: { job: string; outcome: string; attempt: number; version?: string }[]; candidate?: { version: string; job: string } };
          };
        }>("modelmonitor", "degraded", stage.ns);
        return mm.status?.remediation?.candidate ? mm : undefined;
      },
      60_000,
      250,
    );
    // a few more evaluations by the third leader: still one Job, one record
    const before = await lastEvaluationOf("degraded");
    await waitFor("more evaluations", async () => Date.parse((await lastEvaluationOf("degraded")) ?? "0") > Date.parse(before ?? "0") + 2000, 20_000, 250);
    expect(await jobs()).toHaveLength(1);
    expect([...seen]).toHaveLength(1);
    const history = m.status?.remediation?.history ?? [];
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ job: [...seen][0], outcome: "Succeeded", attempt: 1, version: "v2" });
    expect(m.status?.remediation?.candidate).toMatchObject({ version: "v2", job: [...seen][0] });
    expect(await metricSum(third, "modelguardian_leader")).toBe(1);
  }, 240_000);
});
