// The walking skeleton end to end: a simulated model exports metrics, the real Prometheus
// scrapes it, the operator (a real process) evaluates a ModelMonitor on the real API server.
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, events, getJson, given, kubectlOk, promQuery, startOperator, useStage, waitFor } from "../stage/index.ts";

interface MM {
  metadata: { name: string };
  status?: {
    health?: string;
    observedGeneration?: number;
    lastEvaluationTime?: string;
    signals?: { name: string; segment?: string; state: string; value?: number; samples?: number; reason?: string }[];
    findings?: { type: string; severity: string; description: string }[];
    conditions?: { type: string; status: string; reason: string }[];
    pinned?: Record<string, { value?: number; at: string; state?: string }>;
    history?: { time: string }[];
  };
}

const model = `fraud-${Date.now().toString(36)}`;
const INTERVAL_S = 2;

const monitor = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name, namespace: stage.ns },
  spec: {
    model: { name: model, version: "v1" },
    interval: `${INTERVAL_S}s`,
    window: "20s",
    minSamples: 50,
    signals: [ACCURACY],
    rules: [{ signal: "accuracy", min: { critical: 0.8 }, baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } }],
    ...spec,
  },
});

const get = (name: string) => getJson<MM>("modelmonitor", name, stage.ns);
const accuracyOf = (m: MM) => m.status?.signals?.find((s) => s.name === "accuracy" && s.segment === undefined);

const stage = useStage(
  given("op")
    .withModel({ model, version: "v1", segments: { "plant-a": { requestsPerSecond: 60, accuracy: 0.92 } }, seed: 7 })
    .withOperator(),
);

describe("ModelMonitor on a real API server and Prometheus", () => {
  it("evaluates a healthy model and shows it in status and kubectl get", async () => {
    expect((await apply(monitor("fraud"))).code).toBe(0);
    // with at least 500 samples behind it: the bounds below are 4 standard errors of an accuracy
    // of 0.92 there, while the first evaluations can see as few as 50 (minSamples)
    const m = await waitFor("a Healthy evaluation of at least 500 samples", async () => {
      const mm = await get("fraud");
      return mm.status?.health === "Healthy" && (accuracyOf(mm)?.samples ?? 0) >= 500 ? mm : undefined;
    });
    const accuracy = accuracyOf(m);
    expect(accuracy?.state).toBe("Value");
    expect(accuracy?.value).toBeGreaterThan(0.87);
    expect(accuracy?.value).toBeLessThan(0.97);
    expect(m.status?.observedGeneration).toBe(1);
    expect(m.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Evaluated" });
    const table = await kubectlOk(["get", "modelmonitors", "-n", stage.ns]);
    expect(table).toMatch(new RegExp(`fraud\\s+${model}\\s+v1\\s+v1\\s+Healthy\\s+1/1\\s+accuracy=0\\.\\d+`));
  });

  it("flips to Critical within two evaluation intervals of the data degrading, with a Warning event", async () => {
    stage.sim.setBehaviour({ accuracy: 0.6 });
    // when Prometheus itself sees accuracy below 0.8 the next evaluations must see it too
    await waitFor("Prometheus to see the drop", async () => {
      const r = await promQuery(
        `sum(increase(model_predictions_total{model="${model}",outcome=~"tp|tn"}[20s])) / sum(increase(model_predictions_total{model="${model}"}[20s]))`,
      );
      return r[0] && Number(r[0].value[1]) < 0.78;
    });
    const seenAt = Date.now();
    const m = await waitFor(
      "health Critical",
      async () => {
        const mm = await get("fraud");
        return mm.status?.health === "Critical" ? mm : undefined;
      },
      30_000,
      200,
    );
    const flipDelayS = (Date.now() - seenAt) / 1000;
    // two intervals, plus a scrape and the status round trip
    expect(flipDelayS).toBeLessThan(2 * INTERVAL_S + 3);
    expect(m.status?.findings?.[0]).toMatchObject({ type: "AccuracyDrift", severity: "critical" });
    expect(m.status?.findings?.[0]?.description).toMatch(/^accuracy 0\.\d+ is/);
    expect(m.status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "True", reason: "AccuracyDrift" });
    const recorded = await waitFor("the Warning events", async () => {
      const list = await events(stage.ns, "fraud");
      return list.some((e) => e.reason === "AccuracyDriftDetected") && list.some((e) => e.reason === "HealthCritical") ? list : undefined;
    });
    expect(recorded.find((e) => e.reason === "AccuracyDriftDetected")?.type).toBe("Warning");
  });

  it("recovers to Healthy with a Normal event when accuracy comes back", async () => {
    stage.sim.setBehaviour({ accuracy: 0.93 });
    const healthy = await waitFor(
      "health Healthy again",
      async () => {
        const mm = await get("fraud");
        return mm.status?.health === "Healthy" ? mm : undefined;
      },
      60_000,
    );
    // the whole status is replaced: nothing of the critical state lingers
    expect(healthy.status?.findings).toEqual([]);
    expect((healthy.status as Record<string, unknown>).worstFinding).toBeUndefined();
    const list = await waitFor("HealthRecovered", async () => {
      const l = await events(stage.ns, "fraud");
      return l.some((e) => e.reason === "HealthRecovered") ? l : undefined;
    });
    expect(list.find((e) => e.reason === "AccuracyDriftCleared")?.type).toBe("Normal");
  });

  it("is Unknown, never Healthy, when Prometheus is unreachable", async () => {
    // a loopback port nothing listens on (fetch refuses the "bad ports" such as 1 before connecting)
    await apply(monitor("unreachable", { source: { url: "http://127.0.0.1:19999", timeout: "2s" } }));
    const m = await waitFor("health Unknown", async () => {
      const mm = await get("unreachable");
      return mm.status?.health ? mm : undefined;
    });
    expect(m.status?.health).toBe("Unknown");
    expect(accuracyOf(m)).toMatchObject({ state: "Error", reason: "PrometheusUnreachable" });
    expect(m.status?.conditions?.find((c) => c.type === "MetricsAvailable")).toMatchObject({ status: "False", reason: "PrometheusUnreachable" });
    await waitFor("HealthUnknown event", async () => (await events(stage.ns, "unreachable")).some((e) => e.reason === "HealthUnknown" && e.type === "Warning"));
  });

  it("is Unknown with reason NoSeries when the model has no data", async () => {
    await apply(monitor("nodata", { model: { name: "no-such-model" } }));
    const m = await waitFor("an evaluation", async () => {
      const mm = await get("nodata");
      return mm.status?.health ? mm : undefined;
    });
    expect(m.status?.health).toBe("Unknown");
    expect(accuracyOf(m)).toMatchObject({ state: "NoData", reason: "NoSeries" });
  });

  it("several series where one was expected, and NaN, are errors with their own reasons", async () => {
    await apply(
      monitor("bad-answers", {
        signals: [
          { name: "many", query: { expr: "model_predictions_total{ {{selector}} }" } },
          { name: "nan", query: { expr: "0/0" } },
        ],
        rules: [],
      }),
    );
    const m = await waitFor("an evaluation", async () => {
      const mm = await get("bad-answers");
      return mm.status?.health ? mm : undefined;
    });
    expect(m.status?.health).toBe("Unknown");
    expect(m.status?.signals?.find((s) => s.name === "many")).toMatchObject({ state: "Error", reason: "MultipleSeries" });
    expect(m.status?.signals?.find((s) => s.name === "nan")).toMatchObject({ state: "Error", reason: "NotFinite" });
  });

  it("exports signal values and health on its own /metrics", async () => {
    const text = await (await fetch(stage.operator.metricsUrl)).text();
    expect(text).toMatch(new RegExp(`modelguardian_signal_value\\{namespace="${stage.ns}",monitor="fraud",signal="accuracy",segment=""\\} 0\\.\\d+`));
    expect(text).toMatch(new RegExp(`modelguardian_monitor_health\\{namespace="${stage.ns}",monitor="unreachable"\\} -1`));
    expect(text).toMatch(/modelguardian_query_errors_total\{kind="Unreachable"\} [1-9]/);
  });

  it("survives a crash: state in status carries on, no evaluation is repeated early", async () => {
    await apply(monitor("pinned", { rules: [{ signal: "accuracy", baseline: { pinned: {} }, maxDrop: { warning: 0.05 } }] }));
    const before = await waitFor("a pinned baseline", async () => {
      const mm = await get("pinned");
      // taken, not still accumulating (its state would change after the restart by design)
      return mm.status?.pinned?.["signal:accuracy"]?.state === "Pinned" ? mm : undefined;
    });
    await stage.operator.stop("SIGKILL");
    stage.operator = await startOperator([stage.ns], stage.ns);
    const after = await waitFor("evaluations after the restart", async () => {
      const mm = await get("pinned");
      return (mm.status?.history?.length ?? 0) >= (before.status?.history?.length ?? 0) + 2 ? mm : undefined;
    });
    // the baseline pinned before the crash is still the one in use
    expect(after.status?.pinned?.["signal:accuracy"]).toEqual(before.status?.pinned?.["signal:accuracy"]);
    const times = (after.status?.history ?? []).map((h) => Date.parse(h.time));
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(INTERVAL_S * 1000 - 50);
  });
});
