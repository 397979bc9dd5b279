// The shared test stage's cluster side, for the integration tests, the demo and the benchmarks:
// the local cluster's settings, kubectl as users run it, the operator as a real child process,
// simulated models Prometheus scrapes, and polling without fixed sleeps.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Agent, request } from "undici";
import { parse, stringify } from "yaml";
import type { ModelServerOptions } from "../../sim/behaviour.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { freePort, waitFor } from "./wait.ts";
import { clusterEnv } from "./cluster-env.ts";
import { runKubectl, type KubectlResult } from "./kubectl.ts";
export { waitFor, clusterEnv };

export const ROOT = join(import.meta.dirname, "..", "..");

export const env = clusterEnv();
export const PROMETHEUS_URL = env.PROMETHEUS_URL as string;
export const TARGETS_DIR = join(ROOT, ".local/prometheus/targets");

export type { KubectlResult };

export async function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return runKubectl(["--kubeconfig", env.KUBECONFIG as string, ...args], input);
}

export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

export const apply = (obj: unknown) => kubectl(["apply", "-f", "-"], stringify(obj));

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  await kubectlOk(["create", "namespace", name]);
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(["delete", "namespace", name, "--wait=false"]);
}

/** Our kinds by their full names, so a same-named kind of another group can never answer instead. */
const QUALIFIED: Record<string, string> = Object.fromEntries(
  [
    ["modelmonitors", "modelmonitor", "mm"],
    ["modelrollouts", "modelrollout", "mro"],
    ["retrainpolicies", "retrainpolicy", "rp"],
  ].flatMap(([plural, ...aliases]) => [plural, ...aliases].map((k) => [k as string, `${plural}.modelguardian.dev`])),
);

export async function getJson<T = Record<string, unknown>>(kind: string, name: string, namespace: string): Promise<T> {
  return JSON.parse(await kubectlOk(["get", QUALIFIED[kind] ?? kind, name, "-n", namespace, "-o", "json"])) as T;
}

/** Instant query against the local Prometheus. */
export async function promQuery(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

export interface Operator {
  process: ChildProcess;
  metricsUrl: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The namespace and ServiceAccount of config/rbac/role.yaml, as which the operator runs in these tests. */
export const OPERATOR_NAMESPACE = "model-guardian-system";
export const OPERATOR_SERVICE_ACCOUNT = "model-guardian";
/** The API server's name for it: the user of its requests in the audit log. */
export const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

/**
 * A kubeconfig for the local cluster that authenticates as a ServiceAccount (a token minted
 * now, valid 24 h: no run of the suite outlives it), written to .local/kubeconfig-<name>.
 */
export async function serviceAccountKubeconfig(serviceAccount: string, namespace: string = OPERATOR_NAMESPACE): Promise<string> {
  const token = (await kubectlOk(["create", "token", serviceAccount, "-n", namespace, "--duration", "24h"])).trim();
  const kubeconfig = parse(readFileSync(env.KUBECONFIG as string, "utf8")) as { users: { user: Record<string, string> }[] };
  for (const u of kubeconfig.users) u.user = { token };
  const path = join(ROOT, `.local/kubeconfig-${serviceAccount}${namespace === OPERATOR_NAMESPACE ? "" : `-${namespace}`}`);
  // written whole, then renamed: an operator of another test run may be reading it right now
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, stringify(kubeconfig), { mode: 0o600 });
  renameSync(partial, path);
  return path;
}

let shippedRbac: Promise<string> | undefined;
/**
 * The operator's identity in these tests: the RBAC shipped in config/rbac/role.yaml (namespace,
 * ServiceAccount, ClusterRole and binding), applied once per process, and a kubeconfig for its
 * ServiceAccount. Never the admin's: a permission the role lacks fails a test.
 */
export function operatorKubeconfig(): Promise<string> {
  shippedRbac ??= (async () => {
    const system = await kubectl(["create", "namespace", OPERATOR_NAMESPACE]);
    if (system.code !== 0 && !system.stderr.includes("AlreadyExists")) throw new Error(`creating namespace ${OPERATOR_NAMESPACE}: ${system.stderr}`);
    await kubectlOk(["apply", "-f", join(ROOT, "config/rbac/role.yaml")]);
    return serviceAccountKubeconfig(OPERATOR_SERVICE_ACCOUNT);
  })();
  return shippedRbac;
}

/**
 * Starts the operator as users run it: `node src/main.ts`, watching the given namespaces, as the
 * shipped ServiceAccount (operatorKubeconfig) unless extraEnv names another KUBECONFIG.
 */
export async function startOperator(namespaces: string[], name: string, extraEnv: Record<string, string> = {}, root: string = ROOT): Promise<Operator> {
  const kubeconfig = extraEnv.KUBECONFIG ?? (await operatorKubeconfig());
  const port = await freePort();
  await mkdir(join(ROOT, ".local/logs"), { recursive: true });
  const log = createWriteStream(join(ROOT, `.local/logs/operator-${name}.log`), { flags: "a" });
  const child = spawn(process.execPath, [join(root, "src/main.ts")], {
    cwd: root,
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      PROMETHEUS_URL,
      WATCH_NAMESPACES: namespaces.join(","),
      METRICS_ADDR: `127.0.0.1:${port}`,
      LOG_LEVEL: "debug",
      QUERY_RETRIES: "0",
      QUERY_TIMEOUT: "3s",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // ready = its caches are synced and its workers run
  await waitFor(
    "operator /readyz",
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the operator exited (${child.exitCode ?? child.signalCode}); see .local/logs/operator-${name}.log`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    },
    30_000,
    200,
  );
  return {
    process: child,
    metricsUrl,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

/** The sum of every series of an operator's metric (all its label sets), from its /metrics. */
export async function metricSum(op: Operator, name: string): Promise<number> {
  const text = await (await fetch(op.metricsUrl)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(name) && !l.startsWith("#"))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

export async function events(namespace: string, name: string): Promise<{ reason: string; type: string; message: string }[]> {
  const out = JSON.parse(await kubectlOk(["get", "events", "-n", namespace, "--field-selector", `involvedObject.name=${name}`, "-o", "json"]));
  return out.items;
}

/** A simulated model server that the local Prometheus scrapes (waits for the first scrape). */
export async function startScrapedModel(options: ModelServerOptions): Promise<ModelServer> {
  const sim = await startModelServer(options);
  await writePrometheusTarget(TARGETS_DIR, options.model, sim.port);
  await waitFor(
    "Prometheus to scrape the simulated model",
    async () => (await promQuery(`model_predictions_total{model="${options.model}"}`)).length > 0,
    60_000,
  );
  return sim;
}

export async function stopScrapedModel(sim: ModelServer | undefined, model: string): Promise<void> {
  await removePrometheusTarget(TARGETS_DIR, model);
  await sim?.close();
}

/** The API server's answer to a create sent as a server-side dry run (nothing is stored). */
export interface DryRunAnswer {
  accepted: boolean;
  status: number;
  /** The object as the server would store it (defaults filled, unknown fields pruned). */
  object?: { spec?: unknown };
  /** The server's message when it refuses. */
  message: string;
}

let apiClient: { server: string; token: string; agent: Agent } | undefined;
function apiServer() {
  if (apiClient) return apiClient;
  const config = parse(readFileSync(env.KUBECONFIG as string, "utf8"));
  const cluster = config.clusters[0].cluster;
  const ca = Buffer.from(cluster["certificate-authority-data"], "base64").toString();
  apiClient = { server: cluster.server, token: config.users[0].user.token, agent: new Agent({ connect: { ca }, connections: 4 }) };
  return apiClient;
}

/**
 * Creates a modelguardian.dev object with dryRun=All and strict field validation, as
 * `kubectl apply` validates: straight over HTTP, so hundreds of objects take seconds.
 */
export async function dryRunCreate(obj: { kind: string; metadata: { namespace: string } }): Promise<DryRunAnswer> {
  const { server, token, agent } = apiServer();
  const plural = obj.kind === "ModelMonitor" ? "modelmonitors" : obj.kind === "RetrainPolicy" ? "retrainpolicies" : undefined;
  if (!plural) throw new Error(`dryRunCreate: unsupported kind ${obj.kind}`);
  const url = `${server}/apis/modelguardian.dev/v1alpha1/namespaces/${obj.metadata.namespace}/${plural}?dryRun=All&fieldValidation=Strict`;
  const res = await request(url, {
    method: "POST",
    dispatcher: agent,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(obj),
  });
  const body = (await res.body.json()) as { message?: string; spec?: unknown };
  const accepted = res.statusCode === 201 || res.statusCode === 200;
  if (!accepted && res.statusCode !== 422 && res.statusCode !== 400) throw new Error(`dry run: unexpected HTTP ${res.statusCode}: ${JSON.stringify(body)}`);
  return { accepted, status: res.statusCode, message: accepted ? "" : (body.message ?? ""), ...(accepted ? { object: body } : {}) };
}
