// The governance report step of the monitor reconciler, with fake ports and a fake clock: due on
// schedule, written before the status that records it, never early after a restart, a failed
// write retried at the next evaluation; and the HTTP answer that serves the written text.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ModelMonitorReconciler } from "../../src/controller/modelmonitor.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { reportResponse, webViewResponse } from "../../src/controller/reports.ts";
import { parseSeries, SERIES_FLUSH_MS } from "../../src/domain/monitor/report-series.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { QueryResult } from "../../src/domain/observation.ts";
import type { ModelMonitorStatus } from "../../src/api/v1alpha1/modelmonitor.ts";
import type { ObjectRef, ReportPort } from "../../src/ports.ts";

type ConfigMap = Parameters<ReportPort["write"]>[0] & {
  data: Record<string, string>;
  metadata: { ownerReferences: { uid: string }[]; annotations: Record<string, string> };
};
const MINUTE = 60_000;

/** `saved`: the ConfigMaps' data as the API server holds them (a write adds or replaces its keys). */
function harness(fail = false, saved: Record<string, Record<string, string>> = {}) {
  const log: string[] = [];
  const writes: ModelMonitorStatus[] = [];
  const events: MonitorEvent[] = [];
  const configMaps: ConfigMap[] = [];
  const clock = { t: Date.parse("2026-11-01T00:00:00Z"), now: () => clock.t };
  const acc = { value: 0.9 };
  const answer = (): QueryResult => ({
    kind: "vector",
    samples: [
      { labels: { outcome: "tp" }, value: 1000 * acc.value },
      { labels: { outcome: "fp" }, value: 1000 * (1 - acc.value) },
    ],
  });
  const reads: string[] = [];
  const reports: ReportPort = {
    write: async (cm, part = "report") => {
      if (fail) throw new Error('writing the report ConfigMap ns/m-report: configmaps "m-report" is forbidden');
      configMaps.push(cm as ConfigMap);
      saved[cm.metadata.name] = { ...saved[cm.metadata.name], ...(cm as ConfigMap).data };
      log.push(`${part}:${cm.metadata.name}`);
    },
    read: async (ns, name, key) => (reads.push(`${ns}/${name}/${key}`), saved[name]?.[key]),
  };
  const reconciler = new ModelMonitorReconciler({
    resolveSource: async () => ({ query: async () => answer() }),
    status: { writeStatus: async (_: ObjectRef, s: unknown) => void (writes.push(s as ModelMonitorStatus), log.push("status")) },
    events: { emit: async (_: ObjectRef, e: MonitorEvent) => void (events.push(e), log.push(`event:${e.reason}`)) },
    clock,
    // reconciling for a month: no start spread delays these evaluations
    startedAt: Date.parse("2026-10-01T00:00:00Z"),
    log: pino({ level: "silent" }),
    reports,
  });
  return { reconciler, writes, events, configMaps, clock, log, acc, reads, saved };
}

const spec = (report: unknown = { every: "1h" }) => ({
  model: { name: "fraud", version: "v3" },
  interval: "10m",
  minSamples: 10,
  signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
  rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
  report,
});
const object = (s: unknown, status?: unknown): KubeObject => ({
  metadata: { name: "m", namespace: "ns", uid: "u1", generation: 1 },
  spec: s,
  ...(status ? { status } : {}),
});

describe("the monitor's governance report", () => {
  it("is written at the first evaluation, before the status that records it, with that evaluation's numbers", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec()));
    // a first evaluation that is Healthy is no news: no HealthRecovered from nothing
    expect(h.log).toEqual(["report:m-report", "status", "event:ReportWritten"]);
    const cm = h.configMaps[0] as ConfigMap;
    expect(cm.metadata).toMatchObject({
      name: "m-report",
      namespace: "ns",
      labels: { "app.kubernetes.io/managed-by": "model-guardian", "modelguardian.dev/monitor": "m" },
      annotations: { "modelguardian.dev/report-time": "2026-11-01T00:00:00.000Z" },
    });
    expect(cm.metadata.ownerReferences).toEqual([
      { apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", name: "m", uid: "u1", controller: true, blockOwnerDeletion: false },
    ]);
    const text = cm.data["report.md"] as string;
    expect(text).toMatch(/^# Model report: fraud\n/);
    expect(text).toContain("- Period: first report to 2026-11-01T00:00:00.000Z");
    // the value in the report is the one in the status written with it
    const overall = h.writes[0]?.signals.find((s) => s.name === "accuracy" && s.segment === undefined);
    expect(overall?.value).toBe(0.9);
    expect(text).toMatch(/\| overall \| 0\.9 \|/);
    expect(h.writes[0]?.report).toEqual({ configMap: "m-report", lastTime: "2026-11-01T00:00:00.000Z" });
    expect(h.events.find((e) => e.reason === "ReportWritten")?.message).toBe("governance report (the first report) written to ConfigMap m-report");
  });

  it("is not written again before `every`, even by a restarted operator, then covers the time since the last", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec()));
    // evaluations at 10 and 50 minutes: no report; a restarted operator reads the last one from status
    for (const at of [10, 50]) {
      const restarted = harness();
      restarted.clock.t = h.clock.t + at * MINUTE;
      await restarted.reconciler.reconcile(object(spec(), h.writes.at(-1)));
      expect(restarted.configMaps, `${at} min`).toEqual([]);
      expect(restarted.writes[0]?.report).toMatchObject({ configMap: "m-report", lastTime: "2026-11-01T00:00:00.000Z" });
      h.writes.push(restarted.writes[0] as ModelMonitorStatus);
    }
    const later = harness();
    later.clock.t = h.clock.t + 60 * MINUTE;
    later.acc.value = 0.7;
    await later.reconciler.reconcile(object(spec(), h.writes.at(-1)));
    const text = later.configMaps[0]?.data["report.md"] as string;
    expect(text).toContain("- Period: 2026-11-01T00:00:00.000Z to 2026-11-01T01:00:00.000Z");
    expect(text).toContain("Health: Critical");
    expect(text).toMatch(/\| overall \| 0\.7 \|/);
    // the trend counts every evaluation of the period, as status recorded them (history keeps only the latest 6)
    expect(text).toContain(
      "- Evaluations: 3 (Healthy 2, Critical 1)\n- Counted from: 2026-11-01T00:10:00.000Z\n- To: 2026-11-01T01:00:00.000Z\n- With findings: 1 of 3",
    );
    expect(later.writes[0]?.report).toEqual({ configMap: "m-report", lastTime: "2026-11-01T01:00:00.000Z" });
  });

  it("is written only after an evaluation: a reconcile that evaluates nothing writes none", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec()));
    const again = harness();
    again.clock.t = h.clock.t + 61 * MINUTE;
    // the interval (10 m) has not passed since a later evaluation at 55 min
    const status = { ...h.writes[0], lastEvaluationTime: new Date(h.clock.t + 55 * MINUTE).toISOString() };
    const r = await again.reconciler.reconcile(object(spec(), status));
    expect(r.evaluated).toBe(false);
    expect(again.configMaps).toEqual([]);
  });

  it("a failed write records ReportFailed, leaves the schedule untouched, and is retried at the next evaluation", async () => {
    const h = harness(true);
    await h.reconciler.reconcile(object(spec()));
    expect(h.writes[0]?.report).toEqual({ period: { since: "2026-11-01T00:00:00.000Z", evaluations: { Healthy: 1 }, withFindings: 0 } });
    expect(h.events.find((e) => e.reason === "ReportFailed")).toEqual({
      type: "Warning",
      reason: "ReportFailed",
      message: 'writing the report ConfigMap ns/m-report: configmaps "m-report" is forbidden',
    });
    const next = harness();
    next.clock.t = h.clock.t + 10 * MINUTE;
    await next.reconciler.reconcile(object(spec(), h.writes[0]));
    expect(next.configMaps).toHaveLength(1);
    // the evaluation of the failed attempt is still counted
    expect(next.configMaps[0]?.data["report.md"]).toContain("- Evaluations: 2 (Healthy 2)");
  });

  it("a renamed ConfigMap is written at once; without spec.report nothing is", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec()));
    const renamed = harness();
    renamed.clock.t = h.clock.t + 10 * MINUTE;
    await renamed.reconciler.reconcile(object(spec({ every: "1h", configMapName: "fraud-weekly" }), h.writes[0]));
    expect(renamed.configMaps.map((c) => c.metadata.name)).toEqual(["fraud-weekly"]);
    const none = harness();
    const { report: _none, ...withoutReport } = spec();
    await none.reconciler.reconcile(object(withoutReport));
    expect(none.configMaps).toEqual([]);
    expect(none.writes[0]?.report).toBeUndefined();
  });
});

describe("the HTML report and its series", () => {
  it("are written beside the Markdown; the series gains a point per evaluation and is saved between reports every hour", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec({ every: "1d" })));
    const first = h.configMaps[0] as ConfigMap;
    expect(Object.keys(first.data).sort()).toEqual(["report.html", "report.md", "series.json"]);
    expect(first.data["report.html"]).toMatch(/^<!doctype html>/);
    expect(parseSeries(first.data["series.json"]).points.map((p) => p.s.accuracy)).toEqual([0.9]);
    // evaluations every 10 minutes: the series is saved alone (its own field manager) once an hour has passed
    let status = h.writes.at(-1);
    for (let i = 1; i <= 6; i++) {
      h.clock.t += 10 * MINUTE;
      h.acc.value = 0.9 - i * 0.01;
      await h.reconciler.reconcile(object(spec({ every: "1d" }), status));
      status = h.writes.at(-1);
    }
    expect(6 * 10 * MINUTE).toBe(SERIES_FLUSH_MS);
    expect(h.log.filter((l) => l.startsWith("report:") || l.startsWith("series:"))).toEqual(["report:m-report", "series:m-report"]);
    const saved = h.configMaps[1] as ConfigMap;
    expect(Object.keys(saved.data)).toEqual(["series.json"]);
    expect(saved.metadata.annotations).toEqual({});
    expect(parseSeries(saved.data["series.json"]).points.map((p) => p.s.accuracy)).toEqual([0.9, 0.89, 0.88, 0.87, 0.86, 0.85, 0.84]);
    // the saved series is read back once per save: the process holds only the points since
    expect(h.reads).toEqual(["ns/m-report/series.json"]);
    h.clock.t += 10 * MINUTE;
    await h.reconciler.reconcile(object(spec({ every: "1d" }), status));
    expect(h.reads).toHaveLength(1);
    expect(h.configMaps).toHaveLength(2);
  });

  it("a restarted operator continues the series saved in the ConfigMap", async () => {
    const h = harness();
    await h.reconciler.reconcile(object(spec({ every: "1h" })));
    const restarted = harness(false, h.saved);
    restarted.clock.t = h.clock.t + 60 * MINUTE;
    await restarted.reconciler.reconcile(object(spec({ every: "1h" }), h.writes.at(-1)));
    expect(restarted.reads).toEqual(["ns/m-report/series.json"]);
    const cm = restarted.configMaps[0] as ConfigMap;
    expect(parseSeries(cm.data["series.json"]).points.map((p) => p.t)).toEqual(["2026-11-01T00:00:00.000Z", "2026-11-01T01:00:00.000Z"]);
    expect(cm.data["report.html"]).toContain('data-plot="signal" data-name="accuracy"');
  });
});

describe("GET /ui (the read-only web view)", () => {
  const monitors: Record<string, KubeObject> = {
    "ml/fraud": {
      metadata: { name: "fraud", namespace: "ml", uid: "1" },
      spec: { model: { name: "<b>fraud</b>" }, report: {} },
      status: {
        health: "Critical",
        judgedRules: "1/2",
        rollout: { name: "fraud-v4", candidate: "v4", phase: "Progressing", weight: 25 },
        report: { configMap: "fraud-report", lastTime: "2026-11-01T00:00:00Z" },
      },
    },
    "ml/plain": { metadata: { name: "plain", namespace: "ml", uid: "3" }, spec: {}, status: { health: "Healthy" } },
  };
  const lookup = {
    monitor: (key: string) => monitors[key],
    list: () => Object.values(monitors),
    read: async (ns: string, name: string, key: string) =>
      ns === "ml" && name === "fraud-report" && key === "report.html" ? "<!doctype html><p>page</p>" : undefined,
  };
  const NOW = Date.parse("2026-11-01T01:00:00Z");
  it("lists every monitor with its health, coverage, rollout and report link, escaped", async () => {
    const index = await webViewResponse("GET", "/ui/", lookup, NOW);
    expect(index).toMatchObject({ status: 200, type: "text/html" });
    expect(index.body).toContain("<td>&lt;b&gt;fraud&lt;/b&gt;</td>");
    expect(index.body).toContain('<span class="Critical">Critical</span>');
    expect(index.body).toContain("<td>1/2</td>");
    expect(index.body).toContain("<td>fraud-v4: v4, Progressing, 25%</td>");
    expect(index.body).toContain('<a href="/ui/ml/fraud">report</a>');
    expect(index.body).toContain("<td>no spec.report</td>");
    expect(index.body).not.toMatch(/<form|<script|<input|<button/);
    expect(index.headers?.["Content-Security-Policy"]).toContain("default-src 'none'");
  });
  it("serves the written HTML report, and refuses anything but GET", async () => {
    expect(await webViewResponse("GET", "/ui/ml/fraud", lookup, NOW)).toMatchObject({ status: 200, type: "text/html", body: "<!doctype html><p>page</p>" });
    expect(await webViewResponse("GET", "/ui/ml/plain", lookup, NOW)).toMatchObject({ status: 404, body: "ModelMonitor ml/plain has no spec.report\n" });
    expect(await webViewResponse("GET", "/ui/ml/../x", lookup, NOW)).toMatchObject({ status: 404 });
    expect(await webViewResponse("GET", "/ui/ml/%E0%A4%A", lookup, NOW)).toMatchObject({ status: 404, body: "use /ui/ or /ui/<namespace>/<monitor>\n" });
    for (const method of ["POST", "PUT", "DELETE", "PATCH"])
      expect(await webViewResponse(method, "/ui/ml/fraud", lookup, NOW)).toMatchObject({
        status: 405,
        headers: expect.objectContaining({ Allow: "GET, HEAD" }),
      });
  });
});

describe("GET /reports", () => {
  const monitors: Record<string, KubeObject> = {
    "ml/fraud": {
      metadata: { name: "fraud", namespace: "ml", uid: "1" },
      spec: { report: {} },
      status: { report: { configMap: "fraud-report", lastTime: "2026-11-01T00:00:00Z" } },
    },
    "ml/waiting": { metadata: { name: "waiting", namespace: "ml", uid: "2" }, spec: { report: {} }, status: {} },
    "ml/plain": { metadata: { name: "plain", namespace: "ml", uid: "3" }, spec: {} },
    "ml/lost": {
      metadata: { name: "lost", namespace: "ml", uid: "4" },
      spec: { report: {} },
      status: { report: { configMap: "gone", lastTime: "2026-11-01T00:00:00Z" } },
    },
  };
  const lookup = {
    monitor: (key: string) => monitors[key],
    list: () => Object.values(monitors),
    read: async (ns: string, name: string, key: string) =>
      ns === "ml" && name === "fraud-report" && key === "report.md" ? "# Model report: fraud\n" : undefined,
  };
  it("serves the written report as Markdown", async () => {
    expect(await reportResponse("/reports/ml/fraud", lookup)).toEqual({ status: 200, type: "text/markdown", body: "# Model report: fraud\n" });
    expect(await reportResponse("/reports/ml/fraud/?x=1", lookup)).toMatchObject({ status: 200 });
  });
  it("lists the monitors that have one", async () => {
    const index = await reportResponse("/reports", lookup);
    expect(index.body).toBe(
      "# Governance reports\n\n- [ml/fraud](/reports/ml/fraud) (2026-11-01T00:00:00Z)\n- [ml/lost](/reports/ml/lost) (2026-11-01T00:00:00Z)\n",
    );
  });
  it("says why there is none", async () => {
    const cases: [string, string][] = [
      ["/reports/ml/waiting", "ModelMonitor ml/waiting has not written its first report yet\n"],
      ["/reports/ml/plain", "ModelMonitor ml/plain has no spec.report\n"],
      ["/reports/ml/nobody", "no ModelMonitor ml/nobody is watched by this operator\n"],
      ["/reports/ml/lost", "ConfigMap ml/gone (key report.md) does not exist\n"],
      ["/reports/ml", "use /reports/<namespace>/<monitor>\n"],
      ["/reports/ml/a/b", "use /reports/<namespace>/<monitor>\n"],
      ["/reports/ML/../etc", "use /reports/<namespace>/<monitor>\n"],
    ];
    for (const [url, body] of cases) expect(await reportResponse(url, lookup), url).toEqual({ status: 404, type: "text/plain", body });
  });
});
