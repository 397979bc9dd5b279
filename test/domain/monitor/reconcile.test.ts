// The monitor reconciler's pure decisions between its steps, and its status merges.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import {
  evaluationLagSeconds,
  remediationRuns,
  remediationSubject,
  reportFailedEvent,
  reportWrittenEvent,
  rolloutInProgress,
  soonerRequeue,
  watchedSpec,
  withEvaluationCounted,
  withoutReport,
  withRemediation,
  withReportWritten,
  withRolloutPlan,
} from "../../../src/domain/monitor/reconcile.ts";

const spec = modelMonitorSpecSchema.parse({
  model: { name: "fraud", version: "v1" },
  signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
});
const empty: ModelMonitorStatus = modelMonitorStatusSchema.parse({});
const T = Date.parse("2026-12-01T10:00:00Z");
const iso = (t: number) => new Date(t).toISOString();

describe("watchedSpec", () => {
  it("watches the version serving stable traffic, which follows promotions", () => {
    expect(watchedSpec(spec, { stableVersion: "v2" }).model).toEqual({ name: "fraud", version: "v2" });
    expect(watchedSpec(spec, {}).model).toEqual({ name: "fraud", version: "v1" });
    // the spec itself is not changed
    expect(spec.model.version).toBe("v1");
  });
});

describe("evaluationLagSeconds", () => {
  const view = { startedAt: T - 3_600_000, key: "u1", refreshMs: 300_000 };
  const evaluated = { ...empty, observedGeneration: 1, lastEvaluationTime: iso(T) };
  it("is how late this evaluation is beyond the interval", () => {
    expect(evaluationLagSeconds(evaluated, 1, 60_000, T + 65_000, view)).toBe(5);
  });
  it("is undefined under a new spec, without an earlier evaluation, or with a clock gone back", () => {
    expect(evaluationLagSeconds(evaluated, 2, 60_000, T + 65_000, view)).toBeUndefined();
    expect(evaluationLagSeconds({ ...empty, observedGeneration: 1 }, 1, 60_000, T + 65_000, view)).toBeUndefined();
    expect(evaluationLagSeconds(evaluated, 1, 60_000, T - 1, view)).toBeUndefined();
  });
});

describe("remediation", () => {
  it("runs for a monitor that names a policy, or once did (its Jobs may still run)", () => {
    expect(remediationRuns("p", empty)).toBe(true);
    expect(remediationRuns(undefined, empty)).toBe(false);
    expect(remediationRuns(undefined, { remediation: { actions: [] } as never })).toBe(true);
  });

  it("acts only for a valid, unsuspended spec", () => {
    expect(remediationSubject(spec, "m")).toEqual({ model: spec.model, acting: true });
    expect(remediationSubject({ ...spec, suspend: true }, "m")).toEqual({ model: spec.model, acting: false });
    expect(remediationSubject(undefined, "m")).toEqual({ model: { name: "m" }, acting: false });
  });

  it("knows the rollout still running", () => {
    expect(
      rolloutInProgress([
        { name: "a", version: "v1", phase: "Succeeded" },
        { name: "b", version: "v2", phase: "Progressing" },
      ]),
    ).toBe("b");
    expect(rolloutInProgress([{ name: "a", version: "v1", phase: "RolledBack" }])).toBeUndefined();
    // a rollout with no phase yet has not ended
    expect(rolloutInProgress([{ name: "c", version: "v3" }])).toBe("c");
  });

  it("merges its record and conditions, dropping a record it no longer has", () => {
    const withOld = { ...empty, remediation: { actions: [] } as never };
    const merged = withRemediation(
      withOld,
      { status: undefined, conditions: [{ type: "Remediating", status: "False", reason: "Idle", message: "" }] },
      iso(T),
      3,
    );
    expect(merged).not.toHaveProperty("remediation");
    expect(merged.conditions).toEqual([expect.objectContaining({ type: "Remediating", status: "False", observedGeneration: 3, lastTransitionTime: iso(T) })]);
  });

  it("the sooner requeue wins; undefined is no need", () => {
    expect(soonerRequeue(60_000, 10_000)).toBe(10_000);
    expect(soonerRequeue(undefined, 10_000)).toBe(10_000);
    expect(soonerRequeue(60_000, undefined)).toBe(60_000);
    expect(soonerRequeue(undefined, undefined)).toBeUndefined();
  });
});

describe("withRolloutPlan", () => {
  it("records what the plan says and drops what it no longer says", () => {
    const before = { ...empty, stableVersion: "v1", declaredVersion: "v1", rollout: { name: "x" } as never, health: "Healthy" as const };
    const after = withRolloutPlan(before, { stableVersion: "v2", events: [] });
    expect(after).toMatchObject({ stableVersion: "v2", health: "Healthy" });
    expect(after).not.toHaveProperty("declaredVersion");
    expect(after).not.toHaveProperty("rollout");
  });
});

describe("the report's part of status", () => {
  it("counts each evaluation into the period, and starts a new period once written", () => {
    const counted = withEvaluationCounted({ ...empty, health: "Critical", findings: [{} as never] }, iso(T));
    expect(counted.report.period).toMatchObject({ since: iso(T), evaluations: { Critical: 1 }, withFindings: 1 });
    const written = withReportWritten(counted, "fraud-report", iso(T + 1));
    expect(written.report).toEqual({ configMap: "fraud-report", lastTime: iso(T + 1) });
    expect(withoutReport(written)).not.toHaveProperty("report");
  });

  it("says which period a report covers", () => {
    expect(reportWrittenEvent("cm", undefined).message).toBe("governance report (the first report) written to ConfigMap cm");
    expect(reportWrittenEvent("cm", T).message).toBe(`governance report (since ${iso(T)}) written to ConfigMap cm`);
    expect(reportFailedEvent("x".repeat(2000))).toMatchObject({ type: "Warning", reason: "ReportFailed" });
    expect(reportFailedEvent("x".repeat(2000)).message).toHaveLength(1000);
  });
});
