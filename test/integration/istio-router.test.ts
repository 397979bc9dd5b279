// The Istio router against the real API server and Istio's own CRDs (istio.io/api's generated
// file, installed by hack/cluster/istio-crds.sh): every VirtualService it writes is accepted
// by the CRD's schema, the weights read back (by the router and by kubectl) equal the plan, a
// person's edits of the fields it does not own survive, and a route changed between its read
// and its write is refused rather than written at the wrong places. No istiod or Envoy runs
// here: what traffic does with these weights is the stand-in data plane's test (sim/splitter.ts).
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { servingSchema } from "../../src/api/v1alpha1/rollout.ts";
import { istioRouter } from "../../src/adapters/routers/istio.ts";
import { RouterError } from "../../src/ports.ts";
import { apply, env, getJson, given, kubectlOk, useStage } from "../stage/index.ts";

const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG as string);
const stage = useStage(given("istio"));

interface VirtualService {
  spec: {
    http: {
      name?: string;
      timeout?: string;
      retries?: { attempts: number };
      headers?: unknown;
      route: { destination: { host: string; subset?: string }; weight?: number }[];
    }[];
  };
}
const serving = servingSchema.parse({
  router: { istio: { virtualService: { name: "fraud" }, routeName: "predict" } },
  stable: { destination: { host: "fraud", subset: "stable" }, deployment: { name: "fraud-stable" } },
  candidate: { destination: { host: "fraud", subset: "candidate" }, deployment: { name: "fraud-candidate" } },
});
const virtualService = () => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "fraud", namespace: stage.ns },
  spec: {
    hosts: ["fraud"],
    http: [
      { name: "health", match: [{ uri: { prefix: "/healthz" } }], route: [{ destination: { host: "fraud", subset: "stable" } }] },
      {
        name: "predict",
        timeout: "5s",
        retries: { attempts: 2, perTryTimeout: "2s" },
        route: [
          { destination: { host: "fraud", subset: "stable", port: { number: 8080 } }, weight: 100 },
          { destination: { host: "fraud", subset: "candidate", port: { number: 8080 } }, weight: 0 },
        ],
      },
    ],
  },
});
const live = async () => {
  const vs = await getJson<VirtualService>("virtualservice.networking.istio.io", "fraud", stage.ns);
  const predict = vs.spec.http.find((h) => h.name === "predict");
  const w = (subset: string) => predict?.route.find((r) => r.destination.subset === subset)?.weight;
  return { vs, weights: { stable: w("stable"), candidate: w("candidate") } };
};

describe("the Istio router on the real API server", () => {
  it("writes every step of a plan, which the VirtualService schema accepts and reads back as planned", async () => {
    await apply({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "fraud", namespace: stage.ns },
      spec: {
        host: "fraud",
        subsets: [
          { name: "stable", labels: { track: "stable" } },
          { name: "candidate", labels: { track: "candidate" } },
        ],
      },
    });
    const r = await apply(virtualService());
    expect(r.code, r.stderr).toBe(0);
    const router = istioRouter(kc, stage.ns, serving, "model-guardian-test");
    expect(await router.read()).toEqual({ kind: "weights", weights: { stable: 100, candidate: 0 }, mirror: 0 });
    for (const weights of [
      { stable: 95, candidate: 5 },
      { stable: 75, candidate: 25 },
      { stable: 50, candidate: 50 },
      { stable: 0, candidate: 100 },
      { stable: 100, candidate: 0 },
    ]) {
      await router.read();
      await router.write(weights);
      expect(await router.read()).toEqual({ kind: "weights", weights, mirror: 0 });
      expect((await live()).weights).toEqual(weights);
    }
    // nothing else changed: the health route, the timeout, the retries, the ports
    const { vs } = await live();
    expect(vs.spec.http[0]).toEqual(virtualService().spec.http[0]);
    expect(vs.spec.http[1]).toMatchObject({ timeout: "5s", retries: { attempts: 2, perTryTimeout: "2s" } });
    expect(vs.spec.http[1]?.route.map((d) => d.destination)).toEqual(virtualService().spec.http[1]?.route.map((d) => d.destination));
  });

  it("keeps a person's edits of the fields it does not own", async () => {
    await kubectlOk([
      "patch",
      "virtualservice.networking.istio.io",
      "fraud",
      "-n",
      stage.ns,
      "--type=json",
      "-p",
      JSON.stringify([
        { op: "replace", path: "/spec/http/1/timeout", value: "7s" },
        { op: "add", path: "/spec/http/1/headers", value: { request: { set: { "x-team": "fraud" } } } },
      ]),
    ]);
    const router = istioRouter(kc, stage.ns, serving, "model-guardian-test");
    await router.read();
    await router.write({ stable: 80, candidate: 20 });
    const { vs, weights } = await live();
    expect(weights).toEqual({ stable: 80, candidate: 20 });
    expect(vs.spec.http[1]).toMatchObject({ timeout: "7s", headers: { request: { set: { "x-team": "fraud" } } } });
  });

  it("refuses to write a route whose destinations moved since it was read, and names the object", async () => {
    const router = istioRouter(kc, stage.ns, serving, "model-guardian-test");
    await router.read();
    // a person swaps the two destinations between the router's read and its write
    const { vs } = await live();
    const swapped = [...(vs.spec.http[1]?.route ?? [])].reverse();
    await kubectlOk([
      "patch",
      "virtualservice.networking.istio.io",
      "fraud",
      "-n",
      stage.ns,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "replace", path: "/spec/http/1/route", value: swapped }]),
    ]);
    const err = await router.write({ stable: 10, candidate: 90 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RouterError);
    expect((err as RouterError).reason).toBe("RouteChanged");
    expect((err as Error).message).toMatch(new RegExp(`^VirtualService ${stage.ns}/fraud: `));
    // the weights are as the person left them; a fresh read finds the destinations where they now are
    expect((await live()).weights).toEqual({ stable: 80, candidate: 20 });
    await router.read();
    await router.write({ stable: 10, candidate: 90 });
    expect((await live()).weights).toEqual({ stable: 10, candidate: 90 });
  });

  it("reports a missing VirtualService or destination as typed errors", async () => {
    const missing = istioRouter(
      kc,
      stage.ns,
      servingSchema.parse({ ...serving, router: { istio: { virtualService: { name: "nope" } } } }),
      "model-guardian-test",
    );
    expect(await missing.read()).toMatchObject({ kind: "error", reason: "RouteNotFound" });
    const other = servingSchema.parse({ ...serving, candidate: { ...serving.candidate, destination: { host: "fraud", subset: "canary" } } });
    expect(await istioRouter(kc, stage.ns, other, "model-guardian-test").read()).toMatchObject({ kind: "error", reason: "BackendNotFound" });
  });
});
