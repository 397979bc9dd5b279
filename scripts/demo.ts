// `npm run demo`: the product's story in about two minutes, on the real local control plane.
// A simulated fraud model exports metrics, Prometheus scrapes them, the operator watches a
// ModelMonitor; the model degrades, the monitor turns Critical with a Warning Event, then recovers.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import { removePrometheusTarget, startModelServer, writePrometheusTarget } from "../sim/model-server.ts";

const root = join(import.meta.dirname, "..");
const say = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

say("Starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok, Prometheus)");
execFileSync("bash", [join(root, "scripts/cluster/up.sh")], { stdio: "inherit" });
const env = Object.fromEntries(
  execFileSync("bash", ["-c", `set -a; source ${join(root, ".local/env")}; env`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => /^(KUBECONFIG|PROMETHEUS_URL)=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
) as { KUBECONFIG: string; PROMETHEUS_URL: string };
process.env.KUBECONFIG = env.KUBECONFIG;
const kubectl = (args: string[], input?: string) =>
  spawnSync("kubectl", ["--kubeconfig", env.KUBECONFIG, ...args], { input, encoding: "utf8" });

const ns = "demo";
const model = "fraud-detector";
kubectl(["create", "namespace", ns]);

say(`Starting a simulated model server for ${model} (accuracy 0.92, two plants)`);
const sim = await startModelServer({ model, version: "v3", segments: { "plant-a": { requestsPerSecond: 40 }, "plant-b": { requestsPerSecond: 40 } }, seed: 42 });
const targets = join(root, ".local/prometheus/targets");
await writePrometheusTarget(targets, "demo-fraud-detector", sim.port);
console.log(`  metrics at ${sim.url}/metrics, scraped by ${env.PROMETHEUS_URL} every second`);
for (let i = 0; i < 60; i++) {
  const r = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(`model_predictions_total{model="${model}"}`)}`);
  if (((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0) break;
  await sleep(1000);
}

say("Starting the operator (node src/main.ts)");
const { run } = await import("../src/main.ts");
const operator = await run({ ...process.env, PROMETHEUS_URL: env.PROMETHEUS_URL, WATCH_NAMESPACES: ns, METRICS_ADDR: "127.0.0.1:18080", LOG_LEVEL: "warn" });

const monitor = {
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: model, namespace: ns },
  spec: {
    model: { name: model, version: "v3" },
    interval: "5s",
    window: "30s",
    minSamples: 200,
    segments: { label: "plant" },
    signals: [
      { name: "accuracy", classification: { metric: "model_predictions_total", measure: "accuracy" } },
      { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
    ],
    rules: [{ signal: "accuracy", min: { critical: 0.8 }, baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } }],
  },
};
say("kubectl apply -f fraud-detector.yaml");
console.log(stringify(monitor).replace(/^/gm, "  "));
console.log(kubectl(["apply", "-f", "-"], stringify(monitor)).stdout);

const show = async (label: string, seconds: number) => {
  say(label);
  const until = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < until) {
    const table = kubectl(["get", "modelmonitors", "-n", ns]).stdout.trim();
    const row = table.split("\n")[1] ?? "";
    const key = row.replace(/\s+\S+\s+\S+$/, ""); // ignore the ticking age columns
    if (key !== last) console.log(last ? row : table);
    last = key;
    await sleep(1000);
  }
};

try {
  await show("Watching: kubectl get modelmonitors -n demo", 25);
  say("The model degrades: accuracy 0.92 -> 0.78 on every plant");
  sim.setBehaviour({ accuracy: 0.78 });
  await show("Watching the monitor react", 45);
  say("Findings and Events (kubectl describe shows the same)");
  const status = JSON.parse(kubectl(["get", "modelmonitor", model, "-n", ns, "-o", "json"]).stdout).status;
  for (const f of status.findings ?? []) console.log(`  ${f.severity.padEnd(8)} ${f.type.padEnd(14)} ${f.description}`);
  console.log(kubectl(["get", "events", "-n", ns, "--sort-by=.lastTimestamp", "-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"]).stdout.replace(/^/gm, "  "));
  say("A fix is deployed: accuracy back to 0.93");
  sim.setBehaviour({ accuracy: 0.93 });
  await show("Watching it recover", 45);
} finally {
  await operator.stop();
  await removePrometheusTarget(targets, "demo-fraud-detector");
  await sim.close();
}
say("Done. The monitor stays in the cluster: kubectl --kubeconfig .local/kubeconfig get mm -n demo -o yaml");
console.log("  Stop everything with: npm run cluster:down");
process.exit(0);
