// The RetrainPolicy reconciler: checks the policy (its schema, the Job templates against the
// operator's limits on service accounts and images, and each Job template with a server-side
// dry run, once per generation) and summarises what it did across the monitors that name it. It starts no Job itself: each monitor's reconciler does, one monitor at a time.
import type { Logger } from "pino";
import type { RemediationStatus } from "../api/v1alpha1/modelmonitor.ts";
import {
  POLICY_CONDITION_TYPES,
  RETRAIN_POLICY,
  retrainPolicySpecSchema,
  retrainPolicyStatusSchema,
  type RetrainPolicySpec,
  type RetrainPolicyStatus,
} from "../api/v1alpha1/retrainpolicy.ts";
import type { StatusOwnership } from "../domain/conditions.ts";
import { EventReason, type MonitorEvent } from "../domain/events.ts";
import type { JobView } from "../domain/remediation/job.ts";
import { DEFAULT_HISTORY_LIMIT } from "../domain/remediation/plan.ts";
import { describeRefusals, jobTemplateRefusals, type JobLimits } from "../domain/remediation/job-limits.ts";
import { policyStatus, recordedTemplateVerdict, templateCheckJob, type PolicyValidity } from "../domain/remediation/policy.ts";
import type { Clock, EventSink, JobsPort, ObjectRef, StatusWriter } from "../ports.ts";
import { persistOwnedStatus } from "./persist.ts";
import { objectRefOf, type KubeObject } from "./reconciler.ts";
import type { MonitorReconcileResult } from "./modelmonitor.ts";
import { formatIssues } from "../api/validation.ts";

export interface PolicyReconcilerDeps {
  status: StatusWriter;
  events: EventSink;
  clock: Clock;
  jobs: JobsPort;
  /** The service accounts and images Jobs may use (JOB_ALLOWED_*); absent: any. */
  jobLimits?: JobLimits;
  log: Logger;
  monitorsOf(namespace: string, policy: string): { name: string; remediation?: RemediationStatus }[];
  jobsOf(namespace: string, policy: string): JobView[];
}

/** The policy controller writes every field of the policy's status but others' conditions. */
export const POLICY_STATUS_OWNERSHIP: StatusOwnership = { fields: Object.keys(retrainPolicyStatusSchema.shape), conditionTypes: POLICY_CONDITION_TYPES };

/** Re-summarised now and then even without events, so counts never stay stale for long. */
export const POLICY_RESYNC_MS = 5 * 60_000;

export class RetrainPolicyReconciler {
  private readonly deps: PolicyReconcilerDeps;
  constructor(deps: PolicyReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: KubeObject): Promise<MonitorReconcileResult> {
    const { namespace, name } = obj.metadata;
    const ref = objectRefOf(obj, RETRAIN_POLICY.kind);
    const generation = obj.metadata.generation ?? 0;
    const parsed = retrainPolicyStatusSchema.safeParse(obj.status ?? {});
    const previous: RetrainPolicyStatus = parsed.success ? parsed.data : retrainPolicyStatusSchema.parse({});
    const spec = retrainPolicySpecSchema.safeParse(obj.spec ?? {});
    const validity = spec.success
      ? await this.checkPolicy(namespace, name, generation, spec.data, previous)
      : { ok: false as const, reason: EventReason.InvalidSpec, message: formatIssues(spec.error, "spec") };
    const { status, events } = policyStatus({
      generation,
      previous,
      validity,
      monitors: this.deps.monitorsOf(namespace, name),
      jobs: this.deps.jobsOf(namespace, name),
      historyLimit: spec.success ? spec.data.historyLimit : DEFAULT_HISTORY_LIMIT,
      nowIso: new Date(this.deps.clock.now()).toISOString(),
    });
    await persistOwnedStatus(this.deps.status, obj, ref, status, POLICY_STATUS_OWNERSHIP);
    await this.emitAll(ref, events);
    return { evaluated: false, requeueAfterMs: POLICY_RESYNC_MS };
  }

  /** A valid spec checked against the operator's limits, then (once per generation) by the API server's dry run. */
  private async checkPolicy(
    namespace: string,
    policy: string,
    generation: number,
    spec: RetrainPolicySpec,
    previous: RetrainPolicyStatus,
  ): Promise<PolicyValidity> {
    return this.limitsValidity(spec) ?? (await this.templatesValidity(namespace, policy, generation, spec, previous));
  }

  private async emitAll(ref: ObjectRef, events: MonitorEvent[]): Promise<void> {
    for (const e of events) await this.deps.events.emit(ref, e);
  }

  /** The operator's limits on service accounts and images, checked at every reconcile (they are settings of this process). */
  private limitsValidity(spec: RetrainPolicySpec): PolicyValidity | undefined {
    const refusals = jobTemplateRefusals(spec.actions, this.deps.jobLimits ?? {});
    return refusals.length ? { ok: false, reason: EventReason.JobTemplateNotAllowed, message: describeRefusals(refusals) } : undefined;
  }

  /**
   * Each action's Job template, rendered as the operator would, goes through a server-side dry
   * run: the API server's own validation, with its message naming the field. Once per
   * generation; the verdict is kept in the Ready condition.
   */
  private async templatesValidity(
    namespace: string,
    policy: string,
    generation: number,
    spec: RetrainPolicySpec,
    previous: RetrainPolicyStatus,
  ): Promise<PolicyValidity> {
    const known = recordedTemplateVerdict(previous, generation);
    if (known) return known;
    for (const action of spec.actions) {
      const manifest = templateCheckJob(namespace, policy, action);
      const message = await this.deps.jobs.validate(manifest);
      if (message !== undefined) return { ok: false, reason: EventReason.InvalidJobTemplate, message: `spec.actions[${action.name}].jobTemplate: ${message}` };
    }
    return { ok: true };
  }
}
