// A RetrainPolicy's status: whether it is usable, and a summary of what it did across the
// monitors that name it. Derived from the monitors' status and the Jobs; pure.
import type { RemediationStatus } from "../../api/v1alpha1/modelmonitor.ts";
import {
  actionPurpose,
  retrainPolicySpecSchema,
  retrainPolicyStatusSchema,
  type ActionRecord,
  type ActionSpec,
  type RetrainPolicyStatus,
} from "../../api/v1alpha1/retrainpolicy.ts";
import { formatIssues } from "../../api/validation.ts";
import { setConditions } from "../conditions.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import { renderJob, type JobView } from "./job.ts";
import type { PolicyView } from "./plan.ts";
import { isDeepEqual } from "../json.ts";

export type PolicyValidity =
  | { ok: true }
  | { ok: false; reason: typeof EventReason.InvalidSpec | typeof EventReason.InvalidJobTemplate | typeof EventReason.JobTemplateNotAllowed; message: string };

export interface PolicyStatusInput {
  generation: number;
  previous: RetrainPolicyStatus;
  validity: PolicyValidity;
  monitors: readonly { name: string; remediation?: RemediationStatus }[];
  jobs: readonly JobView[];
  historyLimit: number;
  nowIso: string;
}

/** Running Jobs a policy's status lists by name; `active` counts them all. */
export const MAX_ACTIVE_JOBS_LISTED = 50;

export function policyStatus(input: PolicyStatusInput): { status: RetrainPolicyStatus; events: MonitorEvent[] } {
  const { previous, validity, generation, nowIso } = input;
  const history: ActionRecord[] = input.monitors
    .flatMap((m) => (m.remediation?.history ?? []).map((r) => ({ ...r, monitor: m.name })))
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : (a.monitor ?? "").localeCompare(b.monitor ?? "")))
    .slice(0, input.historyLimit);
  const activeJobs = input.jobs
    .filter((j) => j.phase === "Active")
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
    .map((j) => ({ monitor: j.monitor, job: j.name, action: j.action, startTime: new Date(j.createdAt).toISOString() }));
  const running = activeJobs.length;
  const count = input.monitors.length;
  const ready = validity.ok
    ? { type: "Ready", status: "True" as const, reason: "Accepted", message: `acting for ${count} ModelMonitor(s)` }
    : { type: "Ready", status: "False" as const, reason: validity.reason, message: validity.message };
  const wasSame = previous.conditions.some((c) => c.type === "Ready" && c.reason === ready.reason && c.message === ready.message);
  const events: MonitorEvent[] = [];
  if (!validity.ok && !wasSame) events.push({ type: "Warning", reason: validity.reason, message: validity.message });
  const status: RetrainPolicyStatus = {
    observedGeneration: generation,
    conditions: setConditions(previous.conditions, [ready], nowIso, generation),
    monitors: count,
    active: running,
    // the oldest first, at most MAX_ACTIVE_JOBS_LISTED: a policy of thousands of monitors keeps a bounded status
    activeJobs: activeJobs.slice(0, MAX_ACTIVE_JOBS_LISTED),
    ...(history[0] ? { lastActionTime: history[0].time } : previous.lastActionTime ? { lastActionTime: previous.lastActionTime } : {}),
    history,
  };
  return { status, events };
}

/**
 * The Job templates are checked (a server-side dry run) once per generation: the verdict kept
 * in the Ready condition of this generation, or undefined when a check is due.
 */
export function recordedTemplateVerdict(previous: RetrainPolicyStatus, generation: number): PolicyValidity | undefined {
  const ready = previous.conditions.find((c) => c.type === "Ready");
  // a refusal by the operator's settings says nothing of the dry run, and the settings may have changed since
  if (
    previous.observedGeneration !== generation ||
    ready?.observedGeneration !== generation ||
    ready.reason === EventReason.InvalidSpec ||
    ready.reason === EventReason.JobTemplateNotAllowed
  )
    return undefined;
  return ready.reason === EventReason.InvalidJobTemplate ? { ok: false, reason: EventReason.InvalidJobTemplate, message: ready.message } : { ok: true };
}

/**
 * Whether a change of a policy concerns the monitors that name it: they act on its spec and on
 * its verdict about the Job templates (its Ready condition), not on its summary of their work.
 * A new or deleted policy always does.
 */
export function policyChangeConcernsMonitors(
  previous: { spec?: unknown; status?: unknown } | undefined,
  next: { spec?: unknown; status?: unknown } | undefined,
): boolean {
  if (!previous || !next) return true;
  return !isDeepEqual(previous.spec, next.spec) || !isDeepEqual(verdictOf(previous.status), verdictOf(next.status));
}

/**
 * Whether a monitor's change alters what its policy summarises: which monitors name it, and
 * their actions' history. An evaluation's status write (values, health, findings) does not, so
 * the policy is not re-summarised once per evaluation of each of its monitors.
 */
export function monitorChangeConcernsPolicy(previous: { spec?: unknown; status?: unknown } | undefined, next: { spec?: unknown; status?: unknown }): boolean {
  if (!previous) return true;
  const policyOf = (o: { spec?: unknown }) => (o.spec as { policyRef?: { name?: string } } | undefined)?.policyRef?.name;
  const historyOf = (o: { status?: unknown }) => (o.status as { remediation?: { history?: unknown } } | undefined)?.remediation?.history;
  return policyOf(previous) !== policyOf(next) || !isDeepEqual(historyOf(previous), historyOf(next));
}

/**
 * What monitors read of a policy's Ready condition: whether it is accepted, and why not. The
 * message of an accepted policy counts its monitors: it changes with every monitor added or
 * removed and must not re-queue all the others.
 */
const verdictOf = (status: unknown) => {
  const ready = (status as { conditions?: { type: string; status?: string; reason?: string; message?: string }[] } | undefined)?.conditions?.find(
    (c) => c.type === "Ready",
  );
  if (!ready) return undefined;
  return { status: ready.status, reason: ready.reason, ...(ready.status === "True" ? {} : { message: ready.message }) };
};

/** How a monitor's reconciler sees the policy it names, from the cache. */
export function policyViewOf(name: string, obj: { metadata: { generation?: number }; spec?: unknown; status?: unknown } | undefined): PolicyView {
  if (!obj) return { state: "missing", name };
  const spec = retrainPolicySpecSchema.safeParse(obj.spec ?? {});
  if (!spec.success) return { state: "invalid", name, message: formatIssues(spec.error, "spec") };
  const status = retrainPolicyStatusSchema.safeParse(obj.status ?? {});
  const ready = status.success ? status.data.conditions.find((c) => c.type === "Ready") : undefined;
  if (ready?.reason === EventReason.InvalidJobTemplate && ready.observedGeneration === (obj.metadata.generation ?? 0))
    return { state: "invalid", name, message: ready.message };
  return { state: "ok", name, spec: spec.data };
}

/**
 * An action's Job as the operator would render it, for the API server's dry run of the template
 * (once per generation): a placeholder monitor and trigger, and no owner, so the check does not
 * depend on a monitor existing.
 */
export function templateCheckJob(namespace: string, policy: string, action: ActionSpec): ReturnType<typeof renderJob> {
  const manifest = renderJob({
    namespace,
    monitor: { name: "template-check", uid: "00000000-0000-0000-0000-000000000000" },
    policy,
    model: { name: "template-check", version: "v0" },
    action,
    purpose: actionPurpose(action),
    trigger: "0000000000",
    attempt: 1,
    reason: "template check",
    severity: "warning",
    findings: [],
    episodes: [],
  });
  delete (manifest.metadata as Record<string, unknown>).ownerReferences;
  return manifest;
}

/**
 * What a monitor's rollout follow-up reads of the policy it names, from the cache, without
 * parsing the whole spec (an invalid policy still says whether it has spec.rollout): whether
 * it has a rollout strategy, and that strategy's step weights for the report.
 */
export function policyRolloutOf(obj: { spec?: unknown } | undefined): { enabled: boolean; steps: number[] | undefined } {
  const rollout = (obj?.spec as { rollout?: { steps?: { weight?: unknown }[] } } | undefined)?.rollout;
  const steps = rollout?.steps;
  return {
    enabled: rollout !== undefined,
    steps: Array.isArray(steps) ? steps.flatMap((s) => (typeof s?.weight === "number" ? [s.weight] : [])) : undefined,
  };
}

/** What a policy's summary reads of a monitor that names it, from the cache: its name and its remediation record. */
export function policyMemberOf(obj: { metadata: { name: string }; status?: unknown }): { name: string; remediation?: RemediationStatus } {
  return { name: obj.metadata.name, remediation: (obj.status as { remediation?: RemediationStatus } | undefined)?.remediation };
}
