// A model served through the KServe router for rollout tests, with its two STAND-INS: sim/kserve.ts
// keeps KServe's revisions and writes the status KServe would, sim/splitter.ts sends the load
// generator's requests to two simulated model servers in the split KServe would ask Knative for
// (neither KServe's controller nor Knative can run here). Each server plays the model of the
// revision it holds; Prometheus scrapes both. Creates the InferenceService, the stand-in
// RetrainPolicy `canary` (objects.ts canaryPolicy) and a ModelMonitor on the model.
import { KubeConfig } from "@kubernetes/client-node";
import { RevisionServers, startKServeStandIn, type KServeStandIn } from "../../sim/kserve.ts";
import { startLoad, type Load } from "../../sim/load.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { startSplitter, type Splitter } from "../../sim/splitter.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { apply, env, promQuery, TARGETS_DIR, waitFor } from "./cluster.ts";
import { canaryPolicy } from "./objects.ts";

export interface Behaviour {
  accuracy: number;
  latencyMeanSeconds: number;
}

export interface KServeCanary {
  serverA: ModelServer;
  serverB: ModelServer;
  kserve: KServeStandIn;
  revisions: RevisionServers<ModelServer>;
  splitter: Splitter;
  load: Load;
  /** The traffic percent by model version, as the stand-in computes it from the InferenceService. */
  percentByVersion(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startKServeCanary(o: {
  namespace: string;
  model: string;
  /** The ModelMonitor's name, and fields added to its spec. */
  monitor: { name: string; spec?: Record<string, unknown> };
  /** Each version's behaviour; any other version is `healthy`. */
  behaviour: Record<string, Behaviour>;
  healthy: Behaviour;
  seeds: readonly [number, number];
}): Promise<KServeCanary> {
  const { namespace: ns, model, healthy } = o;
  const serverA = await startModelServer({ model, version: "v1", segments: { a: healthy }, traffic: "served", seed: o.seeds[0] });
  const serverB = await startModelServer({ model, version: "none", segments: { a: healthy }, traffic: "served", seed: o.seeds[1] });
  const revisions = new RevisionServers([serverA, serverB] as const, ["v1", undefined], (server, version) => {
    server.setVersion(version);
    server.setBehaviour(o.behaviour[version] ?? healthy);
  });
  let kserve: KServeStandIn | undefined;
  let splitter: Splitter | undefined;
  let load: Load | undefined;
  const stop = async () => {
    await load?.stop();
    await splitter?.stop();
    await kserve?.stop();
    await serverA.close();
    await serverB.close();
    await removePrometheusTarget(TARGETS_DIR, `${model}-a`);
    await removePrometheusTarget(TARGETS_DIR, `${model}-b`);
  };
  try {
    return await start();
  } catch (err) {
    // what started is stopped: the caller holds nothing to stop yet
    await stop();
    throw err;
  }

  async function start(): Promise<KServeCanary> {
    await writePrometheusTarget(TARGETS_DIR, `${model}-a`, serverA.port);
    await writePrometheusTarget(TARGETS_DIR, `${model}-b`, serverB.port);
    for (const obj of [
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
        metadata: { name: o.monitor.name, namespace: ns },
        spec: {
          model: { name: model, version: "v1" },
          versionLabel: "version",
          interval: "5s",
          window: "30s",
          minSamples: 20,
          signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
          policyRef: { name: "canary" },
          serving: { router: { kserve: { inferenceService: { name: "model" } } } },
          ...o.monitor.spec,
        },
      },
    ]) {
      const r = await apply(obj);
      if (r.code !== 0) throw new Error(`${obj.kind}: ${r.stderr}`);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG as string);
    const standIn = startKServeStandIn(kc, ns, "model", { pollMs: 200, readyAfterTicks: 3 });
    kserve = standIn;
    const percentByVersion = () => {
      const out: Record<string, number> = {};
      for (const t of standIn.traffic()) if (t.percent > 0) out[t.model.version ?? "?"] = (out[t.model.version ?? "?"] ?? 0) + t.percent;
      return out;
    };
    await waitFor("the KServe stand-in to roll out the first revision", async () => percentByVersion().v1 === 100, 30_000);
    const split = await startSplitter({
      stableUrl: serverA.url,
      candidateUrl: serverB.url,
      readWeights: async () => revisions.split(standIn.traffic()),
      pollMs: 200,
    });
    splitter = split;
    const requests = startLoad({ url: `${split.url}/predict`, requestsPerSecond: 60, concurrency: 8 });
    load = requests;
    await waitFor("Prometheus to scrape the servers", async () => (await promQuery(`count(model_predictions_total{model="${model}"})`)).length > 0, 60_000);
    return { serverA, serverB, kserve: standIn, revisions, splitter: split, load: requests, percentByVersion, stop };
  }
}
