// The dashboard and the alerts against the real thing: the local Prometheus scrapes a running
// operator (as job "model-guardian", as the chart's ServiceMonitor names it) that watches
// simulated models, starts a failing retraining Job and a re-indexing Job, and runs a canary
// rollout to promotion, another to an abort and a third to a rollback by its analysis. Then every dashboard panel's PromQL, with its
// variables filled in, must parse and return data, every variable query must list the
// namespace, monitors and models, and config/monitoring/alerts.yaml, loaded into that
// Prometheus, evaluates without error and fires for the failed Job and the aborted rollout.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { followDeployments } from "../stage/follow.ts";
import { modelDeployment } from "../stage/serving.ts";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import {
  ACCURACY,
  apply,
  env,
  getJson,
  given,
  kubectlOk,
  modelMonitor,
  modelRollout,
  type Operator,
  PROMETHEUS_URL,
  promQuery,
  ROOT,
  type Stage,
  stopScrapedModel,
  TARGETS_DIR,
  useStage,
  waitFor,
} from "../stage/index.ts";

const run = promisify(execFile);
const id = Date.now().toString(36);
const MODEL = `obs-${id}`;
const CANARY = `obs-canary-${id}`;
const OPERATOR_TARGET = `model-guardian-obs-${id}`;
const RULES_FILE = join(env.MG_PROMETHEUS_RULES_DIR as string, `model-guardian-obs-${id}.yaml`);
let ns: string;
let operator: Operator | undefined;
let sim: ModelServer | undefined;
let stable: ModelServer | undefined;
let candidate: ModelServer | undefined;
let follower: { stop(): void } | undefined;
// a notification webhook for policy p: it accepts every delivery
let receiver: Server | undefined;
const notices: { reason: string; object: { name: string } }[] = [];

interface Target {
  refId: string;
  expr: string;
}
interface Dashboard {
  panels: { type: string; title: string; targets?: Target[] }[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}
/** Grafana's variables filled in: $var and ${var}; a multi-value variable as Grafana formats it for =~, (a|b). */
const render = (expr: string, values: Record<string, string>) =>
  expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => values[(a ?? b) as string] ?? m);

async function prometheus<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${PROMETHEUS_URL}${path}`, init);
  const body = (await res.json()) as { status: string; error?: string; data: T };
  if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
  return body.data;
}
const instant = (expr: string) => prometheus<{ resultType: string; result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);

const deployment = (name: string, version: string) => modelDeployment({ namespace: ns, name, version, node: env.MG_NODE_NAME });
const job = (annotations: Record<string, string>) => ({
  spec: {
    backoffLimit: 0,
    template: { metadata: { annotations }, spec: { restartPolicy: "Never", containers: [{ name: "job", image: "registry.example/job:1" }] } },
  },
});
const rolloutPhase = async (name: string) => (await getJson<{ status?: { phase?: string } }>("modelrollout", name, ns)).status?.phase;
const modelVersion = async (name: string) =>
  (
    await getJson<{ spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } } }>("deployment", name, ns)
  ).spec.template.spec.containers[0]?.env?.find((e) => e.name === "MODEL_VERSION")?.value;

// A strict decoder of Grafana dashboards: grafana-foundation-sdk's generated types refuse unknown
// and missing required fields (Grafana itself cannot be built here). Built into .cache on first use.
const SDK_VERSION = "v0.0.22";
const VALIDATOR_GO = String.raw`// Strictly decodes and validates a Grafana dashboard JSON with grafana-foundation-sdk.
package main

import (
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

func main() {
	runtime := cog.NewRuntime()
	runtime.RegisterPanelcfgVariant(timeseries.VariantConfig())
	runtime.RegisterPanelcfgVariant(statetimeline.VariantConfig())
	runtime.RegisterPanelcfgVariant(table.VariantConfig())
	runtime.RegisterDataqueryVariant(prometheus.VariantConfig())
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var d dashboard.Dashboard
	if err := noErrors(d.UnmarshalJSONStrict(raw)); err != nil {
		fmt.Fprintln(os.Stderr, "strict decode:", err)
		os.Exit(1)
	}
	if err := noErrors(d.Validate()); err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(1)
	}
	fmt.Printf("ok: %d panels\n", len(d.Panels))
}

// noErrors: the SDK returns its error list typed (cog.BuildErrors), so an empty one is a non-nil error
func noErrors(err error) error {
	if list, ok := err.(cog.BuildErrors); ok && len(list) == 0 {
		return nil
	}
	return err
}
`;

/** The webhook receiver of the policies' notifications. */
const startReceiver = async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req
      .on("data", (c) => (body += c))
      .on("end", () => {
        notices.push(JSON.parse(body) as { reason: string; object: { name: string } });
        res.writeHead(204).end();
      });
  });
  await new Promise<void>((r) => receiver?.listen(0, "127.0.0.1", r));
  return () => new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
};
let simStarted = 0;
/** The names the tests use, and the operator's /metrics as a scrape target of job model-guardian (the ServiceMonitor's job name). */
const scrapeTheOperator = async (s: Stage) => {
  ns = s.ns;
  operator = s.operator;
  await writePrometheusTarget(TARGETS_DIR, OPERATOR_TARGET, Number(new URL(operator.metricsUrl).port), { job: "model-guardian" });
  return () => removePrometheusTarget(TARGETS_DIR, OPERATOR_TARGET);
};
const startCanaryServers = async (s: Stage) => {
  sim = s.sim;
  simStarted = Date.now();
  // the canary's two versions: the simulated servers stand in for the Deployments' pods and
  // serve the version the operator put on their Deployment
  stable = await startModelServer({ model: CANARY, version: "v1", segments: { a: { requestsPerSecond: 40 } }, seed: 22 });
  candidate = await startModelServer({ model: CANARY, version: "v1", segments: { a: { requestsPerSecond: 40 } }, seed: 23 });
  await writePrometheusTarget(TARGETS_DIR, `${CANARY}-stable`, stable.port);
  await writePrometheusTarget(TARGETS_DIR, `${CANARY}-candidate`, candidate.port);
  follower = followDeployments({
    servers: [
      { server: stable, deployment: "canary-stable", version: "v1" },
      { server: candidate, deployment: "canary-candidate", version: "v1" },
    ],
    readVersion: modelVersion,
    everyMs: 1000,
  });
  return async () => {
    follower?.stop();
    for (const [server, name] of [
      [stable, `${CANARY}-stable`],
      [candidate, `${CANARY}-candidate`],
    ] as const)
      await stopScrapedModel(server, name);
  };
};
const applyObjects = async () => {
  for (const o of [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "webhook", namespace: ns },
      stringData: { url: `http://127.0.0.1:${((receiver as Server).address() as AddressInfo).port}/hook` },
    },
    deployment("canary-stable", "v1"),
    deployment("canary-candidate", "v1"),
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "canary", namespace: ns },
      spec: {
        parentRefs: [{ name: "inference-gateway" }],
        rules: [
          {
            backendRefs: [
              { name: "canary-stable", port: 8080, weight: 100 },
              { name: "canary-candidate", port: 8080, weight: 0 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "RetrainPolicy",
      metadata: { name: "canary", namespace: ns },
      spec: {
        rollout: { steps: [{ weight: 50, hold: "4s" }], analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.1 }], minSamples: 20 }, readyTimeout: "2m" },
        notifications: [{ name: "releases", urlSecretRef: { name: "webhook" }, topics: ["Rollouts"] }],
      },
    },
    modelMonitor(ns, "canary", {
      model: { name: CANARY, version: "v1" },
      selector: { model: CANARY },
      versionLabel: "version",
      interval: "2s",
      window: "20s",
      minSamples: 20,
      signals: [ACCURACY],
      policyRef: { name: "canary" },
      serving: {
        router: { gatewayAPI: { httpRoute: { name: "canary" } } },
        stable: { backendRef: { name: "canary-stable" }, deployment: { name: "canary-stable" } },
        candidate: { backendRef: { name: "canary-candidate" }, deployment: { name: "canary-candidate" } },
      },
    }),
    {
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "RetrainPolicy",
      metadata: { name: "p", namespace: ns },
      spec: {
        notifications: [{ name: "ops", urlSecretRef: { name: "webhook" } }],
        triggers: [
          { findings: ["AccuracyDrift"], action: "retrain" },
          { findings: ["EmbeddingDrift"], action: "reindex" },
        ],
        actions: [
          { name: "retrain", jobTemplate: job({ "sim.modelguardian.dev/outcome": "Failed", "sim.modelguardian.dev/run-duration": "1s" }) },
          { name: "reindex", jobTemplate: job({ "sim.modelguardian.dev/run-duration": "1s" }) },
        ],
      },
    },
    modelMonitor(ns, "m", {
      model: { name: MODEL, version: "v1" },
      interval: "2s",
      window: "10s",
      minSamples: 100,
      signals: [ACCURACY, { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } }],
      rules: [
        { signal: "accuracy", min: { critical: 0.8 } },
        { signal: "p95_latency", baseline: { pinned: {} }, maxRelativeIncrease: { critical: 2 } },
      ],
      drift: [
        {
          name: "inputs",
          histogram: { metric: "model_feature_value", featureLabel: "feature" },
          method: "psi",
          reference: { pinned: {} },
          threshold: { warning: 0.1, critical: 0.25 },
        },
        {
          name: "queries",
          embedding: { metric: "model_query_embedding_centroid" },
          method: "cosine",
          reference: { pinned: {} },
          threshold: { warning: 0.05, critical: 0.1 },
        },
      ],
      policyRef: { name: "p" },
    }),
    {
      // a Prometheus that does not answer: every query of this monitor is an error (Unreachable)
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "unreachable", namespace: ns },
      spec: {
        model: { name: MODEL },
        source: { url: "http://127.0.0.1:9", timeout: "1s" },
        interval: "2s",
        signals: [ACCURACY],
      },
    },
  ]) {
    // m's references are pinned at its first evaluation: let its 10 s window fill first
    if (o.metadata.name === "m") await new Promise((r) => setTimeout(r, Math.max(0, simStarted + 12_000 - Date.now())));
    const r = await apply(o);
    if (r.code !== 0) throw new Error(`${o.kind}: ${r.stderr}`);
  }
};
const loadAlertRules = async () => {
  // the alerting rules, as a Prometheus with rule_files would load them
  await copyFile(join(ROOT, "config/monitoring/alerts.yaml"), RULES_FILE);
  await fetch(`${PROMETHEUS_URL}/-/reload`, { method: "POST" });
  return async () => {
    await rm(RULES_FILE, { force: true });
    await fetch(`${PROMETHEUS_URL}/-/reload`, { method: "POST" }).catch(() => undefined);
  };
};
useStage(
  given("obs")
    .withStep(startReceiver)
    .withOperator({ name: `obs-${id}` })
    .withStep(scrapeTheOperator)
    .withModel({ model: MODEL, version: "v1", segments: { a: { requestsPerSecond: 60 }, b: { requestsPerSecond: 60 } }, seed: 21 })
    .withStep(startCanaryServers)
    .withStep(applyObjects)
    .withStep(loadAlertRules),
  300_000,
);

describe("monitoring the operator with the shipped dashboard and alerts", () => {
  it("drives the events the panels show: Jobs (one failed), a promotion, an aborted rollout", async () => {
    await waitFor(
      "m Healthy with its references pinned",
      async () => {
        const m = await getJson<{ status?: { health?: string; drift?: { features: { score?: number }[] }[] } }>("modelmonitor", "m", ns);
        return m.status?.health === "Healthy" && (m.status.drift ?? []).every((d) => d.features.some((f) => f.score !== undefined));
      },
      90_000,
    );
    // accuracy drops and the embedding centroid moves: a retraining Job (it fails) and a re-indexing Job
    sim?.setBehaviour({ accuracy: 0.5, embeddingShift: 2 });
    await waitFor(
      "both Jobs finished",
      async () => {
        const text = await (await fetch(operator!.metricsUrl)).text();
        return (
          /modelguardian_action_jobs_finished_total\{[^}]*action="retrain"[^}]*outcome="Failed"/.test(text) &&
          /modelguardian_action_jobs_finished_total\{[^}]*action="reindex"[^}]*outcome="Succeeded"/.test(text)
        );
      },
      90_000,
    );
    // the model stays degraded: its findings (a gauge that exists only while they do) stay on the dashboard

    await apply(modelRollout(ns, "canary-v2", { version: "v2" }));
    await waitFor("canary-v2 promoted", async () => (await rolloutPhase("canary-v2")) === "Succeeded", 120_000, 500);
    await apply(modelRollout(ns, "canary-v3", { version: "v3" }));
    await waitFor(
      "canary-v3 at its first step",
      async () => (await getJson<{ status?: { weights?: { candidate: number } } }>("modelrollout", "canary-v3", ns)).status?.weights?.candidate === 50,
      90_000,
      500,
    );
    await kubectlOk(["annotate", "modelrollout", "canary-v3", "-n", ns, "--overwrite", "modelguardian.dev/rollout-action=abort"]);
    await waitFor("canary-v3 aborted", async () => (await rolloutPhase("canary-v3")) === "Aborted", 60_000, 500);
    // the canary policy's webhook was told of both rollouts' steps and endings
    await waitFor("the rollout notices", async () => notices.some((n) => n.reason === "Aborted" && n.object.name === "canary-v3"), 30_000, 250);
    const told = (name: string) => notices.filter((n) => n.object.name === name).map((n) => n.reason);
    expect(told("canary-v2")).toEqual(expect.arrayContaining(["RolloutStarted", "StepStarted", "Promoted"]));
    expect(told("canary-v3")).toEqual(expect.arrayContaining(["RolloutStarted", "StepStarted", "Aborted", "Quarantined"]));
    // a candidate wrong on every request is rolled back by its analysis: what it served meanwhile is a figure, in status and in a metric
    candidate?.setBehaviour({ accuracy: 0 });
    await apply(modelRollout(ns, "canary-v4", { version: "v4" }));
    await waitFor("canary-v4 rolled back by its analysis", async () => (await rolloutPhase("canary-v4")) === "RolledBack", 90_000, 500);
    const v4 = await getJson<{ status?: { reason?: string; exposure?: { signal: string; samples: number } } }>("modelrollout", "canary-v4", ns);
    expect(v4.status?.exposure?.signal).toBe("accuracy");
    expect(v4.status?.exposure?.samples).toBeGreaterThanOrEqual(20); // minSamples
    const exported = await (await fetch(operator!.metricsUrl)).text();
    expect(exported).toContain(
      `modelguardian_rollout_exposure_samples{namespace="${ns}",rollout="canary-v4",model="${CANARY}",signal="accuracy"} ${v4.status?.exposure?.samples}`,
    );
  }, 400_000);

  it("every panel's query, with the variables filled in, parses and returns data", async () => {
    const dashboard = JSON.parse(await readFile(join(ROOT, "config/monitoring/dashboard.json"), "utf8")) as Dashboard;
    const values = { namespace: ns, monitor: "(m|canary|unreachable)", model: `(${MODEL}|${CANARY})`, __rate_interval: "1m", __interval: "15s", __range: "6h" };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: render(t.expr, values) })));
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) expect(q.expr, `${q.panel} ${q.refId}: a variable left`).not.toMatch(/\$/);
    // the last scrapes of the events above may take a few seconds to arrive
    let missing: string[] = [];
    await waitFor(
      "data for every panel",
      async () => {
        missing = [];
        for (const q of queries) if ((await instant(q.expr)).result.length === 0) missing.push(`${q.panel} ${q.refId}: ${q.expr}`);
        return missing.length === 0;
      },
      60_000,
      2000,
    ).catch(() => undefined);
    expect(missing).toEqual([]);
  }, 120_000);

  it("every variable query lists the namespace, the monitors and the models", async () => {
    const dashboard = JSON.parse(await readFile(join(ROOT, "config/monitoring/dashboard.json"), "utf8")) as Dashboard;
    const values = { namespace: ns };
    const want: Record<string, string[]> = { namespace: [ns], monitor: ["m", "canary", "unreachable"], model: [MODEL, CANARY] };
    for (const v of dashboard.templating.list.filter((x) => x.type === "query")) {
      const query = typeof v.query === "string" ? v.query : v.query.query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query) as RegExpExecArray;
      const listed = await prometheus<string[]>(`/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(render(m[1] as string, values))}`);
      expect(listed, v.name).toEqual(expect.arrayContaining(want[v.name] as string[]));
    }
  });

  it("the alerting rules evaluate without error on these metrics and fire for the failed Job and the aborted rollout", async () => {
    const groups = await waitFor(
      "the rules loaded",
      async () => {
        const data = await prometheus<{
          groups: { name: string; file: string; rules: { name: string; health: string; lastError?: string; type: string }[] }[];
        }>("/api/v1/rules");
        const ours = data.groups.filter((g) => g.file === RULES_FILE);
        return ours.length > 0 && ours.every((g) => g.rules.every((r) => r.health !== "unknown")) && ours;
      },
      30_000,
    );
    const rules = groups.flatMap((g) => g.rules);
    // every alert of the file is loaded
    const declared =
      (await readFile(join(ROOT, "config/monitoring/alerts.yaml"), "utf8")).match(/^\s+- alert: (\w+)$/gm)?.map((l) => l.trim().slice("- alert: ".length)) ??
      [];
    expect(declared.length).toBeGreaterThanOrEqual(10);
    expect(rules.map((r) => r.name).sort()).toEqual([...declared].sort());
    for (const r of rules) expect({ rule: r.name, health: r.health, error: r.lastError ?? "" }).toEqual({ rule: r.name, health: "ok", error: "" });
    const firing = await waitFor(
      "both alerts firing",
      async () => {
        const { alerts } = await prometheus<{ alerts: { labels: Record<string, string>; state: string }[] }>("/api/v1/alerts");
        const ours = alerts.filter((a) => a.labels.namespace === ns && a.state === "firing");
        const job = ours.find((a) => a.labels.alertname === "ModelGuardianActionJobFailed");
        const rollback = ours.find((a) => a.labels.alertname === "ModelGuardianRolloutRolledBack");
        return job && rollback && { job, rollback };
      },
      30_000,
    );
    expect(firing.job.labels).toMatchObject({ model: MODEL, action: "retrain", outcome: "Failed", severity: "warning" });
    expect(firing.rollback.labels).toMatchObject({ model: CANARY, phase: "Aborted", severity: "warning" });
    // the operator is up and leads: neither of those alerts is even pending
    expect(
      (await promQuery(`ALERTS{alertname=~"ModelGuardianDown|ModelGuardianNoLeader"}`)).filter((a) => !a.metric.namespace || a.metric.namespace === ns),
    ).toEqual([]);
  }, 60_000);

  it(`grafana-foundation-sdk ${SDK_VERSION} strictly decodes and validates the dashboard`, async () => {
    const dir = join(ROOT, ".cache/dashboard-validate");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "main.go"), VALIDATOR_GO);
    await writeFile(join(dir, "go.mod"), `module mgdashboardvalidate\n\ngo 1.26\n\nrequire github.com/grafana/grafana-foundation-sdk/go ${SDK_VERSION}\n`);
    // about 30 s cold on 2 cores, then cached by Go's build cache
    await run("go", ["build", "-o", "validate", "."], { cwd: dir, env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" }, timeout: 300_000 });
    const dashboard = JSON.parse(await readFile(join(ROOT, "config/monitoring/dashboard.json"), "utf8")) as Dashboard;
    const ok = await run(join(dir, "validate"), [join(ROOT, "config/monitoring/dashboard.json")]);
    expect(ok.stdout.trim()).toBe(`ok: ${dashboard.panels.length} panels`);
    // and it is strict: one unknown field in a panel is refused
    (dashboard.panels[1] as unknown as Record<string, unknown>).legendd = true;
    await writeFile(join(dir, "bad.json"), JSON.stringify(dashboard));
    const bad = await run(join(dir, "validate"), [join(dir, "bad.json")]).then(
      () => "accepted",
      (err: { stderr: string }) => err.stderr,
    );
    expect(bad).toContain("unexpected field 'legendd'");
  }, 300_000);
});
