// `npm run demo`: the whole closed loop in about three minutes, on the real local control plane,
// with real traffic through a real Gateway API data plane.
//
// A load generator (the model's clients, a stand-in) sends 50 requests a second through
// Traefik (test/stage/dataplane.ts) to two simulated model servers in served mode (one per
// Deployment: stable and candidate, which run on kwok's node, so the simulated servers answer
// for their pods and play whatever version their Deployment is told). Prometheus scrapes the
// servers; the operator watches a ModelMonitor. The stable model degrades, the monitor turns
// Critical, the RetrainPolicy starts a retraining Job that reports v4, the monitor starts a
// ModelRollout: v4 goes out by canary steps (the operator sets the HTTPRoute's weights, each
// step analysed against stable) and is promoted. Then a second retraining reports v5, which is
// 3x slower: it is rolled back at its first analysis and quarantined.
//
// `npm run demo -- --router istio|kserve|gateway` (default gateway) picks the router. Istio and
// KServe cannot run here, so with them STAND-INS carry the traffic: sim/splitter.ts splits the
// requests by the VirtualService's weights (istio), or by the split that sim/kserve.ts (a
// stand-in of KServe's revision bookkeeping, which writes the InferenceService's status) computes
// from canaryTrafficPercent (kserve). The operator writes the real objects, Istio's and KServe's
// real CRDs, as it would on a cluster with them.
import { execFileSync, spawn } from "node:child_process";
import { modelDeployment } from "../test/stage/serving.ts";
import { humanP } from "../src/domain/format.ts";
import { followDeployments } from "../test/stage/follow.ts";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, BatchV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { Document, isMap, isScalar, isSeq, stringify, visit } from "yaml";
import type { SegmentBehaviour } from "../sim/behaviour.ts";
import { startLoad, type Load } from "../sim/load.ts";
import { startModelServer, type ModelServer } from "../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../sim/targets.ts";
import { startDataPlane, type BackendRef, type DataPlane } from "../test/stage/dataplane.ts";
import { RevisionServers, startKServeStandIn } from "../sim/kserve.ts";
import { startSplitter } from "../sim/splitter.ts";

const ROUTERS = ["gateway", "istio", "kserve"] as const;
type Router = (typeof ROUTERS)[number];
const routerArg = process.argv.find((a) => a.startsWith("--router="))?.slice("--router=".length) ?? process.argv[process.argv.indexOf("--router") + 1];
const router = (process.argv.some((a) => a.startsWith("--router")) ? routerArg : "gateway") as Router;
if (!ROUTERS.includes(router)) {
  console.error(`--router: must be one of ${ROUTERS.join(", ")} (got ${routerArg ?? "nothing"})`);
  process.exit(2);
}
/** What carries the traffic, and what the operator sets on it, in the words of each router. */
const DATA_PLANE = {
  gateway: "Traefik",
  istio: "the stand-in data plane (sim/splitter.ts, for Envoy)",
  kserve: "the stand-in data plane (sim/splitter.ts, for Knative)",
}[router];
const ROUTE_FIELDS = { gateway: "the HTTPRoute's weights", istio: "the VirtualService's weights", kserve: "the InferenceService's canaryTrafficPercent" }[
  router
];

const root = join(import.meta.dirname, "..");
/** Where the demo leaves the HTML governance report (test-output/ is not committed). */
const htmlReportFile = join(root, "test-output/demo/fraud-detector-report.html");
const t0 = Date.now();
const clock = () => {
  const s = Math.floor((Date.now() - t0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};
const say = (text: string) => console.log(`\n\x1b[1m== [${clock()}] ${text}\x1b[0m`);
const note = (text: string) => console.log(`  ${text}`);
const line = (text: string) => console.log(`  [${clock()}] ${text}`);
const indent = (text: string, by = "    ") => text.replace(/\n$/, "").replace(/^/gm, by);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** YAML as the README writes it: small collections of plain values on one line. */
const manifest = (obj: unknown) => {
  const doc = new Document(obj);
  visit(doc, {
    Collection(_, node) {
      const plain = node.items.every((i) => isScalar(i) || isScalar((i as { value?: unknown }).value));
      if ((isMap(node) || isSeq(node)) && plain && node.items.length <= 4 && JSON.stringify(node.toJSON()).length <= 80) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
};

// ---------------------------------------------------------------- cleanup, also on Ctrl-C

const cleanups: { what: string; run: () => Promise<unknown> | unknown }[] = [];
const onExit = (what: string, run: () => Promise<unknown> | unknown) => cleanups.push({ what, run });
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        console.error(`  (stopping ${c.what}: ${(err as Error).message})`);
      }
    }
  })());
let interrupted = false;
/** Ctrl-C (or a SIGTERM) stops what the demo started; the cluster keeps running. */
function stopOnSignals(): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.once(sig, () => {
      interrupted = true;
      console.log(`\n== ${sig}: stopping the load generator, the operator, ${DATA_PLANE} and the simulated servers`);
      void cleanup().then(() => {
        console.log("  stopped; the cluster keeps running (npm run cluster:down stops it)");
        process.exit(130);
      });
    });
}

// ---------------------------------------------------------------- the cluster and the data plane binary

type ClusterEnv = { KUBECONFIG: string; PROMETHEUS_URL: string };
/** The local control plane and the chosen router's data plane binary or CRDs; read once they are up. */
let env: ClusterEnv;

/** Starts (or finds running) the local control plane, builds or installs what the router needs, and reads .local/env. */
function startControlPlane(): ClusterEnv {
  say("Starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok, Prometheus)");
  execFileSync("bash", [join(root, "scripts/cluster/up.sh")], { stdio: "inherit" });
  if (router === "gateway") {
    say("Traefik, the Gateway API data plane (built from its Go module on the first run: 6-12 minutes; then a stamp check)");
    execFileSync("bash", [join(root, "hack/cluster/build-traefik.sh")], { stdio: "inherit" });
    note(`${join(root, ".cache/bin/traefik")} is built`);
  } else {
    const script = router === "istio" ? "istio-crds.sh" : "kserve-crds.sh";
    say(
      `${router === "istio" ? "Istio's CRDs (VirtualService, DestinationRule)" : "KServe's InferenceService CRD"}, from the project's Go module zip (hack/cluster/${script})`,
    );
    execFileSync("bash", [join(root, "hack/cluster", script)], { stdio: "inherit" });
  }
  const read = Object.fromEntries(
    execFileSync("bash", ["-c", `set -a; source ${join(root, ".local/env")}; env`], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /^(KUBECONFIG|PROMETHEUS_URL)=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  ) as ClusterEnv;
  process.env.KUBECONFIG = read.KUBECONFIG;
  return read;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
/** kubectl as a user types it; asynchronous, so the servers and the load in this process never stall. */
const kubectl = (args: string[], input?: string): Promise<Run> =>
  new Promise((resolve) => {
    const child = spawn("kubectl", ["--kubeconfig", env.KUBECONFIG, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => resolve({ code: -1, stdout, stderr: String(err) }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
const apply = async (obj: unknown) => {
  const r = await kubectl(["apply", "-f", "-"], stringify(obj));
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
  return r.stdout.trim();
};
const show = async (args: string[]) => {
  note(`$ kubectl ${args.join(" ")}`);
  const r = await kubectl(args);
  console.log(indent(r.stdout || r.stderr));
};

// reads for the live view: one HTTP request each, far cheaper than a kubectl process a second
let custom: CustomObjectsApi;
let apps: AppsV1Api;
let batch: BatchV1Api;
function connect(): { kc: KubeConfig } {
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG);
  custom = kc.makeApiClient(CustomObjectsApi);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
  return { kc };
}
const MG = { group: "modelguardian.dev", version: "v1alpha1" } as const;

const ns = "demo";
const model = "fraud-detector";

/** Deletes the previous run's namespace (releasing what an interrupted run left held) and creates it anew. */
async function freshNamespace(): Promise<void> {
  say(`A fresh namespace ${ns} (the previous run's monitor remembers its Jobs and their cooldown)`);
  const held = (await kubectl(["get", "modelrollouts", "-n", ns, "-o", 'jsonpath={range .items[?(@.metadata.finalizers)]}{.metadata.name}{"\\n"}{end}'])).stdout
    .split("\n")
    .filter(Boolean);
  for (const name of held) {
    // an interrupted run leaves its rollout holding the restore-stable finalizer, which only a running operator removes
    note(`ModelRollout ${name} of an interrupted run still holds its finalizer (no operator runs to release it): removing it so the namespace can go`);
    await kubectl(["patch", "modelrollout", name, "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
  }
  await kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=90s"]);
  const created = await kubectl(["create", "namespace", ns]);
  if (created.code !== 0) throw new Error(`kubectl create namespace ${ns}: ${created.stderr}`);
}

// ---------------------------------------------------------------- what each version does when it serves

// The simulated servers stand in for the Deployments' pods: a server plays the version its
// Deployment was told, with that version's behaviour. Behaviour belongs to the version.
const SEGMENTS = ["plant-a", "plant-b"];
const behaviourOf: Record<string, Partial<SegmentBehaviour>> = {
  v3: { accuracy: 0.92, latencyMeanSeconds: 0.08 },
  v4: { accuracy: 0.92, latencyMeanSeconds: 0.08 },
  v5: { accuracy: 0.92, latencyMeanSeconds: 0.24 },
};
const servers: { role: "stable" | "candidate"; deployment: string; sim: ModelServer; version: string }[] = [];
const setVersionBehaviour = (version: string, patch: Partial<SegmentBehaviour>) => {
  behaviourOf[version] = { ...behaviourOf[version], ...patch };
  for (const s of servers) if (s.version === version) s.sim.setBehaviour(patch);
};

let dp: DataPlane | undefined;

/** With the Gateway API router: Traefik, a real data plane, watching the namespace. */
async function startGatewayDataPlane(): Promise<void> {
  if (router !== "gateway") return;
  say("Starting the Gateway API data plane: Traefik watching namespace demo, a Gateway of class traefik");
  const started = await startDataPlane({ namespace: ns });
  dp = started;
  onExit("Traefik", () => started.stop());
  note(`Traefik pid ${started.pid}, Gateway demo/${started.gatewayName} Programmed, listening on ${started.url}; log ${started.logFile}`);
}

let stableRef: BackendRef;
let candidateRef: BackendRef;
let stableSim: ModelServer;
let candidateSim: ModelServer;
/** The stable and candidate simulated servers, scraped by Prometheus and, with Traefik, its backends. */
async function startModelServers(): Promise<void> {
  say(`Two simulated model servers for ${model} in served mode (one prediction per request), both v3 for now`);
  const targets = join(root, ".local/prometheus/targets");
  const refs: Record<string, BackendRef> = {};
  for (const [role, seed] of [
    ["stable", 42],
    ["candidate", 43],
  ] as const) {
    const sim = await startModelServer({
      model,
      version: "v3",
      segments: Object.fromEntries(SEGMENTS.map((s) => [s, { ...behaviourOf.v3 }])),
      traffic: "served",
      seed,
    });
    onExit(`the ${role} server`, () => sim.close());
    servers.push({ role, deployment: `model-${role}`, sim, version: "v3" });
    await writePrometheusTarget(targets, `${ns}-${model}-${role}`, sim.port);
    onExit(`the ${role} server's Prometheus target`, () => removePrometheusTarget(targets, `${ns}-${model}-${role}`));
    // also when the demo stops on an error before its cleanup (Traefik is killed by the data plane's own exit hook)
    process.once("exit", () => rmSync(join(targets, `${ns}-${model}-${role}.json`), { force: true }));
    if (dp) {
      refs[role] = await dp.backend(`${ns}-${role}`, sim.port);
      note(`${role.padEnd(9)} ${sim.url} -> backendRef ${refs[role]?.kind} ${refs[role]?.name} (Traefik's file provider)`);
    } else note(`${role.padEnd(9)} ${sim.url}`);
  }
  stableRef = refs.stable as BackendRef;
  candidateRef = refs.candidate as BackendRef;
  [stableSim, candidateSim] = servers.map((s) => s.sim) as [ModelServer, ModelServer];
}

const deployment = (name: string, version: string) =>
  modelDeployment({ namespace: ns, name, version, uri: `s3://models/${model}/${version}`, image: "registry.example/fraud-serve:2.1" });
const routeObjects: Record<Router, () => Record<string, unknown>[]> = {
  gateway: () => [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: model, namespace: ns },
      spec: {
        parentRefs: [(dp as DataPlane).parentRef],
        rules: [
          {
            backendRefs: [
              { ...stableRef, weight: 100 },
              { ...candidateRef, weight: 0 },
            ],
          },
        ],
      },
    },
  ],
  istio: () => [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: model, namespace: ns },
      spec: {
        host: model,
        subsets: [
          { name: "stable", labels: { track: "stable" } },
          { name: "candidate", labels: { track: "candidate" } },
        ],
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: model, namespace: ns },
      spec: {
        hosts: [model],
        http: [
          {
            name: "predict",
            route: [
              { destination: { host: model, subset: "stable" }, weight: 100 },
              { destination: { host: model, subset: "candidate" }, weight: 0 },
            ],
          },
        ],
      },
    },
  ],
  kserve: () => [
    {
      apiVersion: "serving.kserve.io/v1beta1",
      kind: "InferenceService",
      metadata: { name: model, namespace: ns, annotations: { "serving.kserve.io/deploymentMode": "Serverless" } },
      spec: {
        predictor: { model: { modelFormat: { name: "sklearn" }, storageUri: `s3://models/${model}/v3`, env: [{ name: "MODEL_VERSION", value: "v3" }] } },
      },
    },
  ],
};

/** kubectl apply: the route (and the Deployments) or the InferenceService. */
async function applyServing(): Promise<void> {
  const routes = routeObjects[router]();
  if (router === "kserve") {
    say("kubectl apply: the InferenceService (v3); KServe serves both versions from it, so there are no Deployments of ours");
    for (const obj of routes) console.log(indent(manifest(obj)));
    for (const obj of routes) note(await apply(obj));
  } else {
    say(
      `kubectl apply: Deployments model-stable and model-candidate (v3, on kwok's node) and the ${router === "gateway" ? "HTTPRoute" : "DestinationRule and VirtualService"} at 100/0`,
    );
    for (const obj of routes) console.log(indent(manifest(obj)));
    for (const obj of [deployment("model-stable", "v3"), deployment("model-candidate", "v3"), ...routes]) note(await apply(obj));
  }
}

/** Where the clients send their requests: Traefik, or with Istio or KServe the stand-ins that carry the traffic. */
/** The demo VirtualService's first route: the destinations and weights the operator sets. */
async function virtualServiceRoute(): Promise<{ destination: { subset?: string }; weight?: number }[]> {
  const vs = (await custom.getNamespacedCustomObject({
    group: "networking.istio.io",
    version: "v1",
    plural: "virtualservices",
    namespace: ns,
    name: model,
  })) as {
    spec: { http: { route: { destination: { subset?: string }; weight?: number }[] }[] };
  };
  return vs.spec.http[0]?.route ?? [];
}

async function startStandIns(kc: KubeConfig): Promise<string> {
  /** The split the stand-in data plane follows: the VirtualService's weights, or KServe's split by revision. */
  let entryUrl = dp?.url ?? "";
  if (router === "istio") {
    const vsWeights = async () => {
      const r = await virtualServiceRoute();
      return {
        stable: r.find((d) => d.destination.subset === "stable")?.weight ?? 0,
        candidate: r.find((d) => d.destination.subset === "candidate")?.weight ?? 0,
      };
    };
    const splitter = await startSplitter({ stableUrl: stableSim.url, candidateUrl: candidateSim.url, readWeights: vsWeights });
    onExit("the stand-in data plane", () => splitter.stop());
    entryUrl = splitter.url;
    note(`the STAND-IN data plane ${splitter.url} splits requests by the VirtualService's weights, re-read every 200 ms (no Envoy can run here)`);
  }
  if (router === "kserve") {
    const kserve = startKServeStandIn(kc, ns, model, { pollMs: 200, readyAfterTicks: 5 });
    onExit("the KServe stand-in", () => kserve.stop());
    const revisions = new RevisionServers([stableSim, candidateSim] as const, ["v3", undefined], (sim, version, previous) => {
      const s = servers.find((x) => x.sim === sim) as (typeof servers)[number];
      sim.setVersion(version);
      sim.setBehaviour(behaviourOf[version] ?? {});
      line(
        `\x1b[2m[KServe stand-in] a revision of ${version} starts on the ${s.role === "stable" ? "first" : "second"} server (it played ${previous ?? "nothing"})\x1b[0m`,
      );
      s.version = version;
    });
    const splitter = await startSplitter({
      stableUrl: stableSim.url,
      candidateUrl: candidateSim.url,
      readWeights: async () => revisions.split(kserve.traffic()),
    });
    onExit("the stand-in data plane", () => splitter.stop());
    entryUrl = splitter.url;
    note(`the STAND-IN of KServe's controller (sim/kserve.ts) keeps the revisions and writes the InferenceService's status;`);
    note(`the STAND-IN data plane ${splitter.url} splits requests by the split KServe would give Knative (no KServe or Knative can run here)`);
  }
  return entryUrl;
}

/** The clients (sim/load.ts): what the live view counts by version. */
let load: Load;

/** The clients' load through the data plane, until Prometheus has the first answers. */
async function startClients(entryUrl: string): Promise<Load> {
  say(`The clients: 50 requests a second through ${DATA_PLANE} (sim/load.ts), over two plants`);
  for (let i = 0; i < 50 && (await fetch(`${entryUrl}/predict`, { method: "POST" }).catch(() => undefined))?.status !== 200; i++) await sleep(200);
  load = startLoad({ url: `${entryUrl}/predict`, requestsPerSecond: 50, segments: SEGMENTS, concurrency: 8 });
  onExit("the load generator", () => load.stop());
  for (let i = 0; i < 60; i++) {
    const r = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(`sum(model_predictions_total{model="${model}",version="v3"})`)}`);
    const result = ((await r.json()) as { data: { result: { value: [number, string] }[] } }).data.result;
    if (Number(result[0]?.value[1] ?? 0) > 0 && load.summary().completed > 50) break;
    await sleep(1000);
  }
  const first = load.summary();
  note(
    `${first.completed} answers so far, by version ${JSON.stringify(first.byVersion)}, by status ${JSON.stringify(first.byStatus)}; Prometheus (${env.PROMETHEUS_URL}) scrapes both servers every second`,
  );
  return load;
}

/** The operator, in this process. */
async function startOperatorInProcess(): Promise<void> {
  say("Starting the operator (node src/main.ts, in this process)");
  const { run } = await import("../src/main.ts");
  const operator = await run({ ...process.env, PROMETHEUS_URL: env.PROMETHEUS_URL, WATCH_NAMESPACES: ns, METRICS_ADDR: "127.0.0.1:18080", LOG_LEVEL: "warn" });
  onExit("the operator", () => operator.stop());
}

// The Job runs on kwok's simulated node: no container starts, so the pod's annotations say
// what the training would have reported (scripts/cluster/kwok-stages.yaml). A real trainer
// writes the same JSON to /dev/termination-log.
const policy = (reports: string) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name: "fraud-retrain", namespace: ns },
  spec: {
    triggers: [{ findings: ["AccuracyDrift"], minSeverity: "warning", action: "retrain" }],
    actions: [
      {
        name: "retrain",
        config: { epochs: "20", learningRate: "0.001" },
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            template: {
              metadata: {
                annotations: {
                  "sim.modelguardian.dev/run-duration": "5s",
                  "sim.modelguardian.dev/termination-message": JSON.stringify({ version: reports, uri: `s3://models/${model}/${reports}` }),
                },
              },
              spec: { restartPolicy: "Never", containers: [{ name: "train", image: "registry.example/fraud-train:1.4" }] },
            },
          },
        },
      },
    ],
    cooldown: "30s",
    rollout: {
      steps: [
        { weight: 10, hold: "15s" },
        { weight: 50, hold: "10s" },
        { weight: 100, hold: "10s" },
      ],
      analysis: {
        compare: [
          { signal: "accuracy", maxDecrease: 0.05 },
          { signal: "p95_latency", maxRelativeIncrease: 0.5 },
        ],
        minSamples: 50,
        inconclusiveLimit: 3,
      },
      readyTimeout: "1m",
    },
  },
});
const STEPS = 3;

/** kubectl apply: the RetrainPolicy, then the ModelMonitor with its spec.serving. */
async function applyPolicyAndMonitor(): Promise<void> {
  say("kubectl apply -f fraud-retrain.yaml (a RetrainPolicy: retrain on accuracy drift, then roll the new version out by canary)");
  console.log(indent(manifest(policy("v4"))));
  note(await apply(policy("v4")));

  const monitor = {
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "ModelMonitor",
    metadata: { name: model, namespace: ns },
    spec: {
      model: { name: model, version: "v3" },
      versionLabel: "version",
      interval: "5s",
      window: "30s",
      minSamples: 200,
      signals: [
        { name: "accuracy", classification: { metric: "model_predictions_total", measure: "accuracy" } },
        { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
      ],
      rules: [{ signal: "accuracy", min: { critical: 0.8 }, baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } }],
      policyRef: { name: "fraud-retrain" },
      // the stakeholders' governance report, into ConfigMap fraud-detector-report; every minute for the demo
      report: { every: "1m" },
      serving: {
        gateway: {
          router: { gatewayAPI: { httpRoute: { name: model } } },
          stable: { backendRef: stableRef, deployment: { name: "model-stable" } },
          candidate: { backendRef: candidateRef, deployment: { name: "model-candidate" } },
        },
        istio: {
          router: { istio: { virtualService: { name: model }, routeName: "predict" } },
          stable: { destination: { host: model, subset: "stable" }, deployment: { name: "model-stable" } },
          candidate: { destination: { host: model, subset: "candidate" }, deployment: { name: "model-candidate" } },
        },
        kserve: { router: { kserve: { inferenceService: { name: model } } } },
      }[router],
    },
  };
  say(
    `kubectl apply -f fraud-detector.yaml (a ModelMonitor, with spec.serving: ${router === "kserve" ? "the InferenceService" : "the route and the two Deployments"})`,
  );
  console.log(indent(manifest(monitor)));
  note(await apply(monitor));
}

// ---------------------------------------------------------------- the follower: servers play their Deployment's version

/** The simulated servers play the version their Deployment is told (with KServe the stand-in hands out revisions instead). */
function followServers(): void {
  const modelVersionOf = async (name: string) => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    return d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "MODEL_VERSION")?.value;
  };
  const follower = followDeployments({
    // with KServe the stand-in gives revisions to the servers instead
    servers: router === "kserve" ? [] : servers.map((s) => ({ server: s.sim, deployment: s.deployment, version: s.version })),
    readVersion: modelVersionOf,
    onVersion: (sim, v) => {
      const s = servers.find((x) => x.sim === sim) as (typeof servers)[number];
      s.sim.setBehaviour(behaviourOf[v] ?? {});
      line(`\x1b[2m[follower] Deployment ${s.deployment} now says MODEL_VERSION=${v}: the ${s.role} server answers as ${v} (was ${s.version})\x1b[0m`);
      s.version = v;
    },
  });
  onExit("the follower", () => follower.stop());
}

// ---------------------------------------------------------------- the live view

interface Comparison {
  signal: string;
  check: string;
  limit: number;
  outcome: string;
  stable?: number;
  candidate?: number;
  difference?: number;
  pValue?: number;
  test?: string;
  stableSamples?: number;
  candidateSamples?: number;
}
interface Analysis {
  step: number;
  weight: number;
  window: string;
  outcome: string;
  message?: string;
  comparisons?: Comparison[];
}
interface Rollout {
  metadata: { name: string; creationTimestamp?: string };
  spec: { candidate: { version: string } };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    stepIndex?: number;
    weights?: { stable: number; candidate: number };
    lastAnalysis?: string;
    analyses?: Analysis[];
    quarantined?: boolean;
  };
}
interface Monitor {
  status?: {
    health?: string;
    summary?: string;
    worstFinding?: string;
    lastEvaluationTime?: string;
    stableVersion?: string;
    remediation?: { candidate?: { version: string; job?: string } };
    rollout?: { name: string; phase?: string };
    versions?: { version: string; state: string; rollout?: string; lastAnalysis?: string; reason?: string }[];
  };
}
const getMonitor = async () => (await custom.getNamespacedCustomObject({ ...MG, plural: "modelmonitors", namespace: ns, name: model })) as Monitor;
const getRollouts = async () =>
  (((await custom.listNamespacedCustomObject({ ...MG, plural: "modelrollouts", namespace: ns })) as { items: Rollout[] }).items ?? []).sort((a, b) =>
    (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""),
  );
const getWeights = async () => {
  if (router === "istio") {
    const r = await virtualServiceRoute();
    return `${r.find((d) => d.destination.subset === "stable")?.weight ?? "?"}/${r.find((d) => d.destination.subset === "candidate")?.weight ?? "?"}`;
  }
  if (router === "kserve") {
    const isvc = (await custom.getNamespacedCustomObject({
      group: "serving.kserve.io",
      version: "v1beta1",
      plural: "inferenceservices",
      namespace: ns,
      name: model,
    })) as {
      spec: { predictor: { canaryTrafficPercent?: number } };
    };
    const p = isvc.spec.predictor.canaryTrafficPercent;
    return p === undefined ? "100/0 (no canaryTrafficPercent)" : `${100 - p}/${p}`;
  }
  const r = (await custom.getNamespacedCustomObject({
    group: "gateway.networking.k8s.io",
    version: "v1",
    plural: "httproutes",
    namespace: ns,
    name: model,
  })) as {
    spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
  };
  const b = r.spec.rules[0]?.backendRefs ?? [];
  return `${b.find((x) => x.name === stableRef.name)?.weight ?? "?"}/${b.find((x) => x.name === candidateRef.name)?.weight ?? "?"}`;
};

const num = (x: number | undefined, digits = 3) => (x === undefined ? "-" : Number(x.toFixed(digits)).toString());
const fmtComparison = (c: Comparison) => {
  const relative = c.check.startsWith("maxRelative");
  const diff =
    c.difference === undefined
      ? ""
      : relative
        ? `${c.difference >= 0 ? "+" : ""}${(c.difference * 100).toFixed(1)} %`
        : `${c.difference >= 0 ? "+" : ""}${num(c.difference)}`;
  const test = c.pValue !== undefined ? `, ${c.test} p ${humanP(c.pValue)}` : "";
  return `${c.signal.padEnd(11)} stable ${num(c.stable)} (n=${c.stableSamples ?? "-"})  candidate ${num(c.candidate)} (n=${c.candidateSamples ?? "-"})  ${diff || "-"} vs ${c.check} ${c.limit}${test}: ${c.outcome}`;
};

const terminal = (r: Rollout | undefined) => ["Succeeded", "RolledBack", "Aborted"].includes(r?.status?.phase ?? "");

/** One line per change of the things that matter, and analyses as they appear. */
class LiveView {
  private last: Record<string, string> = {};
  private analysesSeen = new Map<string, number>();
  private traffic = { at: Date.now(), byVersion: {} as Record<string, number> };
  private lastTrafficLine = Date.now();
  showValues = true;

  private changed(key: string, value: string): boolean {
    if (this.last[key] === value) return false;
    this.last[key] = value;
    return true;
  }

  private trafficSince(): string {
    const now = load.summary().byVersion;
    const parts = Object.entries(now)
      .map(([v, n]) => [v, n - (this.traffic.byVersion[v] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${v} ${n}`);
    const secs = Math.round((Date.now() - this.traffic.at) / 1000);
    this.traffic = { at: Date.now(), byVersion: { ...now } };
    return `answers in the last ${secs}s: ${parts.join(", ") || "none"}`;
  }

  async tick(): Promise<{ monitor: Monitor; rollouts: Rollout[] }> {
    const [monitor, rollouts, weights, jobs] = await Promise.all([getMonitor(), getRollouts(), getWeights(), batch.listNamespacedJob({ namespace: ns })]);
    const s = monitor.status ?? {};
    const value = this.showValues ? (s.summary ?? "") : (s.summary ?? "").replace(/=.*/, "");
    const mm = s.health
      ? `monitor: watching ${s.stableVersion ?? "?"}, ${s.health}${s.summary ? `, ${value}` : ""}${s.worstFinding ? `, worst finding: ${s.worstFinding}` : ""}${s.remediation?.candidate ? `, candidate ${s.remediation.candidate.version}` : ""}`
      : "";
    if (mm && this.changed("mm", mm)) line(mm);
    for (const j of jobs.items) {
      const st = j.status ?? {};
      const state = st.succeeded ? "Succeeded" : st.failed ? "Failed" : st.active ? "Active (running on kwok-node-0)" : "Pending";
      if (this.changed(`job/${j.metadata?.name}`, state)) line(`Job ${j.metadata?.name}: ${state}`);
    }
    let active: Rollout | undefined;
    for (const r of rollouts) {
      const st = r.status ?? {};
      const name = r.metadata.name;
      const done = terminal(r);
      if (!done) active = r;
      const step = st.stepIndex !== undefined && ["Progressing", "Paused"].includes(st.phase ?? "") ? ` step ${st.stepIndex + 1}/${STEPS}` : "";
      // a finished rollout no longer owns the route: its line changes only with its phase
      const head = `rollout ${name}: ${st.phase ?? "(new)"}${step}${done ? "" : `, route ${weights} (stable/candidate)`}`;
      if (this.changed(`mro/${name}`, `${head} ${st.reason}`)) {
        line(st.phase ? `${head} | ${st.reason ?? ""}: ${st.message ?? ""}` : `rollout ${name} created for ${r.spec.candidate.version}`);
        this.lastTrafficLine = Date.now();
      }
      const analyses = st.analyses ?? [];
      const seen = this.analysesSeen.get(name) ?? 0;
      for (const a of analyses.slice(seen)) {
        const mark = a.outcome === "Successful" ? "\x1b[32m" : a.outcome === "Failed" ? "\x1b[31m" : "\x1b[33m";
        line(
          `${mark}analysis of step ${a.step + 1}/${STEPS} (${a.weight} % to ${r.spec.candidate.version}, over ${a.window}): ${a.outcome}\x1b[0m${a.outcome === "Successful" ? "" : `: ${a.message ?? ""}`}`,
        );
        for (const c of a.comparisons ?? []) note(`    ${fmtComparison(c)}`);
      }
      this.analysesSeen.set(name, analyses.length);
    }
    // every few seconds while a rollout runs: where it is, the route, and the traffic that really went through Traefik
    if (!active) this.trafficSince();
    else if (Date.now() - this.lastTrafficLine >= 5000) {
      const st = active.status ?? {};
      const step = st.stepIndex !== undefined ? ` step ${st.stepIndex + 1}/${STEPS}` : "";
      line(
        `\x1b[2m${active.metadata.name} ${st.phase ?? ""}${step} | route ${weights} | last analysis: ${st.lastAnalysis ?? "none yet"} | ${this.trafficSince()}\x1b[0m`,
      );
      this.lastTrafficLine = Date.now();
    }
    return { monitor, rollouts };
  }

  /** Ticks every second until `done` says so; fails loudly after `timeoutS`. */
  async until<T>(what: string, timeoutS: number, done: (state: { monitor: Monitor; rollouts: Rollout[] }) => T | undefined | false): Promise<T> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      let state: { monitor: Monitor; rollouts: Rollout[] } | undefined;
      try {
        state = await this.tick();
      } catch (err) {
        if (interrupted) throw err;
        if ((err as { code?: number }).code !== 404) line(`(reading the cluster: ${(err as Error).message})`);
      }
      const v = state && done(state);
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutS} s`);
      await sleep(1000);
    }
  }
}
/** The rollout's Events, once the last one is there (the operator writes the status first, then the Events). */
const rolloutEvents = async (name: string, last: string) => {
  const selector = ["-n", ns, "--field-selector", `involvedObject.name=${name}`];
  for (let i = 0; i < 20 && !(await kubectl(["get", "events", ...selector, "-o", "jsonpath={.items[*].reason}"])).stdout.split(" ").includes(last); i++)
    await sleep(500);
  await show(["get", "events", ...selector, "--sort-by=.lastTimestamp", "-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"]);
};

/** The story: a degradation, a retraining, v4 promoted by canary; a second one, v5 rolled back and quarantined; the report. */
async function tellTheStory(): Promise<void> {
  const view = new LiveView();
  say("Watching the monitor (what kubectl get mm -n demo shows): v3 serves all traffic");
  await view.until("a first evaluation", 40, ({ monitor }) => monitor.status?.health === "Healthy");
  await sleep(8000);
  await view.tick();

  say("The stable model degrades: v3's accuracy 0.92 -> 0.78 (on every plant)");
  setVersionBehaviour("v3", { accuracy: 0.78 });
  note("the monitor compares accuracy with its baseline 0.92 every 5 s over a 30 s window; a drop of 0.05 is a warning, 0.10 critical");
  note("the policy retrains on an AccuracyDrift of warning or worse; the Job reports a new version, and with spec.rollout the monitor rolls it out");
  const firstRollout = await view.until("the first ModelRollout", 120, ({ rollouts }) => rollouts[0]);
  const firstName = firstRollout.metadata.name;

  say(`The monitor created ModelRollout ${firstName} for the candidate v4: canary steps 10 % (15 s), 50 % (10 s), 100 % (10 s), each analysed against stable`);
  await show(["get", "modelrollouts", "-n", ns]);
  note(
    router === "kserve"
      ? "the operator puts v4 on the InferenceService at canaryTrafficPercent 0, waits for KServe's new revision, then steps the percent;"
      : `the operator puts v4 on the candidate Deployment, waits for it to be ready, then sets ${ROUTE_FIELDS} step by step;`,
  );
  note("an analysis compares v4 with v3 over the step (accuracy at most 0.05 lower, p95 latency at most 50 % higher, both with a test)");
  view.showValues = false;
  const done1 = await view.until(`rollout ${firstName} to finish`, 180, ({ rollouts }) => {
    const r = rollouts.find((x) => x.metadata.name === firstName);
    return terminal(r) && r;
  });
  await view.tick();
  await show(["get", "modelrollouts", "-n", ns]);
  await rolloutEvents(firstName, done1.status?.phase === "Succeeded" ? "Promoted" : "Quarantined");
  if (done1.status?.phase !== "Succeeded") throw new Error(`expected ${firstName} to be promoted, it is ${done1.status?.phase}: ${done1.status?.message}`);

  say(
    router === "kserve"
      ? "v4 is promoted: canaryTrafficPercent is cleared, v4's revision has all traffic, and the monitor watches v4"
      : "v4 is promoted: the stable Deployment runs v4 with all traffic, and the monitor watches v4",
  );
  view.showValues = true;
  await view.until(
    "the monitor to watch v4 and find it healthy",
    60,
    ({ monitor }) => monitor.status?.stableVersion === "v4" && monitor.status?.health === "Healthy",
  );
  await show(["get", "modelmonitors", "-n", ns, "-o", "wide"]);
  await show(["get", "modelmonitor", model, "-n", ns, "-o", 'jsonpath={.status.stableVersion}{"\\n"}']);
  note("(the VERSION column is spec.model.version, what was declared; status.stableVersion is the version the monitor watches now)");

  say("Next retraining run will report v5 (kubectl apply the policy with the Job's new termination message); the cooldown is 30 s");
  note(await apply(policy("v5")));
  await sleep(5000);
  say("The data drifts again: v4's accuracy 0.92 -> 0.80");
  setVersionBehaviour("v4", { accuracy: 0.8 });
  note("v5, once deployed, is as accurate as v4 was at its best, but about 3x slower (a bigger model): what will the canary say?");
  const second = await view.until("a ModelRollout for v5", 120, ({ rollouts }) => rollouts.find((r) => r.spec.candidate.version === "v5"));
  const secondName = second.metadata.name;
  say(`The monitor created ModelRollout ${secondName} for the candidate v5`);
  view.showValues = false;
  const done2 = await view.until(`rollout ${secondName} to finish`, 150, ({ rollouts }) => {
    const r = rollouts.find((x) => x.metadata.name === secondName);
    return terminal(r) && r;
  });
  await view.until("the monitor to record v5", 30, ({ monitor }) => monitor.status?.versions?.some((v) => v.version === "v5" && v.state !== "Candidate"));
  await show(["get", "modelrollouts", "-n", ns]);
  await rolloutEvents(secondName, done2.status?.phase === "Succeeded" ? "Promoted" : "Quarantined");
  if (done2.status?.phase !== "RolledBack" || !done2.status.quarantined)
    throw new Error(`expected ${secondName} to be rolled back and quarantined, it is ${done2.status?.phase}: ${done2.status?.message}`);

  say("v5 was rolled back at its first failing analysis and quarantined: v4 keeps all traffic");
  note("the monitor's candidate is still v5, but quarantined: watching 10 s to see that no new rollout starts");
  view.showValues = true;
  const until = Date.now() + 10_000;
  await view.until("10 s", 20, ({ rollouts }) => {
    if (rollouts.length > 2) throw new Error(`a third rollout started: ${rollouts.at(-1)?.metadata.name}`);
    return Date.now() > until;
  });
  await show(["get", "modelmonitors,modelrollouts", "-n", ns, "-o", "wide"]);
  const versions = (await getMonitor()).status?.versions ?? [];
  note("the monitor's record of the model's versions (status.versions):");
  for (const v of versions)
    note(`  ${v.version.padEnd(4)} ${v.state.padEnd(12)} ${(v.rollout ?? "").padEnd(28)} ${v.lastAnalysis ?? ""}${v.reason ? `  (${v.reason})` : ""}`);
  note("v4 is still degraded, and this finding episode has had its Job; when a finding clears and comes back, the policy retrains again (after its cooldown)");
  note("and the monitor rolls out the version that Job reports.");
  note(`v5 itself is not rolled out again unless a person asks: kubectl annotate mro ${secondName} -n ${ns} modelguardian.dev/rollout-action=retry`);
  say(
    "The governance report (written every minute here, weekly by default): kubectl get configmap " +
      `${model}-report -n ${ns} -o jsonpath='{.data.report\\.md}'`,
  );
  const report = await kubectl(["get", "configmap", `${model}-report`, "-n", ns, "-o", "jsonpath={.data.report\\.md}"]);
  if (report.code !== 0 || !report.stdout.startsWith("# Model report:")) throw new Error(`no governance report: ${report.stderr}`);
  console.log(indent(report.stdout.trimEnd()));
  // the same report as a page with plots, from the same ConfigMap: written to a file to open or mail
  const html = await kubectl(["get", "configmap", `${model}-report`, "-n", ns, "-o", "jsonpath={.data.report\\.html}"]);
  if (html.code !== 0 || !html.stdout.startsWith("<!doctype html>")) throw new Error(`no HTML report: ${html.stderr}`);
  mkdirSync(join(root, "test-output/demo"), { recursive: true });
  writeFileSync(htmlReportFile, html.stdout);
  note(`the HTML report (plots of every signal, drift, segment, version and rollout): ${htmlReportFile}`);
  note("while the operator runs, its read-only web view: http://127.0.0.1:18080/ui/ (every monitor) and " + `http://127.0.0.1:18080/ui/${ns}/${model}`);
  const total = load.summary();
  note(
    `traffic through ${DATA_PLANE} over the whole run: ${total.completed} answers, by version ${JSON.stringify(total.byVersion)}, by status ${JSON.stringify(total.byStatus)}${total.failed ? `, ${total.failed} failed ${JSON.stringify(total.errors)}` : ""}`,
  );
}

/** What to look at in the cluster afterwards. */
function printWhereToLook(): void {
  say(`Done in ${clock()}. Everything stays in the cluster; to look (source .local/env first, or add --kubeconfig .local/kubeconfig):`);
  note("kubectl get mm,mro -n demo -o wide                         # monitor (stable version's health, candidate) and both rollouts");
  note("kubectl describe mro -n demo                                # each rollout's steps, analyses with their numbers, conditions, events");
  note("kubectl get mm fraud-detector -n demo -o jsonpath='{.status.versions}'   # v3 Previous, v4 Stable, v5 Quarantined");
  note("kubectl get events -n demo --sort-by=.lastTimestamp        # the whole story: findings, Jobs, steps, analyses, promotion, rollback");
  note(`kubectl get jobs,${{ gateway: "deployments,httproute", istio: "deployments,virtualservice", kserve: "inferenceservice" }[router]} -n demo`);
  note(`kubectl get configmap ${model}-report -n demo -o jsonpath='{.data.report\\.md}'   # the governance report (Markdown)`);
  note(`kubectl get configmap ${model}-report -n demo -o jsonpath='{.data.report\\.html}' > ${model}-report.html   # the same with plots, to open or mail`);
  say(`The HTML governance report of this run: ${htmlReportFile}`);
  note("Stop everything with: npm run cluster:down");
}

async function main(): Promise<void> {
  stopOnSignals();
  env = startControlPlane();
  const { kc } = connect();
  await freshNamespace();
  await startGatewayDataPlane();
  await startModelServers();
  await applyServing();
  const entryUrl = await startStandIns(kc);
  await startClients(entryUrl);
  await startOperatorInProcess();
  await applyPolicyAndMonitor();
  followServers();
  let failed: string | undefined;
  try {
    await tellTheStory();
  } catch (err) {
    if (!interrupted) failed = (err as Error).message;
  } finally {
    if (!interrupted) {
      say(`Stopping the load generator, the operator, ${DATA_PLANE} and the simulated servers`);
      await cleanup();
    }
  }
  if (interrupted) await new Promise(() => undefined); // the signal handler exits
  if (failed) {
    console.error(`\n\x1b[31m== The demo did not go as planned: ${failed}\x1b[0m`);
    console.error(
      `  Look with: kubectl --kubeconfig .local/kubeconfig get mm,mro,jobs -n demo -o wide; describe them${router === "gateway" ? "; the Traefik log is .local/logs/traefik-demo.log" : ""}`,
    );
    process.exit(1);
  }
  printWhereToLook();
  process.exit(0);
}

await main();
