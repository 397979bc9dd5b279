// The reconciler with fake ports and a fake clock: exact status, write-once, events after status.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ModelMonitorReconciler } from "../../src/controller/modelmonitor.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import type { QueryRequest, QueryResult } from "../../src/domain/observation.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { ObjectRef } from "../../src/ports.ts";

function harness(answer: (q: QueryRequest) => QueryResult) {
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
    const h = harness(() => counts(0.9));
    const obj = object(spec);
    await h.reconciler.reconcile(obj);
    const restarted = harness(() => counts(0.9));
    restarted.clock.t = h.clock.t + 20_000;
    const r = await restarted.reconciler.reconcile({ ...obj, status: h.writes[0] });
    expect(r).toEqual({ evaluated: false, requeueAfterMs: 40_000 });
    expect(restarted.queries).toHaveLength(0);
    expect(restarted.writes).toHaveLength(0);
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
    const ready = (h.writes[0] as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(ready?.message).toMatch(/spec\.interval: must be between 1s and 7d/);
    expect(ready?.message).toMatch(/spec\.selector\.app\.kubernetes\.io\/name: /);
    expect(h.events.map((e) => e.reason)).toEqual(["InvalidSpec"]);
  });
});
