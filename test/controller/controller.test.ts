import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller, MIN_REQUEUE_MS } from "../../src/controller/controller.ts";
import { WorkQueue } from "../../src/controller/workqueue.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { loadConfig } from "../../src/config.ts";

const obj = (generation: number, annotations: Record<string, string> = {}, status: unknown = {}): KubeObject => ({
  metadata: { name: "m", namespace: "ns", uid: "u", generation, annotations },
  spec: {},
  status,
});

describe("Controller", () => {
  it("queues on add, spec and annotation changes, not on status-only updates", () => {
    const c = new Controller<KubeObject>({ reconciler: { reconcile: async () => ({}) }, workers: 1, log: pino({ level: "silent" }) });
    c.upsert(obj(1));
    expect(c.queue.length).toBe(1);
    c.upsert(obj(1, {}, { health: "Healthy" }));
    expect(c.queue.length).toBe(1); // deduplicated anyway, but not re-added
    void c.queue.get();
    c.upsert(obj(1, {}, { health: "Warning" }));
    expect(c.queue.length).toBe(0);
    c.upsert(obj(2));
    expect(c.queue.length).toBe(0); // the key is being processed: it is marked dirty instead
    c.queue.done("ns/m");
    expect(c.queue.length).toBe(1);
    void c.queue.get();
    c.queue.done("ns/m");
    c.upsert(obj(2, { "modelguardian.dev/repin": "1" }));
    expect(c.queue.length).toBe(1);
    c.queue.shutdown();
  });
});

describe("Controller requeues", () => {
  it.each([0, -5, 1, Number.NaN])("a reconciler asking for a requeue after %d ms waits at least the floor", async (asked) => {
    const delays: number[] = [];
    class RecordingQueue extends WorkQueue {
      override addAfter(key: string, ms: number): void {
        delays.push(ms);
        super.addAfter(key, 60_000);
      }
    }
    let calls = 0;
    const c = new Controller<KubeObject>({
      reconciler: { reconcile: async () => (calls++, { evaluated: true, requeueAfterMs: asked }) },
      workers: 1,
      log: pino({ level: "silent" }),
      queue: new RecordingQueue(),
    });
    c.upsert(obj(1));
    c.start();
    while (delays.length === 0) await new Promise((r) => setImmediate(r));
    await c.stop();
    expect(calls).toBe(1);
    expect(delays).toEqual([MIN_REQUEUE_MS]);
  });
});

describe("configuration", () => {
  it("fills defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PROMETHEUS_URL: "http://127.0.0.1:9090", WATCH_NAMESPACES: [], WORKERS: 8, QUERY_CONCURRENCY: 16 });
  });
  it("splits namespaces", () => {
    expect(loadConfig({ WATCH_NAMESPACES: "a, b,," }).WATCH_NAMESPACES).toEqual(["a", "b"]);
  });
  it("names every bad variable", () => {
    expect(() => loadConfig({ PROMETHEUS_URL: "ftp://x", WORKERS: "0", LOG_LEVEL: "loud", QUERY_TIMEOUT: "soon" })).toThrow(
      /env\.PROMETHEUS_URL: PROMETHEUS_URL must be an http\(s\) URL.*env\.LOG_LEVEL.*env\.WORKERS: WORKERS must be at least 1.*env\.QUERY_TIMEOUT: QUERY_TIMEOUT must be a duration/,
    );
  });
});
