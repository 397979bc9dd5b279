// Canary rollouts through the KServe router, end to end on the local cluster: the operator (a
// real process) sets the model and canaryTrafficPercent of an InferenceService (KServe's real
// CRD). No KServe controller or Knative can run here, so two STAND-INS take their place:
// sim/kserve.ts keeps KServe's revisions and rolled-out bookkeeping and writes the status KServe
// would, and sim/splitter.ts sends the load generator's requests to the simulated model servers
// in the split KServe would ask Knative for. Each server plays the model of the revision it holds.
// Prometheus scrapes the servers, so the analyses see traffic that followed the operator's writes.
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RevisionServers, startKServeStandIn, type KServeStandIn } from "../../sim/kserve.ts";
import { startLoad, type Load } from "../../sim/load.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { startSplitter, type Splitter } from "../../sim/splitter.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { apply, canaryPolicy, createNamespace, deleteNamespace, env, events, getJson, promQuery, startOperator, TARGETS_DIR, waitFor, type Operator } from "./support.ts";

const MODEL = `kserve-model-${Date.now().toString(36)}`;
interface Isvc {
  spec: { predictor: { canaryTrafficPercent?: number; model: { storageUri?: string; env?: { name: string; value: string }[] } } };
}
interface Rollout {
  status?: { phase?: string; reason?: string; quarantined?: boolean; analyses?: { step: number; outcome: string }[]; weights?: { stable: number; candidate: number } };
}
let ns: string;
let op: Operator | undefined;
let serverA: ModelServer | undefined;
let serverB: ModelServer | undefined;
let kserve: KServeStandIn | undefined;
let splitter: Splitter | undefined;
let load: Load | undefined;
const BEHAVIOUR: Record<string, { accuracy: number; latencyMeanSeconds: number }> = { v3: { accuracy: 0.6, latencyMeanSeconds: 0.05 } };
const HEALTHY = { accuracy: 0.92, latencyMeanSeconds: 0.05 };

let revisions: RevisionServers<ModelServer> | undefined;
/** The split by server, as the stand-in computes it from the InferenceService. */
const splitByServer = async () => (revisions as RevisionServers<ModelServer>).split(kserve?.traffic() ?? []);
const isvc = () => getJson<Isvc>("inferenceservice.serving.kserve.io", "model", ns);
const rollout = (name: string) => getJson<Rollout>("modelrollout", name, ns);
const percentByVersion = () => {
  const out: Record<string, number> = {};
  for (const t of kserve?.traffic() ?? []) if (t.percent > 0) out[t.model.version ?? "?"] = (out[t.model.version ?? "?"] ?? 0) + t.percent;
  return out;
};

beforeAll(async () => {
  ns = await createNamespace("kserve-rollout");
  op = await startOperator([ns], ns);
  serverA = await startModelServer({ model: MODEL, version: "v1", segments: { a: HEALTHY }, traffic: "served", seed: 71 });
  serverB = await startModelServer({ model: MODEL, version: "none", segments: { a: HEALTHY }, traffic: "served", seed: 72 });
  revisions = new RevisionServers([serverA, serverB] as const, ["v1", undefined], (server, version) => {
    server.setVersion(version);
    server.setBehaviour(BEHAVIOUR[version] ?? HEALTHY);
  });
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-a`, serverA.port);
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-b`, serverB.port);
  for (const o of [
    {
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      metadata: { name: "model", namespace: ns, annotations: { "serving.kserve.io/deploymentMode": "Serverless" } },
      spec: { predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/v1", env: [{ name: "MODEL_VERSION", value: "v1" }] } } },
    },
    canaryPolicy(ns),
    {
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "canary", namespace: ns },
      spec: {
        model: { name: MODEL, version: "v1" },
        versionLabel: "version",
        interval: "5s",
        window: "30s",
        minSamples: 20,
        signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
        policyRef: { name: "canary" },
        serving: { router: { kserve: { inferenceService: { name: "model" } } } },
      },
    },
  ]) {
    const r = await apply(o);
    if (r.code !== 0) throw new Error(`${o.kind}: ${r.stderr}`);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG as string);
  kserve = startKServeStandIn(kc, ns, "model", { pollMs: 200, readyAfterTicks: 3 });
  await waitFor("the KServe stand-in to roll out the first revision", async () => percentByVersion().v1 === 100, 30_000);
  splitter = await startSplitter({ stableUrl: serverA.url, candidateUrl: serverB.url, readWeights: splitByServer, pollMs: 200 });
  load = startLoad({ url: `${splitter.url}/predict`, requestsPerSecond: 60, concurrency: 8 });
  await waitFor("Prometheus to scrape the servers", async () => (await promQuery(`count(model_predictions_total{model="${MODEL}"})`)).length > 0, 60_000);
}, 300_000);

afterAll(async () => {
  await load?.stop();
  await splitter?.stop();
  await kserve?.stop();
  await op?.stop();
  await serverA?.close();
  await serverB?.close();
  await removePrometheusTarget(TARGETS_DIR, `${MODEL}-a`);
  await removePrometheusTarget(TARGETS_DIR, `${MODEL}-b`);
  if (ns) await deleteNamespace(ns);
});

describe("a canary rollout through the KServe router (stand-in KServe and data plane)", () => {
  it("promotes a healthy candidate through every step of canaryTrafficPercent, then clears it", async () => {
    const before = load?.summary().byVersion.v2 ?? 0;
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelRollout", metadata: { name: "canary-v2", namespace: ns }, spec: { monitorRef: { name: "canary" }, candidate: { version: "v2", uri: "s3://models/v2" } } });
    const percents = new Set<string>();
    const done = await waitFor(
      "the rollout to succeed",
      async () => {
        percents.add(String((await isvc()).spec.predictor.canaryTrafficPercent));
        const r = await rollout("canary-v2");
        return r.status?.phase === "Succeeded" && r;
      },
      150_000,
      250,
    );
    for (const p of percents) expect(["undefined", "0", "30", "70"]).toContain(p);
    expect(percents).toContain("30");
    expect(done.status?.analyses?.map((a) => [a.step, a.outcome])).toEqual(expect.arrayContaining([[0, "Successful"], [1, "Successful"]]));
    const obj = await isvc();
    expect(obj.spec.predictor).not.toHaveProperty("canaryTrafficPercent");
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/v2");
    await waitFor("KServe to give v2 all traffic", async () => percentByVersion().v2 === 100, 10_000);
    // the candidate took its share of the requests routed by KServe's split
    expect((load?.summary().byVersion.v2 ?? 0) - before).toBeGreaterThan(200);
    expect((await events(ns, "canary-v2")).map((e) => e.reason)).toEqual(expect.arrayContaining(["RolloutStarted", "StepStarted", "Promoted"]));
  }, 200_000);

  it("rolls a worse candidate back at its first failing analysis: the percent is 0 at once and the spec holds the stable model again", async () => {
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelRollout", metadata: { name: "canary-v3", namespace: ns }, spec: { monitorRef: { name: "canary" }, candidate: { version: "v3", uri: "s3://models/v3" } } });
    const done = await waitFor("the rollout to be rolled back", async () => {
      const r = await rollout("canary-v3");
      return r.status?.phase === "RolledBack" && r;
    }, 150_000, 250);
    expect(done.status?.reason).toBe("AnalysisFailed");
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.analyses?.at(-1)).toMatchObject({ step: 0, outcome: "Failed" });
    const obj = await isvc();
    expect(obj.spec.predictor.canaryTrafficPercent).toBe(0);
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/v2");
    expect(obj.spec.predictor.model.env?.find((e) => e.name === "MODEL_VERSION")?.value).toBe("v2");
    expect(percentByVersion()).toEqual({ v2: 100 });
    // the stand-in follows: a second later no request reaches v3
    const served = load?.summary().byVersion.v3 ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    expect(load?.summary().byVersion.v3 ?? 0).toBeLessThanOrEqual(served + 8);
  }, 200_000);
});
