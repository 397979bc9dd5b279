// The KServe router against the real API server and KServe's own InferenceService CRD (v0.20.0,
// config/crd/full, installed by hack/cluster/kserve-crds.sh): every patch it writes is
// accepted by the CRD's schema, the split and the model read back (through the router and through
// kubectl) as planned, a person's fields survive, a model changed between the read and the write
// is refused, and RawDeployment mode is refused without a write. No KServe controller runs here:
// the status KServe would write comes from the stand-in of its revision bookkeeping (sim/kserve.ts).
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { servingSchema } from "../../src/api/v1alpha1/rollout.ts";
import { KServeServing, REPLACED_REVISION_ANNOTATION } from "../../src/adapters/routers/kserve.ts";
import type { RolloutView } from "../../src/ports.ts";
import { emptyKServeState, tickKServe, type KServeState } from "../../sim/kserve.ts";
import { apply, env, getJson, given, kubectlOk, useStage } from "../stage/index.ts";

const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG as string);
const stage = useStage(given("kserve"));

interface Isvc {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    predictor: {
      minReplicas?: number;
      canaryTrafficPercent?: number;
      model: { modelFormat: { name: string }; storageUri?: string; env?: { name: string; value: string }[]; resources?: unknown };
    };
  };
  status?: unknown;
}
const serving = servingSchema.parse({ router: { kserve: { inferenceService: { name: "fraud" } } } });
const view = (promoted = false): RolloutView => ({
  stable: { version: "v1", uri: "s3://models/fraud/v1" },
  candidate: { version: "v2", uri: "s3://models/fraud/v2" },
  promoted,
});
const inferenceService = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: "serving.kserve.io/v1beta1",
  kind: "InferenceService",
  metadata: { name, namespace: stage.ns, labels: { team: "risk" }, annotations },
  spec: {
    predictor: {
      minReplicas: 1,
      model: {
        modelFormat: { name: "sklearn" },
        storageUri: "s3://models/fraud/v1",
        env: [{ name: "MODEL_VERSION", value: "v1" }],
        resources: { requests: { cpu: "100m" } },
      },
    },
  },
});

/** What KServe's controller would do next: the stand-in's status, written to the status subresource. */
let kserve: KServeState = emptyKServeState();
async function kserveReconciles(name: string) {
  const obj = await getJson<Isvc>("inferenceservice.serving.kserve.io", name, stage.ns);
  const next = tickKServe(kserve, obj as never, { readyAfterTicks: 1 });
  kserve = next.state;
  await kubectlOk([
    "patch",
    "inferenceservice.serving.kserve.io",
    name,
    "-n",
    stage.ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: next.status }),
  ]);
  return next.traffic;
}

describe("the KServe router on the real API server", () => {
  it("puts a candidate in place dark, steps its percent, and promotes it; the CRD accepts every write and a person's fields survive", async () => {
    const r = await apply(inferenceService("fraud"));
    expect(r.code, r.stderr).toBe(0);
    await kserveReconciles("fraud");
    await kserveReconciles("fraud");
    const router = new KServeServing(kc, stage.ns, serving, "model-guardian-test");
    const first = await router.read(view());
    expect(first.weights).toEqual({ kind: "weights", weights: { stable: 100, candidate: 0 } });
    expect(first.stable).toMatchObject({ version: "v1", uri: "s3://models/fraud/v1", ready: true });

    await router.read(view());
    await router.apply({ kind: "setWorkload", which: "candidate", version: "v2", uri: "s3://models/fraud/v2" }, view());
    let obj = await getJson<Isvc>("inferenceservice.serving.kserve.io", "fraud", stage.ns);
    expect(obj.spec.predictor.canaryTrafficPercent).toBe(0);
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/fraud/v2");
    expect(obj.spec.predictor.model.env).toEqual([{ name: "MODEL_VERSION", value: "v2" }]);
    expect(obj.metadata.annotations?.[REPLACED_REVISION_ANNOTATION]).toBe("fraud-predictor-00001");
    expect((await router.read(view())).candidate).toMatchObject({ version: "v2", ready: false });
    await kserveReconciles("fraud");
    await kserveReconciles("fraud");
    expect((await router.read(view())).candidate).toMatchObject({ version: "v2", ready: true });

    for (const step of [5, 25, 50, 100]) {
      await router.read(view());
      await router.apply({ kind: "setWeights", weights: { stable: 100 - step, candidate: step } }, view());
      expect((await router.read(view())).weights).toEqual({ kind: "weights", weights: { stable: 100 - step, candidate: step } });
      const traffic = await kserveReconciles("fraud");
      expect(traffic.find((t) => t.model.version === "v2")?.percent).toBe(step);
    }
    await router.read(view());
    await router.apply({ kind: "setWorkload", which: "stable", version: "v2", uri: "s3://models/fraud/v2" }, view());
    obj = await getJson<Isvc>("inferenceservice.serving.kserve.io", "fraud", stage.ns);
    expect(obj.spec.predictor).not.toHaveProperty("canaryTrafficPercent");
    const promoted = await router.read(view(true));
    expect(promoted.weights).toEqual({ kind: "weights", weights: { stable: 100, candidate: 0 } });
    expect(promoted.stable).toMatchObject({ version: "v2", ready: true });
    // the fields the router does not own are as the person wrote them
    expect(obj.metadata.labels).toEqual({ team: "risk" });
    expect(obj.spec.predictor.minReplicas).toBe(1);
    expect(obj.spec.predictor.model.modelFormat).toEqual({ name: "sklearn" });
    expect(obj.spec.predictor.model.resources).toEqual({ requests: { cpu: "100m" } });
  });

  it("refuses a write when a person changed the model since the read, instead of writing over it", async () => {
    kserve = emptyKServeState();
    expect((await apply(inferenceService("edited"))).code).toBe(0);
    await kserveReconciles("edited");
    const router = new KServeServing(kc, stage.ns, { ...serving, router: { kserve: { inferenceService: { name: "edited" } } } }, "model-guardian-test");
    await router.read(view());
    await kubectlOk([
      "patch",
      "inferenceservice.serving.kserve.io",
      "edited",
      "-n",
      stage.ns,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "replace", path: "/spec/predictor/model/storageUri", value: "s3://models/fraud/hotfix" }]),
    ]);
    await expect(router.apply({ kind: "setWorkload", which: "candidate", version: "v2", uri: "s3://models/fraud/v2" }, view())).rejects.toMatchObject({
      reason: "RouteChanged",
    });
    const obj = await getJson<Isvc>("inferenceservice.serving.kserve.io", "edited", stage.ns);
    expect(obj.spec.predictor.model.storageUri).toBe("s3://models/fraud/hotfix");
    expect(obj.spec.predictor).not.toHaveProperty("canaryTrafficPercent");
  });

  it("refuses RawDeployment mode, where canaryTrafficPercent splits nothing, and writes nothing", async () => {
    expect((await apply(inferenceService("raw", { "serving.kserve.io/deploymentMode": "RawDeployment" }))).code).toBe(0);
    const before = await getJson<Isvc & { metadata: { resourceVersion: string } }>("inferenceservice.serving.kserve.io", "raw", stage.ns);
    const router = new KServeServing(kc, stage.ns, { ...serving, router: { kserve: { inferenceService: { name: "raw" } } } }, "model-guardian-test");
    const live = await router.read(view());
    expect(live.weights).toMatchObject({ kind: "error", reason: "DeploymentModeUnsupported" });
    await expect(router.apply({ kind: "setWeights", weights: { stable: 95, candidate: 5 } }, view())).rejects.toMatchObject({
      reason: "DeploymentModeUnsupported",
    });
    const after = await getJson<Isvc & { metadata: { resourceVersion: string } }>("inferenceservice.serving.kserve.io", "raw", stage.ns);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it("reads a missing InferenceService as RouteNotFound", async () => {
    const router = new KServeServing(kc, stage.ns, { ...serving, router: { kserve: { inferenceService: { name: "absent" } } } }, "model-guardian-test");
    expect((await router.read(view())).weights).toMatchObject({ kind: "error", reason: "RouteNotFound" });
  });
});
