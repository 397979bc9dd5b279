// The evaluation lag the reconciler reports: time since the last evaluation beyond the interval,
// only between two evaluations of the same spec.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ModelMonitorReconciler } from "../../src/controller/modelmonitor.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import type { MonitorTelemetry } from "../../src/ports.ts";
import type { ObjectRef } from "../../src/ports.ts";

describe("evaluation lag", () => {
  it("is the time since the last evaluation minus the interval, and is not reported for a first evaluation or a new spec", async () => {
    const lags: number[] = [];
    const writes: unknown[] = [];
    const clock = { t: Date.parse("2026-11-01T00:00:00Z"), now: () => clock.t };
    const telemetry = {
      evaluated: () => undefined,
      queried: () => undefined,
      reconcileError: () => undefined,
      actionStarted: () => undefined,
      actionFinished: () => undefined,
      evaluationLag: (s: number) => void lags.push(s),
    } satisfies MonitorTelemetry;
    const reconciler = new ModelMonitorReconciler({
      resolveSource: async () => ({
        query: async () => ({
          kind: "vector",
          samples: [
            { labels: { outcome: "tp" }, value: 90 },
            { labels: { outcome: "fp" }, value: 10 },
          ],
        }),
      }),
      status: { writeStatus: async (_: ObjectRef, s: unknown) => void writes.push(s) },
      events: { emit: async () => undefined },
      clock,
      startedAt: 0,
      log: pino({ level: "silent" }),
      telemetry,
    });
    const obj = (generation: number, status?: unknown): KubeObject => ({
      metadata: { name: "m", namespace: "ns", uid: "u", generation },
      spec: { model: { name: "fraud" }, interval: "1m", minSamples: 10, signals: [{ name: "accuracy", classification: { metric: "p" } }] },
      ...(status ? { status } : {}),
    });
    await reconciler.reconcile(obj(1));
    expect(lags).toEqual([]);
    clock.t += 72_500;
    await reconciler.reconcile(obj(1, writes.at(-1)));
    expect(lags).toEqual([12.5]);
    clock.t += 5_000;
    await reconciler.reconcile(obj(2, writes.at(-1)));
    expect(lags).toEqual([12.5]);
  });
});
