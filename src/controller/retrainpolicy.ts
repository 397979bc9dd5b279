// The RetrainPolicy reconciler: checks the policy (its schema, and each Job template with a
// server-side dry run, once per generation) and summarises what it did across the monitors
// that name it. It starts no Job itself: each monitor's reconciler does, one monitor at a time.
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { API_VERSION } from "../api/v1alpha1/common.ts";
import type { RemediationStatus } from "../api/v1alpha1/modelmonitor.ts";
import { RETRAIN_POLICY, retrainPolicySpecSchema, retrainPolicyStatusSchema, type RetrainPolicySpec, type RetrainPolicyStatus } from "../api/v1alpha1/retrainpolicy.ts";
import { EventReason } from "../domain/events.ts";
import { renderJob, type JobView } from "../domain/remediation/job.ts";
import type { PolicyView } from "../domain/remediation/plan.ts";
import { policyStatus, type PolicyValidity } from "../domain/remediation/policy.ts";
import type { Clock, EventSink, JobsPort, ObjectRef, StatusWriter } from "../ports.ts";
import type { ModelMonitorObject, ReconcileResult } from "./modelmonitor.ts";
import { formatIssues } from "./validation.ts";

export interface PolicyReconcilerDeps {
  status: StatusWriter;
  events: EventSink;
  clock: Clock;
  jobs: JobsPort;
  log: Logger;
  monitorsOf(namespace: string, policy: string): { name: string; remediation?: RemediationStatus }[];
  jobsOf(namespace: string, policy: string): JobView[];
}

/** Re-summarised now and then even without events, so counts never stay stale for long. */
export const POLICY_RESYNC_MS = 5 * 60_000;

export class RetrainPolicyReconciler {
  private readonly deps: PolicyReconcilerDeps;
  constructor(deps: PolicyReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: ModelMonitorObject): Promise<ReconcileResult> {
    const { namespace, name, uid } = obj.metadata;
    const ref: ObjectRef = { apiVersion: API_VERSION, kind: RETRAIN_POLICY.kind, namespace, name, uid };
    const generation = obj.metadata.generation ?? 0;
    const parsed = retrainPolicyStatusSchema.safeParse(obj.status ?? {});
    const previous: RetrainPolicyStatus = parsed.success ? parsed.data : retrainPolicyStatusSchema.parse({});
    const spec = retrainPolicySpecSchema.safeParse(obj.spec ?? {});
    const validity: PolicyValidity = spec.success
      ? await this.templatesValidity(namespace, name, generation, spec.data, previous)
      : { ok: false, reason: EventReason.InvalidSpec, message: formatIssues(spec.error, "spec") };
    const { status, events } = policyStatus({
      generation,
      previous,
      validity,
      monitors: this.deps.monitorsOf(namespace, name),
      jobs: this.deps.jobsOf(namespace, name),
      historyLimit: spec.success ? spec.data.historyLimit : 20,
      nowIso: new Date(this.deps.clock.now()).toISOString(),
    });
    const clean = JSON.parse(JSON.stringify(status)) as unknown;
    if (!isDeepStrictEqual(obj.status, clean)) {
      await this.deps.status.writeStatus(ref, clean);
      obj.status = clean;
    }
    for (const e of events) await this.deps.events.emit(ref, e);
    return { evaluated: false, requeueAfterMs: POLICY_RESYNC_MS };
  }

  /**
   * Each action's Job template, rendered as the operator would, goes through a server-side dry
   * run: the API server's own validation, with its message naming the field. Once per
   * generation; the verdict is kept in the Ready condition.
   */
  private async templatesValidity(namespace: string, policy: string, generation: number, spec: RetrainPolicySpec, previous: RetrainPolicyStatus): Promise<PolicyValidity> {
    const ready = previous.conditions.find((c) => c.type === "Ready");
    if (previous.observedGeneration === generation && ready?.observedGeneration === generation && ready.reason !== EventReason.InvalidSpec)
      return ready.reason === EventReason.InvalidJobTemplate ? { ok: false, reason: EventReason.InvalidJobTemplate, message: ready.message } : { ok: true };
    for (const action of spec.actions) {
      const manifest = renderJob({
        namespace,
        monitor: { name: "template-check", uid: "00000000-0000-0000-0000-000000000000" },
        policy,
        model: { name: "template-check", version: "v0" },
        action,
        purpose: action.purpose ?? (action.name === "reindex" ? "reindex" : "retrain"),
        trigger: "0000000000",
        attempt: 1,
        reason: "template check",
        severity: "warning",
        findings: [],
        episodes: [],
      });
      // no owner: the check must not depend on a monitor existing
      delete (manifest.metadata as Record<string, unknown>).ownerReferences;
      const message = await this.deps.jobs.validate(manifest);
      if (message !== undefined) return { ok: false, reason: EventReason.InvalidJobTemplate, message: `spec.actions[${action.name}].jobTemplate: ${message}` };
    }
    return { ok: true };
  }
}

/** How a monitor's reconciler sees the policy it names, from the cache. */
export function policyViewOf(name: string, obj: ModelMonitorObject | undefined): PolicyView {
  if (!obj) return { state: "missing", name };
  const spec = retrainPolicySpecSchema.safeParse(obj.spec ?? {});
  if (!spec.success) return { state: "invalid", name, message: formatIssues(spec.error, "spec") };
  const status = retrainPolicyStatusSchema.safeParse(obj.status ?? {});
  const ready = status.success ? status.data.conditions.find((c) => c.type === "Ready") : undefined;
  if (ready?.reason === EventReason.InvalidJobTemplate && ready.observedGeneration === (obj.metadata.generation ?? 0))
    return { state: "invalid", name, message: ready.message };
  return { state: "ok", name, spec: spec.data };
}
