// The operator runs as the ServiceAccount and ClusterRole shipped in config/rbac, not as a
// cluster admin: a drift must still lead to a Job, its outcome and Events. A permission the
// role lacks shows up here as a Forbidden answer.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { removePrometheusTarget, startModelServer, writePrometheusTarget, type ModelServer } from "../../sim/model-server.ts";
import { apply, createNamespace, deleteNamespace, env, events, getJson, kubectl, kubectlOk, promQuery, ROOT, startOperator, TARGETS_DIR, waitFor, type Operator } from "./support.ts";

const model = `rbac-${Date.now().toString(36)}`;
let ns: string;
let sim: ModelServer;
let operator: Operator;
let logFile: string;

beforeAll(async () => {
  ns = await createNamespace("rbac");
  const system = await kubectl(["create", "namespace", "model-guardian-system"]);
  if (system.code !== 0 && !system.stderr.includes("AlreadyExists")) throw new Error(system.stderr);
  await kubectlOk(["apply", "-f", join(ROOT, "config/rbac/role.yaml")]);
  const token = (await kubectlOk(["create", "token", "model-guardian", "-n", "model-guardian-system", "--duration", "1h"])).trim();
  const kubeconfig = parse(readFileSync(env.KUBECONFIG as string, "utf8")) as { users: { user: Record<string, string> }[] };
  for (const u of kubeconfig.users) u.user = { token };
  const path = join(ROOT, ".local/kubeconfig-model-guardian-sa");
  writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });

  sim = await startModelServer({ model, version: "v1", segments: { one: { requestsPerSecond: 40, accuracy: 0.93 } }, seed: 5 });
  await writePrometheusTarget(TARGETS_DIR, model, sim.port);
  await waitFor("Prometheus to scrape the simulated model", async () => (await promQuery(`model_predictions_total{model="${model}"}`)).length > 0, 60_000);
  logFile = `${ns}-sa`;
  operator = await startOperator([ns], logFile, { KUBECONFIG: path });
});

afterAll(async () => {
  await operator?.stop();
  await removePrometheusTarget(TARGETS_DIR, model);
  await sim?.close();
  await deleteNamespace(ns);
});

describe("the shipped RBAC", () => {
  it("is enough to evaluate, start a Job, follow it to its reported version and record Events", async () => {
    await apply({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "RetrainPolicy",
      metadata: { name: "p", namespace: ns },
      spec: {
        triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
        actions: [
          {
            name: "retrain",
            jobTemplate: {
              spec: {
                backoffLimit: 0,
                template: {
                  metadata: { annotations: { "sim.modelguardian.dev/termination-message": '{"version":"v7"}' } },
                  spec: { restartPolicy: "Never", containers: [{ name: "train", image: "trainer" }] },
                },
              },
            },
          },
        ],
      },
    });
    await apply({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "m", namespace: ns },
      spec: {
        model: { name: model },
        interval: "2s",
        window: "20s",
        minSamples: 50,
        signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
        rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
        policyRef: { name: "p" },
      },
    });
    await waitFor("a Healthy evaluation", async () => (await getJson<{ status?: { health?: string } }>("modelmonitor", "m", ns)).status?.health === "Healthy");
    const policy = await waitFor("the policy's Ready condition (a dry-run Job create)", async () => {
      const rp = await getJson<{ status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>("retrainpolicy", "p", ns);
      return rp.status?.conditions?.find((c) => c.type === "Ready");
    });
    expect(policy).toMatchObject({ status: "True", reason: "Accepted" });

    sim.setBehaviour({ accuracy: 0.5 });
    const candidate = await waitFor("the candidate version", async () => {
      const m = await getJson<{ status?: { remediation?: { candidate?: { version: string } } } }>("modelmonitor", "m", ns);
      return m.status?.remediation?.candidate;
    }, 90_000);
    expect(candidate.version).toBe("v7");
    const reasons = (await events(ns, "m")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["RetrainTriggered", "JobSucceeded", "CandidateRecorded"]));
    const log = readFileSync(join(ROOT, `.local/logs/operator-${logFile}.log`), "utf8");
    expect(log).not.toMatch(/forbidden/i);
    expect(await kubectlOk(["get", "jobs", "-n", ns, "-o", "name"])).toMatch(/job.batch\/m-retrain-/);
  });
});
