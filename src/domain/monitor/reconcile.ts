// The ModelMonitor reconciler's decisions between its steps: the version it watches, whether
// remediation runs and for what, and how each step's outcome merges into the status. Pure: the
// controller (src/controller/modelmonitor.ts) gathers, calls these, persists and emits.
import type { ModelMonitorSpec, ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { setConditions } from "../conditions.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import type { RemediationResult } from "../remediation/plan.ts";
import { isTerminal } from "../rollout/machine.ts";
import type { MonitoredRollout, MonitorRolloutPlan } from "../rollout/monitor.ts";
import { lastEvaluation, waitingForCredentials, type ProcessView } from "./lifecycle.ts";
import { countEvaluation } from "./report.ts";

/** The spec the monitor evaluates: it watches the version serving stable traffic, which follows promotions. */
export function watchedSpec(spec: ModelMonitorSpec, status: Pick<ModelMonitorStatus, "stableVersion">): ModelMonitorSpec {
  return { ...spec, model: { ...spec.model, version: status.stableVersion ?? spec.model.version } };
}

/**
 * How late this evaluation is beyond the interval, in seconds, for a monitor evaluated before
 * under the same spec; undefined when there is nothing to compare with (a new spec, no earlier
 * evaluation, a clock gone back, or waiting for credentials, which sends no query).
 */
export function evaluationLagSeconds(status: ModelMonitorStatus, generation: number, intervalMs: number, now: number, view: ProcessView): number | undefined {
  const last = lastEvaluation(status, intervalMs, view);
  if (status.observedGeneration !== generation || last === undefined || now < last || waitingForCredentials(status)) return undefined;
  return (now - last - intervalMs) / 1000;
}

/** A monitor that names a policy, or once did and may still have Jobs running, is remediated. */
export const remediationRuns = (policyName: string | undefined, status: Pick<ModelMonitorStatus, "remediation">): boolean =>
  policyName !== undefined || status.remediation !== undefined;

/** What remediation acts for: the model (its name alone when the spec is unreadable), and whether it may start Jobs (a valid, unsuspended spec). */
export function remediationSubject(spec: ModelMonitorSpec | undefined, monitorName: string): { model: { name: string; version?: string }; acting: boolean } {
  return spec ? { model: spec.model, acting: !spec.suspend } : { model: { name: monitorName }, acting: false };
}

/** The rollout of the monitor still running, if any: remediation starts no retraining meanwhile. */
export const rolloutInProgress = (rollouts: readonly MonitoredRollout[]): string | undefined => rollouts.find((r) => !isTerminal(r.phase))?.name;

/** The status with remediation's part: its record (dropped when there is none) and its conditions. */
export function withRemediation(
  status: ModelMonitorStatus,
  r: Pick<RemediationResult, "status" | "conditions">,
  nowIso: string,
  generation: number,
): ModelMonitorStatus {
  const { remediation: _dropped, ...rest } = status;
  return { ...rest, ...(r.status ? { remediation: r.status } : {}), conditions: setConditions(status.conditions, r.conditions, nowIso, generation) };
}

/** The status with the rollout follow-up's part: the versions it records (each dropped when the plan has none). */
export function withRolloutPlan(status: ModelMonitorStatus, plan: MonitorRolloutPlan): ModelMonitorStatus {
  const { stableVersion: _s, declaredVersion: _d, rollout: _r, versions: _v, ...rest } = status;
  return {
    ...rest,
    ...(plan.stableVersion !== undefined ? { stableVersion: plan.stableVersion } : {}),
    ...(plan.declaredVersion !== undefined ? { declaredVersion: plan.declaredVersion } : {}),
    ...(plan.rollout ? { rollout: plan.rollout } : {}),
    ...(plan.versions ? { versions: plan.versions } : {}),
  };
}

/** The sooner of two requeues; undefined is "no need to come back". */
export const soonerRequeue = (a: number | undefined, b: number | undefined): number | undefined => (b === undefined ? a : Math.min(a ?? Infinity, b));

/** The status without a report (spec.report removed). */
export function withoutReport(status: ModelMonitorStatus): ModelMonitorStatus {
  const { report: _dropped, ...rest } = status;
  return rest;
}

/** The status with this evaluation counted into the report's period. */
export function withEvaluationCounted(status: ModelMonitorStatus, nowIso: string) {
  const period = countEvaluation(status.report?.period, status.health ?? "Unknown", status.findings.length, nowIso);
  return { ...status, report: { ...status.report, period } };
}

/** The status once a report was written: the next period starts empty, its first evaluation is the next one. */
export const withReportWritten = (status: ModelMonitorStatus, configMap: string, nowIso: string): ModelMonitorStatus => ({
  ...status,
  report: { configMap, lastTime: nowIso },
});

/** The Event of a report written to a ConfigMap, saying which period it covers. */
export function reportWrittenEvent(configMap: string, periodStart: number | undefined): MonitorEvent {
  const covered = periodStart === undefined ? "the first report" : `since ${new Date(periodStart).toISOString()}`;
  return { type: "Normal", reason: EventReason.ReportWritten, message: `governance report (${covered}) written to ConfigMap ${configMap}` };
}

/** The Event of a report that could not be written (retried at the next evaluation). */
export const reportFailedEvent = (message: string): MonitorEvent => ({ type: "Warning", reason: EventReason.ReportFailed, message: message.slice(0, 1000) });
