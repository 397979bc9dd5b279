// The Helm chart, with helm built from its Go module (hack/cluster/build-helm.sh): it
// lints, renders for several value sets into objects the local API server accepts (the
// PrometheusRule and ServiceMonitor CRDs come from hack/cluster/prometheus-operator-crds.sh),
// installs and uninstalls on the local cluster, and its per-namespace Roles are enough for the
// operator to run in the namespaces it watches and nowhere else.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { ModelServer } from "../../sim/model-server.ts";
import {
  apply,
  deleteNamespace,
  env,
  events,
  getJson,
  kubectl,
  kubectlOk,
  type Operator,
  plantMonitor,
  retrainOnDriftSpec,
  ROOT,
  serviceAccountKubeconfig,
  startOperator,
  startScrapedModel,
  stopScrapedModel,
  waitFor,
} from "../stage/index.ts";

const HELM = join(ROOT, ".cache/bin/helm");
const CHART = join(ROOT, "charts/model-guardian");
// the release's namespace and two watched namespaces, named now: it.each's rows need them
const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
const ns = `chart-${suffix}`;
const watched = [`chart-a-${suffix}`, `chart-b-${suffix}`] as const;

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(HELM, [...args, "--kubeconfig", env.KUBECONFIG as string], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  rules?: unknown[];
}
const objectsOf = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
const envOf = (objects: ReturnType<typeof objectsOf>) => {
  const deployment = objects.find((o) => o.kind === "Deployment") as unknown as {
    spec: { replicas: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
  };
  return { replicas: deployment.spec.replicas, env: Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value])) };
};
const render = async (release: string, values: string[]) => {
  const r = await helm(["template", release, CHART, "--namespace", ns, "--kube-version", "1.36.3", ...values]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
};
const find = (objects: K8sObject[], kind: string, namespace?: string) =>
  objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
const shipped = () => objectsOf(readFileSync(join(ROOT, "config/rbac/role.yaml"), "utf8"));
const isLeaseRule = (r: unknown) => (r as { resources: string[] }).resources.includes("leases");

beforeAll(async () => {
  for (const n of [ns, ...watched]) await kubectlOk(["create", "namespace", n]);
});
afterAll(async () => {
  for (const n of [ns, ...watched]) await deleteNamespace(n);
});

const MONITORING = ["--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true", "--set", "dashboard.enabled=true"];
const WATCHED = ["--set", `watchNamespaces={${watched.join(",")}}`];

describe("the Helm chart", () => {
  it("passes helm lint, with the defaults and with every option on", async () => {
    for (const values of [[], [...MONITORING, ...WATCHED, "--set", "replicas=2"]]) {
      const r = await helm(["lint", CHART, ...values]);
      expect(r.stdout + r.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.stdout + r.stderr).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(r.code).toBe(0);
    }
  });

  it("renders offline without --kube-version (helm's default is the Kubernetes it was built for) and shows a README", async () => {
    const r = await helm(["template", "mg", CHART]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const readme = await helm(["show", "readme", CHART]);
    expect(readme.stdout).toMatch(/^# model-guardian\n/);
    expect(readme.stdout).toContain("crds.install");
  });

  it("renders the CRDs of crds/ as templates, kept on uninstall; crds.install=false renders none", async () => {
    const crds = find(objectsOf(await render("mg", [])), "CustomResourceDefinition") as (K8sObject & { metadata: { annotations?: Record<string, string> } })[];
    const shippedCrds = readdirSync(join(ROOT, "crds"))
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(
      shippedCrds.map((f) => f.replace(/^modelguardian\.dev_(\w+)\.yaml$/, "$1.modelguardian.dev")).sort(),
    );
    for (const crd of crds) {
      const { labels, annotations, ...metadata } = crd.metadata;
      expect(annotations).toEqual({ "helm.sh/resource-policy": "keep" });
      expect(labels).toMatchObject({ "app.kubernetes.io/name": "model-guardian" });
      const file = parse(readFileSync(join(ROOT, "crds", `modelguardian.dev_${crd.metadata.name.split(".")[0]}.yaml`), "utf8"));
      expect({ ...crd, metadata }).toEqual(file); // the same object, "{{selector}}" in a description included
    }
    const noKeep = find(
      objectsOf(await render("mg", ["--set", "crds.keep=false", "--set", "crds.annotations.team=ml"])),
      "CustomResourceDefinition",
    )[0] as K8sObject & { metadata: { annotations?: Record<string, string> } };
    expect(noKeep.metadata.annotations).toEqual({ team: "ml" });
    expect(find(objectsOf(await render("mg", ["--set", "crds.install=false"])), "CustomResourceDefinition")).toEqual([]);
  });

  it.each([
    [
      "the defaults",
      [],
      { replicas: 1, LEADER_ELECT: "true", WATCH_NAMESPACES: "", JOB_ALLOWED_SERVICE_ACCOUNTS: "", JOB_ALLOWED_IMAGES: "", REQUIRE_TARGET_OPT_IN: "false" },
      ["clusterrole.rbac.authorization.k8s.io/R", "clusterrolebinding.rbac.authorization.k8s.io/R", "service/R-metrics"],
    ],
    [
      "two replicas, two watched namespaces",
      ["--set", "replicas=2", ...WATCHED],
      { replicas: 2, LEADER_ELECT: "true", WATCH_NAMESPACES: watched.join(",") },
      [
        "role.rbac.authorization.k8s.io/R",
        "rolebinding.rbac.authorization.k8s.io/R",
        "role.rbac.authorization.k8s.io/R-leader-election",
        "rolebinding.rbac.authorization.k8s.io/R-leader-election",
      ],
    ],
    [
      "leader election off",
      ["--set", "leaderElection.enabled=false", "--set", "leaderElection.leaseDuration=30s"],
      { replicas: 1, LEADER_ELECT: "false", LEASE_DURATION: "30s" },
      ["clusterrole.rbac.authorization.k8s.io/R"],
    ],
    [
      "the optional defences on",
      [
        "--set",
        "jobAllowedServiceAccounts={trainer,default}",
        "--set",
        "jobAllowedImages={registry.example.com/ml/,docker.io/library/python}",
        "--set",
        "requireTargetOptIn=true",
      ],
      {
        replicas: 1,
        JOB_ALLOWED_SERVICE_ACCOUNTS: "trainer,default",
        JOB_ALLOWED_IMAGES: "registry.example.com/ml/,docker.io/library/python",
        REQUIRE_TARGET_OPT_IN: "true",
      },
      ["clusterrole.rbac.authorization.k8s.io/R"],
    ],
    [
      "ServiceMonitor, PrometheusRule and dashboard on, watched namespaces",
      [...MONITORING, ...WATCHED],
      { replicas: 1, WATCH_NAMESPACES: watched.join(",") },
      [
        "servicemonitor.monitoring.coreos.com/R",
        "prometheusrule.monitoring.coreos.com/R",
        "configmap/R-dashboard",
        "service/R-metrics",
        "role.rbac.authorization.k8s.io/R",
      ],
    ],
  ])("renders %s into objects the API server accepts", async (_, values, expected, objects) => {
    const release = `mg-${Math.random().toString(36).slice(2, 8)}`;
    const rendered = await render(release, values);
    const { replicas, env: vars } = envOf(objectsOf(rendered));
    const { replicas: wantReplicas, ...wantEnv } = expected;
    expect(replicas).toBe(wantReplicas);
    expect(vars).toMatchObject(wantEnv);
    const r = await kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], rendered);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`deployment.apps/${release} serverside-applied \\(server dry run\\)`));
    for (const o of objects) expect(r.stdout).toContain(`${o.replace(/\bR\b/, release)} serverside-applied (server dry run)`);
    // nothing cluster-wide when namespaces are named
    if (vars.WATCH_NAMESPACES) expect(r.stdout).not.toMatch(/clusterrole/);
  });

  it.each([
    ["workers=0", "/workers"],
    ["logLevel=loud", "/logLevel"],
    ["nodeOptions=rm -rf /", "/nodeOptions"],
    ["statusValuesMaxAge=often", "/statusValuesMaxAge"],
    ["leaderElection.leaseDuration=soon", "/leaderElection/leaseDuration"],
    ["watchNamespaces={Team_A}", "/watchNamespaces/0"],
    ["watchNamespaces={a,a}", "/watchNamespaces"],
    ["prometheus.url=ftp://prometheus:9090", "/prometheus/url"],
    ["replicass=2", "additional properties 'replicass' not allowed"],
    ["serviceMonitor.interval=often", "/serviceMonitor/interval"],
    ["metricsService.port=0", "/metricsService/port"],
    ["prometheusRule.enable=true", "additional properties 'enable' not allowed"],
    ["dashboard.namespace=Grafana", "/dashboard/namespace"],
    ["jobAllowedImages={ml/}", "/jobAllowedImages/0"],
    ["jobAllowedServiceAccounts={Admin_SA}", "/jobAllowedServiceAccounts/0"],
    ["requireTargetOptIn=yes", "/requireTargetOptIn"],
    ["shutdownGrace=0s", "/shutdownGrace"],
    ["terminationGracePeriodSeconds=0", "/terminationGracePeriodSeconds"],
  ])("values.schema.json refuses --set %s, naming %s", async (value, named) => {
    const r = await helm(["template", "mg", CHART, "--kube-version", "1.36.3", "--set", value]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toContain(named);
  });

  it("refuses a ServiceMonitor without the metrics Service", async () => {
    const r = await helm([
      "template",
      "mg",
      CHART,
      "--kube-version",
      "1.36.3",
      "--set",
      "serviceMonitor.enabled=true",
      "--set",
      "metricsService.enabled=false",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("serviceMonitor.enabled needs metricsService.enabled");
  });

  it("stops within the pod's grace: SHUTDOWN_GRACE shorter than terminationGracePeriodSeconds, as in config/; refuses it otherwise", async () => {
    type Pod = { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: { env: { name: string; value?: string }[] }[] } } } };
    const graceOf = (objects: K8sObject[]) => {
      const pod = (find(objects, "Deployment")[0] as unknown as Pod).spec.template.spec;
      return { seconds: pod.terminationGracePeriodSeconds, shutdownGrace: pod.containers[0]?.env.find((e) => e.name === "SHUTDOWN_GRACE")?.value };
    };
    const defaults = { seconds: 30, shutdownGrace: "20s" };
    expect(graceOf(objectsOf(await render("mg", [])))).toEqual(defaults);
    expect(graceOf(objectsOf(await kubectlOk(["kustomize", join(ROOT, "config")])))).toEqual(defaults);
    expect(graceOf(objectsOf(await render("mg", ["--set", "shutdownGrace=1m", "--set", "terminationGracePeriodSeconds=90"])))).toEqual({
      seconds: 90,
      shutdownGrace: "1m",
    });
    const r = await helm(["template", "mg", CHART, "--kube-version", "1.36.3", "--set", "shutdownGrace=29s1000ms"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("shutdownGrace (29s1000ms) must be shorter than terminationGracePeriodSeconds (30)");
  });

  it("ships config/monitoring's alerts and dashboard unchanged, and a ServiceMonitor that selects the metrics Service", async () => {
    const objects = objectsOf(
      await render("mg", [
        ...MONITORING,
        "--set",
        "prometheusRule.labels.release=kube-prometheus-stack",
        "--set",
        "dashboard.annotations.grafana_folder=MLOps",
      ]),
    );
    const rule = find(objects, "PrometheusRule")[0] as K8sObject;
    expect(rule.spec).toEqual(parse(readFileSync(join(ROOT, "config/monitoring/alerts.yaml"), "utf8")));
    expect(rule.metadata.labels?.release).toBe("kube-prometheus-stack");
    const dashboard = find(objects, "ConfigMap")[0] as K8sObject & { metadata: { annotations?: Record<string, string> } };
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe("1");
    expect(dashboard.metadata.annotations?.grafana_folder).toBe("MLOps");
    expect(dashboard.data?.["model-guardian.json"]).toBe(readFileSync(join(ROOT, "config/monitoring/dashboard.json"), "utf8").trimEnd());
    // ServiceMonitor -> Service -> pods, and the job name the alerts expect
    const monitor = find(objects, "ServiceMonitor")[0]?.spec as {
      jobLabel: string;
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; honorLabels: boolean }[];
    };
    const service = find(objects, "Service")[0] as K8sObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } };
    const pod = (
      find(objects, "Deployment")[0]?.spec as {
        template: { metadata: { labels: Record<string, string> }; spec: { containers: { ports: { name: string }[] }[] } };
      }
    ).template;
    expect(service.metadata.labels).toMatchObject(monitor.selector.matchLabels);
    expect(service.metadata.labels?.[monitor.jobLabel]).toBe("model-guardian");
    expect(readFileSync(join(ROOT, "config/monitoring/alerts.yaml"), "utf8")).toContain('up{job="model-guardian"}');
    expect(monitor.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0]?.name, honorLabels: true })]);
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    expect(pod.spec.containers[0]?.ports.map((p) => p.name)).toContain(service.spec.ports[0]?.targetPort);
  });

  it("installs the objects kubectl kustomize config/ installs: the same kinds and names, the same image, the metrics Service selecting the pods", async () => {
    const r = await helm(["template", "model-guardian", CHART, "--namespace", "model-guardian-system"]);
    expect(r.stderr).toBe("");
    const chart = objectsOf(r.stdout);
    const kustomized = objectsOf(await kubectlOk(["kustomize", join(ROOT, "config")]));
    const ids = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`).sort();
    // the Namespace is kustomize's own: helm creates it with --create-namespace, outside the release
    expect(ids(kustomized.filter((o) => o.kind !== "Namespace"))).toEqual(ids(chart));
    expect(ids(kustomized.filter((o) => o.kind === "Namespace"))).toEqual(["Namespace/model-guardian-system"]);
    type Pod = {
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; ports: { name: string }[] }[] } };
      };
    };
    const deployment = (objects: K8sObject[]) => find(objects, "Deployment")[0] as unknown as Pod;
    expect(deployment(kustomized).spec.template.spec.containers[0]?.image).toBe(deployment(chart).spec.template.spec.containers[0]?.image);
    for (const objects of [chart, kustomized]) {
      const service = find(objects, "Service")[0] as K8sObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } };
      expect(service.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "model-guardian", "app.kubernetes.io/component": "metrics" });
      expect(deployment(objects).spec.template.metadata.labels).toMatchObject(service.spec.selector);
      expect(service.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: "metrics" })]);
      expect(deployment(objects).spec.template.spec.containers[0]?.ports.map((p) => p.name)).toContain("metrics");
    }
  });

  it("all namespaces: one ClusterRole with the rules of config/rbac/role.yaml", async () => {
    const objects = objectsOf(await render("mg", []));
    expect(find(objects, "Role")).toEqual([]);
    const clusterRole = find(objects, "ClusterRole")[0] as K8sObject;
    expect(clusterRole.rules).toEqual(find(shipped(), "ClusterRole")[0]?.rules);
    expect(find(objects, "ClusterRoleBinding")[0]).toMatchObject({
      roleRef: { kind: "ClusterRole", name: "mg" },
      subjects: [{ kind: "ServiceAccount", name: "mg", namespace: ns }],
    });
  });

  it("watchNamespaces [a, b]: a Role and RoleBinding in each, the Lease's Role in the release's namespace, together the rules of config/rbac/role.yaml", async () => {
    const objects = objectsOf(await render("mg", WATCHED));
    expect(find(objects, "ClusterRole")).toEqual([]);
    expect(find(objects, "ClusterRoleBinding")).toEqual([]);
    const shippedRules = find(shipped(), "ClusterRole")[0]?.rules as unknown[];
    for (const n of watched) {
      const [role, ...more] = find(objects, "Role", n);
      expect(more).toEqual([]);
      expect(role?.metadata.name).toBe("mg");
      expect(role?.rules).toEqual(shippedRules.filter((r) => !isLeaseRule(r)));
      expect(find(objects, "RoleBinding", n)).toEqual([
        expect.objectContaining({
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "mg" },
          subjects: [{ kind: "ServiceAccount", name: "mg", namespace: ns }],
        }),
      ]);
    }
    const lease = find(objects, "Role", ns);
    expect(lease.map((r) => r.metadata.name)).toEqual(["mg-leader-election"]);
    expect(lease[0]?.rules).toEqual(shippedRules.filter(isLeaseRule));
    expect(find(objects, "RoleBinding", ns)[0]).toMatchObject({
      roleRef: { kind: "Role", name: "mg-leader-election" },
      subjects: [{ kind: "ServiceAccount", name: "mg", namespace: ns }],
    });
    // together: exactly the shipped rules, each once
    expect([...(find(objects, "Role", watched[0])[0]?.rules ?? []), ...(lease[0]?.rules ?? [])]).toEqual(shippedRules);
  });

  describe("the operator as the ServiceAccount of a release with watchNamespaces [a, b]", () => {
    const release = "mg-scoped";
    const model = `scoped-${suffix}`;
    let operator: Operator | undefined;
    let sim: ModelServer | undefined;
    let logName: string;
    beforeAll(async () => {
      // only the RBAC objects of the release, applied for real
      const rbac = await render(release, [...WATCHED, "--show-only", "templates/rbac.yaml"]);
      await kubectlOk(["apply", "-f", "-"], rbac);
      const path = await serviceAccountKubeconfig(release, ns);
      sim = await startScrapedModel({
        model,
        version: "v1",
        segments: { a: { requestsPerSecond: 40, accuracy: 0.5 }, b: { requestsPerSecond: 40, accuracy: 0.93 } },
        seed: 11,
      });
      logName = `chart-${suffix}`;
      operator = await startOperator([...watched], logName, {
        KUBECONFIG: path,
        LEADER_ELECT: "true",
        POD_NAMESPACE: ns,
        LEASE_NAME: release,
        LEASE_DURATION: "6s",
        LEASE_RENEW_DEADLINE: "4s",
        LEASE_RETRY_PERIOD: "1s",
      });
    });
    afterAll(async () => {
      await operator?.stop();
      await stopScrapedModel(sim, model);
    });

    it("may read its resources only in a and b, and nothing cluster-wide", async () => {
      const can = async (...args: string[]) => (await kubectl(["auth", "can-i", ...args, `--as=system:serviceaccount:${ns}:${release}`])).stdout.trim();
      for (const n of watched) {
        expect(await can("watch", "modelmonitors.modelguardian.dev", "-n", n)).toBe("yes");
        expect(await can("create", "jobs.batch", "-n", n)).toBe("yes");
        expect(await can("patch", "modelmonitors.modelguardian.dev", "--subresource=status", "-n", n)).toBe("yes");
      }
      expect(await can("watch", "modelmonitors.modelguardian.dev", "-n", ns)).toBe("no");
      expect(await can("list", "modelmonitors.modelguardian.dev", "--all-namespaces")).toBe("no");
      expect(await can("create", "jobs.batch", "-n", "default")).toBe("no");
      expect(await can("update", "leases.coordination.k8s.io", "-n", ns)).toBe("yes");
      expect(await can("update", "leases.coordination.k8s.io", "-n", watched[0])).toBe("no");
    });

    it("leads, evaluates in both namespaces, and runs a retraining Job to its version in one", async () => {
      await waitFor(
        "the Lease in the release's namespace",
        async () => (await getJson<{ spec?: { holderIdentity?: string } }>("lease", release, ns)).spec?.holderIdentity,
      );
      const [a, b] = watched;
      const policy = {
        apiVersion: "modelguardian.dev/v1alpha1",
        kind: "RetrainPolicy",
        metadata: { name: "p", namespace: a },
        spec: retrainOnDriftSpec({ "sim.modelguardian.dev/termination-message": '{"version":"v2"}' }, "trainer"),
      };
      const monitor = (namespace: string, plant: string, policyRef?: string) =>
        plantMonitor(namespace, model, plant, policyRef ? { policyRef: { name: policyRef } } : {});
      expect((await apply(policy)).code).toBe(0);
      expect((await apply(monitor(a, "a", "p"))).code).toBe(0);
      expect((await apply(monitor(b, "b"))).code).toBe(0);
      await waitFor("b's monitor Healthy", async () => (await getJson<{ status?: { health?: string } }>("modelmonitor", "m", b)).status?.health === "Healthy");
      const candidate = await waitFor(
        "a's candidate from the retraining Job",
        async () => (await getJson<{ status?: { remediation?: { candidate?: { version: string } } } }>("modelmonitor", "m", a)).status?.remediation?.candidate,
        90_000,
      );
      expect(candidate.version).toBe("v2");
      expect((await events(a, "m")).map((e) => e.reason)).toEqual(expect.arrayContaining(["RetrainTriggered", "JobSucceeded", "CandidateRecorded"]));
      const metrics = await (await fetch(operator!.metricsUrl)).text();
      expect(metrics).toMatch(/^modelguardian_leader 1$/m);
      expect(readFileSync(join(ROOT, `.local/logs/operator-${logName}.log`), "utf8")).not.toMatch(/forbidden/i);
    }, 150_000);
  });

  it("installs on the local cluster (pods run on the kwok node) and uninstalls without a trace", async () => {
    const release = `mg-${Math.random().toString(36).slice(2, 8)}`;
    // the local cluster's CRDs come from crds/ (cluster:up), not from a release: crds.install=false
    const installed = await helm(["install", release, CHART, "--namespace", ns, "--set", "crds.install=false", "--wait", "--timeout", "90s"]);
    expect(installed.stderr).toBe("");
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    // NOTES.txt: what was installed and how to see that it works
    expect(installed.stdout).toContain(`model-guardian 0.1.0 is installed as release ${release} in namespace ${ns}`);
    expect(installed.stdout).toContain(`kubectl -n ${ns} rollout status deployment/${release}`);
    expect(installed.stdout).toContain("no CRDs (crds.install=false)");
    const deployment = JSON.parse((await kubectl(["get", "deployment", release, "-n", ns, "-o", "json"])).stdout);
    expect(deployment.status.availableReplicas).toBe(1);
    const uninstalled = await helm(["uninstall", release, "--namespace", ns, "--wait"]);
    expect(uninstalled.stdout).toMatch(/uninstalled/);
    await waitFor(
      "the release's objects to be gone",
      async () => {
        const left = await kubectl([
          "get",
          `deployment/${release}`,
          `serviceaccount/${release}`,
          `service/${release}-metrics`,
          `clusterrole/${release}`,
          `clusterrolebinding/${release}`,
          "-n",
          ns,
          "--ignore-not-found",
          "-o",
          "name",
        ]);
        return left.stdout.trim() === "";
      },
      60_000,
    );
  });
});
