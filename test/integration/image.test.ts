// The operator's container image (Dockerfile, built by `npm run image` = scripts/image/build.sh)
// run by podman as the chart's Deployment runs it in a pod: as user 65532 on a read-only root
// filesystem with every capability dropped, the Deployment's environment as `helm template`
// renders it, and a ServiceAccount's token, the cluster's CA and the namespace mounted at
// /var/run/secrets/kubernetes.io/serviceaccount with KUBERNETES_SERVICE_HOST/PORT naming the
// local API server: the operator's in-cluster configuration, which no other test takes. The
// ServiceAccount's rights are the chart's Roles for a release watching one namespace. The
// container becomes ready, takes the Lease, evaluates a ModelMonitor against the real
// Prometheus, and on SIGTERM releases the Lease and exits 0.
//
// The image is built first (layers cached: seconds when it is current; a cold build, base
// reconstruction included, takes about two minutes). The file is skipped only when no image
// exists and the build fails; the reason is printed and the build's log kept.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { ModelServer } from "../../sim/model-server.ts";
import { freePort } from "../stage/wait.ts";
import {
  ACCURACY,
  apply,
  env,
  getJson,
  kubectl,
  kubectlOk,
  modelMonitor,
  PROMETHEUS_URL,
  ROOT,
  startScrapedModel,
  stopScrapedModel,
  waitFor,
} from "../stage/index.ts";

// MG_IMAGE: another local tag to build and run (scripts/image/build.sh's IMAGE)
const IMAGE = process.env.MG_IMAGE ?? "localhost/model-guardian:dev";
const HELM = join(ROOT, ".cache/bin/helm");
const CONTAINERS_CONF = join(ROOT, "hack/image/containers.conf");
const podmanEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? CONTAINERS_CONF };
const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
const ns = `image-${suffix}`;
const release = "mg-image";
const container = `image-${suffix}`;
const BUILD_LOG = join(ROOT, ".local/logs/image-build.log");
const RUN_LOG = join(ROOT, `.local/logs/image-${suffix}.log`);

function run(cmd: string, args: string[], options: { timeout?: number; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: podmanEnv, timeout: options.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0,
        stdout,
        stderr: stderr || (err && !stderr ? String(err.message) : ""),
      }),
    );
    child.stdin?.end(options.input ?? "");
  });
}

/** Builds the image (as `npm run image` does); the verdict says whether there is one to run. */
async function ensureImage(): Promise<{ ok: true; note: string } | { ok: false; reason: string }> {
  mkdirSync(join(ROOT, ".local/logs"), { recursive: true });
  const started = Date.now();
  const built = await new Promise<number>((resolve) => {
    const log = createWriteStream(BUILD_LOG);
    const child = spawn("bash", [join(ROOT, "scripts/image/build.sh")], { env: { ...podmanEnv, IMAGE }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.on("error", () => resolve(-1));
    child.on("close", (code) => resolve(code ?? -1));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (built === 0) return { ok: true, note: `npm run image: ${seconds} s` };
  const tail = readFileSync(BUILD_LOG, "utf8").trim().split("\n").slice(-6).join("\n");
  const exists = (await run("podman", ["image", "exists", IMAGE])).code === 0;
  if (exists)
    return {
      ok: true,
      note: `the build failed (exit ${built}; ${BUILD_LOG}), running the image already in local storage, which may predate the sources:\n${tail}`,
    };
  return { ok: false, reason: `no image ${IMAGE} and scripts/image/build.sh failed (exit ${built}; log ${BUILD_LOG}):\n${tail}` };
}

const image = await ensureImage();
if (image.ok) console.log(`[image.test] ${image.note}`);
else console.warn(`[image.test] SKIPPED: ${image.reason}`);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}
interface Rendered {
  kind: string;
  spec?: {
    template: {
      spec: {
        containers: {
          image: string;
          env: EnvVar[];
          ports: { containerPort: number }[];
          securityContext: Record<string, unknown>;
          resources: { limits?: { memory?: string } };
        }[];
        securityContext: Record<string, unknown>;
      };
    };
  };
}

let sim: ModelServer | undefined;
let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let saDir: string | undefined;
let metricsUrl = "";
const model = `image-${suffix}`;
const podName = `${release}-7d9f8b6c5d-x2k4p`;

/** The chart's Deployment and RBAC for a release in `ns` watching `ns`, rendered by helm. */
async function renderChart(): Promise<{
  manager: NonNullable<Rendered["spec"]>["template"]["spec"]["containers"][number];
  pod: NonNullable<Rendered["spec"]>["template"]["spec"];
  rbac: string;
}> {
  const values = [
    "--namespace",
    ns,
    "--kube-version",
    "1.36.3",
    "--set",
    `watchNamespaces={${ns}}`,
    "--set",
    `prometheus.url=${PROMETHEUS_URL}`,
    "--set",
    "crds.install=false",
  ];
  const deployment = await run(HELM, ["template", release, join(ROOT, "charts/model-guardian"), ...values, "--show-only", "templates/deployment.yaml"]);
  expect(deployment.stderr).toBe("");
  const rbac = await run(HELM, ["template", release, join(ROOT, "charts/model-guardian"), ...values, "--show-only", "templates/rbac.yaml"]);
  expect(rbac.stderr).toBe("");
  const d = parseAllDocuments(deployment.stdout)
    .map((x) => x.toJS() as Rendered)
    .find((o) => o?.kind === "Deployment");
  const pod = d!.spec!.template.spec;
  return { manager: pod.containers[0]!, pod, rbac: rbac.stdout };
}

describe.skipIf(!image.ok)(`the image ${IMAGE} in podman, as the chart's pod`, () => {
  beforeAll(async () => {
    await kubectlOk(["create", "namespace", ns]);
    const { manager, pod, rbac } = await renderChart();
    // what a pod of the chart is: the checks below make sure podman is given the same
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(manager.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(manager.ports.map((p) => p.containerPort)).toEqual([8080]);
    await kubectlOk(["apply", "-f", "-"], rbac);

    // what the kubelet mounts: a bound token of the pod's ServiceAccount, the cluster's CA, the namespace
    const token = (await kubectlOk(["create", "token", release, "-n", ns, "--duration", "1h"])).trim();
    const kubeconfig = parse(readFileSync(env.KUBECONFIG as string, "utf8")) as {
      clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    };
    const server = new URL(kubeconfig.clusters[0]!.cluster.server);
    saDir = await mkdtemp(join(tmpdir(), "mg-sa-"));
    await chmod(saDir, 0o755); // readable by the container's user 65532, like the kubelet's projected volume
    await writeFile(join(saDir, "token"), token, { mode: 0o644 });
    await writeFile(join(saDir, "ca.crt"), Buffer.from(kubeconfig.clusters[0]!.cluster["certificate-authority-data"], "base64"), { mode: 0o644 });
    await writeFile(join(saDir, "namespace"), ns, { mode: 0o644 });

    // the container's environment as the chart renders it, fieldRefs resolved as the kubelet would;
    // only the metrics address differs: with the host's network a fixed 8080 could be taken
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const fieldRefs: Record<string, string> = { "metadata.name": podName, "metadata.namespace": ns };
    const vars = manager.env.map((e) => [e.name, e.value ?? fieldRefs[e.valueFrom!.fieldRef.fieldPath]!] as const);
    const environment = [
      ...vars.filter(([k]) => k !== "METRICS_ADDR"),
      ["METRICS_ADDR", `127.0.0.1:${port}`],
      ["KUBERNETES_SERVICE_HOST", server.hostname],
      ["KUBERNETES_SERVICE_PORT", server.port || "443"],
    ];

    sim = await startScrapedModel({ model, version: "v1", segments: { a: { requestsPerSecond: 50, accuracy: 0.93 } }, seed: 23 });
    const log = createWriteStream(RUN_LOG);
    child = spawn(
      "podman",
      [
        "--runtime",
        "runc",
        "run",
        "--rm",
        "--name",
        container,
        "--network=host",
        "--user",
        "65532:65532",
        "--read-only",
        "--read-only-tmpfs=false",
        "--cap-drop=all",
        "--security-opt=no-new-privileges",
        "-v",
        `${saDir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
        ...environment.flatMap(([k, v]) => ["--env", `${k}=${v}`]),
        IMAGE,
      ],
      { env: podmanEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    exited = new Promise((resolve) => child!.on("exit", (code) => resolve(code)));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) await run("podman", ["rm", "--force", "--time", "0", container]);
    await stopScrapedModel(sim, model);
    if (saDir) await rm(saDir, { recursive: true, force: true });
    await kubectl(["delete", "namespace", ns, "--wait=false"]);
  });

  it("runs as user 65532 on a read-only root, the image holding node, its libraries and the operator only", async () => {
    const inspect = JSON.parse((await run("podman", ["image", "inspect", IMAGE])).stdout)[0] as {
      Size: number;
      Config: { User: string; ExposedPorts: Record<string, unknown>; Entrypoint: string[]; Env: string[] };
    };
    expect(inspect.Config.User).toBe("65532:65532");
    expect(Object.keys(inspect.Config.ExposedPorts)).toEqual(["8080/tcp"]);
    expect(inspect.Config.Entrypoint).toEqual(["node", "src/main.ts"]);
    expect(inspect.Config.Env).toContain("NODE_ENV=production");
    expect(inspect.Size).toBeLessThan(250e6);
    // the operator's own process, as the kernel sees it: uid and gid 65532, no capability left,
    // no privilege to gain
    const status = await waitFor(
      "the container to run",
      async () => {
        const r = await run("podman", [
          "exec",
          container,
          "node",
          "-p",
          "require('node:fs').readFileSync('/proc/1/status', 'utf8') + require('node:fs').readFileSync('/proc/1/cmdline', 'utf8')",
        ]);
        return r.code === 0 ? r.stdout : undefined;
      },
      60_000,
      250,
    );
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(status).toMatch(/^Gid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapPrm:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toContain("node\0src/main.ts");
    const state = JSON.parse((await run("podman", ["inspect", container])).stdout)[0] as { HostConfig: { ReadonlyRootfs: boolean } };
    expect(state.HostConfig.ReadonlyRootfs).toBe(true);
    // no shell and no npm to exec: the final stage holds node and the operator
    expect((await run("podman", ["exec", container, "/bin/sh", "-c", "true"])).code).not.toBe(0);
    expect((await run("podman", ["exec", container, "node", "-e", "require('node:fs').writeFileSync('/app/x', '')"])).stderr).toMatch(
      /EROFS|read-only file system/,
    );
  }, 120_000);

  it("becomes ready through the in-cluster configuration and takes the Lease", async () => {
    const ready = await waitFor(
      "/readyz of the container",
      async () => {
        if (child?.exitCode !== null) throw new Error(`the container exited (${child?.exitCode}); see ${RUN_LOG}`);
        const res = await fetch(new URL("/readyz", metricsUrl)).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      },
      60_000,
      250,
    );
    const lease = await waitFor(
      "the Lease held by the container",
      async () => (await getJson<{ spec?: { holderIdentity?: string } }>("lease", "model-guardian", ns)).spec?.holderIdentity,
      30_000,
      250,
    );
    expect(lease.startsWith(`${podName}_`)).toBe(true);
    expect((await fetch(new URL("/readyz", metricsUrl)).then((r) => r.text())).trim()).toBe("ok: leading (Lease model-guardian)");
    expect(ready).toMatch(/^ok/);
    expect(await (await fetch(metricsUrl)).text()).toMatch(/^modelguardian_leader 1$/m);
  }, 120_000);

  it("evaluates a ModelMonitor against the real Prometheus", async () => {
    expect(
      (
        await apply(
          modelMonitor(ns, "m", {
            model: { name: model },
            interval: "2s",
            window: "20s",
            minSamples: 50,
            signals: [ACCURACY],
            rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
          }),
        )
      ).code,
    ).toBe(0);
    const m = await waitFor(
      "a Healthy evaluation by the container",
      async () => {
        const mm = await getJson<{ status?: { health?: string; signals?: { name: string; value?: number; samples?: number }[] } }>("modelmonitor", "m", ns);
        return mm.status?.health === "Healthy" ? mm : undefined;
      },
      90_000,
      500,
    );
    const accuracy = m.status?.signals?.find((s) => s.name === "accuracy");
    expect(accuracy?.samples).toBeGreaterThanOrEqual(50);
    expect(accuracy?.value).toBeGreaterThan(0.8);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^modelguardian_evaluations_total\{[^}]*\} [1-9]/m);
  }, 120_000);

  it("on SIGTERM releases the Lease and exits 0 within the pod's grace period", async () => {
    const sent = Date.now();
    expect((await run("podman", ["kill", "--signal", "SIGTERM", container])).code).toBe(0);
    const code = await Promise.race([exited!, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000))]);
    const ms = Date.now() - sent;
    console.log(`[image.test] exited ${code} ${ms} ms after SIGTERM`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(30_000); // a pod's default terminationGracePeriodSeconds
    const log = readFileSync(RUN_LOG, "utf8");
    expect(log).toMatch(/"msg":"stopping"/);
    expect(log).toMatch(/"msg":"released the leader Lease"/);
    expect(log).not.toMatch(/forbidden/i);
    expect((await getJson<{ spec?: { holderIdentity?: string } }>("lease", "model-guardian", ns)).spec?.holderIdentity ?? "").toBe("");
  }, 60_000);
});
