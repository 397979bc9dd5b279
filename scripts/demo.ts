// `npm run demo`: the product's story in about three minutes, on the real local control plane.
// A simulated fraud model exports metrics, Prometheus scrapes them, the operator watches a
// ModelMonitor; the model degrades, the monitor turns Critical with a Warning Event, its
// RetrainPolicy starts a retraining Job that runs on the cluster's (simulated) node and reports
// the new model version, recorded as the candidate; then the model recovers.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import { startModelServer } from "../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../sim/targets.ts";

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
// a fresh namespace each run: the previous run's monitor remembers its Job (and its cooldown)
kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=60s"]);
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

// The Job runs on kwok's simulated node: no container starts, so the pod's annotations say
// what the training would have reported (scripts/cluster/kwok-stages.yaml). A real trainer
// writes the same JSON to /dev/termination-log.
const policy = {
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
                  "sim.modelguardian.dev/run-duration": "8s",
                  "sim.modelguardian.dev/termination-message": '{"version": "v4", "uri": "s3://models/fraud-detector/v4"}',
                },
              },
              spec: { restartPolicy: "Never", containers: [{ name: "train", image: "registry.example/fraud-train:1.4" }] },
            },
          },
        },
      },
    ],
    cooldown: "1h",
  },
};
say("kubectl apply -f fraud-retrain.yaml (a RetrainPolicy)");
console.log(stringify(policy).replace(/^/gm, "  "));
console.log(kubectl(["apply", "-f", "-"], stringify(policy)).stdout);

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
    policyRef: { name: "fraud-retrain" },
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
  await show("Watching the monitor react", 30);
  say("Findings and Events (kubectl describe shows the same)");
  const status = JSON.parse(kubectl(["get", "modelmonitor", model, "-n", ns, "-o", "json"]).stdout).status;
  for (const f of status.findings ?? []) console.log(`  ${f.severity.padEnd(8)} ${f.type.padEnd(14)} ${f.description}`);
  console.log(kubectl(["get", "events", "-n", ns, "--sort-by=.lastTimestamp", "-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"]).stdout.replace(/^/gm, "  "));
  say("The policy starts a retraining Job: kubectl get jobs -n demo");
  let lastJobs = "";
  for (let i = 0; i < 90; i++) {
    const jobs = kubectl(["get", "jobs", "-n", ns, "-o", "custom-columns=NAME:.metadata.name,ACTION:.metadata.labels.modelguardian\\.dev/action,ACTIVE:.status.active,SUCCEEDED:.status.succeeded,FAILED:.status.failed"]).stdout.trim();
    if (jobs !== lastJobs) console.log(jobs.replace(/^/gm, "  "));
    lastJobs = jobs;
    const mm = JSON.parse(kubectl(["get", "modelmonitor", model, "-n", ns, "-o", "json"]).stdout);
    if (mm.status?.remediation?.candidate) break;
    await sleep(1000);
  }
  say("The Job reported model version v4: the monitor's candidate (kubectl get mm -o wide)");
  console.log(kubectl(["get", "modelmonitors", "-n", ns, "-o", "wide"]).stdout.replace(/^/gm, "  "));
  const remediation = JSON.parse(kubectl(["get", "modelmonitor", model, "-n", ns, "-o", "json"]).stdout).status?.remediation;
  console.log(stringify({ candidate: remediation?.candidate, history: remediation?.history }).replace(/^/gm, "  "));
  say("kubectl get retrainpolicies -n demo");
  console.log(kubectl(["get", "retrainpolicies", "-n", ns]).stdout.replace(/^/gm, "  "));
  console.log(kubectl(["get", "events", "-n", ns, "--sort-by=.lastTimestamp", "-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"]).stdout.replace(/^/gm, "  "));

  say("A fix is deployed: accuracy back to 0.93");
  sim.setBehaviour({ accuracy: 0.93 });
  await show("Watching it recover", 40);
} finally {
  await operator.stop();
  await removePrometheusTarget(targets, "demo-fraud-detector");
  await sim.close();
}
say("Done. Everything stays in the cluster: kubectl --kubeconfig .local/kubeconfig get mm,rp,jobs -n demo");
console.log("  Stop everything with: npm run cluster:down");
process.exit(0);
