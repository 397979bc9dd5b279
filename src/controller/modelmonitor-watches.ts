// What the ModelMonitor controller watches: its own resource, and the Jobs it starts. Each
// event also keeps the caches the reconcilers read (monitors by policy, Jobs by monitor).
import { GROUP, VERSION } from "../api/v1alpha1/common.ts";
import { MODEL_MONITOR } from "../api/v1alpha1/modelmonitor.ts";
import { LABEL, MANAGED_BY } from "../domain/identifiers.ts";
import { jobViewOf } from "../domain/remediation/job.ts";
import { monitorChangeConcernsPolicy } from "../domain/remediation/policy.ts";
import type { Index, JobCache } from "./jobcache.ts";
import type { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { objectKey, type KubeObject } from "./reconciler.ts";
import { touchPolicy } from "./retrainpolicy-watches.ts";
import type { Enqueue, WatchEvent, WatchRegistration } from "./watches.ts";

export const policyRefOf = (o: KubeObject): string | undefined => (o.spec as { policyRef?: { name?: string } } | undefined)?.policyRef?.name;

/** A monitor's change re-summarises the policy it names, and the one it named before, when it alters their summary. */
export function monitorEventMap(event: WatchEvent<KubeObject>): Enqueue[] {
  if (event.type === "upsert" && !monitorChangeConcernsPolicy(event.previous, event.object)) return [];
  const namespace = event.object.metadata.namespace;
  const named = policyRefOf(event.object);
  const before = event.type === "upsert" && event.previous ? policyRefOf(event.previous) : named;
  return [...touchPolicy(namespace, named), ...(before !== named ? touchPolicy(namespace, before) : [])];
}

/** A Job's change re-queues the monitor that owns it and re-summarises its policy. */
export function jobEventMap(event: WatchEvent<KubeObject>): Enqueue[] {
  const view = jobViewOf(event.object);
  if (!view) return [];
  const namespace = event.object.metadata.namespace;
  return [{ controller: CONTROLLER.modelMonitor, key: `${namespace}/${view.monitor}` }, ...touchPolicy(namespace, view.policy)];
}

export function modelMonitorWatch(o: {
  monitors: Controller;
  members: Index;
  forget(namespace: string, name: string): void;
  /** Keys of other controllers' objects that follow a monitor (its rollouts). */
  dependents?: (event: WatchEvent<KubeObject>) => Enqueue[];
}): WatchRegistration {
  return {
    name: MODEL_MONITOR.plural,
    resource: { group: GROUP, version: VERSION, plural: MODEL_MONITOR.plural },
    owner: o.monitors,
    record: (event) => {
      const { namespace, name } = event.object.metadata;
      const policy = event.type === "upsert" ? policyRefOf(event.object) : undefined;
      o.members.set(objectKey(event.object), policy ? `${namespace}/${policy}` : undefined);
      if (event.type === "remove") o.forget(namespace, name);
    },
    map: (event) => [...monitorEventMap(event), ...(o.dependents?.(event) ?? [])],
  };
}

/** A Job as the cache needs it: metadata and status (jobViewOf reads nothing else). */
export function slimJob(job: KubeObject): void {
  delete (job as { spec?: unknown }).spec;
}

export function jobWatch(o: { jobs: JobCache }): WatchRegistration {
  return {
    name: "jobs",
    resource: { group: "batch", version: "v1", plural: "jobs" },
    labelSelector: `${LABEL.managedBy}=${MANAGED_BY}`,
    // the Job cache keeps a view of metadata and status; the spec (the whole pod template) is never read
    slim: slimJob,
    record: (event) => {
      const { namespace, name } = event.object.metadata;
      if (event.type === "upsert") o.jobs.upsert(namespace, event.object);
      else o.jobs.remove(namespace, name);
    },
    map: jobEventMap,
  };
}
