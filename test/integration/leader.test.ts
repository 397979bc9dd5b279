// Leader election with real operator processes on one Lease: only the leader reconciles; the
// leader killed with SIGKILL is replaced once its lease runs out; a leader stopped with SIGTERM
// releases the Lease and is replaced at once; a retraining Job in flight across two hand-overs
// is created once and its outcome recorded once. A stop waits for the reconciles in flight, and
// past SHUTDOWN_GRACE exits without them, still holding the Lease.
import { readFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
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
  ROOT,
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

/**
 * A stand-in for Prometheus that holds every query unanswered until release(): a reconcile
 * waiting on it is in flight for as long as the test wants. Released, it answers every query
 * with no series, at once.
 */
async function heldPrometheus() {
  const held: { path: string; query: string; res: ServerResponse }[] = [];
  let holding = true;
  const answer = (path: string, res: ServerResponse) =>
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ status: "success", data: { resultType: path.includes("query_range") ? "matrix" : "vector", result: [] } }));
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (holding) held.push({ path: req.url ?? "", query: new URLSearchParams(body).get("query") ?? "", res });
      else answer(req.url ?? "", res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Whether a query held now names the model. */
    holds: (model: string) => held.some((h) => h.query.includes(model)),
    release: () => {
      holding = false;
      for (const { path, res } of held.splice(0)) answer(path, res);
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe("stopping with reconciles in flight", () => {
  const LEASE_S = "mg-shutdown";
  const startHeld = async (name: string, prometheusUrl: string, env: Record<string, string> = {}) => {
    const op = await startOperator([stage.ns], `${stage.ns}-${name}`, {
      ...electing(name),
      LEASE_NAME: LEASE_S,
      PROMETHEUS_URL: prometheusUrl,
      QUERY_TIMEOUT: "5m",
      ...env,
    });
    operators.push(op);
    return op;
  };
  const holderS = async () => {
    const r = await kubectl(["get", "lease", LEASE_S, "-n", stage.ns, "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout).spec?.holderIdentity as string | undefined) || undefined : undefined;
  };
  const logOf = (name: string) => readFileSync(join(ROOT, `.local/logs/operator-${stage.ns}-${name}.log`), "utf8");
  const exited = async (op: Operator) => waitFor("the operator to exit", async () => op.process.exitCode ?? undefined, 60_000, 100);

  it("past SHUTDOWN_GRACE it names the reconcile still running and exits holding the Lease; within it, the status is written and the Lease released", async () => {
    // only this test's operators reconcile the monitors below
    for (const op of operators.splice(0)) await op.stop("SIGTERM");
    const prometheus = await heldPrometheus();
    try {
      const s = await startHeld("op-s", prometheus.url, { SHUTDOWN_GRACE: "2s" });
      await waitFor("op-s to lead", async () => (await holderS())?.startsWith("op-s_"), 15_000, 200);
      await apply(modelMonitor(stage.ns, "held", { model: { name: "held-model" }, interval: "1s", signals: [ACCURACY] }));
      await waitFor("a query in flight", async () => prometheus.holds("held-model"), 20_000, 100);
      s.process.kill("SIGTERM");
      expect(await exited(s)).toBe(1);
      const gaveUp = logOf("op-s")
        .split("\n")
        .filter((l) => l.includes("shutdown grace ran out"))
        .map((l) => JSON.parse(l) as { stillRunning: string[]; graceMs: number });
      expect(gaveUp).toEqual([expect.objectContaining({ stillRunning: [`modelmonitor ${stage.ns}/held`], graceMs: 2_000 })]);
      expect(logOf("op-s")).not.toContain("released the leader Lease");
      expect(await holderS()).toMatch(/^op-s_/); // left to expire: never released while a reconcile may write

      // a new leader once the Lease has expired; its reconcile in flight when SIGTERM comes is answered afterwards
      const t = await startHeld("op-t", prometheus.url);
      await waitFor("op-t to take the expired Lease", async () => (await holderS())?.startsWith("op-t_"), 20_000, 200);
      await apply(modelMonitor(stage.ns, "finishing", { model: { name: "finishing-model" }, interval: "1s", signals: [ACCURACY] }));
      await waitFor("op-t's query for it in flight", async () => prometheus.holds("finishing-model"), 20_000, 100);
      const lastEvaluation = async () =>
        (await getJson<{ status?: { lastEvaluationTime?: string } }>("modelmonitor", "finishing", stage.ns)).status?.lastEvaluationTime;
      expect(await lastEvaluation()).toBeUndefined();
      t.process.kill("SIGTERM");
      await waitFor("op-t stopping", async () => logOf("op-t").includes('"msg":"stopping"'), 10_000, 100);
      prometheus.release();
      expect(await exited(t)).toBe(0);
      expect(await lastEvaluation()).toBeDefined(); // the reconcile in flight wrote its status before the exit
      expect(logOf("op-t")).not.toContain("shutdown grace ran out");
      expect(logOf("op-t")).toContain("released the leader Lease");
      expect(await holderS()).toBeUndefined();
    } finally {
      await prometheus.close();
    }
  });
});
