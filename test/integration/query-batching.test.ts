// The differential test of query batching against the real Prometheus: the same monitors
// evaluated with every query sent alone and with their queries batched (adapters/prometheus/
// batching.ts), at the same moment over the same stored samples, must get the same answers (to
// 1e-9) and the same statuses. The scraped data holds label values meant to break a regex
// (dots, pipes, quotes, backslashes, newlines), a pair of models that differ only where an
// unescaped "." would match, two versions of one model, and a model with no series at all.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchingSource } from "../../src/adapters/prometheus/batching.ts";
import { PrometheusClient } from "../../src/adapters/prometheus/client.ts";
import { modelMonitorSpecSchema, modelMonitorStatusSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { decide, planEvaluation, planLookups, planQueries } from "../../src/domain/monitor/evaluate.ts";
import { queryKey, type QueryRequest, type QueryResult, type Sample } from "../../src/domain/observation.ts";
import type { MetricsSource } from "../../src/ports.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { HOSTILE_LABELS } from "../fixtures/hostile-labels.ts";
import { PROMETHEUS_URL, promQuery, TARGETS_DIR, waitFor } from "../stage/cluster.ts";

const RUN = `batch${Date.now().toString(36)}`;
const TARGET = `query-batching-${RUN}`;
/** (model, version) pairs scraped; a monitor with a version selects it too. */
const MODELS = [...HOSTILE_LABELS, "a.b", "axb", "a|b", "(x)*", "plain"];
const VERSIONED: [string, string][] = [
  ["plain", "v1"],
  ["plain", "v2"],
  ["a.b", "v1"],
];
const PLANTS = ["p1", "p2"];
const FEATURES = ["age", "income"];
const LES = ["0.1", "0.5", "1", "+Inf"];

const escapeText = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The exposition text at the n-th scrape: counters that grow by a different step per series. */
function exposition(n: number): string {
  const lines: string[] = [];
  const series = (metric: string, labels: Record<string, string>, perScrape: number) =>
    lines.push(
      `${metric}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeText(v)}"`)
        .join(",")}} ${perScrape * n}`,
    );
  const versions = (model: string) => ["", ...VERSIONED.filter(([m]) => m === model).map(([, v]) => v)];
  MODELS.forEach((model, i) => {
    for (const version of versions(model))
      for (const plant of PLANTS) {
        const base = { run: RUN, model, ...(version ? { version } : {}), plant };
        const k = i + 1 + version.length;
        for (const [outcome, v] of [
          ["tp", 40],
          ["tn", 50],
          ["fp", 3],
          ["fn", 2],
        ] as const)
          series("batchdiff_predictions_total", { ...base, outcome }, v + k / 7);
        LES.forEach((le, j) => series("batchdiff_latency_seconds_bucket", { ...base, le }, 10 * (j + 1) + k / 3));
        series("batchdiff_responses_total", { ...base, refusal: "true" }, 1 + k / 11);
        series("batchdiff_responses_total", { ...base, refusal: "false" }, 99 - k / 13);
        for (const feature of FEATURES) LES.forEach((le, j) => series("batchdiff_feature_value_bucket", { ...base, feature, le }, 5 * (j + 1) + k));
      }
  });
  return lines.join("\n") + "\n";
}

const spec = (model: string, version?: string) =>
  modelMonitorSpecSchema.parse({
    model: { name: "m", ...(version ? { version } : {}) },
    selector: { run: RUN, model },
    ...(version ? { versionLabel: "version" } : {}),
    window: "5m",
    minSamples: 1,
    segments: { label: "plant" },
    signals: [
      { name: "accuracy", classification: { metric: "batchdiff_predictions_total" } },
      { name: "p95", histogram: { metric: "batchdiff_latency_seconds", measure: "quantile", quantile: 0.95 } },
      {
        name: "refusals",
        ratio: { numerator: { metric: "batchdiff_responses_total", matchLabels: { refusal: "true" } }, denominator: { metric: "batchdiff_responses_total" } },
      },
    ],
    rules: [
      { signal: "accuracy", min: { critical: 0.8 } },
      { signal: "p95", baseline: { offset: "1m" }, maxRelativeIncrease: { critical: 0.5 } },
    ],
    drift: [
      {
        name: "inputs",
        histogram: { metric: "batchdiff_feature_value", featureLabel: "feature" },
        method: "psi",
        reference: { offset: "1m" },
        threshold: { warning: 0.1, critical: 0.25 },
      },
    ],
  });

const MONITORS: { model: string; version?: string }[] = [
  ...MODELS.map((model) => ({ model })),
  ...VERSIONED.map(([model, version]) => ({ model, version })),
  { model: "no-such-model" },
];

class Counting implements MetricsSource {
  sent = 0;
  private readonly source: MetricsSource;
  constructor(source: MetricsSource) {
    this.source = source;
  }
  query(request: QueryRequest): Promise<QueryResult> {
    this.sent++;
    return this.source.query(request);
  }
}

/** Every monitor evaluated at `now`, all of them at once (as many workers would), through `source`. */
async function evaluateAll(source: MetricsSource, now: number) {
  return Promise.all(
    MONITORS.map(async ({ model, version }) => {
      const s = spec(model, version);
      const plan = planEvaluation(s, now);
      const results = new Map<string, QueryResult>();
      const run = async (qs: QueryRequest[]) => (await Promise.all(qs.map((q) => source.query(q)))).forEach((r, i) => results.set(queryKey(qs[i]!), r));
      await run(planQueries(plan));
      await run(planLookups(plan, results));
      return { results, status: decide({ generation: 1, annotations: {}, spec: s, status: modelMonitorStatusSchema.parse({}) }, plan, results, now).status };
    }),
  );
}

const byLabels = (r: QueryResult | undefined): Map<string, number> | QueryResult | undefined =>
  r?.kind === "vector" ? new Map(r.samples.map((s: Sample) => [JSON.stringify(Object.entries(s.labels).sort()), s.value])) : r;

let server: Server;
let scrapes = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition(scrapes));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  await writePrometheusTarget(TARGETS_DIR, TARGET, (server.address() as AddressInfo).port);
  // increase() needs two samples in a window; a few more make every window of the test hold data
  await waitFor(
    "Prometheus to hold 6 scrapes of the test's series",
    async () => Number((await promQuery(`max(count_over_time(batchdiff_predictions_total{run="${RUN}"}[5m]))`))[0]?.value[1] ?? 0) >= 6,
    120_000,
    500,
  );
});
afterAll(async () => {
  await removePrometheusTarget(TARGETS_DIR, TARGET);
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe("query batching against the real Prometheus", () => {
  it("answers every monitor's queries as they are answered alone (to 1e-9), with the same statuses, in a fraction of the queries", async () => {
    // a moment already scraped: both runs read the same stored samples
    const now = Date.now() - 2000;
    const alone = new Counting(new PrometheusClient({ url: PROMETHEUS_URL, retries: 0 }));
    const batchedSource = new Counting(new PrometheusClient({ url: PROMETHEUS_URL, retries: 0 }));
    const a = await evaluateAll(alone, now);
    const b = await evaluateAll(new BatchingSource(batchedSource, { windowMs: 200, maxMembers: 100 }), now);
    let compared = 0;
    MONITORS.forEach(({ model, version }, i) => {
      const x = a[i]!;
      const y = b[i]!;
      const who = `${JSON.stringify(model)}${version ? `@${version}` : ""}`;
      expect([...y.results.keys()].sort(), who).toEqual([...x.results.keys()].sort());
      for (const [key, r] of x.results) {
        const left = byLabels(r);
        const right = byLabels(y.results.get(key));
        if (!(left instanceof Map) || !(right instanceof Map)) {
          expect(right, `${who} ${key}`).toEqual(left);
          continue;
        }
        expect([...right.keys()].sort(), `${who} ${key}`).toEqual([...left.keys()].sort());
        for (const [labels, v] of left) {
          expect(Math.abs(v - (right.get(labels) as number)), `${who} ${key} ${labels}`).toBeLessThanOrEqual(1e-9);
          compared++;
        }
      }
      expect(y.status.signals, who).toEqual(x.status.signals);
      expect(y.status.drift, who).toEqual(x.status.drift);
      expect(y.status.health, who).toBe(x.status.health);
    });
    // the data was there: every scraped monitor has values, the unscraped one says why it has none
    expect(a.slice(0, MODELS.length + VERSIONED.length).every((m) => m.status.signals.every((s) => s.value !== undefined))).toBe(true);
    expect(a.at(-1)?.status.signals[0]?.state).toBe("NoData");
    expect(compared).toBeGreaterThan(MONITORS.length * 20);
    // alone: 6 queries a monitor (and the lookups of the one without series); batched: about one per shape
    expect(batchedSource.sent * 5).toBeLessThanOrEqual(alone.sent);
  });
});
