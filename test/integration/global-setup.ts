// Integration tests run against the real local control plane: start it when it is not running,
// and build helm, the OCI registry and Traefik when they are not built yet.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** When this run began (ISO time): the least-privilege test reads the audit log from here. */
    suiteStart: string;
  }
}

export default function setup(project: TestProject) {
  // before the cluster is started, hence before any test's request: each project that runs
  // this setup does so before any test file of the run
  project.provide("suiteStart", new Date().toISOString());
  const root = join(import.meta.dirname, "..", "..");
  execFileSync("bash", [join(root, "scripts/cluster/up.sh")], { stdio: "inherit", cwd: root });
  // helm, for the chart's tests, built from its Go module like the control plane
  execFileSync("bash", [join(root, "hack/cluster/build-helm.sh")], { stdio: "inherit", cwd: root });
  // distribution's registry, the OCI registry chart-repo.test.ts pushes the chart to (~5 min cold)
  execFileSync("bash", [join(root, "hack/cluster/build-registry.sh")], { stdio: "inherit", cwd: root });
  execFileSync("bash", [join(root, "hack/cluster/prometheus-operator-crds.sh")], { stdio: "inherit", cwd: root }); // PrometheusRule, ServiceMonitor CRDs for chart.test.ts
  execFileSync("bash", [join(root, "hack/cluster/istio-crds.sh")], { stdio: "inherit", cwd: root }); // VirtualService, DestinationRule for the Istio router's tests
  execFileSync("bash", [join(root, "hack/cluster/kserve-crds.sh")], { stdio: "inherit", cwd: root }); // InferenceService for the KServe router's tests
  // Traefik, the Gateway API data plane (dataplane.ts), built from its Go module (~6 min cold)
  execFileSync("bash", [join(root, "hack/cluster/build-traefik.sh")], { stdio: "inherit", cwd: root });
}
