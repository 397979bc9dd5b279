// The Helm chart, with helm built from its Go module (scripts/cluster/build-helm.sh): it
// lints, renders for several value sets into objects the local API server accepts, and
// installs and uninstalls on the local cluster.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createNamespace, deleteNamespace, env, kubectl, ROOT, waitFor } from "./support.ts";

const HELM = join(ROOT, ".cache/bin/helm");
const CHART = join(ROOT, "charts/model-guardian");
let ns: string;

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(HELM, [...args, "--kubeconfig", env.KUBECONFIG as string], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
const objectsOf = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> }).filter(Boolean);
const envOf = (objects: ReturnType<typeof objectsOf>) => {
  const deployment = objects.find((o) => o.kind === "Deployment") as unknown as { spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
  return { replicas: deployment.spec.replicas, env: Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value])) };
};

beforeAll(async () => {
  ns = await createNamespace("chart");
});
afterAll(async () => {
  await deleteNamespace(ns);
});

describe("the Helm chart", () => {
  it("passes helm lint", async () => {
    const r = await helm(["lint", CHART]);
    expect(r.stdout + r.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.code).toBe(0);
  });

  it.each([
    ["the defaults", [], { replicas: 1, LEADER_ELECT: "true", WATCH_NAMESPACES: "" }],
    ["two replicas, some namespaces", ["--set", "replicas=2", "--set", "watchNamespaces={team-a,team-b}"], { replicas: 2, LEADER_ELECT: "true", WATCH_NAMESPACES: "team-a,team-b" }],
    ["leader election off", ["--set", "leaderElection.enabled=false", "--set", "leaderElection.leaseDuration=30s"], { replicas: 1, LEADER_ELECT: "false", LEASE_DURATION: "30s" }],
  ])("renders %s into objects the API server accepts", async (_, values, expected) => {
    const release = `mg-${Math.random().toString(36).slice(2, 8)}`;
    const rendered = await helm(["template", release, CHART, "--namespace", ns, "--kube-version", "1.36.3", ...values]);
    expect(rendered.stderr).toBe("");
    expect(rendered.code).toBe(0);
    const { replicas, env: vars } = envOf(objectsOf(rendered.stdout));
    const { replicas: wantReplicas, ...wantEnv } = expected;
    expect(replicas).toBe(wantReplicas);
    expect(vars).toMatchObject(wantEnv);
    const r = await kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], rendered.stdout);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`deployment.apps/${release} serverside-applied \\(server dry run\\)`));
    expect(r.stdout).toMatch(new RegExp(`clusterrole.rbac.authorization.k8s.io/${release} serverside-applied`));
  });

  it.each([
    ["workers=0", "/workers"],
    ["logLevel=loud", "/logLevel"],
    ["leaderElection.leaseDuration=soon", "/leaderElection/leaseDuration"],
    ["watchNamespaces={Team_A}", "/watchNamespaces/0"],
    ["prometheus.url=ftp://prometheus:9090", "/prometheus/url"],
    ["replicass=2", "additional properties 'replicass' not allowed"],
  ])("values.schema.json refuses --set %s, naming %s", async (value, named) => {
    const r = await helm(["template", "mg", CHART, "--kube-version", "1.36.3", "--set", value]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(named);
  });

  it("installs on the local cluster (pods run on the kwok node) and uninstalls without a trace", async () => {
    const release = `mg-${Math.random().toString(36).slice(2, 8)}`;
    const installed = await helm(["install", release, CHART, "--namespace", ns, "--skip-crds", "--wait", "--timeout", "90s"]);
    expect(installed.stderr).toBe("");
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    const deployment = JSON.parse((await kubectl(["get", "deployment", release, "-n", ns, "-o", "json"])).stdout);
    expect(deployment.status.availableReplicas).toBe(1);
    const uninstalled = await helm(["uninstall", release, "--namespace", ns, "--wait"]);
    expect(uninstalled.stdout).toMatch(/uninstalled/);
    await waitFor("the release's objects to be gone", async () => {
      const left = await kubectl(["get", `deployment/${release}`, `serviceaccount/${release}`, `clusterrole/${release}`, `clusterrolebinding/${release}`, "-n", ns, "--ignore-not-found", "-o", "name"]);
      return left.stdout.trim() === "";
    }, 60_000);
  });
});
