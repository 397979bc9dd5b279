// Canary rollouts through the KServe router, end to end on the local cluster: the operator (a
// real process) sets the model and canaryTrafficPercent of an InferenceService (KServe's real
// CRD). No KServe controller or Knative can run here, so two STAND-INS take their place:
// sim/kserve.ts keeps KServe's revisions and rolled-out bookkeeping and writes the status KServe
// would, and sim/splitter.ts sends the load generator's requests to the simulated model servers
// in the split KServe would ask Knative for. Each server plays the model of the revision it holds.
// Prometheus scrapes the servers, so the analyses see traffic that followed the operator's writes.
import { describe, expect, it } from "vitest";
import { startKServeCanary, type KServeCanary } from "../stage/kserve-canary.ts";
import { apply, events, getJson, given, modelRollout, rolloutReaches, useStage, waitFor } from "../stage/index.ts";

const MODEL = `kserve-model-${Date.now().toString(36)}`;
interface Isvc {
  spec: { predictor: { canaryTrafficPercent?: number; model: { storageUri?: string; env?: { name: string; value: string }[] } } };
}
interface Rollout {
  status?: {
    phase?: string;
    reason?: string;
    quarantined?: boolean;
    analyses?: { step: number; outcome: string }[];
    weights?: { stable: number; candidate: number };
  };
}
let canary: KServeCanary | undefined;
const isvc = () => getJson<Isvc>("inferenceservice.serving.kserve.io", "model", stage.ns);
const rollout = (name: string) => getJson<Rollout>("modelrollout", name, stage.ns);
const percentByVersion = () => canary?.percentByVersion() ?? {};

const stage = useStage(
  given("kserve-rollout")
    .withOperator()
    .withStep(async (s) => {
      canary = await startKServeCanary({
        namespace: s.ns,
        model: MODEL,
        monitor: { name: "canary" },
        behaviour: { v3: { accuracy: 0.6, latencyMeanSeconds: 0.05 } },
        healthy: { accuracy: 0.92, latencyMeanSeconds: 0.05 },
        seeds: [71, 72],
      });
      return () => canary?.stop();
    }),
  300_000,
);

describe("a canary rollout through the KServe router (stand-in KServe and data plane)", () => {
  it("promotes a healthy candidate through every step of canaryTrafficPercent, then clears it", async () => {
    const before = canary?.load.summary().byVersion.v2 ?? 0;
    await apply(modelRollout(stage.ns, "canary-v2", { version: "v2", uri: "s3://models/v2" }));
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
    expect(done.status?.analyses?.map((a) => [a.step, a.outcome])).toEqual(
      expect.arrayContaining([
        [0, "Successful"],
        [1, "Successful"],
      ]),
    );
    const obj = await isvc();
    expect(obj.spec.predictor).not.toHaveProperty("canaryTrafficPercent");
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/v2");
    await waitFor("KServe to give v2 all traffic", async () => percentByVersion().v2 === 100, 10_000);
    // the candidate took its share of the requests routed by KServe's split
    expect((canary?.load.summary().byVersion.v2 ?? 0) - before).toBeGreaterThan(200);
    expect((await events(stage.ns, "canary-v2")).map((e) => e.reason)).toEqual(expect.arrayContaining(["RolloutStarted", "StepStarted", "Promoted"]));
  }, 200_000);

  it("rolls a worse candidate back at its first failing analysis: the percent is 0 at once and the spec holds the stable model again", async () => {
    await apply(modelRollout(stage.ns, "canary-v3", { version: "v3", uri: "s3://models/v3" }));
    const done = await rolloutReaches<Rollout>(stage.ns, "canary-v3", "RolledBack");
    expect(done.status?.reason).toBe("AnalysisFailed");
    expect(done.status?.quarantined).toBe(true);
    expect(done.status?.analyses?.at(-1)).toMatchObject({ step: 0, outcome: "Failed" });
    const obj = await isvc();
    expect(obj.spec.predictor.canaryTrafficPercent).toBe(0);
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/v2");
    expect(obj.spec.predictor.model.env?.find((e) => e.name === "MODEL_VERSION")?.value).toBe("v2");
    expect(percentByVersion()).toEqual({ v2: 100 });
    // the stand-in follows: a second later no request reaches v3
    const served = canary?.load.summary().byVersion.v3 ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    expect(canary?.load.summary().byVersion.v3 ?? 0).toBeLessThanOrEqual(served + 8);
  }, 200_000);
});
