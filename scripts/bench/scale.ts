// Benchmark (not a test): one operator replica carrying N ModelMonitors on the real local
// control plane (kube-apiserver, etcd). `npm run bench:scale -- --monitors N [--interval 60s]
// [--minutes M] [--metrics standin|prometheus] [--workers W] [--values-max-age 5m] [--batching true|false]
// [--batch-window 100ms] [--cpu-prof]`
// (--values-max-age is the operator's STATUS_VALUES_MAX_AGE: 0s writes every evaluation's status;
// --heap-snapshot writes the operator's V8 heap snapshot into .local/logs at the end)
//
// Set-up (namespace bench-scale-<id>, removed on exit): N monitors of 3 signals (accuracy,
// p95 latency, a refusal ratio), segments over a label with 4 values, and a drift check over 3
// features against the window a day before; every 100 share one RetrainPolicy. The operator
// runs as a real process (`node src/main.ts`), watching that namespace only. The metrics
// backend answers Prometheus's HTTP API: by default a STAND-IN (scripts/bench/standin-
// prometheus.ts) with deterministic vectors, since the subject is the operator's own cost; with
// --metrics prometheus, the local Prometheus (which holds no such series: every signal is NoData).
//
// Measured, over the steady window of M minutes after the first round of evaluations:
//   memory      the operator's resident set (VmRSS) sampled every 5 s: median and the peak
//               (VmHWM); V8 heap used (its own /metrics, every 30 s) per monitor
//   cpu         the operator's user + system time over the window / wall time (100 % = 1 core)
//   lag         modelguardian_evaluation_lag_seconds over the window: p50, p99 (from histogram
//               buckets, so bucket-bounded) and the largest bucket reached
//   writes      the API server's apiserver_request_total over the window, by verb and resource
//   queries     metric queries per second answered by the backend, and per 10,000 monitors and
//               interval (queries per evaluation x 10,000): batched or not (--batching, the
//               operator's QUERY_BATCHING)
//   cpu/eval    the operator's CPU time over the window / evaluations in it
//   ready       from spawn to /readyz (caches listed); first round: spawn until every monitor
//               has been evaluated once
//   status      JSON size of 50 monitors' status: median and max
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { durationMs } from "../../src/domain/duration.ts";
import { clusterEnv } from "../../test/stage/cluster-env.ts";
import { freePort, waitFor } from "../../test/stage/wait.ts";
import { startStandinPrometheus } from "./standin-prometheus.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const { values: args } = parseArgs({
  options: {
    monitors: { type: "string", default: "1000" },
    interval: { type: "string", default: "60s" },
    minutes: { type: "string", default: "3" },
    metrics: { type: "string", default: "standin" },
    workers: { type: "string", default: "8" },
    "values-max-age": { type: "string", default: "5m" },
    /** The operator's QUERY_BATCHING and QUERY_BATCH_WINDOW. */
    batching: { type: "string", default: "true" },
    "batch-window": { type: "string", default: "100ms" },
    /** NODE_OPTIONS for the operator only (V8 heap flags, as a chart would set them). */
    "node-options": { type: "string", default: "" },
    /** Write a V8 heap snapshot of the operator at the end, into .local/logs (for scripts/bench/heap-summary.ts). */
    "heap-snapshot": { type: "boolean", default: false },
    /** Write the operator's V8 CPU profile into .local/logs at its exit (for scripts/bench/cpu-profile-summary.ts). */
    "cpu-prof": { type: "boolean", default: false },
  },
});
const N = Number(args.monitors);
const MINUTES = Number(args.minutes);
if (!Number.isInteger(N) || N < 1) throw new Error("--monitors must be a positive integer");
if (!(MINUTES > 0)) throw new Error("--minutes must be a positive number");
if (args.metrics !== "standin" && args.metrics !== "prometheus") throw new Error("--metrics must be standin or prometheus");
if (args.batching !== "true" && args.batching !== "false") throw new Error("--batching must be true or false");

execFileSync("bash", [join(ROOT, "scripts/cluster/up.sh")], { stdio: ["ignore", "ignore", "inherit"] });
const env = clusterEnv(ROOT);
const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG as string);
const api = kc.makeApiClient(CustomObjectsApi);
const kubectl = (a: string[]) => execFileSync("kubectl", ["--kubeconfig", env.KUBECONFIG as string, ...a], { encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
const ns = `bench-scale-${Date.now().toString(36)}`;
const GROUP = { group: "modelguardian.dev", version: "v1alpha1" };
const log = (s: string) => console.error(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${s}`);

// ---------------------------------------------------------------- the objects

const policy = (i: number) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name: `policy-${i}`, namespace: ns },
  spec: {
    triggers: [{ findings: ["AccuracyDrift", "DataDrift"], action: "retrain" }],
    actions: [
      {
        name: "retrain",
        jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "train", image: "registry.example/train:1" }] } } } },
      },
    ],
    cooldown: "24h",
  },
});
const monitor = (i: number) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: `model-${i}`, namespace: ns },
  spec: {
    model: { name: `model-${i}`, version: "v1" },
    interval: args.interval,
    window: "1h",
    minSamples: 100,
    segments: { label: "plant" },
    signals: [
      { name: "accuracy", classification: { metric: "model_predictions_total" } },
      { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
      {
        name: "refusal_rate",
        ratio: { numerator: { metric: "model_responses_total", matchLabels: { refusal: "true" } }, denominator: { metric: "model_responses_total" } },
      },
    ],
    rules: [
      { signal: "accuracy", min: { critical: 0.8 } },
      { signal: "refusal_rate", max: { warning: 0.05 } },
    ],
    drift: [
      {
        name: "inputs",
        histogram: { metric: "model_feature_value", featureLabel: "feature" },
        method: "psi",
        reference: { offset: "1d" },
        threshold: { warning: 0.1, critical: 0.25 },
      },
    ],
    policyRef: { name: `policy-${Math.floor(i / 100)}` },
  },
});

async function createAll<T extends { metadata: { name: string } }>(plural: string, objects: T[], concurrency = 24): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < objects.length) {
        const body = objects[next++] as T;
        await api.createNamespacedCustomObject({ ...GROUP, plural, namespace: ns, body });
      }
    }),
  );
}

// ---------------------------------------------------------------- measuring

const proc = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), cpuTicks: Number(stat[11]) + Number(stat[12]) };
};
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

type Series = Map<string, number>;
function parseMetrics(text: string, name: string): Series {
  const out: Series = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const delta = (a: Series, b: Series) => new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)]));
const sum = (s: Series) => [...s.values()].reduce((x, y) => x + y, 0);

/** p-quantile from cumulative histogram bucket deltas: the first bucket bound reaching it. */
function quantile(buckets: Series, q: number): string {
  const bounds = [...buckets]
    .map(([k, v]) => [/le="([^"]+)"/.exec(k)?.[1] ?? "", v] as const)
    .filter(([le]) => le !== "")
    .sort(([a], [b]) => (a === "+Inf" ? Infinity : Number(a)) - (b === "+Inf" ? Infinity : Number(b)));
  const total = bounds.at(-1)?.[1] ?? 0;
  if (total === 0) return "n/a";
  const hit = bounds.find(([, c]) => c >= q * total);
  return hit ? (hit[0] === "+Inf" ? "> 300 s" : `≤ ${hit[0]} s`) : "n/a";
}
function maxBucket(buckets: Series): string {
  const bounds = [...buckets].map(([k, v]) => [/le="([^"]+)"/.exec(k)?.[1] ?? "", v] as const).filter(([le]) => le !== "");
  const total = Math.max(0, ...bounds.map(([, v]) => v));
  const reached = bounds.filter(([, v]) => v === total).map(([le]) => (le === "+Inf" ? Infinity : Number(le)));
  const m = Math.min(...reached);
  return total === 0 ? "n/a" : m === Infinity ? "> 300 s" : `≤ ${m} s`;
}
const apiserverRequests = () => {
  const text = kubectl(["get", "--raw", "/metrics"]);
  const out: Series = new Map();
  for (const [k, v] of parseMetrics(text, "apiserver_request_total{")) {
    const label = (n: string) => new RegExp(`${n}="([^"]*)"`).exec(k)?.[1] ?? "";
    if (!["modelmonitors", "retrainpolicies", "jobs", "events", "leases", "modelrollouts"].includes(label("resource"))) continue;
    const key = `${label("verb")} ${label("resource")}${label("subresource") ? `/${label("subresource")}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

// ---------------------------------------------------------------- the run

const cleanup: (() => Promise<void> | void)[] = [];
const done = async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void done().then(() => process.exit(130)));

try {
  kubectl(["create", "namespace", ns]);
  cleanup.push(() => void kubectl(["delete", "namespace", ns, "--wait=false"]));
  const standin = args.metrics === "standin" ? await startStandinPrometheus() : undefined;
  if (standin) cleanup.push(() => standin.close());
  const metricsUrl = standin?.url ?? (env.PROMETHEUS_URL as string);

  let t = performance.now();
  await createAll(
    "retrainpolicies",
    Array.from({ length: Math.ceil(N / 100) }, (_, i) => policy(i)),
  );
  await createAll(
    "modelmonitors",
    Array.from({ length: N }, (_, i) => monitor(i)),
  );
  log(`created ${N} monitors and ${Math.ceil(N / 100)} policies in ${((performance.now() - t) / 1000).toFixed(0)} s`);

  const port = await freePort();
  const logs = join(ROOT, ".local/logs");
  await mkdir(logs, { recursive: true });
  const spawnedAt = performance.now();
  const nodeFlags = [
    ...(args["heap-snapshot"] ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${logs}`] : []),
    ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${logs}`, `--cpu-prof-name=operator-${ns}.cpuprofile`] : []),
  ];
  const child = spawn(process.execPath, [...nodeFlags, join(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      KUBECONFIG: env.KUBECONFIG,
      PROMETHEUS_URL: metricsUrl,
      WATCH_NAMESPACES: ns,
      METRICS_ADDR: `127.0.0.1:${port}`,
      LOG_LEVEL: "warn",
      WORKERS: args.workers,
      QUERY_RETRIES: "0",
      STATUS_VALUES_MAX_AGE: args["values-max-age"],
      QUERY_BATCHING: args.batching,
      QUERY_BATCH_WINDOW: args["batch-window"],
      NODE_OPTIONS: args["node-options"],
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logFile = createWriteStream(join(logs, `operator-${ns}.log`));
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  cleanup.push(() => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once("exit", () => r()), child.kill("SIGTERM")))));
  const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  await waitFor("operator /readyz", async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, 300_000, 100);
  const readyS = (performance.now() - spawnedAt) / 1000;
  await waitFor("the first round of evaluations", async () => sum(parseMetrics(await scrape(), "modelguardian_evaluations_total")) >= N, 3_600_000, 5000);
  const firstRoundS = (performance.now() - spawnedAt) / 1000;
  log(`ready after ${readyS.toFixed(1)} s; every monitor evaluated once after ${firstRoundS.toFixed(0)} s; steady window of ${MINUTES} min begins`);

  // ---- the steady window
  const m0 = await scrape();
  const a0 = apiserverRequests();
  const p0 = proc(child.pid as number);
  const q0 = standin?.queries() ?? 0;
  t = performance.now();
  const rss: number[] = [];
  const heap: number[] = [];
  const end = t + MINUTES * 60_000;
  // the resident set from /proc every 5 s; the heap from /metrics every 30 s, as often as a
  // Prometheus would scrape it (a scrape is not free: 2.3 KB per monitor to render)
  for (let i = 0; performance.now() < end; i++) {
    await new Promise((r) => setTimeout(r, 5000));
    rss.push(proc(child.pid as number).rss);
    if (i % 6 === 5) heap.push(sum(parseMetrics(await scrape(), "nodejs_heap_size_used_bytes")));
  }
  const seconds = (performance.now() - t) / 1000;
  const m1 = await scrape();
  const a1 = apiserverRequests();
  const p1 = proc(child.pid as number);
  const q1 = standin?.queries() ?? 0;
  const lag = delta(parseMetrics(m0, "modelguardian_evaluation_lag_seconds_bucket"), parseMetrics(m1, "modelguardian_evaluation_lag_seconds_bucket"));
  const evaluations = sum(delta(parseMetrics(m0, "modelguardian_evaluations_total"), parseMetrics(m1, "modelguardian_evaluations_total")));
  const requests = delta(a0, a1);
  const sizes: number[] = [];
  for (let i = 0; i < Math.min(50, N); i++) {
    const o = (await api.getNamespacedCustomObject({
      ...GROUP,
      plural: "modelmonitors",
      namespace: ns,
      name: `model-${Math.floor((i * N) / Math.min(50, N))}`,
    })) as { status?: unknown };
    sizes.push(JSON.stringify(o.status ?? {}).length);
  }

  if (args["heap-snapshot"]) {
    const before = new Set(readdirSync(logs));
    child.kill("SIGUSR2");
    const file = await waitFor(
      "the heap snapshot",
      async () => {
        const fresh = readdirSync(logs).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
        // written when its size stops changing
        if (!fresh) return undefined;
        const size = statSync(join(logs, fresh)).size;
        await new Promise((r) => setTimeout(r, 2000));
        return size > 0 && statSync(join(logs, fresh)).size === size ? fresh : undefined;
      },
      600_000,
      1000,
    );
    log(`heap snapshot: ${join(logs, file)} (summarise it with: npx node scripts/bench/heap-summary.ts ${join(".local/logs", file)} ${N})`);
  }

  const row = (k: string, v: string) => console.log(`| ${k.padEnd(38)} | ${v}`);
  console.log(
    `\nbench:scale, ${new Date().toISOString().slice(0, 10)}, ${N} monitors at ${args.interval}, ${args.workers} workers, QUERY_BATCHING ${args.batching}${args.batching === "true" ? ` (window ${args["batch-window"]})` : ""}, STATUS_VALUES_MAX_AGE ${args["values-max-age"]}${args["node-options"] ? `, NODE_OPTIONS ${args["node-options"]}` : ""}, ${MINUTES} min steady, metrics: ${standin ? "a STAND-IN answering Prometheus's API (deterministic vectors)" : "the local Prometheus"}`,
  );
  console.log(`| ${"figure".padEnd(38)} | value`);
  console.log(`|${"-".repeat(40)}|------`);
  row("start to ready (lists, caches)", `${readyS.toFixed(1)} s`);
  row("start to every monitor evaluated once", `${firstRoundS.toFixed(0)} s`);
  row("resident memory, steady (median)", mb(median(rss)));
  row("resident memory, peak (VmHWM)", mb(p1.hwm));
  row("V8 heap used per monitor (median)", `${(median(heap) / N / 1024).toFixed(1)} KB`);
  row(
    "  V8 heap total / external (at the end)",
    `${mb(sum(parseMetrics(m1, "nodejs_heap_size_total_bytes")))} / ${mb(sum(parseMetrics(m1, "nodejs_external_memory_bytes")))}`,
  );
  for (const [k, v] of parseMetrics(m1, "nodejs_heap_space_size_used_bytes{"))
    if (v > 16 * 2 ** 20) row(`  heap space ${/space="([^"]+)"/.exec(k)?.[1] ?? k}`, mb(v));
  row("  operator series on /metrics (lines, bytes)", `${m1.split("\n").filter((l) => l && !l.startsWith("#")).length}, ${(m1.length / 1024).toFixed(0)} KB`);
  const cpuSeconds = (p1.cpuTicks - p0.cpuTicks) / TICK;
  row("operator CPU (100 % = one core)", `${((cpuSeconds / seconds) * 100).toFixed(0)} %`);
  row("operator CPU per evaluation", `${((cpuSeconds * 1000) / Math.max(1, evaluations)).toFixed(2)} ms`);
  row("evaluations per second", `${(evaluations / seconds).toFixed(1)} (needed: ${(N / (durationMs(args.interval) / 1000)).toFixed(1)})`);
  row("evaluation lag p50 / p99 / max", `${quantile(lag, 0.5)} / ${quantile(lag, 0.99)} / ${maxBucket(lag)}`);
  row("metric queries per second", standin ? ((q1 - q0) / seconds).toFixed(1) : "n/a (not counted on the real Prometheus)");
  row(
    "queries per 10,000 monitors and interval",
    standin ? `${(((q1 - q0) / Math.max(1, evaluations)) * 10_000).toFixed(0)} (${((q1 - q0) / Math.max(1, evaluations)).toFixed(2)} per evaluation)` : "n/a",
  );
  // server-side apply counts as verb APPLY, a merge or JSON patch as PATCH
  const writes = (resource: string) =>
    (requests.get(`APPLY ${resource}`) ?? 0) + (requests.get(`PATCH ${resource}`) ?? 0) + (requests.get(`UPDATE ${resource}`) ?? 0);
  row(
    "status writes per second",
    `${((writes("modelmonitors/status") + writes("retrainpolicies/status")) / seconds).toFixed(2)} (monitor status writes per evaluation: ${(writes("modelmonitors/status") / Math.max(1, evaluations)).toFixed(2)})`,
  );
  for (const [k, v] of [...requests].filter(([, v]) => v > 0).sort()) row(`  API requests/s: ${k}`, (v / seconds).toFixed(2));
  row("status size per monitor median / max", `${(median(sizes) / 1024).toFixed(1)} KB / ${(Math.max(...sizes) / 1024).toFixed(1)} KB`);
} finally {
  await done();
}
