// A real Gateway API data plane on the local cluster, for local use: `npm run demo` and the
// integration tests (both import it from test/stage). It starts Traefik
// (built from its Go module by hack/cluster/build-traefik.sh, not a stand-in) as a child
// process against the local kube-apiserver; Traefik programs a Gateway of GatewayClass
// `traefik` in one namespace and proxies real HTTP traffic as the namespace's HTTPRoutes say,
// weights and all. It is a harness for a laptop or a CI container, not a way to install
// Traefik in a cluster.
//
// Backends are plain HTTP servers on 127.0.0.1 ports. The API server refuses loopback
// addresses in EndpointSlices, so a route cannot reach them through Service backendRefs.
// This harness uses backendRefs of kind TraefikService (`NAME@file`) instead, each a Traefik
// service of its file provider pointing at a 127.0.0.1 port; Traefik applies the HTTPRoute's
// weights across them the same way as across Services. (The other way that works, FQDN
// EndpointSlices with Traefik under `unshare -m` and a private /etc/hosts, needs
// mount-namespace privileges that an unprivileged CI container lacks.)
//
//   const dp = await startDataPlane({ namespace: ns });
//   const stable = await dp.backend("model-stable", stablePort);
//   await apply({ kind: "HTTPRoute", ..., spec: { parentRefs: [dp.parentRef], rules: [{ backendRefs: [{ ...stable, weight: 90 }, ...] }] } });
//   await fetch(`${dp.url}/predict`);
//   await dp.stop();
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { clusterEnv } from "./cluster-env.ts";
import { runKubectl, type KubectlResult } from "./kubectl.ts";
import { freePort, waitFor } from "./wait.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const TRAEFIK = join(ROOT, ".cache/bin/traefik");

/** A backendRef for an HTTPRoute rule; add `weight` to it. */
export interface BackendRef {
  group: "traefik.io";
  kind: "TraefikService";
  /** `<name>@file`: the Traefik service of the file provider that backend() registered. */
  name: string;
}

/** The Gateway's listener as an HTTPRoute parentRef. */
export interface ParentRef {
  name: string;
  sectionName: string;
}

export interface DataPlaneOptions {
  /** Namespace of the Gateway and of the HTTPRoutes Traefik serves (it watches only this one). */
  namespace: string;
  /** Gateway name; default `dataplane`. */
  gatewayName?: string;
  /**
   * Admin kubeconfig: the harness's kubectl uses it, and Traefik is given its server, token and
   * CA as flags; default the local cluster's (KUBECONFIG in .local/env, from `npm run cluster:up`).
   */
  kubeconfig?: string;
  /** Traefik's --providers.providersThrottleDuration; default 100ms (Traefik's own default is 2s). */
  throttle?: string;
  /** Traefik's --log.level; default INFO. */
  logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
}

export interface DataPlane {
  /** Where clients send requests: the web entry point, i.e. the Gateway's listener (http://127.0.0.1:PORT). */
  url: string;
  gatewayName: string;
  namespace: string;
  /** Put this in an HTTPRoute's spec.parentRefs. */
  parentRef: ParentRef;
  /** Traefik's API and /ping (its `traefik` entry point), e.g. `${apiUrl}/api/http/routers`. */
  apiUrl: string;
  /** Traefik's pid, to check that stop() left nothing running. */
  pid: number;
  logFile: string;
  /**
   * Registers an HTTP server on 127.0.0.1:port as backend `name` (lower-case letters, digits,
   * '-') and resolves when Traefik serves it; the returned ref goes into an HTTPRoute rule.
   */
  backend(name: string, port: number): Promise<BackendRef>;
  /** Kills Traefik (TERM, then KILL after 10 s), deletes the Gateway and the work folder. Idempotent. */
  stop(): Promise<void>;
}

interface KubeAccess {
  server: string;
  token: string;
  ca: string;
}

/** KUBECONFIG as `npm run cluster:up` wrote it to .local/env. */
function localKubeconfig(): string {
  const kubeconfig = clusterEnv(ROOT).KUBECONFIG;
  if (!kubeconfig) throw new Error(`${join(ROOT, ".local/env")} names no KUBECONFIG: start the local cluster with npm run cluster:up`);
  return kubeconfig;
}

function kubeAccess(path: string): KubeAccess {
  const config = parse(readFileSync(path, "utf8")) as {
    clusters: { cluster: { server: string; "certificate-authority-data"?: string } }[];
    users: { user: { token?: string } }[];
  };
  const cluster = config.clusters[0]?.cluster;
  const token = config.users[0]?.user.token;
  const caData = cluster?.["certificate-authority-data"];
  if (!cluster || !token || !caData) throw new Error(`${path}: the data plane needs a server, a bearer token and certificate-authority-data`);
  return { server: cluster.server, token, ca: Buffer.from(caData, "base64").toString() };
}

function kubectlWith(kubeconfig: string) {
  return (args: string[], input?: string): Promise<KubectlResult> => runKubectl(["--kubeconfig", kubeconfig, ...args], input);
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/** Starts Traefik for `namespace` and a Gateway whose listener is Traefik's web entry point. */
export async function startDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
  const { namespace } = opts;
  const gatewayName = opts.gatewayName ?? "dataplane";
  if (!existsSync(TRAEFIK))
    throw new Error(`${TRAEFIK} is missing: run bash hack/cluster/build-traefik.sh (npm run demo and the integration tests' global setup do)`);
  const kubeconfig = opts.kubeconfig ?? localKubeconfig();
  const kubectl = kubectlWith(kubeconfig);
  const crd = await kubectl(["get", "crd/httproutes.gateway.networking.k8s.io", "gatewayclass/traefik", "-o", "name"]);
  if (crd.code !== 0) throw new Error(`the Gateway API CRDs or GatewayClass traefik are missing (npm run cluster:up installs them): ${crd.stderr}`);

  const access = kubeAccess(kubeconfig);
  const work = join(ROOT, ".local/dataplane", `${namespace}-${gatewayName}`);
  const dynamicDir = join(work, "dynamic");
  await rm(work, { recursive: true, force: true });
  await mkdir(dynamicDir, { recursive: true });
  await mkdir(join(ROOT, ".local/logs"), { recursive: true });
  const caFile = join(work, "ca.crt");
  await writeFile(caFile, access.ca, { mode: 0o600 });
  const services: Record<string, { loadBalancer: { servers: { url: string }[] } }> = {};
  const writeServices = async () => {
    // atomically: Traefik watches the folder and reads only *.yaml
    await writeFile(join(dynamicDir, ".backends.tmp"), stringify({ http: { services } }));
    await rename(join(dynamicDir, ".backends.tmp"), join(dynamicDir, "backends.yaml"));
  };
  // the file provider must have something to load at start
  await writeFile(join(dynamicDir, "backends.yaml"), "{}\n");

  const webPort = await freePort();
  const apiPort = await freePort();
  const logFile = join(ROOT, ".local/logs", `traefik-${namespace}${gatewayName === "dataplane" ? "" : `-${gatewayName}`}.log`);
  const logFd = openSync(logFile, "a");
  // With KUBECONFIG in its environment Traefik would ignore the endpoint/token/CA flags.
  const childEnv = { ...process.env };
  delete childEnv.KUBECONFIG;
  const child = spawn(
    TRAEFIK,
    [
      "--global.checkNewVersion=false",
      "--global.sendAnonymousUsage=false",
      `--log.level=${opts.logLevel ?? "INFO"}`,
      "--log.noColor=true",
      `--entryPoints.web.address=127.0.0.1:${webPort}`,
      `--entryPoints.traefik.address=127.0.0.1:${apiPort}`,
      "--api.insecure=true",
      "--api.dashboard=false", // the module zip has no web UI assets
      "--ping=true",
      `--providers.providersThrottleDuration=${opts.throttle ?? "100ms"}`,
      `--providers.file.directory=${dynamicDir}`,
      "--providers.file.watch=true",
      "--providers.kubernetesGateway=true",
      `--providers.kubernetesGateway.endpoint=${access.server}`,
      `--providers.kubernetesGateway.token=${access.token}`,
      `--providers.kubernetesGateway.certAuthFilePath=${caFile}`,
      `--providers.kubernetesGateway.namespaces=${namespace}`,
    ],
    { env: childEnv, stdio: ["ignore", logFd, logFd] },
  );
  closeSync(logFd);
  // never outlive this process, even when its owner forgets stop()
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const url = `http://127.0.0.1:${webPort}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killOnExit);
    if (!exited(child)) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    await kubectl(["delete", "gateway", gatewayName, "-n", namespace, "--ignore-not-found", "--wait=false"]);
    await rm(work, { recursive: true, force: true });
  };

  const alive = async <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number) =>
    waitFor(
      what,
      async () => {
        if (exited(child)) throw new Error(`traefik exited (${child.exitCode ?? child.signalCode}); ${logFile}:\n${await tail(logFile)}`);
        return check();
      },
      timeoutMs,
      100,
    );

  try {
    await alive("traefik /ping", async () => (await fetch(`${apiUrl}/ping`)).ok, 30_000);
    const gateway = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: gatewayName, namespace },
      spec: {
        gatewayClassName: "traefik",
        // Traefik binds a listener to the entry point with the same port
        listeners: [{ name: "web", protocol: "HTTP", port: webPort, allowedRoutes: { namespaces: { from: "Same" } } }],
      },
    };
    const r = await kubectl(["apply", "-f", "-"], stringify(gateway));
    if (r.code !== 0) throw new Error(`creating Gateway ${namespace}/${gatewayName}: ${r.stderr}`);
    await alive(
      `Gateway ${namespace}/${gatewayName} Programmed by traefik`,
      async () => {
        const g = JSON.parse((await kubectl(["get", "gateway", gatewayName, "-n", namespace, "-o", "json"])).stdout || "{}");
        return (g.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Programmed" && c.status === "True");
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    gatewayName,
    namespace,
    parentRef: { name: gatewayName, sectionName: "web" },
    apiUrl,
    pid: child.pid as number,
    logFile,
    async backend(name, port) {
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) throw new Error(`backend name ${JSON.stringify(name)}: use lower-case letters, digits and '-'`);
      const target = `http://127.0.0.1:${port}`;
      services[name] = { loadBalancer: { servers: [{ url: target }] } };
      await writeServices();
      await alive(
        `traefik to serve backend ${name}@file (${target})`,
        async () => {
          const res = await fetch(`${apiUrl}/api/http/services/${name}@file`);
          if (!res.ok) return false;
          const svc = (await res.json()) as { loadBalancer?: { servers?: { url: string }[] } };
          return svc.loadBalancer?.servers?.some((s) => s.url === target) ?? false;
        },
        15_000,
      );
      return { group: "traefik.io", kind: "TraefikService", name: `${name}@file` };
    },
    stop,
  };
}
