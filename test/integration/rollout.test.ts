// Canary rollouts end to end, with real traffic: a load generator (the model's clients, a
// stand-in) sends requests through Traefik (a real Gateway API data plane) to a stable and a
// candidate simulated model server, so the metrics Prometheus scrapes come from requests that
// followed the weights the operator wrote on the HTTPRoute. The Deployments run on kwok's node:
// their pods become ready, but the processes that answer are the simulated servers, which the
// test relabels when the operator puts a version in place on a Deployment.
import { describe, expect, it } from "vitest";
import { ServedPair } from "../stage/served.ts";
import { modelDeployment } from "../stage/serving.ts";
import { startLoad, type Load } from "../../sim/load.ts";
import type { ModelServer } from "../../sim/model-server.ts";
import type { BackendRef, DataPlane } from "../stage/dataplane.ts";
import {
  ACCURACY,
  apply,
  events,
  getJson,
  given,
  kubectl,
  kubectlOk,
  modelMonitor,
  modelRollout,
  type Operator,
  promQuery,
  retrainOnDriftSpec,
  rolloutReaches,
  startOperator,
  useStage,
  waitFor,
} from "../stage/index.ts";

interface Rollout {
  metadata: { finalizers?: string[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    stepIndex?: number;
    weights?: { stable: number; candidate: number };
    quarantined?: boolean;
    candidateParked?: boolean;
    analyses?: {
      step: number;
      outcome: string;
      interim?: boolean;
      comparisons: { signal: string; outcome: string; test?: string; logEvidence?: number; candidate?: number; stable?: number }[];
    }[];
    conditions?: { type: string; status: string; reason: string }[];
    holdEndTime?: string;
    exposure?: { signal: string; samples: number };
  };
}
interface Route {
  spec: { rules: { backendRefs: { name: string; weight?: number }[]; filters?: unknown[] }[] };
}
interface Deployment {
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
}
interface Monitor {
  status?: {
    stableVersion?: string;
    rollout?: { name: string; candidate?: string; phase?: string };
    versions?: { version: string; state: string; reason?: string }[];
  };
}

// unique per run: two checkouts running this file at once must not read each other's series
const MODEL = `canary-model-${Date.now().toString(36)}`;
let ns: string;
let op: Operator | undefined;
let dp: DataPlane | undefined;
let load: Load | undefined;
let stable: ModelServer | undefined;
let candidate: ModelServer | undefined;
let stableRef: BackendRef;
let candidateRef: BackendRef;

const deployment = (name: string, version: string) => modelDeployment({ namespace: ns, name, version });
const replicasOf = async (name: string) => {
  const d = await getJson<{ metadata: { annotations?: Record<string, string> }; spec: { replicas?: number } }>("deployment", name, ns);
  return { replicas: d.spec.replicas, parkedReplicas: d.metadata.annotations?.["modelguardian.dev/parked-replicas"] };
};

const modelEnv = async (name: string) =>
  Object.fromEntries(((await getJson<Deployment>("deployment", name, ns)).spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
const routeWeights = async () => {
  const refs = (await getJson<Route>("httproute", "model", ns)).spec.rules[0]?.backendRefs ?? [];
  return { stable: refs.find((r) => r.name === stableRef.name)?.weight, candidate: refs.find((r) => r.name === candidateRef.name)?.weight };
};
const rollout = (name: string) => getJson<Rollout>("modelrollout", name, ns);
const newRollout = (name: string, version: string) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelRollout",
  metadata: { name, namespace: ns },
  spec: { monitorRef: { name: "canary" }, candidate: { version } },
});

const ANALYSIS = {
  compare: [
    { signal: "accuracy", maxDecrease: 0.05 },
    { signal: "p95_latency", maxRelativeIncrease: 0.5 },
  ],
  minSamples: 60,
  inconclusiveLimit: 3,
};
const STEPS = [
  { weight: 30, hold: "12s" },
  { weight: 70, hold: "12s" },
];
const policy = (
  extra: Record<string, unknown> = {},
  analysis: Record<string, unknown> = {},
  steps: unknown[] = STEPS,
  rolloutExtra: Record<string, unknown> = {},
) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name: "canary", namespace: ns },
  spec: {
    rollout: {
      steps,
      analysis: { ...ANALYSIS, ...analysis },
      readyTimeout: "2m",
      ...rolloutExtra,
    },
    ...extra,
  },
});
const policyExtra: Record<string, unknown> = {};
const patchPolicyAnalysis = async (analysis: Record<string, unknown>) => {
  const r = await apply(policy(policyExtra, analysis));
  if (r.code !== 0) throw new Error(r.stderr);
};

const HEALTHY = { accuracy: 0.92, latencyMeanSeconds: 0.05 };
/** How each model version behaves, wherever it is served (default: HEALTHY). */
const PROFILES = new Map<string, Partial<typeof HEALTHY>>();

const pair = new ServedPair({
  model: MODEL,
  seeds: [1, 2],
  initial: HEALTHY,
  behaviour: (version) => ({ ...HEALTHY, ...PROFILES.get(version) }),
  knownVersion: true,
});

/** Traefik's backends for the two servers, the Deployments, the HTTPRoute through Traefik, the stand-in policy and the monitor. */
const wireModel = async () => {
  stable = pair.stable;
  candidate = pair.candidate;
  stableRef = await (dp as DataPlane).backend(`${ns}-stable`, stable.port);
  candidateRef = await (dp as DataPlane).backend(`${ns}-candidate`, candidate.port);
  await apply(deployment("model-stable", "v1"));
  await apply(deployment("model-candidate", "v1"));
  await apply({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "model", namespace: ns },
    spec: {
      parentRefs: [(dp as DataPlane).parentRef],
      rules: [
        {
          backendRefs: [
            { ...stableRef, weight: 100 },
            { ...candidateRef, weight: 0 },
          ],
        },
      ],
    },
  });
  await apply(policy());
  await apply(
    modelMonitor(ns, "canary", {
      model: { name: MODEL, version: "v1" },
      selector: { model: MODEL },
      versionLabel: "version",
      interval: "5s",
      window: "30s",
      minSamples: 20,
      signals: [ACCURACY, { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } }],
      policyRef: { name: "canary" },
      serving: {
        router: { gatewayAPI: { httpRoute: { name: "model" } } },
        stable: { backendRef: stableRef, deployment: { name: "model-stable" } },
        candidate: { backendRef: candidateRef, deployment: { name: "model-candidate" } },
      },
    }),
  );
};

useStage(
  given("rollout")
    .withOperator({ name: "rollout" })
    .withDataPlane()
    // the names the tests use; a test that kills the operator starts another as `op`, which the teardown stops
    .withStep(async (s) => {
      ns = s.ns;
      op = s.operator;
      dp = s.dataPlane;
      return () => op?.stop();
    })
    .withStep(pair.servers)
    .withStep(wireModel)
    .withStep(async () => {
      load = startLoad({ url: `${(dp as DataPlane).url}/predict`, requestsPerSecond: 60, concurrency: 8 });
      return () => load?.stop();
    })
    // the simulated servers stand in for the Deployments' pods: they serve what the Deployment was told
    .withStep(pair.follow)
    .withStep(() =>
      waitFor("Prometheus to scrape both servers", async () => (await promQuery(`count(model_predictions_total{model="${MODEL}"})`)).length > 0, 60_000),
    ),
  300_000,
);

describe("a canary rollout through the Gateway API data plane", () => {
  it("promotes a healthy candidate through every step, with traffic that followed the weights", async () => {
    const before = load?.summary().byVersion.v2 ?? 0;
    await apply(modelRollout(ns, "canary-v2", { version: "v2", uri: "s3://models/v2" }));
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
    expect(done.status?.analyses?.map((a) => [a.step, a.outcome])).toEqual(
      expect.arrayContaining([
        [0, "Successful"],
        [1, "Successful"],
      ]),
    );
    expect(done.status?.analyses?.every((a) => a.outcome !== "Failed")).toBe(true);
    // the finalizer goes in the same reconcile, just after the status that says Succeeded
    await waitFor(
      "the finalizer released",
      async () => !((await rollout("canary-v2")).metadata.finalizers ?? []).includes("modelguardian.dev/restore-stable"),
      10_000,
      100,
    );
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
    expect(reasons).toEqual(
      expect.arrayContaining(["RolloutStarted", "CandidateDeploying", "StepStarted", "AnalysisSuccessful", "PromotionStarted", "Promoted"]),
    );
    const get = await kubectlOk(["get", "modelrollouts", "-n", ns]);
    // CANDIDATE, STABLE (the candidate once promoted, as the message says), PHASE, REASON, STEP as the messages count it, WEIGHT, LAST ANALYSIS
    expect(get).toMatch(/canary-v2\s+v2\s+v2\s+Succeeded\s+Promoted\s+2\/2\s+0\s+Successful \(step 2\/2\)/);
    // the candidate Deployment serves nothing now: scaled to zero, its replicas kept on it for the next rollout
    await waitFor("the candidate Deployment scaled to zero", async () => (await rollout("canary-v2")).status?.candidateParked === true, 30_000, 250);
    expect(await replicasOf("model-candidate")).toEqual({ replicas: 0, parkedReplicas: "1" });
  }, 200_000);

  it("rolls a worse candidate back at its first failing analysis and quarantines it", async () => {
    PROFILES.set("v3", { accuracy: 0.6 });
    await apply(modelRollout(ns, "canary-v3", { version: "v3" }));
    const done = await rolloutReaches<Rollout>(ns, "canary-v3", "RolledBack");
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.reason).toBe("AnalysisFailed");
    const failed = done.status?.analyses?.at(-1);
    expect(failed?.step).toBe(0);
    expect(failed?.outcome).toBe("Failed");
    const accuracy = failed?.comparisons.find((c) => c.signal === "accuracy");
    expect(accuracy?.outcome).toBe("Failed");
    // the anytime-valid test's evidence passed its bar (ln(1/α) at the step's level, which is under significance)
    expect(accuracy?.test).toBe("sequential");
    expect(accuracy?.logEvidence).toBeGreaterThanOrEqual(Math.log(1 / 0.05));
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
    // this rollout scaled the candidate back up before it began, and to zero again once it ended
    expect(done.status?.analyses?.length).toBeGreaterThan(0);
    await waitFor("the candidate Deployment scaled to zero again", async () => (await rollout("canary-v3")).status?.candidateParked === true, 30_000, 250);
    expect(await replicasOf("model-candidate")).toEqual({ replicas: 0, parkedReplicas: "1" });
  }, 200_000);

  it("checks continuously: a candidate wrong on every request, on a step held 10 minutes, is rolled back by a check long before the hold ends", async () => {
    PROFILES.set("v20", { accuracy: 0 }); // every prediction wrong
    await apply(
      policy(policyExtra, { interval: "10s" }, [
        { weight: 30, hold: "10m" },
        { weight: 70, hold: "10m" },
      ]),
    );
    try {
      await apply(newRollout("canary-v20", "v20"));
      await waitFor("traffic on v20", async () => (await routeWeights()).candidate === 30, 60_000, 250);
      const weighted = Date.now();
      const done = await rolloutReaches<Rollout>(ns, "canary-v20", "RolledBack", 300_000);
      const seconds = (Date.now() - weighted) / 1000;
      console.log(`a candidate wrong on every request: rolled back ${seconds.toFixed(1)} s after its weight reached 30 % (hold 10 min, a check every 10 s)`);
      expect(done.status?.reason).toBe("AnalysisFailed");
      // a check before the hold's end failed it: the step's 10 minutes were not waited for
      const failed = done.status?.analyses?.at(-1);
      expect(failed).toMatchObject({ step: 0, outcome: "Failed", interim: true });
      expect(failed?.comparisons.find((c) => c.signal === "accuracy")?.outcome).toBe("Failed");
      expect(done.status?.exposure).toMatchObject({ signal: "accuracy" });
      expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
      expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe("v2");
    } finally {
      await apply(policy());
    }
  }, 400_000);

  it("deleting a rollout mid-way restores all traffic to stable before it goes", async () => {
    await apply(modelRollout(ns, "canary-v4", { version: "v4" }));
    await waitFor("traffic on v4", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["delete", "modelrollout", "canary-v4", "-n", ns, "--wait=true", "--timeout=30s"]);
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe("v2");
    const gone = await kubectl(["get", "modelrollout", "canary-v4", "-n", ns]);
    expect(gone.code).not.toBe(0);
  }, 120_000);

  it("pauses on spec.paused, holding the weights, resumes, and promotes on request", async () => {
    await apply(newRollout("canary-v5", "v5"));
    await waitFor("traffic on v5", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["patch", "modelrollout", "canary-v5", "-n", ns, "--type", "merge", "-p", '{"spec":{"paused":true}}']);
    const paused = await waitFor("Paused", async () => {
      const r = await rollout("canary-v5");
      return r.status?.phase === "Paused" && r;
    });
    expect(paused.status?.conditions?.find((c) => c.type === "Paused")).toMatchObject({ status: "True", reason: "PausedBySpec" });
    const analysesWhilePaused = paused.status?.analyses?.length ?? 0;
    await new Promise((r) => setTimeout(r, 14_000)); // longer than the hold
    expect((await rollout("canary-v5")).status?.analyses?.length ?? 0).toBe(analysesWhilePaused);
    expect(await routeWeights()).toEqual({ stable: 70, candidate: 30 });
    await kubectlOk(["patch", "modelrollout", "canary-v5", "-n", ns, "--type", "merge", "-p", '{"spec":{"paused":false}}']);
    await waitFor("Progressing again", async () => (await rollout("canary-v5")).status?.phase === "Progressing");
    await kubectlOk(["annotate", "modelrollout", "canary-v5", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=promote"]);
    await waitFor("promoted on request", async () => (await rollout("canary-v5")).status?.phase === "Succeeded", 60_000, 250);
    expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v5");
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await events(ns, "canary-v5")).map((e) => e.reason)).toEqual(
      expect.arrayContaining(["RolloutPaused", "RolloutResumed", "ManualAction", "Promoted"]),
    );
  }, 150_000);

  it("aborts on request to 100 % stable and quarantines; a retry runs the candidate again", async () => {
    await apply(newRollout("canary-v6", "v6"));
    await waitFor("traffic on v6", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["annotate", "modelrollout", "canary-v6", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=abort"]);
    const aborted = await rolloutReaches<Rollout>(ns, "canary-v6", "Aborted", 30_000);
    expect(aborted.status?.quarantined).toBe(true);
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe("v5");
    await waitFor("the monitor to record v6 quarantined", async () =>
      (await getJson<Monitor>("modelmonitor", "canary", ns)).status?.versions?.some((v) => v.version === "v6" && v.state === "Quarantined"),
    );
    await kubectlOk(["annotate", "modelrollout", "canary-v6", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=retry-1"]);
    await waitFor("traffic on v6 again", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    expect((await rollout("canary-v6")).status).toMatchObject({ phase: "Progressing", quarantined: false });
    await kubectlOk(["annotate", "modelrollout", "canary-v6", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=promote-2"]);
    await waitFor("v6 promoted after the retry", async () => (await rollout("canary-v6")).status?.phase === "Succeeded", 60_000, 250);
    expect((await events(ns, "canary-v6")).map((e) => e.reason)).toEqual(expect.arrayContaining(["Aborted", "Quarantined", "RetryStarted"]));
  }, 150_000);

  it("a failing metrics source gives Error outcomes, then pauses; it never promotes", async () => {
    await patchPolicyAnalysis({ errorLimit: 1, retryInterval: "1s" });
    await kubectlOk(["patch", "modelmonitor", "canary", "-n", ns, "--type", "merge", "-p", '{"spec":{"source":{"url":"http://127.0.0.1:9"}}}']);
    try {
      await apply(newRollout("canary-v7", "v7"));
      const paused = await rolloutReaches<Rollout>(ns, "canary-v7", "Paused", 90_000);
      expect(paused.status?.conditions?.find((c) => c.type === "Paused")?.reason).toBe("ErrorLimit");
      expect(paused.status?.analyses?.map((a) => a.outcome)).toEqual(["Error", "Error"]);
      expect(paused.status?.message).toMatch(/could not read the metrics/);
      expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v6");
    } finally {
      await kubectlOk(["patch", "modelmonitor", "canary", "-n", ns, "--type", "json", "-p", '[{"op":"remove","path":"/spec/source"}]']);
      await patchPolicyAnalysis({});
    }
    await kubectlOk(["annotate", "modelrollout", "canary-v7", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=abort"]);
    await waitFor("v7 aborted", async () => (await rollout("canary-v7")).status?.phase === "Aborted", 30_000, 250);
  }, 150_000);

  it("too few candidate samples are inconclusive: the step is extended, never promoted, then paused", async () => {
    await patchPolicyAnalysis({ minSamples: 1_000_000, inconclusiveLimit: 1 });
    try {
      await apply(newRollout("canary-v8", "v8"));
      const extended = await waitFor(
        "an inconclusive analysis",
        async () => {
          const r = await rollout("canary-v8");
          return (r.status?.analyses?.length ?? 0) >= 1 && r;
        },
        60_000,
        250,
      );
      expect(extended.status).toMatchObject({ phase: "Progressing", reason: "StepExtended", stepIndex: 0 });
      expect(extended.status?.analyses?.[0]?.comparisons.every((c) => c.outcome === "Inconclusive")).toBe(true);
      const paused = await rolloutReaches<Rollout>(ns, "canary-v8", "Paused", 60_000);
      expect(paused.status?.stepIndex).toBe(0);
      expect(paused.status?.analyses?.map((a) => a.outcome)).toEqual(["Inconclusive", "Inconclusive"]);
    } finally {
      await patchPolicyAnalysis({});
    }
    await kubectlOk(["annotate", "modelrollout", "canary-v8", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=abort"]);
    await waitFor("v8 aborted", async () => (await rollout("canary-v8")).status?.phase === "Aborted", 30_000, 250);
  }, 150_000);

  it("closes the loop: drift, a retraining Job, its candidate rolled out and promoted with no human step", async () => {
    await apply(
      policy({
        ...retrainOnDriftSpec({
          "sim.modelguardian.dev/termination-message": '{"version": "v9", "uri": "s3://models/v9"}',
          "sim.modelguardian.dev/run-duration": "1s",
        }),
        cooldown: "1h",
      }),
    );
    await kubectlOk([
      "patch",
      "modelmonitor",
      "canary",
      "-n",
      ns,
      "--type",
      "merge",
      "-p",
      JSON.stringify({ spec: { rules: [{ signal: "accuracy", min: { critical: 0.8 } }] } }),
    ]);
    stable?.setBehaviour({ accuracy: 0.6 }); // the serving version drifts
    const name = await waitFor(
      "the monitor to start a rollout of the retrained candidate",
      async () => {
        const m = await getJson<Monitor>("modelmonitor", "canary", ns);
        return m.status?.rollout?.candidate === "v9" && m.status.rollout.name;
      },
      120_000,
    );
    expect(name).toMatch(/^canary-v9-[0-9a-z]{8}$/);
    const r = await getJson<Rollout & { metadata: { ownerReferences?: { kind: string; name: string }[] } }>("modelrollout", name, ns);
    expect(r.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ModelMonitor", name: "canary" });
    await waitFor("the retrained candidate promoted", async () => (await rollout(name)).status?.phase === "Succeeded", 150_000, 500);
    expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v9");
    expect((await modelEnv("model-stable")).MODEL_URI).toBe("s3://models/v9");
    await waitFor(
      "the monitor to watch v9 and be healthy again",
      async () => {
        const m = await getJson<Monitor & { status?: { health?: string } }>("modelmonitor", "canary", ns);
        return m.status?.stableVersion === "v9" && m.status.health === "Healthy";
      },
      60_000,
    );
  }, 300_000);

  it("resumes at the same step after SIGKILL at chosen moments: no step skipped or repeated, weights never outside the plan", async () => {
    const steps = [20, 40, 60, 80].map((weight) => ({ weight, hold: "15s" }));
    // generous tolerances: this test is about restarts, and an extended step would add an analysis
    await apply(
      policy(
        {},
        {
          minSamples: 30,
          compare: [
            { signal: "accuracy", maxDecrease: 0.2 },
            { signal: "p95_latency", maxRelativeIncrease: 1 },
          ],
        },
        steps,
      ),
    );
    const allowed = new Set(["100/0", ...steps.map((x) => `${100 - x.weight}/${x.weight}`)]);
    const seen: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const w = await routeWeights().catch(() => undefined);
        if (w && seen.at(-1) !== `${w.stable}/${w.candidate}`) seen.push(`${w.stable}/${w.candidate}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // the moments are chosen by the rollout's own progress, not by the clock: as the rollout
    // starts, as each step's weights land (before or after their status write), as each step's
    // analysis is recorded and as it promotes. Each moment is "reached or passed": while the
    // operator restarts, a step whose hold ended meanwhile may be analysed at once, so a moment
    // can be skipped over on a slow machine; the kill then falls at the next state instead, and
    // every moment still gets its kill. A seeded delay of up to 1.5 s after each moment varies
    // where in the reconcile the kill falls.
    let seed = 20261201;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    interface Progress {
      status: NonNullable<Rollout["status"]>;
      candidateWeight?: number;
    }
    const progress = async (): Promise<Progress> => ({ status: (await rollout("canary-v10")).status ?? {}, candidateWeight: (await routeWeights()).candidate });
    const promotingOrDone = (p: Progress) => p.status.phase === "Promoting" || p.status.phase === "Succeeded";
    const stepPassed = (p: Progress, i: number) => promotingOrDone(p) || (p.status.analyses ?? []).some((a) => a.step >= i && a.outcome === "Successful");
    const moments: [string, (p: Progress) => boolean][] = [
      ["the rollout's first status", (p) => p.status.phase !== undefined],
      ...steps.flatMap((x, i): [string, (p: Progress) => boolean][] => [
        [`step ${i}'s weights on the route`, (p) => p.candidateWeight === x.weight || (p.status.stepIndex ?? -1) > i || stepPassed(p, i)],
        [`step ${i}'s analysis recorded`, (p) => stepPassed(p, i)],
      ]),
      ["the promotion", promotingOrDone],
    ];
    await apply(newRollout("canary-v10", "v10"));
    let kills = 0;
    const killedAt: string[] = [];
    try {
      for (const [moment, reached] of moments) {
        const at = await waitFor(
          moment,
          async () => {
            const p = await progress();
            return reached(p) && p;
          },
          90_000,
          100,
        );
        await new Promise((r) => setTimeout(r, random() * 1500));
        await op?.stop("SIGKILL");
        kills++;
        killedAt.push(`${moment}: ${at.status.phase} step ${at.status.stepIndex ?? "-"}`);
        await new Promise((r) => setTimeout(r, random() * 1000));
        op = await startOperator([ns], "rollout");
      }
      const done = await waitFor(
        "the rollout to succeed across the restarts",
        async () => {
          const r = await rollout("canary-v10");
          return r.status?.phase === "Succeeded" && r;
        },
        150_000,
        250,
      );
      expect(kills, killedAt.join("; ")).toBe(moments.length);
      // every step passed exactly once, in order (an inconclusive analysis would only extend its step)
      expect(done.status?.analyses?.filter((a) => a.outcome === "Successful").map((a) => a.step)).toEqual(steps.map((_, i) => i));
      expect(done.status?.analyses?.some((a) => a.outcome === "Failed" || a.outcome === "Error")).toBe(false);
    } finally {
      sampling = false;
      await sampler;
      await apply(policy());
    }
    for (const w of seen) expect(allowed, `weights ${w} are not in the plan`).toContain(w);
    // the route went through the plan in order, each step once
    expect(seen).toEqual(["100/0", "80/20", "60/40", "40/60", "20/80", "100/0"]);
  }, 300_000);

  it("a bake after promotion keeps the previous version ready, and a critical finding rolls back to it", async () => {
    await apply(policy({}, {}, STEPS, { bake: { duration: "10m", minSeverity: "critical" } }));
    const previous = (await getJson<Monitor>("modelmonitor", "canary", ns)).status?.stableVersion as string;
    try {
      await apply(newRollout("canary-v11", "v11"));
      await waitFor("traffic on v11", async () => (await routeWeights()).candidate === 30, 60_000, 250);
      await kubectlOk(["annotate", "modelrollout", "canary-v11", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=promote"]);
      await waitFor("v11 baking", async () => (await rollout("canary-v11")).status?.phase === "Baking", 60_000, 250);
      await waitFor(
        "the previous version ready on the candidate Deployment",
        async () => (await modelEnv("model-candidate")).MODEL_VERSION === previous,
        30_000,
      );
      expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v11");
      await waitFor("the monitor to watch v11", async () => (await getJson<Monitor>("modelmonitor", "canary", ns)).status?.stableVersion === "v11");
      stable?.setBehaviour({ accuracy: 0.6 }); // v11 goes bad under all the traffic
      const done = await waitFor(
        "the bake to roll back",
        async () => {
          const r = await rollout("canary-v11");
          return r.status?.phase === "RolledBack" && r;
        },
        120_000,
        250,
      );
      expect(done.status?.reason).toBe("BakeFailed");
      expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
      expect((await modelEnv("model-stable")).MODEL_VERSION).toBe(previous);
      await waitFor("the monitor back on the previous version", async () => {
        const m = await getJson<Monitor>("modelmonitor", "canary", ns);
        return m.status?.stableVersion === previous && m.status.versions?.some((v) => v.version === "v11" && v.state === "Quarantined");
      });
      expect((await events(ns, "canary-v11")).map((e) => e.reason)).toEqual(expect.arrayContaining(["BakeStarted", "BakeFailed", "RolledBack"]));
    } finally {
      await apply(policy());
    }
  }, 200_000);

  it("GitOps: a changed spec.model.version starts a rollout of that version, never an instant switch", async () => {
    const before = (await getJson<Monitor>("modelmonitor", "canary", ns)).status?.stableVersion as string;
    await kubectlOk(["patch", "modelmonitor", "canary", "-n", ns, "--type", "merge", "-p", '{"spec":{"model":{"version":"v12"}}}']);
    const r = await waitFor(
      "the rollout of the declared version",
      async () => {
        const got = await kubectl(["get", "modelrollout", "canary-v12", "-n", ns, "-o", "json"]);
        return got.code === 0 && (JSON.parse(got.stdout) as Rollout & { metadata: { ownerReferences?: { kind: string }[] } });
      },
      60_000,
    );
    expect(r.metadata.ownerReferences?.[0]?.kind).toBe("ModelMonitor");
    expect((await getJson<Monitor>("modelmonitor", "canary", ns)).status?.stableVersion).toBe(before);
    await waitFor("traffic on v12", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["annotate", "modelrollout", "canary-v12", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=promote"]);
    await waitFor("v12 promoted and watched", async () => (await getJson<Monitor>("modelmonitor", "canary", ns)).status?.stableVersion === "v12", 90_000);
    expect((await modelEnv("model-stable")).MODEL_VERSION).toBe("v12");
  }, 200_000);

  it("Traefik cannot mirror: a shadow phase is refused before anything is written, and live traffic is untouched", async () => {
    // Traefik's Gateway API provider answers 500 on a route with a RequestMirror filter while the
    // route says Accepted; without spec.serving.router.gatewayAPI.requestMirror the strategy is refused
    const r = await apply(policy(policyExtra, {}, STEPS, { shadow: { percent: 50, hold: "12s" } }));
    expect(r.code, r.stderr).toBe(0);
    const errorsBefore = Object.entries(load?.summary().byStatus ?? {})
      .filter(([code]) => code !== "200")
      .reduce((n, [, c]) => n + (c as number), 0);
    try {
      await apply(newRollout("canary-shadow", "v9"));
      const refused = await waitFor(
        "the shadow to be refused",
        async () => {
          const x = await rollout("canary-shadow");
          return x.status?.reason === "InvalidStrategy" && x;
        },
        60_000,
        250,
      );
      expect(refused.status?.phase).toBe("Pending");
      expect(refused.status?.message).toMatch(/requestMirror is not true/);
      expect(refused.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "InvalidStrategy" });
      await new Promise((res) => setTimeout(res, 3000));
      const route = await getJson<Route>("httproute", "model", ns);
      expect(route.spec.rules[0]?.filters ?? []).toEqual([]);
      expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
      const errorsAfter = Object.entries(load?.summary().byStatus ?? {})
        .filter(([code]) => code !== "200")
        .reduce((n, [, c]) => n + (c as number), 0);
      expect(errorsAfter).toBe(errorsBefore);
    } finally {
      await kubectl(["delete", "modelrollout", "canary-shadow", "-n", ns, "--wait=true", "--timeout=60s"]);
      await apply(policy(policyExtra));
    }
  }, 120_000);

  it("deleting the monitor mid-way restores all traffic to stable: its rollout undoes itself from the wiring it recorded", async () => {
    const stableBefore = (await modelEnv("model-stable")).MODEL_VERSION;
    const uid = (await getJson<{ metadata: { uid: string } }>("modelmonitor", "canary", ns)).metadata.uid;
    // owned by the monitor, as the rollouts the operator creates are
    const owned = newRollout("canary-v13", "v13");
    await apply({
      ...owned,
      metadata: {
        ...owned.metadata,
        ownerReferences: [{ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", name: "canary", uid, controller: true, blockOwnerDeletion: true }],
      },
    });
    await waitFor("traffic on v13", async () => (await routeWeights()).candidate === 30, 60_000, 250);
    await kubectlOk(["delete", "modelmonitor", "canary", "-n", ns, "--wait=true", "--timeout=30s"]);
    // the garbage collector deletes the rollout; its finalizer holds it until stable has everything
    await waitFor("the rollout gone", async () => (await kubectl(["get", "modelrollout", "canary-v13", "-n", ns])).code !== 0, 60_000, 250);
    expect(await routeWeights()).toEqual({ stable: 100, candidate: 0 });
    expect((await modelEnv("model-candidate")).MODEL_VERSION).toBe(stableBefore);
  }, 150_000);
});
