// The known state every fault experiment starts from, on the experiments' own control plane: a
// namespace with a ModelMonitor served through the Istio router (Istio's real CRDs; a STAND-IN
// data plane, sim/splitter.ts, splits the load generator's requests between a stable and a
// candidate simulated model server by the VirtualService's weights, re-read through the API
// server), a RetrainPolicy with the canary plan, and the operator as a real process (`node
// src/main.ts`) running as the shipped ServiceAccount (config/rbac/role.yaml).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Agent, request } from "undici";
import { parse, stringify } from "yaml";
import { startLoad, type Load } from "../../../sim/load.ts";
import { startModelServer, type ModelServer } from "../../../sim/model-server.ts";
import { startSplitter, type Splitter } from "../../../sim/splitter.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../../sim/targets.ts";
import { followDeployments } from "../follow.ts";
import { istioModelRoute, stableAndCandidate } from "../serving.ts";
import { freePort, waitFor } from "../wait.ts";
import { REPO, type ControlPlane } from "./control-plane.ts";

export const OPERATOR_NAMESPACE = "model-guardian-system";

/** Reads through the API server as the admin, straight over HTTPS (cheap enough to poll every 200 ms). */
export interface Api {
  get<T>(path: string): Promise<T | undefined>;
  close(): Promise<void>;
}

export function adminApi(cp: ControlPlane): Api {
  const config = parse(readFileSync(cp.kubeconfig, "utf8"));
  const cluster = config.clusters[0].cluster;
  const ca = Buffer.from(cluster["certificate-authority-data"], "base64").toString();
  const token = config.users[0].user.token as string;
  const agent = new Agent({ connect: { ca }, connections: 4, headersTimeout: 3000, bodyTimeout: 3000 });
  return {
    async get<T>(path: string) {
      const res = await request(`${cluster.server}${path}`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`GET ${path}: HTTP ${res.statusCode}`);
      }
      return (await res.body.json()) as T;
    },
    close: () => agent.close(),
  };
}

/**
 * A kubeconfig for a ServiceAccount of OPERATOR_NAMESPACE bound to the shipped ClusterRole (a
 * token minted now, 24 h); `server` replaces the API server's address (a proxy in between).
 */
export async function operatorKubeconfig(cp: ControlPlane, serviceAccount: string, server?: string): Promise<string> {
  const ns = await cp.kubectl(["create", "namespace", OPERATOR_NAMESPACE]);
  if (ns.code !== 0 && !ns.stderr.includes("AlreadyExists")) throw new Error(ns.stderr);
  await cp.kubectlOk(["apply", "-f", join(REPO, "config/rbac/role.yaml")]);
  if (serviceAccount !== "model-guardian") {
    await cp.kubectlOk(
      ["apply", "-f", "-"],
      stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace: OPERATOR_NAMESPACE } },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: serviceAccount },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "model-guardian" },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: OPERATOR_NAMESPACE }],
          },
        ],
      }),
    );
  }
  const token = (await cp.kubectlOk(["create", "token", serviceAccount, "-n", OPERATOR_NAMESPACE, "--duration", "24h"])).trim();
  const kubeconfig = parse(readFileSync(cp.kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[]; users: { user: Record<string, string> }[] };
  for (const u of kubeconfig.users) u.user = { token };
  if (server) for (const c of kubeconfig.clusters) c.cluster.server = server;
  const path = join(cp.dir, `kubeconfig-${serviceAccount}${server ? `-${new URL(server).port}` : ""}`);
  writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}

export interface OperatorProcess {
  name: string;
  process: ChildProcess;
  url: string;
  log: string;
  /** Exited (crashed or stopped) and how. */
  exits: string[];
  /** When it exited (ms), if it did. */
  exitedAt?: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
  metric(name: string): Promise<number>;
}

/** `node src/main.ts` as users run it; resolves once /readyz answers (caches synced). */
export async function startOperator(
  cp: ControlPlane,
  o: { name: string; namespaces: string[]; kubeconfig: string; env?: Record<string, string>; nodeArgs?: string[] },
): Promise<OperatorProcess> {
  const port = await freePort();
  await mkdir(join(cp.dir, "logs"), { recursive: true });
  const logPath = join(cp.dir, "logs", `operator-${o.name}.log`);
  const log = createWriteStream(logPath, { flags: "a" });
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), join(REPO, "src/main.ts")], {
    cwd: REPO,
    env: {
      ...process.env,
      KUBECONFIG: o.kubeconfig,
      PROMETHEUS_URL: cp.prometheusUrl,
      WATCH_NAMESPACES: o.namespaces.join(","),
      METRICS_ADDR: `127.0.0.1:${port}`,
      LOG_LEVEL: "info",
      QUERY_RETRIES: "0",
      QUERY_TIMEOUT: "3s",
      // every evaluation writes lastEvaluationTime: the experiments time evaluations by it
      STATUS_VALUES_MAX_AGE: "0s",
      ...o.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  // never outlive the runner (an interrupted run must not leave a replica acting)
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  child.once("exit", () => process.off("exit", orphanGuard));
  const exits: string[] = [];
  let exitedAt: number | undefined;
  child.on("exit", (code, signal) => {
    exitedAt ??= Date.now();
    exits.push(signal ?? `exit ${code}`);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `operator ${o.name} /readyz`,
    async () => {
      if (exits.length) throw new Error(`operator ${o.name} exited (${exits[0]}); see ${logPath}`);
      return (await fetch(`${url}/readyz`).catch(() => undefined))?.ok;
    },
    60_000,
    200,
  );
  return {
    name: o.name,
    process: child,
    url,
    log: logPath,
    exits,
    get exitedAt() {
      return exitedAt;
    },
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
    async metric(name: string) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split("\n")
        .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && !l.startsWith("#"))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    },
  };
}

export interface Rollout {
  metadata: { name: string; creationTimestamp: string };
  status?: {
    phase?: string;
    stepIndex?: number;
    analyses?: { step: number; outcome: string; interim?: boolean; shadow?: boolean }[];
    weights?: { stable: number; candidate: number };
  };
}
export interface Monitor {
  status?: { lastEvaluationTime?: string; health?: string; stableVersion?: string; rollout?: { name: string; phase?: string } };
}

export const HEALTHY = { accuracy: 0.92, latencyMeanSeconds: 0.05 };
export const BAD = { accuracy: 0.6, latencyMeanSeconds: 0.05 };
/** The canary plan: two steps of 12 s (weights 30 and 70); gradual rollback through 15. */
export const STEPS = [
  { weight: 30, hold: "12s" },
  { weight: 70, hold: "12s" },
];
export const ROLLBACK_STEPS = [{ weight: 15, hold: "15s" }];
export const INTERVAL_SECONDS = 5;

export interface Stage {
  ns: string;
  model: string;
  api: Api;
  /** The versions that behave badly wherever they are served (the rest are HEALTHY). */
  bad: Set<string>;
  weights(): Promise<{ stable: number; candidate: number } | undefined>;
  rollout(name: string): Promise<Rollout | undefined>;
  rollouts(): Promise<Rollout[]>;
  monitor(): Promise<Monitor | undefined>;
  jobs(): Promise<{ metadata: { name: string }; status?: { active?: number; succeeded?: number; conditions?: { type: string; status: string }[] } }[]>;
  policy(rollout?: Record<string, unknown>, extra?: Record<string, unknown>): Promise<void>;
  /** The stable server's behaviour (whatever version it plays). */
  setStableBehaviour(b: { accuracy: number; latencyMeanSeconds: number }): void;
  /** Every weight pair the plan allows ("stable/candidate"). */
  plan(): Set<string>;
  close(): Promise<void>;
}

/** Builds the stage in a fresh namespace; the operator is started by the experiment. */
export async function setStage(cp: ControlPlane, prefix: string): Promise<Stage> {
  const ns = `${prefix}-${Date.now().toString(36)}`;
  const model = `faults-${Date.now().toString(36)}`;
  await cp.kubectlOk(["create", "namespace", ns]);
  const api = adminApi(cp);
  const bad = new Set<string>();
  const behaviourOf = (version: string) => (bad.has(version) ? BAD : HEALTHY);
  const stable: ModelServer = await startModelServer({ model, version: "v1", segments: { a: HEALTHY }, traffic: "served", seed: 71 });
  const candidate: ModelServer = await startModelServer({ model, version: "v1", segments: { a: HEALTHY }, traffic: "served", seed: 72 });
  await writePrometheusTarget(cp.targetsDir, `${model}-stable`, stable.port);
  await writePrometheusTarget(cp.targetsDir, `${model}-candidate`, candidate.port);
  interface VirtualService {
    spec: { http: { name?: string; route: { destination: { subset?: string }; weight?: number }[] }[] };
  }
  const weights = async () => {
    const vs = await api.get<VirtualService>(`/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/model`);
    const route = vs?.spec.http.find((h) => h.name === "predict")?.route;
    if (!route) return undefined;
    const w = (subset: string) => route.find((r) => r.destination.subset === subset)?.weight ?? 0;
    return { stable: w("stable"), candidate: w("candidate") };
  };
  let rolloutSpec: Record<string, unknown> = {};
  let policyExtra: Record<string, unknown> = {};
  const policyObject = () => ({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "RetrainPolicy",
    metadata: { name: "canary", namespace: ns },
    spec: {
      rollout: {
        steps: STEPS,
        analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }], minSamples: 60, inconclusiveLimit: 3 },
        readyTimeout: "2m",
        rollback: { mode: "gradual", steps: ROLLBACK_STEPS },
        ...rolloutSpec,
      },
      ...policyExtra,
    },
  });
  const objects = [
    ...stableAndCandidate(ns),
    ...istioModelRoute(ns),
    policyObject(),
    {
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "canary", namespace: ns },
      spec: {
        model: { name: model, version: "v1" },
        versionLabel: "version",
        interval: `${INTERVAL_SECONDS}s`,
        window: "30s",
        minSamples: 20,
        signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
        rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
        policyRef: { name: "canary" },
        serving: {
          router: { istio: { virtualService: { name: "model" }, routeName: "predict" } },
          stable: { destination: { host: "model", subset: "stable" }, deployment: { name: "model-stable" } },
          candidate: { destination: { host: "model", subset: "candidate" }, deployment: { name: "model-candidate" } },
        },
      },
    },
  ];
  for (const o of objects) await cp.kubectlOk(["apply", "-f", "-"], stringify(o));
  const modelVersion = async (deployment: string) => {
    const d = await api.get<{ spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } } }>(
      `/apis/apps/v1/namespaces/${ns}/deployments/${deployment}`,
    );
    return d?.spec.template.spec.containers[0]?.env?.find((e) => e.name === "MODEL_VERSION")?.value;
  };
  const follower = followDeployments({
    servers: [
      { server: stable, deployment: "model-stable", version: "v1" },
      { server: candidate, deployment: "model-candidate", version: "v1" },
    ],
    readVersion: modelVersion,
    onVersion: (server, version) => server.setBehaviour(behaviourOf(version)),
  });
  const splitter: Splitter = await startSplitter({
    stableUrl: stable.url,
    candidateUrl: candidate.url,
    readWeights: async () => {
      const w = await weights();
      if (!w) throw new Error("no VirtualService");
      return w;
    },
    pollMs: 200,
  });
  const load: Load = startLoad({ url: `${splitter.url}/predict`, requestsPerSecond: 60, concurrency: 8 });
  const promHas = async () => {
    const r = await fetch(`${cp.prometheusUrl}/api/v1/query?query=${encodeURIComponent(`count(model_predictions_total{model="${model}"})`)}`);
    return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0;
  };
  await waitFor("Prometheus to scrape both servers", promHas, 60_000);
  const list = async <T>(path: string) => (await api.get<{ items: T[] }>(path))?.items ?? [];
  return {
    ns,
    model,
    api,
    bad,
    weights,
    rollout: (name) => api.get<Rollout>(`/apis/modelguardian.dev/v1alpha1/namespaces/${ns}/modelrollouts/${name}`),
    rollouts: () => list<Rollout>(`/apis/modelguardian.dev/v1alpha1/namespaces/${ns}/modelrollouts`),
    monitor: () => api.get<Monitor>(`/apis/modelguardian.dev/v1alpha1/namespaces/${ns}/modelmonitors/canary`),
    jobs: () => list(`/apis/batch/v1/namespaces/${ns}/jobs`),
    async policy(rollout = {}, extra = {}) {
      rolloutSpec = rollout;
      policyExtra = extra;
      await cp.kubectlOk(["apply", "-f", "-"], stringify(policyObject()));
    },
    setStableBehaviour: (b) => stable.setBehaviour(b),
    plan() {
      const pairs = [0, ...STEPS.map((s) => s.weight), ...ROLLBACK_STEPS.map((s) => s.weight)].map((w) => `${100 - w}/${w}`);
      return new Set(pairs);
    },
    async close() {
      follower.stop();
      await load.stop();
      await splitter.stop();
      await stable.close();
      await candidate.close();
      await removePrometheusTarget(cp.targetsDir, `${model}-stable`);
      await removePrometheusTarget(cp.targetsDir, `${model}-candidate`);
      await api.close();
      await cp.kubectl(["delete", "namespace", ns, "--wait=false"]);
    },
  };
}
