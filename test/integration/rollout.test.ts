// Canary rollouts end to end, with real traffic: a load generator (the model's clients, a
// stand-in) sends requests through Traefik (a real Gateway API data plane) to a stable and a
// candidate simulated model server, so the metrics Prometheus scrapes come from requests that
// followed the weights the operator wrote on the HTTPRoute. The Deployments run on kwok's node:
// their pods become ready, but the processes that answer are the simulated servers, which the
// test relabels when the operator puts a version in place on a Deployment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad, type Load } from "../../sim/load.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { startDataPlane, type BackendRef, type DataPlane } from "./dataplane.ts";
import { apply, createNamespace, deleteNamespace, events, getJson, kubectl, kubectlOk, promQuery, startOperator, TARGETS_DIR, waitFor, type Operator } from "./support.ts";

interface Rollout {
  metadata: { finalizers?: string[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    stepIndex?: number;
    weights?: { stable: number; candidate: number };
    quarantined?: boolean;
    analyses?: { step: number; outcome: string; comparisons: { signal: string; outcome: string; pValue?: number; candidate?: number; stable?: number }[] }[];
    conditions?: { type: string; status: string; reason: string }[];
  };
}
interface Route {
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}
interface Deployment {
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
}
interface Monitor {
  status?: { stableVersion?: string; rollout?: { name: string; phase?: string }; versions?: { version: string; state: string; reason?: string }[] };
}

const MODEL = "canary-model";
let ns: string;
let op: Operator | undefined;
let dp: DataPlane | undefined;
let load: Load | undefined;
let stable: ModelServer | undefined;
let candidate: ModelServer | undefined;
let stableRef: BackendRef;
let candidateRef: BackendRef;

const deployment = (name: string, version: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        nodeSelector: { "kubernetes.io/hostname": "kwok-node-0" },
        containers: [{ name: "model", image: "registry.example/model-server:1", env: [{ name: "MODEL_VERSION", value: version }, { name: "MODEL_URI", value: `s3://models/${version}` }] }],
      },
    },
  },
});

const modelEnv = async (name: string) =>
  Object.fromEntries(((await getJson<Deployment>("deployment", name, ns)).spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
const routeWeights = async () => {
  const refs = (await getJson<Route>("httproute", "model", ns)).spec.rules[0]?.backendRefs ?? [];
  return { stable: refs.find((r) => r.name === stableRef.name)?.weight, candidate: refs.find((r) => r.name === candidateRef.name)?.weight };
};
const rollout = (name: string) => getJson<Rollout>("modelrollout", name, ns);

/** The simulated servers stand in for the Deployments' pods: they serve what the Deployment was told. */
async function followDeployments(): Promise<void> {
  const s = (await modelEnv("model-stable")).MODEL_VERSION;
  const c = (await modelEnv("model-candidate")).MODEL_VERSION;
  if (stable && s && s !== currentVersion.get(stable)) {
    stable.setVersion(s);
    currentVersion.set(stable, s);
  }
  if (candidate && c && c !== currentVersion.get(candidate)) {
    candidate.setVersion(c);
    currentVersion.set(candidate, c);
  }
}
const currentVersion = new Map<ModelServer, string>();
let follower: NodeJS.Timeout | undefined;

beforeAll(async () => {
  ns = await createNamespace("rollout");
  op = await startOperator([ns], "rollout");
  dp = await startDataPlane({ namespace: ns });
  stable = await startModelServer({ model: MODEL, version: "v1", segments: { a: { accuracy: 0.92, latencyMeanSeconds: 0.05 } }, traffic: "served", seed: 1 });
  candidate = await startModelServer({ model: MODEL, version: "v1", segments: { a: { accuracy: 0.92, latencyMeanSeconds: 0.05 } }, traffic: "served", seed: 2 });
  currentVersion.set(stable, "v1");
  currentVersion.set(candidate, "v1");
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-stable`, stable.port);
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-candidate`, candidate.port);
  stableRef = await dp.backend(`${ns}-stable`, stable.port);
  candidateRef = await dp.backend(`${ns}-candidate`, candidate.port);
  await apply(deployment("model-stable", "v1"));
  await apply(deployment("model-candidate", "v1"));
  await apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "model", namespace: ns },
    spec: { parentRefs: [dp.parentRef], rules: [{ backendRefs: [{ ...stableRef, weight: 100 }, { ...candidateRef, weight: 0 }] }] },
  });
  await apply({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "RetrainPolicy",
    metadata: { name: "canary", namespace: ns },
    spec: {
      rollout: {
        steps: [
          { weight: 30, hold: "12s" },
          { weight: 70, hold: "12s" },
        ],
        analysis: {
          compare: [
            { signal: "accuracy", maxDecrease: 0.05 },
            { signal: "p95_latency", maxRelativeIncrease: 0.5 },
          ],
          minSamples: 60,
          inconclusiveLimit: 3,
        },
        readyTimeout: "2m",
      },
    },
  });
  await apply({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "ModelMonitor",
    metadata: { name: "canary", namespace: ns },
    spec: {
      model: { name: MODEL, version: "v1" },
      selector: { model: MODEL },
      versionLabel: "version",
      interval: "5s",
      window: "30s",
      minSamples: 20,
      signals: [
        { name: "accuracy", classification: { metric: "model_predictions_total" } },
        { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
      ],
      policyRef: { name: "canary" },
      serving: {
        router: { gatewayAPI: { httpRoute: { name: "model" } } },
        stable: { backendRef: stableRef, deployment: { name: "model-stable" } },
        candidate: { backendRef: candidateRef, deployment: { name: "model-candidate" } },
      },
    },
  });
  load = startLoad({ url: `${dp.url}/predict`, requestsPerSecond: 60, concurrency: 8 });
  follower = setInterval(() => void followDeployments().catch(() => undefined), 300);
  await waitFor("Prometheus to scrape both servers", async () => (await promQuery(`count(model_predictions_total{model="${MODEL}"})`)).length > 0, 60_000);
}, 300_000);

afterAll(async () => {
  if (follower) clearInterval(follower);
  await load?.stop();
  await op?.stop();
  await dp?.stop();
  await stable?.close();
  await candidate?.close();
  await removePrometheusTarget(TARGETS_DIR, `${MODEL}-stable`);
  await removePrometheusTarget(TARGETS_DIR, `${MODEL}-candidate`);
  if (ns) await deleteNamespace(ns);
});

describe("a canary rollout through the Gateway API data plane", () => {
  it("promotes a healthy candidate through every step, with traffic that followed the weights", async () => {
    const before = load?.summary().byVersion.v2 ?? 0;
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelRollout", metadata: { name: "canary-v2", namespace: ns }, spec: { monitorRef: { name: "canary" }, candidate: { version: "v2", uri: "s3://models/v2" } } });
    // the candidate Deployment gets the version first; the route is not touched before it is ready
    await waitFor("v2 on the candidate Deployment", async () => (await modelEnv("model-candidate")).MODEL_VERSION === "v2", 30_000);
    const seen = new Set<string>();
    const done = await waitFor(
      "the rollout to succeed",
      async () => {
        const r = await rollout("canary-v2");
        const w = await routeWeights();
        seen.add(`${w.stable}/${w.candidate}`);
        return r.status?.phase === "Succeeded" && r;
      },
      150_000,
      250,
    );
    // every weight the route held is one of the plan's
    for (const w of seen) expect(["100/0", "70/30", "30/70"]).toContain(w);
    expect(seen).toContain("70/30");
    expect(done.status?.analyses?.map((a) => [a.step, a.outcome])).toEqual(expect.arrayContaining([[0, "Successful"], [1, "Successful"]]));
    expect(done.status?.analyses?.every((a) => a.outcome !== "Failed")).toBe(true);
    expect(done.metadata.finalizers ?? []).not.toContain("modelguardian.dev/restore-stable");
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v2");
    // the candidate really took traffic through Traefik
    expect((load?.summary().byVersion.v2 ?? 0) - before).toBeGreaterThan(200);
    const monitor = await waitFor("the monitor to follow the promotion", async () => {
      const m = await getJson<Monitor>("modelmonitor", "canary", ns);
      return m.status?.stableVersion === "v2" && m;
    });
    expect(monitor.status?.versions?.find((v) => v.version === "v2")?.state).toBe("Stable");
    expect(monitor.status?.versions?.find((v) => v.version === "v1")?.state).toBe("Previous");
    const reasons = (await events(ns, "canary-v2")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["RolloutStarted", "CandidateDeploying", "StepStarted", "AnalysisSuccessful", "PromotionStarted", "Promoted"]));
    const get = await kubectlOk(["get", "modelrollouts", "-n", ns]);
    expect(get).toMatch(/canary-v2\s+canary\s+v2\s+Succeeded/);
  }, 200_000);

  it("rolls a worse candidate back at its first failing analysis and quarantines it", async () => {
    candidate?.setBehaviour({ accuracy: 0.6 });
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelRollout", metadata: { name: "canary-v3", namespace: ns }, spec: { monitorRef: { name: "canary" }, candidate: { version: "v3" } } });
    const done = await waitFor(
      "the rollout to be rolled back",
      async () => {
        const r = await rollout("canary-v3");
        return r.status?.phase === "RolledBack" && r;
      },
      150_000,
      250,
    );
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.reason).toBe("AnalysisFailed");
    const failed = done.status?.analyses?.at(-1);
    expect(failed?.step).toBe(0);
    expect(failed?.outcome).toBe("Failed");
    const accuracy = failed?.comparisons.find((c) => c.signal === "accuracy");
    expect(accuracy?.outcome).toBe("Failed");
    expect(accuracy?.pValue).toBeLessThan(0.05);
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe("v2"); // back on the stable version
    expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v2");
    const monitor = await waitFor("the monitor to record the quarantine", async () => {
      const m = await getJson<Monitor>("modelmonitor", "canary", ns);
      return m.status?.versions?.some((v) => v.version === "v3" && v.state === "Quarantined") && m;
    });
    expect(monitor.status?.stableVersion).toBe("v2");
    const reasons = (await events(ns, "canary-v3")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["AnalysisFailed", "RollbackStarted", "RolledBack", "Quarantined"]));
  }, 200_000);

  it("deleting a rollout mid-way restores all traffic to stable before it goes", async () => {
    candidate?.setBehaviour({ accuracy: 0.92 });
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelRollout", metadata: { name: "canary-v4", namespace: ns }, spec: { monitorRef: { name: "canary" }, candidate: { version: "v4" } } });
    await waitFor("traffic on v4", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["delete", "modelrollout", "canary-v4", "-n", ns, "--wait=true", "--timeout=30s"]);
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe("v2");
    const gone = await kubectl(["get", "modelrollout", "canary-v4", "-n", ns]);
    expect(gone.code).not.toBe(0);
  }, 120_000);
});
