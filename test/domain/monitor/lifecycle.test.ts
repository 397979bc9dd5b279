import { describe, expect, it } from "vitest";
import { modelMonitorStatusSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { evaluationDue, MAX_START_SPREAD_MS } from "../../../src/domain/monitor/lifecycle.ts";

const T = Date.parse("2026-11-01T00:00:00Z");
const status = (extra: Record<string, unknown> = {}) =>
  modelMonitorStatusSchema.parse({ observedGeneration: 3, lastEvaluationTime: new Date(T).toISOString(), ...extra });

const metricsFalse = (reason: string) => ({ type: "MetricsAvailable", status: "False", reason, message: "", lastTransitionTime: new Date(T).toISOString() });

describe("evaluationDue", () => {
  it.each([
    ["never evaluated", modelMonitorStatusSchema.parse({}), 3, {}, T, { due: true }],
    ["within the interval", status(), 3, {}, T + 20_000, { due: false, afterMs: 40_000 }],
    ["interval passed", status(), 3, {}, T + 60_000, { due: true }],
    ["spec changed", status(), 4, {}, T + 1_000, { due: true }],
    ["re-pin requested", status(), 3, { "modelguardian.dev/repin": "a" }, T + 1_000, { due: true }],
    ["re-pin already handled", status({ repinToken: "a" }), 3, { "modelguardian.dev/repin": "a" }, T + 1_000, { due: false, afterMs: 59_000 }],
    ["last evaluation in the future (clock skew)", status(), 3, {}, T - 5_000, { due: true }],
    ["evaluation asked for", status(), 3, { "modelguardian.dev/evaluate": "now-1" }, T + 1_000, { due: true }],
    [
      "evaluation asked for, already handled",
      status({ evaluateToken: "now-1" }),
      3,
      { "modelguardian.dev/evaluate": "now-1" },
      T + 1_000,
      { due: false, afterMs: 59_000 },
    ],
    ["a missing Secret: again after 10 s", status({ conditions: [metricsFalse("SecretNotFound")] }), 3, {}, T + 10_000, { due: true }],
    [
      "refused credentials: again after 10 s",
      status({ conditions: [metricsFalse("CredentialsNotAllowed")] }),
      3,
      {},
      T + 4_000,
      { due: false, afterMs: 6_000 },
    ],
    ["credentials the source rejects (401): again after 10 s", status({ conditions: [metricsFalse("QueryUnauthorized")] }), 3, {}, T + 10_000, { due: true }],
    [
      "an unreachable source waits for its interval",
      status({ conditions: [metricsFalse("PrometheusUnreachable")] }),
      3,
      {},
      T + 10_000,
      { due: false, afterMs: 50_000 },
    ],
  ])("%s", (_, s, generation, annotations, now, expected) => {
    expect(evaluationDue(s, generation, annotations, 60_000, now)).toEqual(expected);
  });

  it.each([0, -1, Number.NaN, 10])("an interval of %d ms is never shorter than the 1 s floor", (interval) => {
    expect(evaluationDue(status(), 3, {}, interval, T + 100)).toEqual({ due: false, afterMs: 900 });
    expect(evaluationDue(status(), 3, {}, interval, T + 1_000)).toEqual({ due: true });
  });
});

describe("evaluations after a start", () => {
  const started = T + 10 * 60_000; // the operator was down for 10 minutes: every monitor is overdue
  const dueAt = (key: string, interval = 60_000) => {
    const d = evaluationDue(status(), 3, {}, interval, started, { startedAt: started, key });
    return d.due ? 0 : d.afterMs;
  };
  it("spreads overdue monitors over min(interval, 30 s) after the start, each at a moment fixed by its key", () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => dueAt(`uid-${i}`));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(MAX_START_SPREAD_MS);
    // spread, not bunched: every tenth of the window holds some
    const tenths = new Set(offsets.map((o) => Math.floor((o / MAX_START_SPREAD_MS) * 10)));
    expect(tenths.size).toBe(10);
    expect(dueAt("uid-7")).toBe(offsets[7]);
    // a short interval spreads over the interval
    expect(Math.max(...Array.from({ length: 200 }, (_, i) => dueAt(`uid-${i}`, 5_000)))).toBeLessThan(5_000);
  });
  it("is due at its moment, and at once after the window", () => {
    const wait = dueAt("uid-42");
    expect(evaluationDue(status(), 3, {}, 60_000, started + wait, { startedAt: started, key: "uid-42" })).toEqual({ due: true });
    expect(evaluationDue(status(), 3, {}, 60_000, started + MAX_START_SPREAD_MS, { startedAt: started, key: "uid-42" })).toEqual({ due: true });
  });
  it("never makes a monitor earlier than its interval, and never delays a person's change", () => {
    const recent = status({ lastEvaluationTime: new Date(started - 10_000).toISOString() });
    expect(evaluationDue(recent, 3, {}, 60_000, started, { startedAt: started, key: "uid-1" })).toEqual({ due: false, afterMs: 50_000 });
    expect(evaluationDue(status(), 4, {}, 60_000, started, { startedAt: started, key: "uid-1" })).toEqual({ due: true });
    expect(evaluationDue(modelMonitorStatusSchema.parse({}), 1, {}, 60_000, started, { startedAt: started, key: "uid-1" })).toEqual({ due: true });
  });
});
