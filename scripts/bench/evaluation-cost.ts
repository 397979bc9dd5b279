// Benchmark (not a test): CPU cost of one ModelMonitor evaluation in the pure core (plan +
// decide), with made-up Prometheus answers, to size one replica for 10,000 monitors.
// `npm run bench:evaluation`
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorStatus } from "../../src/api/v1alpha1/modelmonitor.ts";
import { decide, planEvaluation, planQueries } from "../../src/domain/monitor/evaluate.ts";
import { queryKey } from "../../src/domain/observation.ts";
import { standinAnswer } from "./standin-prometheus.ts";
import type { Finding, RemediationStatus } from "../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicySpecSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { jobViewOf, type JobView } from "../../src/domain/remediation/job.ts";
import { planRemediation, settleRemediation } from "../../src/domain/remediation/plan.ts";

const spec = modelMonitorSpecSchema.parse({
  model: { name: "fraud" },
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
    { signal: "accuracy", min: { critical: 0.8 }, baseline: { pinned: {} }, maxDrop: { warning: 0.05, critical: 0.1 } },
    { signal: "p95_latency", baseline: { offset: "1d" }, maxRelativeIncrease: { critical: 0.5 } },
    { signal: "refusal_rate", max: { warning: 0.05 } },
  ],
  drift: [
    {
      name: "inputs",
      histogram: { metric: "model_feature_value", featureLabel: "feature" },
      method: "psi",
      reference: { offset: "7d" },
      threshold: { warning: 0.1, critical: 0.25 },
    },
  ],
});
const answer = standinAnswer;

const N = Number(process.argv[2] ?? 5000);
let status: ModelMonitorStatus = modelMonitorStatusSchema.parse({});
const t0 = Date.parse("2026-11-01T00:00:00Z");
const startCpu = process.cpuUsage();
const start = performance.now();
let queries = 0;
for (let i = 0; i < N; i++) {
  const now = t0 + i * 60_000;
  const plan = planEvaluation(spec, now);
  const qs = planQueries(plan);
  queries += qs.length;
  const results = new Map(qs.map((q) => [queryKey(q), answer(q)]));
  status = decide({ generation: 1, annotations: {}, spec, status }, plan, results, now).status;
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(startCpu);
const perEval = ms / N;
console.log(`evaluations: ${N}, queries per evaluation: ${queries / N}`);
console.log(`wall time per evaluation: ${perEval.toFixed(3)} ms (cpu ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms)`);
console.log(`status size: ${JSON.stringify(status).length} bytes`);
console.log(
  `10,000 monitors at a 1m interval need ${(10_000 / 60).toFixed(0)} evaluations/s: ${(((10_000 / 60) * perEval) / 10).toFixed(1)} % of one core in the pure core`,
);
console.log(`heap used: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);

// ---- acting on findings: the remediation planner with a policy, a full history and a Job
// that is running, as every reconcile of a monitor with a RetrainPolicy does
const policySpec = retrainPolicySpecSchema.parse({
  triggers: [
    { findings: ["AccuracyDrift", "DataDrift"], action: "retrain" },
    { findings: ["EmbeddingDrift"], action: "reindex" },
  ],
  actions: [
    {
      name: "retrain",
      jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "t", image: "i" }] } } } },
      config: { epochs: "50" },
    },
    { name: "reindex", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "t", image: "i" }] } } } } },
  ],
  cooldown: "0s",
  maxActiveJobs: 100,
});
const findings: Finding[] = ["a", "b", "c"].map((p, i) => ({
  type: "AccuracyDrift",
  severity: "warning",
  source: "accuracy",
  segment: p,
  description: "d",
  since: new Date(t0 + i).toISOString(),
}));
let remediation: RemediationStatus | undefined;
let jobs: JobView[] = [];
const rStart = performance.now();
for (let i = 0; i < N; i++) {
  const now = t0 + i * 60_000;
  // a new episode every evaluation, so each one renders and "creates" a Job
  const current = findings.map((f) => ({ ...f, since: new Date(now).toISOString() }));
  const plan = planRemediation({
    namespace: "ns",
    monitor: { name: "fraud", uid: "u" },
    model: { name: "fraud" },
    policy: { state: "ok", name: "p", spec: policySpec },
    acting: true,
    findings: current,
    previous: remediation,
    jobs,
    now,
  });
  const result = settleRemediation(plan, new Map(plan.intents.map((x) => [x.manifest.metadata.name, { kind: "created" as const }])));
  remediation = result.status;
  jobs = plan.intents.map((x) => jobViewOf({ ...x.manifest, metadata: { ...x.manifest.metadata, creationTimestamp: new Date(now).toISOString() } }) as JobView);
}
const perPlan = (performance.now() - rStart) / N;
console.log(
  `remediation (plan + a Job rendered + settle) per reconcile: ${perPlan.toFixed(3)} ms; remediation status: ${JSON.stringify(remediation).length} bytes`,
);
