// The governance report on the real control plane: the operator (a real process) evaluates a
// simulated model with two segments and a drift check through the real Prometheus, writes the
// Markdown report into a ConfigMap owned by the monitor, readable with one kubectl command,
// and serves the same text over HTTP. Its numbers are the status's, from the same evaluation.
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, events, getJson, given, kubectl, kubectlOk, modelMonitor, promQuery, useStage, waitFor } from "../stage/index.ts";

const model = `report-${Date.now().toString(36)}`;

interface Status {
  lastEvaluationTime?: string;
  health?: string;
  signals: { name: string; segment?: string; value?: number }[];
  drift: { name: string; features: { feature: string; score?: number }[] }[];
  report?: { configMap: string; lastTime: string };
}

// the first evaluation is the reported one: let Prometheus hold both segments' data first
// (the drift check's reference window ends 10 s ago)
const prometheusHoldsReferenceWindow = async () => {
  await waitFor(
    "Prometheus to hold both segments' reference window",
    async () => (await promQuery(`sum by (plant) (increase(model_feature_value_count{model="${model}"}[10s] offset 10s))`)).length === 2,
    60_000,
  );
};
const stage = useStage(
  given("report")
    .withModel({
      model,
      version: "v1",
      // overall stays above the 0.8 rule even if one segment's traffic outpaces the other's three to one in the window
      segments: { north: { requestsPerSecond: 40, accuracy: 0.99 }, south: { requestsPerSecond: 40, accuracy: 0.7 } },
      seed: 41,
    })
    .withOperator()
    .withStep(prometheusHoldsReferenceWindow),
  120_000,
);

const fmt = (n: number) => String(Number(n.toPrecision(4)));

describe("the governance report", () => {
  it("is written to a ConfigMap next to the monitor, with the status's numbers, and served over HTTP", async () => {
    const r = await apply(
      modelMonitor(stage.ns, "fraud", {
        model: { name: model, version: "v1" },
        // one evaluation in this test: the report and the status read back describe the same one
        interval: "10m",
        window: "20s",
        minSamples: 50,
        segments: { label: "plant" },
        signals: [ACCURACY, { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } }],
        rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
        drift: [
          {
            name: "inputs",
            histogram: { metric: "model_feature_value", featureLabel: "feature" },
            method: "psi",
            reference: { offset: "10s", window: "10s" },
            threshold: { warning: 0.1, critical: 0.25 },
          },
        ],
        report: { every: "7d" },
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const monitor = await waitFor(
      "status.report",
      async () => {
        const m = await getJson<{ metadata: { uid: string }; status?: Status }>("modelmonitor", "fraud", stage.ns);
        return m.status?.report ? m : undefined;
      },
      60_000,
    );
    const status = monitor.status as Status;
    expect(status.report?.configMap).toBe("fraud-report");
    expect(status.report?.lastTime).toBe(status.lastEvaluationTime);

    // the README's command
    const text = await kubectlOk(["get", "configmap", "fraud-report", "-n", stage.ns, "-o", "jsonpath={.data.report\\.md}"]);
    expect(text).toMatch(new RegExp(`^# Model report: ${model}\\n`));
    expect(text).toContain(`- Monitor: \`${stage.ns}/fraud\``);
    expect(text).toContain(`- Last evaluation: ${status.lastEvaluationTime}`);
    expect(text).toContain("- Period: first report to ");
    // every signal row, overall and per segment, holds the value the status holds
    const rows = status.signals.filter((s) => s.value !== undefined);
    expect(rows.map((s) => `${s.name}/${s.segment ?? ""}`).sort()).toEqual([
      "accuracy/",
      "accuracy/north",
      "accuracy/south",
      "p95_latency/",
      "p95_latency/north",
      "p95_latency/south",
    ]);
    for (const s of rows)
      expect(text, `${s.name} ${s.segment ?? "overall"}`).toMatch(
        new RegExp(`\\| ${s.segment ? `plant=${s.segment}` : "overall"} \\| ${fmt(s.value as number).replace(".", "\\.")} \\|`),
      );
    // south is critical (overall is not): the finding and its recommendation
    expect(status.health).toBe("Critical");
    expect(status.signals.find((x) => x.name === "accuracy" && x.segment === undefined)?.value).toBeGreaterThan(0.8);
    expect(text).toMatch(/\| critical \| AccuracyDrift \| accuracy \| plant=south \|/);
    expect(text).toMatch(/- Retrain the model or roll back to the previous version: performance findings on accuracy \[plant=south\] \(critical\)\.$/m);
    // the drift check with its thresholds and a row per feature
    expect(text).toContain("- Thresholds: warning 0.1, critical 0.25");
    const features = status.drift[0]?.features ?? [];
    expect(features.map((f) => f.feature).sort()).toEqual(["age", "income", "tenure"]);
    expect(features.every((f) => f.score !== undefined)).toBe(true);
    for (const f of features) expect(text).toContain(`| ${f.feature} | ${f.score === undefined ? "—" : fmt(f.score)} |`);

    // the README's one-liner for the HTML page: the same report, a plot per signal and per segment, escaped as text
    const html = await kubectlOk(["get", "configmap", "fraud-report", "-n", stage.ns, "-o", "jsonpath={.data.report\\.html}"]);
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).toContain(`<h1>Model report: ${model}</h1>`);
    expect(html.match(/data-plot="signal"/g)).toHaveLength(2);
    expect(html.match(/data-plot="segment"/g)).toHaveLength(4);
    expect(html.match(/data-plot="distribution"/g)).toHaveLength(3);
    expect(html).toContain('class="threshold critical" data-label="min 0.8"');
    expect(html).not.toMatch(/<script|\bsrc=/);
    const series = JSON.parse(await kubectlOk(["get", "configmap", "fraud-report", "-n", stage.ns, "-o", "jsonpath={.data.series\\.json}"])) as {
      points: { t: string }[];
    };
    expect(series.points.map((p) => p.t)).toEqual([status.lastEvaluationTime]);
    const page = await fetch(`${new URL(stage.operator.metricsUrl).origin}/ui/${stage.ns}/fraud`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe(html);

    // the ConfigMap belongs to the monitor, carries the operator's labels and the report's time
    const cm = await getJson<{
      metadata: { labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: { kind: string; name: string; uid: string }[] };
    }>("configmap", "fraud-report", stage.ns);
    expect(cm.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "model-guardian", "modelguardian.dev/monitor": "fraud" });
    expect(cm.metadata.annotations["modelguardian.dev/report-time"]).toBe(status.report?.lastTime);
    expect(cm.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "ModelMonitor", name: "fraud", uid: monitor.metadata.uid })]);
    expect((await events(stage.ns, "fraud")).map((e) => e.reason)).toContain("ReportWritten");

    // the operator's HTTP server answers with the same text
    const base = new URL(stage.operator.metricsUrl).origin;
    const served = await fetch(`${base}/reports/${stage.ns}/fraud`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(await served.text()).toBe(text);
    expect(await (await fetch(`${base}/reports`)).text()).toContain(`- [${stage.ns}/fraud](/reports/${stage.ns}/fraud)`);
    expect((await fetch(`${base}/reports/${stage.ns}/nobody`)).status).toBe(404);

    // deleting the monitor deletes its report (garbage collection of the owned ConfigMap)
    await kubectlOk(["delete", "modelmonitor", "fraud", "-n", stage.ns, "--wait=true"]);
    await waitFor("the ConfigMap to be collected", async () => (await kubectl(["get", "configmap", "fraud-report", "-n", stage.ns])).code !== 0, 60_000);
  }, 180_000);
});
