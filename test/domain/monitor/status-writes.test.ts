import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { modelMonitorStatusSchema, type ModelMonitorStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { evaluationDue, lastEvaluation } from "../../../src/domain/monitor/lifecycle.ts";
import { latestPossibleEvaluation, monitorStateOf, statusWrite, valuesRefreshMs } from "../../../src/domain/monitor/status-writes.ts";

const T = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

const base = (): ModelMonitorStatus =>
  modelMonitorStatusSchema.parse({
    observedGeneration: 2,
    health: "Warning",
    summary: "accuracy=0.91",
    maxDriftScore: 0.12,
    lastEvaluationTime: new Date(T).toISOString(),
    conditions: [
      { type: "Degraded", status: "True", reason: "RuleBreached", message: "accuracy 0.91 below 0.92", lastTransitionTime: new Date(T - MINUTE).toISOString() },
    ],
    signals: [
      { name: "accuracy", state: "Value", value: 0.91, baseline: 0.95, samples: 1200, message: "1200 samples", queries: [{ expr: "sum(x)", series: 4 }] },
    ],
    drift: [
      {
        name: "inputs",
        method: "psi",
        state: "Value",
        queries: [{ expr: "sum(y)", series: 30 }],
        driftedShare: 0.33,
        driftedFeatures: ["age"],
        features: [{ feature: "age", state: "Value", score: 0.21, pValue: 0.01, severity: "warning", referenceSamples: 5000, currentSamples: 900 }],
      },
    ],
    findings: [
      {
        type: "AccuracyDrift",
        severity: "warning",
        source: "accuracy",
        description: "accuracy 0.91 below 0.92",
        value: 0.91,
        baseline: 0.95,
        threshold: 0.92,
        since: new Date(T - MINUTE).toISOString(),
      },
    ],
    pending: [{ key: "accuracy|critical", since: new Date(T).toISOString() }],
    rules: [
      {
        name: "spec.rules[0]",
        rule: "accuracy maxDrop, baseline 24h ago",
        coverage: "InsufficientSamples",
        message: "TooFewSamples: 50 samples, fewer than the 100 required",
      },
    ],
    judgedRules: "0/1",
    history: [{ time: new Date(T).toISOString(), health: "Warning", findings: 1, values: { accuracy: 0.91 } }],
    report: {
      configMap: "m-report",
      lastTime: new Date(T).toISOString(),
      period: { since: new Date(T).toISOString(), evaluations: { Warning: 1 }, withFindings: 1 },
    },
  });

/** The next evaluation's status with only its numbers, messages and times moved. */
function valuesMoved(s: ModelMonitorStatus, by: number): ModelMonitorStatus {
  return {
    ...s,
    summary: `accuracy=${0.91 + by}`,
    maxDriftScore: 0.12 + by,
    lastEvaluationTime: new Date(T + MINUTE).toISOString(),
    conditions: s.conditions.map((c) => ({ ...c, message: `accuracy ${0.91 + by} below 0.92` })),
    signals: s.signals.map((x) => ({
      ...x,
      value: 0.91 + by,
      baseline: 0.95 + by,
      samples: 1300,
      message: "1300 samples",
      queries: [{ expr: "sum(x)", series: 5 }],
    })),
    drift: s.drift.map((d) => ({
      ...d,
      queries: [{ expr: "sum(y)", series: 33 }],
      driftedShare: 0.34,
      features: d.features.map((f) => ({ ...f, score: 0.2 + by, pValue: 0.02, referenceSamples: 5001, currentSamples: 901 })),
    })),
    findings: s.findings.map((f) => ({ ...f, value: 0.91 + by, baseline: 0.95, threshold: 0.92 + by, description: `accuracy ${0.91 + by} below 0.92` })),
    rules: (s.rules ?? []).map((r) => ({ ...r, message: `TooFewSamples: ${50 + by} samples, fewer than the 100 required` })),
    history: [...s.history, { time: new Date(T + MINUTE).toISOString(), health: "Warning", findings: 1, values: { accuracy: 0.91 + by } }],
    report: { ...s.report, period: { since: new Date(T).toISOString(), evaluations: { Warning: 2 }, withFindings: 2 } },
  };
}

describe("valuesRefreshMs", () => {
  it.each([
    [1_000, 5 * MINUTE, 5_000],
    [MINUTE, 5 * MINUTE, 5 * MINUTE],
    [2 * MINUTE, 5 * MINUTE, 5 * MINUTE],
    [10 * MINUTE, 5 * MINUTE, 10 * MINUTE],
    [MINUTE, 0, MINUTE],
  ])("interval %d ms, max age %d ms: %d ms", (interval, maxAge, expected) => {
    expect(valuesRefreshMs(interval, maxAge)).toBe(expected);
  });
});

describe("monitorStateOf", () => {
  it("does not see the values move", () => {
    fc.assert(
      fc.property(fc.double({ min: -0.5, max: 0.5, noNaN: true }), (by) => {
        expect(monitorStateOf(valuesMoved(base(), by))).toEqual(monitorStateOf(base()));
      }),
    );
  });

  it.each<[string, (s: ModelMonitorStatus) => ModelMonitorStatus]>([
    ["health", (s) => ({ ...s, health: "Critical" })],
    ["a finding's severity", (s) => ({ ...s, findings: s.findings.map((f) => ({ ...f, severity: "critical" })) })],
    ["a new finding", (s) => ({ ...s, findings: [...s.findings, { ...(s.findings[0] as ModelMonitorStatus["findings"][number]), source: "recall" }] })],
    ["a pending breach", (s) => ({ ...s, pending: [] })],
    ["a condition's status", (s) => ({ ...s, conditions: s.conditions.map((c) => ({ ...c, status: "False" as const })) })],
    ["a condition's reason", (s) => ({ ...s, conditions: s.conditions.map((c) => ({ ...c, reason: "NoData" })) })],
    ["a signal's state", (s) => ({ ...s, signals: s.signals.map((x) => ({ ...x, state: "NoData" as const })) })],
    [
      "a feature's drift severity",
      (s) => ({ ...s, drift: s.drift.map((d) => ({ ...d, features: d.features.map((f) => ({ ...f, severity: "critical" as const })) })) }),
    ],
    ["the drifted features", (s) => ({ ...s, drift: s.drift.map((d) => ({ ...d, driftedFeatures: [] })) })],
    ["a rule's coverage", (s) => ({ ...s, rules: (s.rules ?? []).map((r) => ({ ...r, coverage: "Judged" as const })) })],
    ["the rules judged", (s) => ({ ...s, judgedRules: "1/1" })],
    ["a pin", (s) => ({ ...s, pinned: { accuracy: { value: 0.95, at: new Date(T).toISOString() } } })],
    ["what the policy did", (s) => ({ ...s, remediation: modelMonitorStatusSchema.shape.remediation.parse({ active: 1 }) })],
    ["the observed generation", (s) => ({ ...s, observedGeneration: 3 })],
    ["the report's schedule", (s) => ({ ...s, report: { ...s.report, lastTime: new Date(T + MINUTE).toISOString() } })],
  ])("sees %s change", (_, change) => {
    expect(monitorStateOf(change(base()))).not.toEqual(monitorStateOf(base()));
  });
});

describe("statusWrite", () => {
  const refresh = 5 * MINUTE;
  it("writes a change of state at once, defers values inside the window, writes them when it has passed", () => {
    const written = base();
    expect(statusWrite(written, { ...valuesMoved(written, 0.01), health: "Critical" }, T, T + MINUTE, refresh)).toBe("write");
    for (const minutes of [1, 2, 3, 4])
      expect(statusWrite(written, valuesMoved(written, 0.01), T, T + minutes * MINUTE, refresh), `${minutes} min`).toBe("defer");
    expect(statusWrite(written, valuesMoved(written, 0.01), T, T + 5 * MINUTE, refresh)).toBe("write");
  });

  it("writes when it does not know when the status was last written, or that time is in the future", () => {
    expect(statusWrite(base(), valuesMoved(base(), 0.01), undefined, T + MINUTE, refresh)).toBe("write");
    expect(statusWrite(base(), valuesMoved(base(), 0.01), T + 2 * MINUTE, T + MINUTE, refresh)).toBe("write");
  });
});

describe("the last evaluation a process can count on", () => {
  const status = modelMonitorStatusSchema.parse({ observedGeneration: 1, lastEvaluationTime: new Date(T).toISOString() });
  it("is what it remembers, when it evaluated the monitor", () => {
    expect(lastEvaluation(status, MINUTE, { startedAt: T - 60 * MINUTE, key: "u", refreshMs: 5 * MINUTE, lastEvaluated: T + 3 * MINUTE })).toBe(T + 3 * MINUTE);
  });

  it("is what it remembers even when the status was written by a clock ahead of its own", () => {
    const ahead = modelMonitorStatusSchema.parse({ observedGeneration: 1, lastEvaluationTime: new Date(T + 10 * MINUTE).toISOString() });
    const view = { startedAt: T - 60 * MINUTE, key: "u", refreshMs: 5 * MINUTE, lastEvaluated: T };
    expect(evaluationDue(ahead, 1, {}, MINUTE, T + 20_000, view)).toEqual({ due: false, afterMs: 40_000 });
  });

  it("is at most a refresh window after the written one, and never after the process started", () => {
    expect(latestPossibleEvaluation(T, MINUTE, 5 * MINUTE, T + 2 * MINUTE)).toBe(T + 2 * MINUTE);
    expect(latestPossibleEvaluation(T, MINUTE, 5 * MINUTE, T + 60 * MINUTE)).toBe(T + 5 * MINUTE);
    // a window of one interval defers nothing: the record is the last evaluation
    expect(latestPossibleEvaluation(T, MINUTE, MINUTE, T + 2 * MINUTE)).toBe(T);
  });

  it("so a restart never evaluates earlier than an interval after any evaluation that may have gone unwritten", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 59_000 }),
        fc.integer({ min: 0, max: 20 * MINUTE }),
        (deferred, jitter, downtime) => {
          // the old process wrote at T and evaluated `deferred` more times, each a minute (plus lag) apart, without writing
          const lastReal = T + deferred * MINUTE + (deferred > 0 ? jitter / 5 : 0);
          const startedAt = lastReal + downtime;
          const view = { startedAt, key: "uid-7", refreshMs: 5 * MINUTE };
          for (let now = startedAt; now < lastReal + MINUTE; now += 5_000) expect(evaluationDue(status, 1, {}, MINUTE, now, view).due).toBe(false);
        },
      ),
    );
  });
});
