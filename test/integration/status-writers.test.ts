// Status writes stay correct with several writers: each controller applies its own part of a
// status with server-side apply under its own field manager, so a second writer (the coming
// rollout controller, or a new leader taking over) never loses fields to the first.
import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { KubernetesStatusWriter } from "../../src/adapters/kubernetes/client.ts";
import { ACCURACY, apply, env, getJson, given, kubectlOk, startOperator, useStage, waitFor } from "../stage/index.ts";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}
interface Monitor {
  metadata: { uid: string };
  status?: { health?: string; summary?: string; worstFinding?: string; lastEvaluationTime?: string; conditions?: Condition[] };
}

const monitorType = { group: "modelguardian.dev", version: "v1alpha1", plural: "modelmonitors" };
const condition = (type: string, message: string): Condition => ({
  type,
  status: "True",
  reason: "Testing",
  message,
  lastTransitionTime: "2026-12-01T00:00:00Z",
});

const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG as string);
const stage = useStage(given("writers"));

const monitorObject = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name, namespace: stage.ns },
  spec: { model: { name: "nobody" }, signals: [ACCURACY], ...extra },
});

async function refOf(name: string) {
  const m = await getJson<Monitor>("modelmonitor", name, stage.ns);
  return { apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", namespace: stage.ns, name, uid: m.metadata.uid };
}

describe("two writers on one status", () => {
  it("race 25 writes each; neither loses the other's fields", async () => {
    await apply(monitorObject("race", { suspend: true }));
    const ref = await refOf("race");
    const monitorWriter = new KubernetesStatusWriter(kc, monitorType, "model-guardian-modelmonitor");
    const rolloutWriter = new KubernetesStatusWriter(kc, monitorType, "model-guardian-rollout");
    const rounds = Array.from({ length: 25 }, (_, i) => i);
    await Promise.all([
      (async () => {
        for (const i of rounds)
          await monitorWriter.writeStatus(ref, {
            health: i % 2 ? "Warning" : "Healthy",
            summary: `round ${i}`,
            ...(i < 24 ? { worstFinding: `finding ${i}` } : {}),
            conditions: [condition("Ready", `monitor ${i}`)],
          });
      })(),
      (async () => {
        for (const i of rounds) await rolloutWriter.writeStatus(ref, { conditions: [condition("RolloutProgressing", `rollout ${i}`)] });
      })(),
    ]);
    const status = (await getJson<Monitor>("modelmonitor", "race", stage.ns)).status;
    expect(status?.summary).toBe("round 24");
    expect(status?.health).toBe("Healthy");
    // a field the monitor's writer stopped writing is gone; the other writer's condition is not
    expect(status?.worstFinding).toBeUndefined();
    expect(status?.conditions?.map((c) => [c.type, c.message]).sort()).toEqual([
      ["Ready", "monitor 24"],
      ["RolloutProgressing", "rollout 24"],
    ]);
  });

  it("whereas a whole-status replace (the old JSON patch) would have lost the other writer's condition", async () => {
    await apply(monitorObject("replace", { suspend: true }));
    const ref = await refOf("replace");
    await new KubernetesStatusWriter(kc, monitorType, "model-guardian-rollout").writeStatus(ref, { conditions: [condition("RolloutProgressing", "rollout")] });
    await kubectlOk([
      "patch",
      "modelmonitor",
      "replace",
      "-n",
      stage.ns,
      "--subresource=status",
      "--type=json",
      "-p",
      JSON.stringify([{ op: "add", path: "/status", value: { health: "Healthy", conditions: [condition("Ready", "monitor")] } }]),
    ]);
    const status = (await getJson<Monitor>("modelmonitor", "replace", stage.ns)).status;
    expect(status?.conditions?.map((c) => c.type)).toEqual(["Ready"]);
  });

  it("the running operator keeps evaluating without removing or taking over another writer's condition", async () => {
    stage.operator = await startOperator([stage.ns], `writers-${stage.ns}`);
    await apply(monitorObject("live", { interval: "1s" }));
    const first = await waitFor(
      "a first evaluation",
      async () => (await getJson<Monitor>("modelmonitor", "live", stage.ns)).status?.lastEvaluationTime,
      30_000,
      200,
    );
    await new KubernetesStatusWriter(kc, monitorType, "model-guardian-rollout").writeStatus(await refOf("live"), {
      conditions: [condition("RolloutProgressing", "canary at 5 %")],
    });
    // three more evaluations, each a status write of the operator's own part
    const later = await waitFor(
      "three more evaluations",
      async () => {
        const m = await getJson<Monitor>("modelmonitor", "live", stage.ns);
        const t = m.status?.lastEvaluationTime;
        return t && Date.parse(t) >= Date.parse(first) + 3_000 ? m : undefined;
      },
      30_000,
      250,
    );
    const types = later.status?.conditions?.map((c) => c.type) ?? [];
    expect(types).toEqual(expect.arrayContaining(["Ready", "MetricsAvailable", "RolloutProgressing"]));
    expect(later.status?.conditions?.find((c) => c.type === "RolloutProgressing")?.message).toBe("canary at 5 %");
    // and the field managers say who owns what
    const managed = JSON.parse(await kubectlOk(["get", "modelmonitor", "live", "-n", stage.ns, "-o", "json", "--show-managed-fields"])).metadata
      .managedFields as {
      manager: string;
      operation: string;
      subresource?: string;
      fieldsV1: unknown;
    }[];
    const owners = Object.fromEntries(managed.filter((m) => m.subresource === "status").map((m) => [m.manager, JSON.stringify(m.fieldsV1)]));
    expect(owners["model-guardian-modelmonitor"]).toMatch(/"k:\{\\"type\\":\\"Ready\\"\}"/);
    expect(owners["model-guardian-modelmonitor"]).not.toMatch(/RolloutProgressing/);
    expect(owners["model-guardian-rollout"]).toMatch(/RolloutProgressing/);
  });
});
