// Query batching behind the metrics port, against a fake source (a FAKE: an in-memory evaluator
// of the one query form batched, with = and =~ matchers). The same comparison against the real
// Prometheus is test/integration/query-batching.test.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { BatchingSource } from "../../src/adapters/prometheus/batching.ts";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { decide, planEvaluation, planLookups, planQueries } from "../../src/domain/monitor/evaluate.ts";
import { modelMonitorStatusSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { queryKey, type QueryRequest, type QueryResult, type Sample } from "../../src/domain/observation.ts";
import type { MetricsSource } from "../../src/ports.ts";
import { sumIncrease } from "../../src/domain/promql.ts";
import { HOSTILE_LABELS } from "../fixtures/hostile-labels.ts";

type Series = { metric: string; labels: Record<string, string>; increase: number };

const unescape = (text: string) =>
  text.replace(/\\(u[0-9a-f]{4}|.)/gs, (_m, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
  );

/** A FAKE Prometheus: `sum by (…) (increase(m{…}[w]))` over stored per-series increases, anything else BadQuery. */
class FakeSource implements MetricsSource {
  readonly sent: QueryRequest[] = [];
  private readonly series: Series[];
  private readonly refuse: (expr: string) => QueryResult | undefined;
  constructor(series: Series[], refuse: (expr: string) => QueryResult | undefined = () => undefined) {
    this.series = series;
    this.refuse = refuse;
  }
  async query(request: QueryRequest): Promise<QueryResult> {
    this.sent.push(request);
    const refused = this.refuse(request.expr);
    if (refused) return refused;
    const m = /^sum by \(([^)]*)\) \(increase\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\[[0-9a-z]+\]\)\)$/s.exec(request.expr);
    if (!m) return { kind: "error", error: "BadQuery", message: `the fake evaluates no ${request.expr}` };
    const by = m[1] ? (m[1] as string).split(", ") : [];
    const tests: ((l: Record<string, string>) => boolean)[] = [];
    for (const mm of (m[3] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)(=~|=)"((?:[^"\\]|\\.)*)"/gs)) {
      const [name, op, raw] = [mm[1] as string, mm[2] as string, unescape(mm[3] as string)];
      if (op === "=") tests.push((l) => (l[name] ?? "") === raw);
      else {
        const re = new RegExp(`^(?:${raw})$`, "s");
        tests.push((l) => re.test(l[name] ?? ""));
      }
    }
    const groups = new Map<string, Sample>();
    for (const s of this.series) {
      if (s.metric !== m[2] || !tests.every((t) => t(s.labels))) continue;
      const labels = Object.fromEntries(by.filter((b) => s.labels[b] !== undefined && s.labels[b] !== "").map((b) => [b, s.labels[b] as string]));
      const key = JSON.stringify(by.map((b) => labels[b] ?? ""));
      const g = groups.get(key) ?? { labels, value: 0 };
      g.value += s.increase;
      groups.set(key, g);
    }
    return { kind: "vector", samples: [...groups.values()] };
  }
}

const MODELS = [...HOSTILE_LABELS, "a.b", "axb", "plain", "no-data"];
function dataset(): Series[] {
  const out: Series[] = [];
  MODELS.filter((m) => m !== "no-data").forEach((model, i) => {
    for (const plant of ["p1", "p2"]) {
      for (const [outcome, v] of [
        ["tp", 400],
        ["tn", 500],
        ["fp", 30],
        ["fn", 20],
      ] as const)
        out.push({ metric: "p_total", labels: { model, plant, outcome }, increase: v + i / 7 });
      ["0.1", "0.5", "+Inf"].forEach((le, j) => out.push({ metric: "lat_seconds_bucket", labels: { model, plant, le }, increase: 100 * (j + 1) + i / 3 }));
      out.push({ metric: "resp_total", labels: { model, plant, refusal: "true" }, increase: 10 + i });
      out.push({ metric: "resp_total", labels: { model, plant, refusal: "false" }, increase: 990 - i });
    }
  });
  return out;
}

const spec = (model: string) =>
  modelMonitorSpecSchema.parse({
    model: { name: "m" },
    selector: { model },
    window: "1h",
    minSamples: 10,
    segments: { label: "plant" },
    signals: [
      { name: "accuracy", classification: { metric: "p_total" } },
      { name: "p95", histogram: { metric: "lat_seconds", measure: "quantile", quantile: 0.95 } },
      { name: "refusals", ratio: { numerator: { metric: "resp_total", matchLabels: { refusal: "true" } }, denominator: { metric: "resp_total" } } },
    ],
    rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
  });

/** One evaluation of every model's monitor at the same moment, its queries sent at once through `source`. */
async function evaluateAll(source: MetricsSource, now: number) {
  return Promise.all(
    MODELS.map(async (model) => {
      const s = spec(model);
      const plan = planEvaluation(s, now);
      const results = new Map<string, QueryResult>();
      const run = async (qs: QueryRequest[]) => (await Promise.all(qs.map((q) => source.query(q)))).forEach((r, i) => results.set(queryKey(qs[i]!), r));
      await run(planQueries(plan));
      await run(planLookups(plan, results));
      const status = decide({ generation: 1, annotations: {}, spec: s, status: modelMonitorStatusSchema.parse({}) }, plan, results, now).status;
      return { results, status };
    }),
  );
}

const sorted = (r: QueryResult | undefined) =>
  r?.kind === "vector" ? [...r.samples].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels))) : r;

describe("query batching (against a fake source)", () => {
  const now = Date.parse("2026-12-07T00:00:00Z");

  it("answers every query as the unbatched one, with a fraction of the queries sent", async () => {
    const single = new FakeSource(dataset());
    const batchedSource = new FakeSource(dataset());
    const alone = await evaluateAll(single, now);
    const batched = await evaluateAll(new BatchingSource(batchedSource, { windowMs: 50, maxMembers: 100 }), now);
    for (let i = 0; i < MODELS.length; i++) {
      const a = alone[i]!;
      const b = batched[i]!;
      expect([...b.results.keys()].sort()).toEqual([...a.results.keys()].sort());
      for (const [key, r] of a.results) {
        const x = sorted(r);
        const y = sorted(b.results.get(key));
        expect(Array.isArray(y) && Array.isArray(x) ? y.map((s) => s.labels) : y, `${MODELS[i]}: ${key}`).toEqual(
          Array.isArray(x) ? x.map((s) => s.labels) : x,
        );
        if (Array.isArray(x) && Array.isArray(y)) x.forEach((s, j) => expect(Math.abs(s.value - (y[j] as Sample).value)).toBeLessThanOrEqual(1e-9));
      }
      expect(b.status.signals).toEqual(a.status.signals);
      expect(b.status.health).toBe(a.status.health);
    }
    // "no-data" found no series: its lookups are the same text for one model alone, so they are sent once
    expect(single.sent.length).toBeGreaterThan(MODELS.length * 4);
    // one query per distinct shape (4 current) and one lookup per metric of "no-data"
    expect(batchedSource.sent.length).toBe(4 + 3);
  });

  it("keeps one member's failure its own: the batch is asked again as single queries", async () => {
    const source = new FakeSource(dataset(), (expr) =>
      expr.includes("a.b") && !expr.includes("=~")
        ? { kind: "error", error: "BadQuery", message: "refused for a.b" }
        : expr.includes("=~")
          ? { kind: "error", error: "Timeout", message: "the batch was too heavy" }
          : undefined,
    );
    const batcher = new BatchingSource(source, { windowMs: 50, maxMembers: 100 });
    const q = (model: string): QueryRequest => ({ expr: `sum by (outcome) (increase(p_total{model="${model}"}[3600s]))`, time: now });
    const [ab, plain, axb] = await Promise.all([batcher.query(q("a.b")), batcher.query(q("plain")), batcher.query(q("axb"))]);
    expect(ab).toEqual({ kind: "error", error: "BadQuery", message: "refused for a.b" });
    expect(plain.kind).toBe("vector");
    expect(axb).toEqual(await new FakeSource(dataset()).query(q("axb")));
  });

  it("gives a failure of the source itself to every member, once", async () => {
    const source = new FakeSource(dataset(), () => ({ kind: "error", error: "Unreachable", message: "connection refused" }));
    const batcher = new BatchingSource(source, { windowMs: 50, maxMembers: 100 });
    const q = (model: string): QueryRequest => ({ expr: `sum by (outcome) (increase(p_total{model="${model}"}[3600s]))`, time: now });
    const answers = await Promise.all(["a", "b", "c"].map((m) => batcher.query(q(m))));
    expect(answers.every((a) => a.kind === "error" && a.error === "Unreachable")).toBe(true);
    expect(source.sent).toHaveLength(1);
  });

  it("batches only queries for moments within the window, and at most maxMembers selectors", async () => {
    const source = new FakeSource(dataset());
    const batcher = new BatchingSource(source, { windowMs: 50, maxMembers: 2 });
    const q = (model: string, time: number): QueryRequest => ({ expr: `sum by (outcome) (increase(p_total{model="${model}"}[3600s]))`, time });
    await Promise.all([
      batcher.query(q("a.b", now)),
      batcher.query(q("axb", now + 10)),
      batcher.query(q("plain", now + 20)),
      batcher.query(q("a.b", now - 86_400_000)),
      batcher.query(q("axb", now - 86_400_000)),
    ]);
    // today: a batch of two (full) and one alone; a day ago: a batch of its own
    expect(source.sent.map((s) => s.time).sort()).toEqual([now - 86_400_000, now, now + 20]);
    expect(source.sent.filter((s) => s.expr.includes("=~"))).toHaveLength(2);
  });
});

describe("when a batch goes", () => {
  afterEach(() => void vi.useRealTimers());
  const q = (model: string): QueryRequest => ({ expr: sumIncrease("p_total", { model }, { window: "3600s", by: ["outcome"] }), time: 0 });

  it("as soon as no query came for the idle time: workers all waiting send nothing more", async () => {
    vi.useFakeTimers();
    const source = new FakeSource(dataset());
    const batcher = new BatchingSource(source, { windowMs: 100, idleMs: 25, maxMembers: 100 });
    const answers = Promise.all([batcher.query(q("a.b")), batcher.query(q("axb"))]);
    await vi.advanceTimersByTimeAsync(24);
    expect(source.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.sent).toHaveLength(1);
    expect((await answers).every((a) => a.kind === "vector" && a.samples.length > 0)).toBe(true);
  });

  it("at the end of the window while queries keep coming", async () => {
    vi.useFakeTimers();
    const source = new FakeSource(dataset());
    const batcher = new BatchingSource(source, { windowMs: 100, idleMs: 25, maxMembers: 100 });
    const models = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const answers: Promise<QueryResult>[] = [];
    for (const model of models) {
      answers.push(batcher.query(q(model)));
      await vi.advanceTimersByTimeAsync(10);
      // every query so far waits in the one batch until the window ends at 100 ms
      if (answers.length < 10) expect(source.sent).toHaveLength(0);
    }
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(answers);
    // the first 10 (0–90 ms) went together at 100 ms; the last two in the next batch
    expect(source.sent).toHaveLength(2);
    expect(source.sent.map((r) => /model=~"([^"]*)"/.exec(r.expr)?.[1])).toEqual([models.slice(0, 10).sort().join("|"), "m10|m11"]);
  });
});
