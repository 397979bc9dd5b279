// The operator runs as the ServiceAccount and ClusterRole shipped in config/rbac, not as a
// cluster admin (startOperator's default in every integration test): here a drift must lead
// to a Job, its outcome, Events and a report with no Forbidden answer in the operator's log,
// and a role without status writes must not cost a second Job.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import {
  apply,
  createNamespace,
  deleteNamespace,
  events,
  getJson,
  given,
  kubectl,
  kubectlOk,
  OPERATOR_NAMESPACE,
  operatorKubeconfig,
  plantMonitor,
  retrainOnDriftSpec,
  ROOT,
  serviceAccountKubeconfig,
  startOperator,
  useStage,
  waitFor,
} from "../stage/index.ts";

const model = `rbac-${Date.now().toString(36)}`;
let logFile: string;

const stage = useStage(
  given("rbac")
    .withStep(async (s) => {
      // the shipped RBAC, applied, and its ServiceAccount's kubeconfig: startOperator's default, named here
      shippedKubeconfig = await operatorKubeconfig();
      logFile = `${s.ns}-sa`;
    })
    .withModel({ model, version: "v1", segments: { one: { requestsPerSecond: 40, accuracy: 0.93 }, two: { requestsPerSecond: 40, accuracy: 0.5 } }, seed: 5 })
    .withOperator({ name: () => logFile, env: () => ({ KUBECONFIG: shippedKubeconfig }) }),
);

let shippedKubeconfig: string;

const policyWith = (namespace: string, annotations: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name: "p", namespace },
  spec: { ...retrainOnDriftSpec(annotations, "trainer"), ...extra },
});
const monitorIn = (namespace: string, plant: string) => plantMonitor(namespace, model, plant, { policyRef: { name: "p" }, report: { every: "1h" } });

describe("the shipped RBAC", () => {
  it("is enough to evaluate, start a Job, follow it to its reported version, record Events and delete old Jobs", async () => {
    // keep no finished Job: the operator deletes it once recorded, which needs its delete right
    await apply(policyWith(stage.ns, { "sim.modelguardian.dev/termination-message": '{"version":"v7"}' }, { successfulJobsHistoryLimit: 0 }));
    await apply(monitorIn(stage.ns, "one"));
    await waitFor(
      "a Healthy evaluation",
      async () => (await getJson<{ status?: { health?: string } }>("modelmonitor", "m", stage.ns)).status?.health === "Healthy",
    );
    const policy = await waitFor("the policy's Ready condition (a dry-run Job create)", async () => {
      const rp = await getJson<{ status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>(
        "retrainpolicy",
        "p",
        stage.ns,
      );
      return rp.status?.conditions?.find((c) => c.type === "Ready");
    });
    expect(policy).toMatchObject({ status: "True", reason: "Accepted" });

    stage.sim.setBehaviour({ accuracy: 0.5 }, "one");
    const candidate = await waitFor(
      "the candidate version",
      async () => {
        const m = await getJson<{ status?: { remediation?: { candidate?: { version: string } } } }>("modelmonitor", "m", stage.ns);
        return m.status?.remediation?.candidate;
      },
      90_000,
    );
    expect(candidate.version).toBe("v7");
    const reasons = (await events(stage.ns, "m")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["RetrainTriggered", "JobSucceeded", "CandidateRecorded"]));
    await waitFor("the recorded Job to be deleted", async () => (await kubectlOk(["get", "jobs", "-n", stage.ns, "-o", "name"])).trim() === "");
    const log = readFileSync(join(ROOT, `.local/logs/operator-${logFile}.log`), "utf8");
    expect(log).not.toMatch(/forbidden/i);
    expect(log).toMatch(/deleted a finished Job beyond the policy's history limits/);
    // the governance report's ConfigMap, written by server-side apply
    expect(await kubectlOk(["get", "configmap", "m-report", "-n", stage.ns, "-o", "jsonpath={.data.report\\.md}"])).toMatch(/^# Model report: /);
  });

  it("status writes refused after the Job was created: no second Job, and the Job is adopted once writes work", async () => {
    // the shipped role minus modelmonitors/status: every status write of a monitor is Forbidden
    const docs = parseAllDocuments(readFileSync(join(ROOT, "config/rbac/role.yaml"), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
    const role = docs.find((d) => d.kind === "ClusterRole") as { metadata: { name: string }; rules: { resources: string[] }[] };
    role.metadata.name = "model-guardian-no-status";
    role.rules = role.rules.map((r) => ({ ...r, resources: r.resources.filter((x) => x !== "modelmonitors/status") })).filter((r) => r.resources.length > 0);
    await kubectlOk(["apply", "-f", "-"], stringify(role));
    await kubectl(["create", "serviceaccount", "no-status", "-n", OPERATOR_NAMESPACE]);
    await kubectl([
      "create",
      "clusterrolebinding",
      "model-guardian-no-status",
      "--clusterrole=model-guardian-no-status",
      `--serviceaccount=${OPERATOR_NAMESPACE}:no-status`,
    ]);
    const ns2 = await createNamespace("rbac-lost");
    try {
      // cooldown 0 and room for 5 Jobs: only the Job's deterministic name and its adoption
      // stand between a lost status and a second Job
      await apply(
        policyWith(
          ns2,
          { "sim.modelguardian.dev/termination-message": '{"version":"v8"}', "sim.modelguardian.dev/run-duration": "4s" },
          { cooldown: "0s", maxActiveJobs: 5 },
        ),
      );
      await apply(monitorIn(ns2, "two"));
      let blind = await startOperator([ns2], `${ns2}-no-status`, { KUBECONFIG: await serviceAccountKubeconfig("no-status") });
      const jobs = () => kubectlOk(["get", "jobs", "-n", ns2, "-o", "name"]).then((o) => o.trim().split("\n").filter(Boolean));
      await waitFor("the Job", async () => (await jobs()).length > 0, 60_000);
      await waitFor(
        "several refused status writes",
        async () => {
          const m = /^modelguardian_reconcile_errors_total (\d+)/m.exec(await (await fetch(blind.metricsUrl)).text());
          return Number(m?.[1] ?? 0) >= 4;
        },
        60_000,
      );
      expect(await jobs()).toHaveLength(1);
      expect((await getJson<{ status?: unknown }>("modelmonitor", "m", ns2)).status).toBeUndefined();
      await blind.stop();

      blind = await startOperator([ns2], `${ns2}-shipped`, { KUBECONFIG: shippedKubeconfig });
      try {
        const m = await waitFor(
          "the adopted Job's outcome in status",
          async () => {
            const mm = await getJson<{ status?: { remediation?: { candidate?: { version: string }; history: { outcome: string }[] } } }>(
              "modelmonitor",
              "m",
              ns2,
            );
            return mm.status?.remediation?.candidate ? mm : undefined;
          },
          60_000,
        );
        expect(m.status?.remediation?.candidate?.version).toBe("v8");
        expect(m.status?.remediation?.history.map((h) => h.outcome)).toEqual(["Succeeded"]);
        expect((await events(ns2, "m")).map((e) => e.reason)).toContain("JobAdopted");
        await new Promise((r) => setTimeout(r, 3 * 2000));
        expect(await jobs()).toHaveLength(1);
      } finally {
        await blind.stop();
      }
    } finally {
      await deleteNamespace(ns2);
    }
  });
});
