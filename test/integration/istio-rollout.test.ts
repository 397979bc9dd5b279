// Canary rollouts through the Istio router, end to end on the local cluster: the operator (a
// real process) sets the destination weights of a VirtualService (Istio's real CRD), and a
// STAND-IN data plane (sim/splitter.ts; no istiod or Envoy can run here) sends the load
// generator's requests to the stable and candidate simulated model servers in the proportion
// that VirtualService holds, re-read through the API server as a mesh would. Prometheus scrapes
// the servers, so the analyses see traffic that followed the weights the operator wrote.
// Shadow testing runs here too: the stand-in follows the VirtualService's mirror as Envoy would
// (a copy of the request to the candidate, its answer discarded).
import { beforeAll, describe, expect, it } from "vitest";
import { istioModelRoute, stableAndCandidate } from "../stage/serving.ts";
import { deploymentModelVersion, ServedPair } from "../stage/served.ts";
import { startLoad, type Load } from "../../sim/load.ts";
import { startSplitter, type Splitter } from "../../sim/splitter.ts";
import {
  ACCURACY,
  apply,
  canaryPolicy,
  events,
  getJson,
  given,
  modelMonitor,
  modelRollout,
  promQuery,
  rolloutReaches,
  useStage,
  waitFor,
} from "../stage/index.ts";

const MODEL = `istio-model-${Date.now().toString(36)}`;
interface VirtualService {
  spec: {
    http: {
      name?: string;
      route: { destination: { host: string; subset?: string }; weight?: number }[];
      mirror?: { host: string; subset?: string };
      mirrorPercentage?: { value: number };
    }[];
  };
}
interface Rollout {
  status?: {
    phase?: string;
    reason?: string;
    quarantined?: boolean;
    analyses?: { step: number; outcome: string; shadow?: boolean }[];
    weights?: { stable: number; candidate: number };
  };
}
const policy = (extra: Record<string, unknown> = {}) => canaryPolicy(stage.ns, extra);
let splitter: Splitter | undefined;
let load: Load | undefined;
const BEHAVIOUR: Record<string, { accuracy: number; latencyMeanSeconds: number }> = {
  v3: { accuracy: 0.6, latencyMeanSeconds: 0.05 },
  v4: { accuracy: 0.6, latencyMeanSeconds: 0.05 },
};
const HEALTHY = { accuracy: 0.92, latencyMeanSeconds: 0.05 };

/** The VirtualService's weights as the API server holds them: what the stand-in routes by. */
const vsWeights = async () => {
  const vs = await getJson<VirtualService>("virtualservice.networking.istio.io", "model", stage.ns);
  const route = vs.spec.http.find((h) => h.name === "predict")?.route ?? [];
  const w = (subset: string) => route.find((r) => r.destination.subset === subset)?.weight ?? 0;
  return { stable: w("stable"), candidate: w("candidate") };
};
/** The VirtualService's mirror to the candidate subset, as the stand-in follows it. */
const vsMirror = async () => {
  const vs = await getJson<VirtualService>("virtualservice.networking.istio.io", "model", stage.ns);
  const route = vs.spec.http.find((h) => h.name === "predict");
  return route?.mirror?.subset === "candidate" ? (route.mirrorPercentage?.value ?? 100) : 0;
};
const rollout = (name: string) => getJson<Rollout>("modelrollout", name, stage.ns);
const modelVersion = (deployment: string) => deploymentModelVersion(stage.ns, deployment);

const pair = new ServedPair({ model: MODEL, seeds: [61, 62], initial: HEALTHY, behaviour: (version) => BEHAVIOUR[version] ?? HEALTHY });
/** The mesh's objects: the two Deployments, the DestinationRule and VirtualService, the stand-in policy and the monitor. */
const meshObjects = (ns: string): unknown[] => [
  ...stableAndCandidate(ns),
  ...istioModelRoute(ns),
  policy(),
  modelMonitor(ns, "canary", {
    model: { name: MODEL, version: "v1" },
    versionLabel: "version",
    interval: "5s",
    window: "30s",
    minSamples: 20,
    signals: [ACCURACY],
    policyRef: { name: "canary" },
    serving: {
      router: { istio: { virtualService: { name: "model" }, routeName: "predict" } },
      stable: { destination: { host: "model", subset: "stable" }, deployment: { name: "model-stable" } },
      candidate: { destination: { host: "model", subset: "candidate" }, deployment: { name: "model-candidate" } },
    },
  }),
];
/** The stand-in data plane following the VirtualService, and the clients' load through it. */
const startTraffic = async () => {
  splitter = await startSplitter({
    stableUrl: pair.stable.url,
    candidateUrl: pair.candidate.url,
    readWeights: vsWeights,
    mirror: async () => {
      const percent = await vsMirror();
      return percent > 0 ? { url: pair.candidate.url, percent } : undefined;
    },
    pollMs: 200,
  });
  load = startLoad({ url: `${splitter.url}/predict`, requestsPerSecond: 60, concurrency: 8 });
  return async () => {
    await load?.stop();
    await splitter?.stop();
  };
};
const scrapedBoth = async () => {
  await waitFor("Prometheus to scrape both servers", async () => (await promQuery(`count(model_predictions_total{model="${MODEL}"})`)).length > 0, 60_000);
};
const stage = useStage(
  given("istio-rollout").withOperator().withStep(pair.servers).withObjects(meshObjects).withStep(pair.follow).withStep(startTraffic).withStep(scrapedBoth),
  300_000,
);

describe("a canary rollout through the Istio router (stand-in data plane)", () => {
  it("promotes a healthy candidate through every step of the VirtualService's weights", async () => {
    const before = load?.summary().byVersion.v2 ?? 0;
    await apply(modelRollout(stage.ns, "canary-v2", { version: "v2" }));
    const seen = new Set<string>();
    const done = await waitFor(
      "the rollout to succeed",
      async () => {
        const w = await vsWeights();
        seen.add(`${w.stable}/${w.candidate}`);
        const r = await rollout("canary-v2");
        return r.status?.phase === "Succeeded" && r;
      },
      150_000,
      250,
    );
    for (const w of seen) expect(["100/0", "70/30", "30/70"]).toContain(w);
    expect(seen).toContain("70/30");
    expect(done.status?.analyses?.map((a) => [a.step, a.outcome])).toEqual(
      expect.arrayContaining([
        [0, "Successful"],
        [1, "Successful"],
      ]),
    );
    expect(await vsWeights()).toEqual({ stable: 100, candidate: 0 });
    expect(await modelVersion("model-stable")).toBe("v2");
    // the candidate took its share of the traffic the stand-in routed by those weights
    expect((load?.summary().byVersion.v2 ?? 0) - before).toBeGreaterThan(200);
    expect((await events(stage.ns, "canary-v2")).map((e) => e.reason)).toEqual(expect.arrayContaining(["RolloutStarted", "StepStarted", "Promoted"]));
  }, 200_000);

  it("rolls a worse candidate back at its first failing analysis: the VirtualService is at 100/0 at once", async () => {
    await apply(modelRollout(stage.ns, "canary-v3", { version: "v3" }));
    const done = await rolloutReaches<Rollout>(stage.ns, "canary-v3", "RolledBack");
    expect(done.status?.reason).toBe("AnalysisFailed");
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.analyses?.at(-1)).toMatchObject({ step: 0, outcome: "Failed" });
    expect(await vsWeights()).toEqual({ stable: 100, candidate: 0 });
    expect(await modelVersion("model-stable")).toBe("v2");
    // the stand-in follows: a second later no request reaches v3
    const served = load?.summary().byVersion.v3 ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    expect(load?.summary().byVersion.v3 ?? 0).toBeLessThanOrEqual(served + 8);
  }, 200_000);
});

describe("a shadow phase through the Istio router (stand-in data plane)", () => {
  beforeAll(async () => {
    const r = await apply(policy({ shadow: { percent: 50, hold: "12s" } }));
    if (r.code !== 0) throw new Error(r.stderr);
  });

  it("blocks a worse candidate in its shadow: it sees mirrored requests, none of its answers is served, and it never gets a live weight", async () => {
    const mirroredBefore = splitter?.counts().mirrored ?? 0;
    await apply(modelRollout(stage.ns, "shadow-v4", { version: "v4" }));
    const weights = new Set<string>();
    const mirrors = new Set<number>();
    const done = await waitFor(
      "the rollout to be rolled back in its shadow",
      async () => {
        const w = await vsWeights();
        weights.add(`${w.stable}/${w.candidate}`);
        mirrors.add(await vsMirror());
        const r = await rollout("shadow-v4");
        return r.status?.phase === "RolledBack" && r;
      },
      150_000,
      250,
    );
    expect(done.status?.reason).toBe("ShadowFailed");
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.analyses?.at(-1)).toMatchObject({ shadow: true, outcome: "Failed" });
    expect([...weights]).toEqual(["100/0"]);
    expect(mirrors).toContain(50);
    expect(await vsMirror()).toBe(0);
    // the candidate answered mirrored copies only: the clients never received a v4 answer
    expect((splitter?.counts().mirrored ?? 0) - mirroredBefore).toBeGreaterThan(100);
    expect(load?.summary().byVersion.v4 ?? 0).toBe(0);
    // and the analysis saw its metrics (over a range: after the rollback the server plays the stable version and v4's series went stale)
    expect(Number((await promQuery(`sum(max_over_time(model_predictions_total{model="${MODEL}",version="v4"}[5m]))`))[0]?.value[1] ?? 0)).toBeGreaterThan(100);
    expect((await events(stage.ns, "shadow-v4")).map((e) => e.reason)).toEqual(
      expect.arrayContaining(["ShadowStarted", "AnalysisFailed", "RolledBack", "Quarantined"]),
    );
  }, 200_000);

  it("lets a healthy candidate pass its shadow, then rolls it out with live weight and removes the mirror", async () => {
    await apply(modelRollout(stage.ns, "shadow-v5", { version: "v5" }));
    const seen = new Set<string>();
    const done = await waitFor(
      "the rollout to succeed",
      async () => {
        const [w, m] = [await vsWeights(), await vsMirror()];
        seen.add(`${w.stable}/${w.candidate} mirror ${m}`);
        const r = await rollout("shadow-v5");
        return r.status?.phase === "Succeeded" && r;
      },
      150_000,
      250,
    );
    expect(done.status?.analyses?.map((a) => [a.shadow ?? false, a.outcome])).toEqual(
      expect.arrayContaining([
        [true, "Successful"],
        [false, "Successful"],
      ]),
    );
    expect(seen).toContain("100/0 mirror 50");
    expect(seen).toContain("70/30 mirror 0");
    // never a live weight while mirroring: the mirror goes before the first step's weights
    expect([...seen].filter((x) => !["100/0 mirror 0", "100/0 mirror 50", "70/30 mirror 0", "30/70 mirror 0"].includes(x))).toEqual([]);
    expect(await vsMirror()).toBe(0);
    expect(await modelVersion("model-stable")).toBe("v5");
    expect(load?.summary().byVersion.v5 ?? 0).toBeGreaterThan(0);
  }, 200_000);
});
