// Benchmark (not a test): rollback latency of a canary rollout, on the real local control plane.
// `npm run bench:rollback -- [--rollouts N (10)] [--with-dataplane] [--hold 5s] [--weight 50] [--rps 40]`
// Goal: under 1 s from the failing analysis to the stable weight 100 written on the HTTPRoute.
//
// Set-up (namespace bench-rollback-<id>, removed on exit with everything started here): the
// operator as a real process (`node src/main.ts`, test/stage/cluster.ts startOperator,
// log in .local/logs/operator-bench-rollback-<id>.log), two Deployments on kwok's node, an
// HTTPRoute with a stable and a candidate backendRef, two served-mode simulated model servers
// scraped by Prometheus (stable accuracy 0.95, candidate 0.5: clearly worse), a ModelMonitor
// with spec.serving, and a RetrainPolicy whose spec.rollout has one step (50 %, hold 5 s) and
// failureLimit 0. Then N ModelRollouts one after the other (bench-v2, bench-v3, ...), each
// rolled back at its first analysis.
//
// Traffic. Without --with-dataplane there is no data plane: the subject is the operator's write
// to the route object. A load generator in this script is the STAND-IN for the data plane: it
// follows the route's weights as its watch delivers them and sends each request straight to
// the stable or the candidate server in that proportion, so the candidate's metrics come from
// "traffic" that followed the weights. With --with-dataplane the load goes through a real
// Traefik (test/stage/dataplane.ts) that reads the HTTPRoute itself, and the script
// also measures when requests stop reaching the candidate.
// The Deployments' pods are kwok's: nothing runs in them. The candidate server takes the
// version the operator puts on the candidate Deployment (as the rollout test's follower does),
// but it is NOT relabelled back to the stable version when the rollback restores the
// Deployment, so any late response from the candidate process stays recognisable.
//
// Measured, per rollout (all clocks are this machine's wall clock, ms):
//   T_analysis  status.analyses[-1].time of the Failed analysis. This is the `now` the operator's
//               reconcile took when it STARTED (before it read the route, the Deployments and
//               queried Prometheus), so the figures below include the analysis queries.
//   T_status    arrival of the ModelRollout watch event whose phase is RollingBack (the status,
//               which the operator persists before it writes the route).
//   T_log       pino `time` of the operator's "rollout effect applied" line for setWeights 100/0:
//               logged once the PATCH of the route has returned.
//   T_watch     arrival of the HTTPRoute watch event in which the candidate weight went to 0
//               (includes the API server's watch delivery to this process).
//   managedFields  the route's managedFields time for manager model-guardian-modelrollout
//               (second precision: the write happened in [t, t + 1 s)), a cross-check.
//   e2e         status.stepStartTime -> T_watch: the step's hold, the analysis and the rollback.
//   late        T_analysis - (stepStartTime + hold): how late the analysis started.
//   ready→step  context, not rollback: candidate Deployment ready (its watch, read as the operator
//               reads it) -> the step's weights on the route (its watch).
//   api GET     context: median of 3 GETs of the route by this script after each rollback, the
//               API server's round trip at the time (the operator makes several in a row).
// The verdict is on analysis -> write (log), with the watch figure beside it. The machine is
// shared: figures vary with the load of whatever else runs on it.
//   with --with-dataplane, T_last: arrival of the last response the load generator got from the
//               candidate (after it, none until the next rollout), i.e. requests stopped reaching
//               the candidate through Traefik.
import { execFileSync } from "node:child_process";
import { modelDeployment } from "../../test/stage/serving.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CustomObjectsApi, KubeConfig, Watch } from "@kubernetes/client-node";
import { Agent, request } from "undici";
import { workloadStateOf } from "../../src/adapters/kubernetes/deployments.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import type { DataPlane } from "../../test/stage/dataplane.ts";
import type { Operator } from "../../test/stage/cluster.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const started = Date.now();

// ---------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
};
if (flag("help")) {
  console.log("npm run bench:rollback -- [--rollouts N (10)] [--with-dataplane] [--hold 5s] [--weight 50] [--rps 40]");
  process.exit(0);
}
const ROLLOUTS = Number(option("rollouts", "10"));
const WITH_DATAPLANE = flag("with-dataplane");
const HOLD = option("hold", "5s");
const HOLD_MS = Number(/^(\d+)s$/.exec(HOLD)?.[1] ?? NaN) * 1000;
const WEIGHT = Number(option("weight", "50"));
const RPS = Number(option("rps", "40"));
if (!Number.isInteger(ROLLOUTS) || ROLLOUTS < 1) throw new Error("--rollouts: a positive integer");
if (!Number.isFinite(HOLD_MS) || HOLD_MS < 1000) throw new Error("--hold: whole seconds, e.g. 5s");
if (!Number.isInteger(WEIGHT) || WEIGHT < 1 || WEIGHT > 99) throw new Error("--weight: 1..99");
if (!(RPS > 0 && RPS <= 500)) throw new Error("--rps: 1..500");

const GOAL_MS = 1000;
const STABLE_VERSION = "v1";
const MANAGER = "model-guardian-modelrollout";
const say = (s: string) => console.error(`  · ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the local cluster (idempotent)
say("npm run cluster:up (idempotent)");
execFileSync("bash", [join(ROOT, "scripts/cluster/up.sh")], { stdio: ["ignore", process.stderr, process.stderr] });
// test/stage/cluster.ts reads .local/env when it loads, so only after cluster:up
const support = await import("../../test/stage/cluster.ts");
const { apply, env, kubectl, kubectlOk, promQuery, startOperator, TARGETS_DIR, waitFor } = support;

const id = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e3)}`;
const ns = `bench-rollback-${id}`;
const MODEL = `bench-rollback-${id}`;
const OPERATOR_NAME = `bench-rollback-${id}`;
const OPERATOR_LOG = join(ROOT, `.local/logs/operator-${OPERATOR_NAME}.log`);

// ---------------------------------------------------------------- everything to clean up
let op: Operator | undefined;
let dp: DataPlane | undefined;
let stable: ModelServer | undefined;
let candidate: ModelServer | undefined;
let load: { stop(): Promise<void> } | undefined;
const watches: AbortController[] = [];
let stopping = false;
let cleaned: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    stopping = true;
    say("cleaning up");
    await load?.stop().catch(() => undefined);
    for (const w of watches) w.abort();
    // rollouts that still hold the restore-stable finalizer need the operator to let go
    const left = await kubectl(["delete", "modelrollouts", "--all", "-n", ns, "--wait=true", "--timeout=30s"]);
    if (left.code !== 0 && !/not found/i.test(left.stderr)) say(`deleting rollouts: ${left.stderr.trim()}`);
    await op?.stop().catch(() => undefined);
    const rest = await kubectl(["get", "modelrollouts", "-n", ns, "-o", "name"]);
    for (const name of rest.stdout.split("\n").filter(Boolean))
      await kubectl(["patch", name, "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    await dp?.stop().catch(() => undefined);
    await stable?.close().catch(() => undefined);
    await candidate?.close().catch(() => undefined);
    await removePrometheusTarget(TARGETS_DIR, `${MODEL}-stable`).catch(() => undefined);
    await removePrometheusTarget(TARGETS_DIR, `${MODEL}-candidate`).catch(() => undefined);
    await kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  })();
  return cleaned;
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    console.error(`\n${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });

// ---------------------------------------------------------------- watches (arrival times)
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG as string);
const objects = kc.makeApiClient(CustomObjectsApi);
let watchRestarts = 0;

interface KObj {
  metadata: { name: string; resourceVersion?: string; managedFields?: { manager?: string; time?: string; operation?: string }[] };
  spec?: unknown;
  status?: unknown;
}
/** A watch that keeps going: the client aborts after 30 s without data, so it resumes from the last resourceVersion. */
function watchAll(path: string, onEvent: (type: string, obj: KObj, at: number) => void): void {
  let rv: string | undefined;
  const run = async () => {
    if (stopping) return;
    const ctl = await new Watch(kc).watch(
      path,
      { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type, obj: KObj) => {
        const at = Date.now();
        if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
        if (type === "BOOKMARK") return;
        if (type === "ERROR") {
          rv = undefined; // 410 Gone: list again
          return;
        }
        onEvent(type, obj, at);
      },
      () => {
        if (stopping) return;
        watchRestarts++;
        setTimeout(() => void run(), 50);
      },
    );
    watches.push(ctl);
  };
  void run();
}

interface RouteEvent {
  at: number;
  rv: string;
  stable: number | undefined;
  candidate: number | undefined;
  /** managedFields time of the operator's field manager in this version of the route (second precision) */
  managed: string | undefined;
}
const routeEvents: RouteEvent[] = [];
let liveWeights = { stable: 100, candidate: 0 };
interface RolloutObj {
  metadata: { name: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    stepStartTime?: string;
    analyses?: { step: number; time: string; outcome: string; message?: string }[];
  };
}
/** The candidate Deployment as its watch delivered it. */
const candidateDeployment: { at: number; version: string | undefined; ready: boolean }[] = [];
const rolloutLatest = new Map<string, RolloutObj>();
const rolloutPhaseAt = new Map<string, Map<string, number>>(); // name -> phase -> first arrival

// ---------------------------------------------------------------- load: the stand-in data plane, or through Traefik
interface Counts {
  stable: number;
  candidate: number;
  failed: number;
  skipped: number;
}
const counts: Counts = { stable: 0, candidate: 0, failed: 0, skipped: 0 };
/** Arrival times of the responses that came from the candidate server. */
const candidateResponses: number[] = [];

function startWeightedLoad(target: { stableUrl: string; candidateUrl: string } | { url: string }): { stop(): Promise<void> } {
  const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const send = async () => {
    let url: string;
    let via: "stable" | "candidate" | undefined;
    if ("url" in target) url = target.url;
    else {
      const total = liveWeights.stable + liveWeights.candidate;
      via = total > 0 && Math.random() * total < liveWeights.candidate ? "candidate" : "stable";
      url = via === "candidate" ? target.candidateUrl : target.stableUrl;
    }
    try {
      const res = await request(url, { method: "POST", dispatcher: agent, signal: AbortSignal.timeout(5000) });
      const body = (await res.body.json().catch(() => ({}))) as { version?: string };
      const at = Date.now();
      // through Traefik, the answering process is known by its version: the candidate server never carries the stable one
      const from = via ?? (body.version !== undefined && body.version !== STABLE_VERSION ? "candidate" : "stable");
      counts[from]++;
      if (from === "candidate") candidateResponses.push(at);
    } catch {
      counts.failed++;
    }
  };
  const timer = setInterval(() => {
    if (inFlight >= 16) {
      counts.skipped++;
      return;
    }
    inFlight++;
    const p = send().finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  }, 1000 / RPS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...pending]);
      await agent.close().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------- objects
const deployment = (name: string) => modelDeployment({ namespace: ns, name, version: STABLE_VERSION, node: env.MG_NODE_NAME });
const mustApply = async (obj: { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: unknown }) => {
  const r = await apply(obj);
  if (r.code !== 0) throw new Error(`apply ${obj.kind} ${obj.metadata.name}: ${r.stderr}`);
};

// ---------------------------------------------------------------- results
interface Row {
  name: string;
  outcome: string;
  note?: string;
  late?: number;
  /** median of 3 GETs of the route by this script after the rollback: the API server's round trip at the time */
  apiGet?: number;
  /** candidate Deployment ready (watch) -> step weights on the route (watch); negative: the step came first */
  readyToStep?: number;
  toStatus?: number;
  toLog?: number;
  toWatch?: number;
  managed?: [number, number];
  crossCheck?: string;
  e2e?: number;
  toLast?: number;
  writeToLast?: number;
  candidateAfterWrite?: number;
}
const rows: Row[] = [];

interface LogLine {
  time: number;
  level: number;
  msg: string;
  rollout?: string;
  effect?: { kind: string; weights?: { stable: number; candidate: number } };
  [k: string]: unknown;
}
const readLog = (): LogLine[] =>
  readFileSync(OPERATOR_LOG, "utf8")
    .split("\n")
    .flatMap((l) => {
      try {
        if (!l.startsWith("{")) return [];
        // the operator logs ISO times; the latencies are counted in epoch milliseconds
        const line = JSON.parse(l) as Omit<LogLine, "time"> & { time: string | number };
        return [{ ...line, time: typeof line.time === "string" ? Date.parse(line.time) : line.time } as LogLine];
      } catch {
        return [];
      }
    });

interface BackendRefLike {
  name: string;
  group: string;
  kind: string;
}
interface Wiring {
  stableRef: BackendRefLike;
  candidateRef: BackendRefLike;
  routeSpec: Record<string, unknown>;
}

/** The namespace, the operator, the stable and candidate servers (scraped), and Traefik's backends or plain Service refs. */
async function setUp(): Promise<Wiring> {
  say(
    `namespace ${ns}; ${ROLLOUTS} rollouts; step ${WEIGHT} % for ${HOLD}; load ${RPS} req/s ${WITH_DATAPLANE ? "through Traefik" : "by the stand-in data plane"}`,
  );
  await kubectlOk(["create", "namespace", ns]);
  op = await startOperator([ns], OPERATOR_NAME, { LOG_LEVEL: "info", QUERY_RETRIES: "1" });
  stable = await startModelServer({
    model: MODEL,
    version: STABLE_VERSION,
    segments: { a: { accuracy: 0.95, latencyMeanSeconds: 0.05 } },
    traffic: "served",
    seed: 1,
  });
  candidate = await startModelServer({
    model: MODEL,
    version: STABLE_VERSION,
    segments: { a: { accuracy: 0.5, latencyMeanSeconds: 0.05 } },
    traffic: "served",
    seed: 2,
  });
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-stable`, stable.port);
  await writePrometheusTarget(TARGETS_DIR, `${MODEL}-candidate`, candidate.port);

  let stableRef: BackendRefLike;
  let candidateRef: BackendRefLike;
  let routeSpec: Record<string, unknown>;
  if (WITH_DATAPLANE) {
    const { startDataPlane } = await import("../../test/stage/dataplane.ts");
    dp = await startDataPlane({ namespace: ns });
    stableRef = await dp.backend(`${ns}-stable`, stable.port);
    candidateRef = await dp.backend(`${ns}-candidate`, candidate.port);
    routeSpec = {
      parentRefs: [dp.parentRef],
      rules: [
        {
          backendRefs: [
            { ...stableRef, weight: 100 },
            { ...candidateRef, weight: 0 },
          ],
        },
      ],
    };
  } else {
    // the route object alone: no Gateway, no data plane reads it but the stand-in below
    stableRef = { name: "model-stable", group: "", kind: "Service" };
    candidateRef = { name: "model-candidate", group: "", kind: "Service" };
    routeSpec = {
      rules: [
        {
          backendRefs: [
            { ...stableRef, port: 8080, weight: 100 },
            { ...candidateRef, port: 8080, weight: 0 },
          ],
        },
      ],
    };
  }
  return { stableRef, candidateRef, routeSpec };
}

/** Watches of the route, the rollouts and the candidate Deployment: the arrival times the figures are made of. */
function watchTheCluster({ stableRef, candidateRef }: Wiring): void {
  watchAll(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`, (_type, obj, at) => {
    const refs = ((obj.spec as { rules?: { backendRefs?: { name: string; weight?: number }[] }[] })?.rules?.[0]?.backendRefs ?? []) as {
      name: string;
      weight?: number;
    }[];
    const s = refs.find((r) => r.name === stableRef.name)?.weight;
    const c = refs.find((r) => r.name === candidateRef.name)?.weight;
    const last = routeEvents.at(-1);
    if (last && last.stable === s && last.candidate === c) return;
    const managed = obj.metadata.managedFields?.find((m) => m.manager === MANAGER)?.time;
    routeEvents.push({ at, rv: obj.metadata.resourceVersion ?? "", stable: s, candidate: c, managed });
    liveWeights = { stable: s ?? 1, candidate: c ?? 1 };
  });
  watchAll(`/apis/modelguardian.dev/v1alpha1/namespaces/${ns}/modelrollouts`, (type, obj, at) => {
    if (type === "DELETED") return;
    const r = obj as unknown as RolloutObj;
    rolloutLatest.set(r.metadata.name, r);
    const phase = r.status?.phase;
    if (!phase) return;
    const phases = rolloutPhaseAt.get(r.metadata.name) ?? new Map<string, number>();
    if (!phases.has(phase)) phases.set(phase, at);
    rolloutPhaseAt.set(r.metadata.name, phases);
  });
  // the candidate server serves what the candidate Deployment was told (never back to the stable version)
  watchAll(`/apis/apps/v1/namespaces/${ns}/deployments`, (_type, obj, at) => {
    if (obj.metadata.name !== "model-candidate") return;
    // the same reading of "ready" as the operator's (kubectl rollout status)
    const w = workloadStateOf(obj as Parameters<typeof workloadStateOf>[0], { version: "MODEL_VERSION", uri: "MODEL_URI" }, "model-candidate");
    if (w.version && w.version !== STABLE_VERSION) candidate?.setVersion(w.version);
    candidateDeployment.push({ at, version: w.version, ready: w.ready });
  });
}

/** The Deployments, the HTTPRoute, the policy (one step, compared on accuracy) and the monitor. */
async function applyObjects({ stableRef, candidateRef, routeSpec }: Wiring): Promise<void> {
  await mustApply(deployment("model-stable"));
  await mustApply(deployment("model-candidate"));
  await mustApply({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "model", namespace: ns }, spec: routeSpec });
  await mustApply({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "RetrainPolicy",
    metadata: { name: "bench", namespace: ns },
    spec: {
      rollout: {
        steps: [{ weight: WEIGHT, hold: HOLD }],
        analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }], minSamples: 30, failureLimit: 0, inconclusiveLimit: 20 },
        readyTimeout: "2m",
      },
    },
  });
  await mustApply({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "ModelMonitor",
    metadata: { name: "bench", namespace: ns },
    spec: {
      model: { name: MODEL, version: STABLE_VERSION },
      selector: { model: MODEL },
      versionLabel: "version",
      interval: "5s",
      window: "30s",
      minSamples: 20,
      signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
      policyRef: { name: "bench" },
      serving: {
        router: { gatewayAPI: { httpRoute: { name: "model" } } },
        stable: { backendRef: stableRef, deployment: { name: "model-stable" } },
        candidate: { backendRef: candidateRef, deployment: { name: "model-candidate" } },
      },
    },
  });
}

/** The clients' load, once Prometheus scrapes and the watch has the route. */
async function startTraffic(): Promise<void> {
  load = startWeightedLoad(
    dp ? { url: `${dp.url}/predict` } : { stableUrl: `${(stable as ModelServer).url}/predict`, candidateUrl: `${(candidate as ModelServer).url}/predict` },
  );
  await waitFor("Prometheus to scrape the stable server", async () => (await promQuery(`model_predictions_total{model="${MODEL}"}`)).length > 0, 60_000, 500);
  await waitFor("the route in the watch", async () => routeEvents.length > 0, 30_000, 100);
  say(`set up in ${((Date.now() - started) / 1000).toFixed(1)} s; rolling out`);
}

/** One rollout of a worse candidate, from its creation to its rollback: a row of figures (or of what went otherwise). */
async function measureRollout(i: number): Promise<void> {
  const name = `bench-v${i + 2}`;
  const version = `v${i + 2}`;
  const created = Date.now();
  await mustApply({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "ModelRollout",
    metadata: { name, namespace: ns },
    spec: { monitorRef: { name: "bench" }, candidate: { version, uri: `s3://models/${version}` } },
  });
  let final: RolloutObj | undefined;
  try {
    final = await waitFor(
      `${name} to finish`,
      async () => {
        const r = rolloutLatest.get(name);
        const p = r?.status?.phase;
        return (p === "RolledBack" || p === "Succeeded" || p === "Aborted" || p === "Paused") && r;
      },
      120_000,
      50,
    );
  } catch (err) {
    rows.push({ name, outcome: "timeout", note: (err as Error).message.slice(0, 200) });
    await kubectl(["delete", "modelrollout", name, "-n", ns, "--wait=true", "--timeout=30s"]);
    return;
  }
  // a quiet spell: late candidate responses arrive, and the candidate Deployment settles
  await sleep(WITH_DATAPLANE ? 2000 : 1000);
  // context: how long one API round trip takes right now (the operator makes several in a row)
  const gets: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await objects.getNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", namespace: ns, name: "model" });
    gets.push(performance.now() - t0);
  }
  const end = Date.now();
  const analysis = final.status?.analyses?.at(-1);
  const phase = final.status?.phase ?? "?";
  say(`${name}: ${phase} (${final.status?.reason ?? ""}) ${analysis ? `after ${final.status?.analyses?.length} analysis(es), last ${analysis.outcome}` : ""}`);
  if (phase !== "RolledBack" || analysis?.outcome !== "Failed") {
    rows.push({ name, outcome: `${phase}/${analysis?.outcome ?? "no analysis"}`, note: final.status?.message ?? "" });
    if (phase === "Paused") await kubectl(["delete", "modelrollout", name, "-n", ns, "--wait=true", "--timeout=30s"]);
    return;
  }
  const tA = Date.parse(analysis.time);
  const stepStart = Date.parse(final.status?.stepStartTime ?? "");
  const events = routeEvents.filter((e) => e.at >= created && e.at <= end);
  const stepWrite = events.find((e) => e.candidate === WEIGHT);
  const back = events.find((e) => stepWrite && e.at > stepWrite.at && e.candidate === 0);
  // the operator's managedFields entry in the very version of the route that the watch delivered
  const managedAt = back?.managed ? Date.parse(back.managed) : undefined;
  const row: Row = { name, outcome: "RolledBack", apiGet: pct(gets, 50) };
  const readyAt = candidateDeployment.find((d) => d.at >= created && d.version === version && d.ready)?.at;
  if (stepWrite && readyAt !== undefined) row.readyToStep = stepWrite.at - readyAt;
  else if (stepWrite) row.readyToStep = Number.NEGATIVE_INFINITY; // the step started before the watch ever showed the candidate ready
  row.late = tA - (stepStart + HOLD_MS);
  const statusAt = rolloutPhaseAt.get(name)?.get("RollingBack");
  if (statusAt !== undefined) row.toStatus = statusAt - tA;
  if (back) row.toWatch = back.at - tA;
  if (back) row.e2e = back.at - stepStart;
  if (back && managedAt !== undefined) {
    row.managed = [managedAt - tA, managedAt + 1000 - tA];
    // the write lies in [managedAt, managedAt + 1 s); the watch event arrives after it
    row.crossCheck = back.at >= managedAt && back.at < managedAt + 1000 + 500 && tA < managedAt + 1000 ? "ok" : "MISMATCH";
  }
  if (dp) {
    const last = candidateResponses.filter((t) => t >= created && t <= end).at(-1);
    if (last !== undefined) {
      row.toLast = last - tA;
      if (back) row.writeToLast = last - back.at;
    }
    row.candidateAfterWrite = back ? candidateResponses.filter((t) => t > back.at && t <= end).length : undefined;
  }
  rows.push(row);
}

/** Each rollback's setWeights 100/0 effect in the operator's log, beside the API server's times. */
function matchOperatorLog(log: LogLine[]): void {
  // the operator's log: the setWeights 100/0 effect of each rollout
  for (const row of rows) {
    if (row.outcome !== "RolledBack") continue;
    const r = rolloutLatest.get(row.name);
    const tA = Date.parse(r?.status?.analyses?.at(-1)?.time ?? "");
    const line = log.find(
      (l) =>
        l.msg === "rollout effect applied" &&
        l.rollout === `${ns}/${row.name}` &&
        l.effect?.kind === "setWeights" &&
        l.effect.weights?.stable === 100 &&
        l.effect.weights.candidate === 0 &&
        l.time >= tA,
    );
    if (line) row.toLog = line.time - tA;
    if (line && row.managed && !(line.time >= tA + row.managed[0])) row.crossCheck = "log before managedFields";
  }
}

async function main(): Promise<void> {
  const wiring = await setUp();
  watchTheCluster(wiring);
  await applyObjects(wiring);
  await startTraffic();
  for (let i = 0; i < ROLLOUTS; i++) await measureRollout(i);
  const log = readLog();
  matchOperatorLog(log);
  report(log);
}

// ---------------------------------------------------------------- report
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
};
const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "—" : x === Number.NEGATIVE_INFINITY ? "never ready" : `${Math.round(x)}`);

function report(log: LogLine[]): void {
  const out = (s = "") => console.log(s);
  out();
  out(`Rollback latency: ${ROLLOUTS} rollouts, one step of ${WEIGHT} % held ${HOLD}, failureLimit 0, candidate accuracy 0.5 vs stable 0.95`);
  out(
    WITH_DATAPLANE
      ? `Traffic: ${RPS} req/s through a real data plane (Traefik v3.7, test/stage/dataplane.ts) reading the HTTPRoute.`
      : `Traffic: ${RPS} req/s by a STAND-IN data plane (this script's load generator sends to the stable or candidate server directly, in proportion to the route's weights as its watch delivers them). No Traefik: the subject is the operator's write.`,
  );
  out("Times in ms from T_analysis = status.analyses[-1].time (the failing reconcile's start, before its Prometheus queries).");
  out("ready→step: candidate Deployment ready (its watch) → step weights on the route (its watch); late: T_analysis − (stepStartTime + hold);");
  out("managedFields: the operator's entry in the route version the watch delivered, second precision, so the write lies in [lo, hi).");
  out();
  const head = [
    "rollout",
    "outcome",
    "ready→step",
    "late",
    "→status",
    "→write(log)",
    "→watch",
    "managedFields[lo,hi)",
    "check",
    "e2e step→rollback",
    "api GET",
  ];
  if (WITH_DATAPLANE) head.push("→last cand. resp", "watch→last", "cand. after");
  const table: string[][] = [head];
  for (const r of rows) {
    const cells = [
      r.name,
      r.outcome,
      ms(r.readyToStep),
      ms(r.late),
      ms(r.toStatus),
      ms(r.toLog),
      ms(r.toWatch),
      r.managed ? `[${ms(r.managed[0])}, ${ms(r.managed[1])})` : "—",
      r.crossCheck ?? "—",
      ms(r.e2e),
      ms(r.apiGet),
    ];
    if (WITH_DATAPLANE) cells.push(ms(r.toLast), ms(r.writeToLast), r.candidateAfterWrite === undefined ? "—" : String(r.candidateAfterWrite));
    table.push(cells);
  }
  const widths = head.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  for (const [k, row] of table.entries()) {
    out(row.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  "));
    if (k === 0) out(widths.map((w) => "-".repeat(w)).join("  "));
  }
  for (const r of rows) if (r.note) out(`  ${r.name}: ${r.note}`);
  out();
  const series: [string, (r: Row) => number | undefined][] = [
    ["analysis start late (vs stepStart + hold)", (r) => r.late],
    ["analysis → status RollingBack (watch)", (r) => r.toStatus],
    ["analysis → write 100/0 (operator log)", (r) => r.toLog],
    ["analysis → route watch event 100/0", (r) => r.toWatch],
    ["  of which status RollingBack → write (log)", (r) => (r.toLog !== undefined && r.toStatus !== undefined ? r.toLog - r.toStatus : undefined)],
    ["API GET round trip (this script, after each)", (r) => r.apiGet],
    ["end to end: step start → rollback (watch)", (r) => r.e2e],
  ];
  if (WITH_DATAPLANE)
    series.push(["analysis → last candidate response (Traefik)", (r) => r.toLast], ["route watch event → last candidate response", (r) => r.writeToLast]);
  const ok = rows.filter((r) => r.outcome === "RolledBack");
  const labelW = Math.max(...series.map(([l]) => l.length));
  out(`${"".padEnd(labelW)}  ${"n".padStart(3)}  ${"p50".padStart(7)}  ${"p90".padStart(7)}  ${"max".padStart(7)}`);
  for (const [label, f] of series) {
    const xs = ok.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
    if (!xs.length) {
      out(`${label.padEnd(labelW)}  ${"0".padStart(3)}`);
      continue;
    }
    out(
      `${label.padEnd(labelW)}  ${String(xs.length).padStart(3)}  ${ms(pct(xs, 50)).padStart(7)}  ${ms(pct(xs, 90)).padStart(7)}  ${ms(Math.max(...xs)).padStart(7)}`,
    );
  }
  out();
  const totals = `${counts.stable} stable, ${counts.candidate} candidate, ${counts.failed} failed, ${counts.skipped} skipped`;
  out(`load: ${totals}; watch restarts: ${watchRestarts}; operator log: ${OPERATOR_LOG}`);
  const warnings = log.filter((l) => l.level >= 40);
  if (warnings.length) {
    out(`operator warnings/errors: ${warnings.length}`);
    const seen = new Map<string, { n: number; first: LogLine }>();
    for (const w of warnings) {
      const k = `${w.msg}|${String(w.err ?? "").replace(/bench-rollback-[a-z0-9]+\/bench-v\d+/g, "…")}`;
      const e = seen.get(k);
      if (e) e.n++;
      else seen.set(k, { n: 1, first: w });
    }
    for (const { n, first } of seen.values()) out(`  ${n}× e.g. ${JSON.stringify(first).slice(0, 400)}`);
  } else out("operator warnings/errors: none");
  const writes = ok.map((r) => r.toLog).filter((x): x is number => x !== undefined);
  const watched = ok.map((r) => r.toWatch).filter((x): x is number => x !== undefined);
  out();
  if (ok.length < rows.length || !writes.length) out(`VERDICT: INCOMPLETE: ${ok.length}/${rows.length} rollouts were rolled back by a failed analysis`);
  if (writes.length) {
    const max = Math.max(...writes);
    out(
      `VERDICT: ${max < GOAL_MS ? "PASS" : "FAIL"}: failing analysis → stable 100 written on the HTTPRoute: p50 ${ms(pct(writes, 50))} ms, p90 ${ms(pct(writes, 90))} ms, max ${ms(max)} ms (goal < ${GOAL_MS} ms; seen by a watch: max ${ms(Math.max(...watched))} ms)`,
    );
  }
  out(`runtime: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
