// REQUIRE_TARGET_OPT_IN end to end: the operator (a real process, the setting on) and a rollout
// whose Deployments and HTTPRoute are real objects on the local control plane. Without the label
// modelguardian.dev/rollout-target=true on every one of them the operator writes to none (their
// generations stay, and no field of theirs is the operator's) and the rollout says which object
// and the command that fixes it; labelled, the rollout goes. A label removed mid-rollout holds
// it, with a person's abort waiting until the label is back. No traffic flows here: the first
// step's weight is the proof the rollout went on (its hold is an hour: no analysis runs).
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KubernetesWorkloads } from "../../src/adapters/kubernetes/deployments.ts";
import { gatewayApiRouter } from "../../src/adapters/routers/gateway-api.ts";
import { servingSchema } from "../../src/api/v1alpha1/rollout.ts";
import { RouterError } from "../../src/ports.ts";
import { stableAndCandidate } from "../stage/serving.ts";
import { ACCURACY, apply, canaryPolicy, env, events, getJson, given, kubectlOk, modelMonitor, modelRollout, useStage, waitFor } from "../stage/index.ts";

const LABEL = "modelguardian.dev/rollout-target";
const MODEL = `opt-in-${Date.now().toString(36)}`;
interface Meta {
  metadata: { generation: number; labels?: Record<string, string>; managedFields?: { manager: string }[] };
}
interface Route extends Meta {
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}
interface Deployment extends Meta {
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
  status?: { availableReplicas?: number };
}
interface Rollout {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    handledAction?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const serving = {
  router: { gatewayAPI: { httpRoute: { name: "model" } } },
  stable: { backendRef: { name: "model-stable" }, deployment: { name: "model-stable" } },
  candidate: { backendRef: { name: "model-candidate" }, deployment: { name: "model-candidate" } },
};
/** As `kubectl get -o json` with the managed fields, which it hides by default. */
const withManagers = async <T>(kind: string, name: string) =>
  JSON.parse(await kubectlOk(["get", kind, name, "-n", stage.ns, "--show-managed-fields", "-o", "json"])) as T;
const route = () => withManagers<Route>("httproute", "model");
const deployment = (name: string) => withManagers<Deployment>("deployment", name);
const rollout = () => getJson<Rollout>("modelrollout", "model-v2", stage.ns);
const weights = async () => {
  const refs = (await route()).spec.rules[0]?.backendRefs ?? [];
  return { stable: refs.find((r) => r.name === "model-stable")?.weight, candidate: refs.find((r) => r.name === "model-candidate")?.weight };
};
const modelVersion = async (name: string) => (await deployment(name)).spec.template.spec.containers[0]?.env?.find((e) => e.name === "MODEL_VERSION")?.value;
/** Whether any field of the object is the operator's (its field managers are model-guardian-*). */
const touchedByOperator = (o: Meta) => (o.metadata.managedFields ?? []).some((f) => f.manager.startsWith("model-guardian"));
const label = (kind: string, name: string, on: boolean) => kubectlOk(["label", "-n", stage.ns, kind, name, "--overwrite", on ? `${LABEL}=true` : `${LABEL}-`]);

/** The two Deployments, their HTTPRoute, the stand-in policy and a monitor serving through them. */
const servedModel = (ns: string) => [
  ...stableAndCandidate(ns),
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "model", namespace: ns },
    spec: {
      rules: [
        {
          backendRefs: [
            { name: "model-stable", port: 8080, weight: 100 },
            { name: "model-candidate", port: 8080, weight: 0 },
          ],
        },
      ],
    },
  },
  canaryPolicy(ns, { steps: [{ weight: 30, hold: "1h" }] }),
  modelMonitor(ns, "canary", {
    model: { name: MODEL, version: "v1" },
    versionLabel: "version",
    interval: "5s",
    signals: [ACCURACY],
    policyRef: { name: "canary" },
    serving,
  }),
];
const deploymentsReady = async () => {
  // both Deployments ready first: from here on only a writer's change moves their generation
  for (const name of ["model-stable", "model-candidate"])
    await waitFor(`${name} ready`, async () => (await deployment(name)).status?.availableReplicas === 1, 60_000);
};
const stage = useStage(
  given("opt-in")
    .withOperator({ env: { REQUIRE_TARGET_OPT_IN: "true" } })
    .withObjects(servedModel)
    .withStep(deploymentsReady),
);

describe("REQUIRE_TARGET_OPT_IN on a real control plane", () => {
  it("a rollout whose Deployments and HTTPRoute lack the label writes to none of them and says why; it goes once they carry it", async () => {
    const before = { route: await route(), stable: await deployment("model-stable"), candidate: await deployment("model-candidate") };
    await apply(modelRollout(stage.ns, "model-v2", { version: "v2" }));
    const held = await waitFor("the rollout held", async () => {
      const r = await rollout();
      return r.status?.reason === "TargetNotOptedIn" && r;
    });
    expect(held.status?.phase).toBe("Pending");
    expect(held.status?.message).toMatch(
      /^HTTPRoute model, Deployment model-stable and Deployment model-candidate lack the label modelguardian\.dev\/rollout-target=true \(REQUIRE_TARGET_OPT_IN\)/,
    );
    expect(held.status?.message).toContain(`kubectl label -n ${stage.ns} deployment model-candidate --overwrite ${LABEL}=true`);
    expect(held.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False", reason: "TargetNotOptedIn" });
    expect((await events(stage.ns, "model-v2")).map((e) => e.reason)).toContain("TargetNotOptedIn");

    // the Deployments opt in, the route does not: a later reconcile (its message names only the route) still writes nothing
    await label("deployment", "model-stable", true);
    await label("deployment", "model-candidate", true);
    const routeOnly = await waitFor("the hold to name only the HTTPRoute", async () => {
      const r = await rollout();
      return r.status?.message?.startsWith("HTTPRoute model lacks the label") && r;
    });
    expect(routeOnly.status?.phase).toBe("Pending");
    const after = { route: await route(), stable: await deployment("model-stable"), candidate: await deployment("model-candidate") };
    for (const k of ["route", "stable", "candidate"] as const) {
      expect(after[k].metadata.generation, k).toBe(before[k].metadata.generation);
      expect(touchedByOperator(after[k]), k).toBe(false);
    }
    expect(await weights()).toEqual({ stable: 100, candidate: 0 });
    expect(await modelVersion("model-candidate")).toBe("v1");

    await label("httproute", "model", true);
    await waitFor("v2 on the candidate Deployment", async () => (await modelVersion("model-candidate")) === "v2", 60_000);
    await waitFor("the first step's weights", async () => (await weights()).candidate === 30, 60_000, 250);
    expect((await rollout()).status?.phase).toBe("Progressing");
    expect(touchedByOperator(await route())).toBe(true);
    expect((await events(stage.ns, "model-v2")).map((e) => e.reason)).toContain("RolloutResumed");
  }, 150_000);

  it("a label removed mid-rollout holds it: a person's abort waits, half of it is never applied, and all of it follows once the label is back", async () => {
    await label("deployment", "model-candidate", false);
    // the annotation is what makes the operator look now: labels are not watched
    await kubectlOk(["annotate", "modelrollout", "model-v2", "-n", stage.ns, "--overwrite", "modelguardian.dev/rollout-action=abort"]);
    const held = await waitFor("the rollout held mid-way", async () => {
      const r = await rollout();
      return r.status?.reason === "TargetNotOptedIn" && r;
    });
    expect(held.status?.phase).toBe("Progressing");
    expect(held.status?.message).toMatch(/^Deployment model-candidate lacks the label/);
    expect(held.status?.handledAction).toBeUndefined();
    // an abort would set the route to 100/0 and give the candidate Deployment v1 back: neither happened
    expect(await weights()).toEqual({ stable: 70, candidate: 30 });
    expect(await modelVersion("model-candidate")).toBe("v2");

    await label("deployment", "model-candidate", true);
    await waitFor("the abort carried out", async () => (await rollout()).status?.phase === "Aborted", 60_000, 250);
    expect(await weights()).toEqual({ stable: 100, candidate: 0 });
    expect(await modelVersion("model-candidate")).toBe("v1");
  }, 120_000);

  it("every write tests the label: one removed between the operator's read and its write is refused", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG as string);
    const parsed = servingSchema.parse(serving);
    const router = gatewayApiRouter(kc, stage.ns, parsed, "model-guardian-test", true);
    await router.read();
    expect(router.target()).toMatchObject({ kind: "HTTPRoute", name: "model", labels: { [LABEL]: "true" } });
    await label("httproute", "model", false);
    const err = await router.write({ stable: 50, candidate: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RouterError);
    expect((err as RouterError).reason).toBe("RouteChanged");
    expect(await weights()).toEqual({ stable: 100, candidate: 0 });

    const workloads = new KubernetesWorkloads(kc, "model-guardian-test", true);
    await label("deployment", "model-stable", false);
    await expect(workloads.setModel(stage.ns, "model-stable", { version: "MODEL_VERSION", uri: "MODEL_URI" }, "v9", undefined)).rejects.toThrow(
      /no longer carries modelguardian\.dev\/rollout-target=true/,
    );
    expect(await modelVersion("model-stable")).toBe("v1");
    // labelled, the same writes go through
    await label("httproute", "model", true);
    await router.read();
    await router.write({ stable: 50, candidate: 50 });
    expect(await weights()).toEqual({ stable: 50, candidate: 50 });
  });
});
