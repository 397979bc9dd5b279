// The reconciler with fake ports and a fake clock: exact status, write-once, events after status.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ModelMonitorReconciler } from "../../src/controller/modelmonitor.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import type { QueryRequest, QueryResult } from "../../src/domain/observation.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { ObjectRef } from "../../src/ports.ts";

function harness(answer: (q: QueryRequest) => QueryResult, options: { valuesMaxAgeMs?: number } = {}) {
  const log: string[] = [];
  const writes: unknown[] = [];
  const events: MonitorEvent[] = [];
  const queries: QueryRequest[] = [];
  const clock = { t: Date.parse("2026-11-01T00:00:00Z"), now: () => clock.t };
  const reconciler = new ModelMonitorReconciler({
    resolveSource: async () => ({ query: async (q) => (queries.push(q), answer(q)) }),
    status: { writeStatus: async (_: ObjectRef, s: unknown) => void (writes.push(s), log.push("status")) },
    events: { emit: async (_: ObjectRef, e: MonitorEvent) => void (events.push(e), log.push(`event:${e.reason}`)) },
    clock,
    log: pino({ level: "silent" }),
    ...options,
  });
  return { reconciler, writes, events, queries, clock, log };
}

const object = (spec: unknown, generation = 1): KubeObject => ({
  metadata: { name: "m", namespace: "ns", uid: "u1", generation },
  spec,
});
const spec = {
  model: { name: "fraud" },
  interval: "1m",
  minSamples: 10,
  signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
  rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
};
const counts = (acc: number): QueryResult => ({
  kind: "vector",
  samples: [
    { labels: { outcome: "tp" }, value: 100 * acc },
    { labels: { outcome: "fp" }, value: 100 * (1 - acc) },
  ],
});

describe("ModelMonitorReconciler", () => {
  it("evaluates, writes status once, then emits events, and asks to come back after the interval", async () => {
    const h = harness(() => counts(0.7));
    const obj = object(spec);
    const r = await h.reconciler.reconcile(obj);
    expect(r).toEqual({ evaluated: true, requeueAfterMs: 60_000 });
    expect(h.writes).toHaveLength(1);
    expect(h.log).toEqual(["status", "event:HealthCritical", "event:AccuracyDriftDetected"]);
    expect(h.writes[0]).toMatchObject({ observedGeneration: 1, health: "Critical", lastEvaluationTime: "2026-11-01T00:00:00.000Z" });
  });

  it("does not evaluate again before the interval, even after a restart (state is in status)", async () => {
    const h = harness(() => counts(0.9), { valuesMaxAgeMs: 0 });
    const obj = object(spec);
    await h.reconciler.reconcile(obj);
    const restarted = harness(() => counts(0.9), { valuesMaxAgeMs: 0 });
    restarted.clock.t = h.clock.t + 20_000;
    const r = await restarted.reconciler.reconcile({ ...obj, status: h.writes[0] });
    expect(r).toEqual({ evaluated: false, requeueAfterMs: 40_000 });
    expect(restarted.queries).toHaveLength(0);
    expect(restarted.writes).toHaveLength(0);
  });

  it("a restart waits a whole interval when evaluations after the written one may have gone unwritten", async () => {
    const h = harness(() => counts(0.9));
    const obj = object(spec);
    await h.reconciler.reconcile(obj);
    // the previous process may have evaluated at any moment up to its stop: only a whole interval from the start is safe
    const restarted = harness(() => counts(0.9));
    restarted.clock.t = h.clock.t + 20_000;
    expect(await restarted.reconciler.reconcile({ ...obj, status: h.writes[0] })).toEqual({ evaluated: false, requeueAfterMs: 60_000 });
    // but never later than a refresh window (5 intervals) after the written evaluation, plus one interval
    const late = harness(() => counts(0.9));
    late.clock.t = h.clock.t + 330_000;
    expect(await late.reconciler.reconcile({ ...obj, status: h.writes[0] })).toEqual({ evaluated: false, requeueAfterMs: 30_000 });
    expect([...restarted.queries, ...late.queries]).toHaveLength(0);
  });

  describe("a status whose values alone moved", () => {
    /** Reconciles at these minutes after T0. */
    const steady = async (h: ReturnType<typeof harness>, obj: KubeObject, minutes: number[]) => {
      for (const minute of minutes) {
        h.clock.t = T0 + minute * 60_000;
        await h.reconciler.reconcile(obj);
      }
    };
    const T0 = Date.parse("2026-11-01T00:00:00Z");

    it("is written once per 5 evaluations; the cached object holds the newest values meanwhile", async () => {
      let acc = 0.9;
      const h = harness(() => counts(acc));
      const obj = object(spec);
      await h.reconciler.reconcile(obj);
      for (const [minute, value] of [
        [1, 0.91],
        [2, 0.92],
        [3, 0.93],
        [4, 0.94],
      ] as const) {
        acc = value;
        h.clock.t = T0 + minute * 60_000;
        expect((await h.reconciler.reconcile(obj)).evaluated).toBe(true);
        expect(h.writes, `minute ${minute}`).toHaveLength(1);
        // the next reconcile starts from what was decided, not from the older written status
        expect(obj.status).toMatchObject({ lastEvaluationTime: new Date(h.clock.t).toISOString(), summary: `accuracy=${value}` });
      }
      h.clock.t = T0 + 5 * 60_000;
      await h.reconciler.reconcile(obj);
      expect(h.writes).toHaveLength(2);
      // the write carries every evaluation since the last one
      expect((h.writes[1] as { history: unknown[] }).history).toHaveLength(6);
      expect(h.events.map((e) => e.reason)).toEqual([]); // a first evaluation that is Healthy recovers from nothing
    });

    it("is written at every evaluation with STATUS_VALUES_MAX_AGE=0s", async () => {
      const h = harness(() => counts(0.9), { valuesMaxAgeMs: 0 });
      await steady(h, object(spec), [0, 1, 2, 3]);
      expect(h.writes).toHaveLength(4);
    });

    it("is written at once when the state changes: health, or a breach that has not yet lasted its `for`", async () => {
      let acc = 0.9;
      const withFor = { ...spec, rules: [{ signal: "accuracy", min: { critical: 0.8 }, for: "5m" }] };
      const h = harness(() => counts(acc));
      const obj = object(withFor);
      await steady(h, obj, [0, 1]);
      expect(h.writes).toHaveLength(1);
      // the breach starts: its start time must survive a restart, so it is written now
      acc = 0.7;
      await steady(h, obj, [2]);
      expect(h.writes).toHaveLength(2);
      expect(h.writes[1]).toMatchObject({ health: "Healthy", pending: [{ since: "2026-11-01T00:02:00.000Z" }] });
      // the breach holds: values alone move until it has lasted 5 minutes, then the finding is written
      await steady(h, obj, [3, 4, 5, 6]);
      expect(h.writes).toHaveLength(2);
      await steady(h, obj, [7]);
      expect(h.writes).toHaveLength(3);
      expect(h.writes[2]).toMatchObject({ health: "Critical" });
    });

    it("never makes a later reconcile evaluate early, even when the cache is refreshed with the older written status", async () => {
      const h = harness(() => counts(0.9));
      const written = object(spec);
      await h.reconciler.reconcile(written);
      const obj = { ...written, status: h.writes[0] };
      await steady(h, obj, [1]);
      expect(h.writes).toHaveLength(1);
      // a watch event (someone's label edit) brings the object back with the status last written
      h.clock.t = T0 + 90_000;
      const r = await h.reconciler.reconcile({ ...written, status: h.writes[0] });
      expect(r).toEqual({ evaluated: false, requeueAfterMs: 30_000 });
      // and a deleted monitor is forgotten: a new one of the same name starts afresh
      h.reconciler.forget("ns", "m");
      const recreated = { ...object(spec), metadata: { ...object(spec).metadata, uid: "u2" } };
      expect((await h.reconciler.reconcile(recreated)).evaluated).toBe(true);
    });
  });

  it("a query that found series is not followed by a lookup; one that found none is, after it, and its answer is in status", async () => {
    const found = harness(() => counts(0.9));
    await found.reconciler.reconcile(object(spec));
    expect(found.queries.map((q) => q.expr)).toEqual(['sum by (outcome) (increase(preds_total{model="fraud"}[3600s]))']);

    const nothing = harness((q) => ({
      kind: "vector",
      samples: q.expr.startsWith("topk") ? [{ labels: { __name__: "preds_total", app: "fraud" }, value: 1 }] : [],
    }));
    await nothing.reconciler.reconcile(object(spec));
    expect(nothing.queries.map((q) => q.expr)).toEqual([
      'sum by (outcome) (increase(preds_total{model="fraud"}[3600s]))',
      "topk(1, last_over_time(preds_total{}[1h]))",
    ]);
    expect(nothing.writes[0]).toMatchObject({
      signals: [
        {
          name: "accuracy",
          reason: "NoSeries",
          message:
            'preds_total exists, but none with {model="fraud"}: check spec.selector (unset: {model="fraud"} from spec.model.name) (labels seen on this metric: app; a series seen has no model)',
        },
      ],
    });
  });

  it("re-evaluates at once when the spec changes (new generation)", async () => {
    const h = harness(() => counts(0.9));
    const obj = object(spec);
    await h.reconciler.reconcile(obj);
    h.clock.t += 1_000;
    const r = await h.reconciler.reconcile({ ...object(spec, 2), status: h.writes[0] });
    expect(r.evaluated).toBe(true);
  });

  it("an invalid spec gets Ready=False InvalidSpec naming the field, one Warning event, no queries", async () => {
    const h = harness(() => counts(0.9));
    const obj = object({ ...spec, interval: "soon", signals: [{ name: "accuracy" }] });
    const r = await h.reconciler.reconcile(obj);
    expect(r.evaluated).toBe(false);
    expect(h.queries).toHaveLength(0);
    const status = h.writes[0] as { health: string; conditions: { type: string; status: string; reason: string; message: string }[] };
    expect(status.health).toBe("Unknown");
    const ready = status.conditions.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toMatch(/spec\.interval: must be a duration/);
    expect(h.events.map((e) => e.reason)).toEqual(["InvalidSpec"]);
    // reconciling the same invalid object again changes nothing and records nothing
    await h.reconciler.reconcile(obj);
    expect(h.writes).toHaveLength(1);
    expect(h.events).toHaveLength(1);
  });

  it("a suspended monitor is not evaluated", async () => {
    const h = harness(() => counts(0.9));
    const r = await h.reconciler.reconcile(object({ ...spec, suspend: true }));
    expect(r).toEqual({ evaluated: false });
    expect(h.queries).toHaveLength(0);
    expect((h.writes[0] as { conditions: { reason: string }[] }).conditions[0]?.reason).toBe("Suspended");
  });

  it("a stored spec the schema now refuses (interval 0s, a bad selector key) is InvalidSpec naming the fields, with no query and no requeue", async () => {
    const h = harness(() => counts(0.9));
    const r = await h.reconciler.reconcile(object({ ...spec, interval: "0s", selector: { "app.kubernetes.io/name": "x" } }));
    expect(r).toEqual({ evaluated: false });
    expect(h.queries).toHaveLength(0);
    const ready = (h.writes[0] as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find(
      (c) => c.type === "Ready",
    );
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toMatch(/spec\.interval: must be between 1s and 7d/);
    expect(ready?.message).toMatch(/spec\.selector\.app\.kubernetes\.io\/name: /);
    expect(h.events.map((e) => e.reason)).toEqual(["InvalidSpec"]);
  });
});

describe("the monitor's log", () => {
  it("shows each query at debug with what came back, and writes nothing at info for a healthy evaluation", async () => {
    const { Writable } = await import("node:stream");
    const { createLogger } = await import("../../src/adapters/logger.ts");
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write: (chunk, _e, done) => (
        String(chunk)
          .split("\n")
          .filter(Boolean)
          .forEach((l) => lines.push(JSON.parse(l))),
        done()
      ),
    });
    const clock = { t: Date.parse("2026-11-01T00:00:00Z"), now: () => clock.t };
    const reconciler = new ModelMonitorReconciler({
      resolveSource: async () => ({ query: async () => counts(0.9) }),
      status: { writeStatus: async () => undefined },
      events: { emit: async () => undefined },
      clock,
      log: createLogger("debug", sink),
    });
    await reconciler.reconcile(object(spec));
    await new Promise((r) => setImmediate(r));
    const queried = lines.find((l) => l.msg === "queried");
    expect(queried).toMatchObject({
      level: 20,
      monitor: "ns/m",
      queries: [{ expr: 'sum by (outcome) (increase(preds_total{model="fraud"}[3600s]))', at: "2026-11-01T00:00:00.000Z", series: 2 }],
    });
    expect(lines.filter((l) => (l.level as number) >= 30)).toEqual([]);
  });
});
