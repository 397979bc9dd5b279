// The log tells the story: the lines the operator writes for its decisions, from real decisions
// of the domain (a monitor's health and findings, a rollout from start to rollback).
import { describe, expect, it } from "vitest";
import { modelMonitorStatusSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { eventLogLine, queryLogOf, REPEAT_QUIET_MS } from "../../src/domain/log-lines.ts";
import { transitionEvents } from "../../src/domain/monitor/monitor-health.ts";
import { isTerminal } from "../../src/domain/rollout/machine.ts";
import { RolloutHarness } from "./rollout/support.ts";

const monitor = { kind: "ModelMonitor", namespace: "ml", name: "fraud" };
const rollout = { kind: "ModelRollout", namespace: "ml", name: "fraud-v2" };
const T = Date.parse("2026-12-01T10:00:00Z");
const finding = {
  type: "Threshold" as const,
  severity: "critical" as const,
  source: "accuracy",
  description: "accuracy 0.7 is under its minimum 0.8 (5000 samples)",
  since: "2026-12-01T10:00:00Z",
};

describe("a monitor's decisions in the log", () => {
  it("a health change and a finding raised, then cleared, each one line with its numbers", () => {
    const healthy = modelMonitorStatusSchema.parse({ health: "Healthy" });
    const critical = modelMonitorStatusSchema.parse({ health: "Critical", findings: [finding] });
    const raised = transitionEvents(healthy, critical, []).map((e) => eventLogLine(monitor, e, T));
    expect(raised).toEqual([
      {
        level: "warn",
        fields: { monitor: "ml/fraud", reason: "HealthCritical", type: "Warning", severity: "critical" },
        msg: "HealthCritical: health Healthy -> Critical: accuracy 0.7 is under its minimum 0.8 (5000 samples)",
      },
      {
        level: "warn",
        fields: { monitor: "ml/fraud", reason: "ThresholdDetected", type: "Warning", severity: "critical" },
        msg: "ThresholdDetected: critical: accuracy 0.7 is under its minimum 0.8 (5000 samples)",
      },
    ]);
    const cleared = transitionEvents(critical, healthy, []).map((e) => eventLogLine(monitor, e, T));
    expect(cleared.map((l) => [l.level, l.msg])).toEqual([
      ["info", "HealthRecovered: health Critical -> Healthy"],
      ["info", "ThresholdCleared: cleared: accuracy 0.7 is under its minimum 0.8 (5000 samples)"],
    ]);
  });

  it("a healthy evaluation like the one before says nothing", () => {
    const healthy = modelMonitorStatusSchema.parse({ health: "Healthy" });
    expect(transitionEvents(healthy, healthy, [])).toEqual([]);
    expect(transitionEvents(modelMonitorStatusSchema.parse({}), healthy, [])).toEqual([]); // nor the first
  });

  it("the same Event again within 10 minutes is debug, after it info again", () => {
    const e = { type: "Normal" as const, reason: "CooldownActive" as const, message: "retrain held until 2026-12-01T11:00:00.000Z: cooldown 1h" };
    expect(eventLogLine(monitor, e, T).level).toBe("info");
    expect(eventLogLine(monitor, e, T + 60_000, T).level).toBe("debug");
    expect(eventLogLine(monitor, e, T + REPEAT_QUIET_MS, T).level).toBe("info");
  });
});

describe("a metrics source failing and recovering", () => {
  const withMetrics = (health: "Healthy" | "Unknown", reason: string, message: string) =>
    modelMonitorStatusSchema.parse({
      health,
      conditions: [
        { type: "MetricsAvailable", status: reason === "AllSignalsHaveValues" ? "True" : "False", reason, message, lastTransitionTime: "2026-12-01T10:00:00Z" },
      ],
    });
  const few = withMetrics("Unknown", "TooFewSamples", "accuracy: 12 samples, fewer than the 100 required");
  const down = withMetrics("Unknown", "PrometheusUnreachable", "accuracy: http://prometheus:9090: ECONNREFUSED");
  const up = withMetrics("Healthy", "AllSignalsHaveValues", "every signal and drift check has a value");

  it("is said once when it starts failing and once when it answers again, even while health stays Unknown", () => {
    expect(
      transitionEvents(few, down, [])
        .map((e) => eventLogLine(monitor, e, T))
        .map((l) => [l.level, l.msg]),
    ).toEqual([["warn", "MetricsSourceFailing: PrometheusUnreachable: accuracy: http://prometheus:9090: ECONNREFUSED"]]);
    expect(transitionEvents(down, down, [])).toEqual([]);
    expect(transitionEvents(down, few, []).map((e) => [e.reason, e.message])).toEqual([
      ["MetricsSourceRecovered", "the metrics source answers again (it failed with PrometheusUnreachable)"],
    ]);
    expect(transitionEvents(down, up, []).map((e) => e.reason)).toEqual(["HealthRecovered", "MetricsSourceRecovered"]);
  });

  it("a missing Secret is a failure of its own: SecretNotFound, said when the cause changes", () => {
    const secret = withMetrics("Unknown", "SecretNotFound", "accuracy: spec.source.authSecretRef: Secret ml/prom does not exist");
    expect(transitionEvents(down, secret, []).map((e) => [e.reason, e.message])).toEqual([
      ["MetricsSourceFailing", "SecretNotFound: accuracy: spec.source.authSecretRef: Secret ml/prom does not exist"],
    ]);
  });
});

describe("a rollout's decisions in the log", () => {
  it("tells the story from start to rollback: the step, the analysis outcome, the rollback, the quarantine", () => {
    const h = new RolloutHarness();
    h.runUntil((x) => x.status.phase === "Progressing");
    h.nextOutcome = "Failed";
    h.runUntil((x) => isTerminal(x.status.phase));
    const lines = h.events.map((e) => eventLogLine(rollout, e, T));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["info", "RolloutStarted: rolling v2 out against stable v1: 5 %, 25 %, 50 %, 100 %"],
      ["info", "CandidateDeploying: putting v2 in place on the candidate Deployment"],
      ["info", "StepStarted: step 1/4: 5 % to v2 for 10m"],
      ["warn", "AnalysisFailed: step 1/4 (5 %) over 10m: failed analysis"],
      ["warn", "RollbackStarted: v2: analysis failed at step 1: failed analysis; all traffic back to stable"],
      ["warn", "RolledBack: v2: analysis failed at step 1: failed analysis; stable v1 has all traffic"],
      ["warn", "Quarantined: v2 is quarantined: it is not rolled out again until its version or URI changes or a person retries it"],
    ]);
    expect(lines[0]?.fields).toEqual({ rollout: "ml/fraud-v2", reason: "RolloutStarted", type: "Normal" });
  });
});

describe("the queries at debug", () => {
  it("show the PromQL, its time as ISO and what came back", () => {
    expect(queryLogOf({ expr: "sum(x)", time: T }, { kind: "vector", samples: [{ labels: {}, value: 1 }] })).toEqual({
      expr: "sum(x)",
      at: "2026-12-01T10:00:00.000Z",
      series: 1,
    });
    expect(queryLogOf({ expr: "sum(x)", time: T }, { kind: "error", error: "Unreachable", message: "connection refused" })).toEqual({
      expr: "sum(x)",
      at: "2026-12-01T10:00:00.000Z",
      error: "Unreachable: connection refused",
    });
  });
});
