// What the ModelRollout controller watches: its own resource. Each event keeps the index of
// rollouts by monitor and re-queues the monitor, whose status follows its rollouts.
import { GROUP, VERSION } from "../api/v1alpha1/common.ts";
import { MODEL_ROLLOUT } from "../api/v1alpha1/rollout.ts";
import type { Index } from "./jobcache.ts";
import type { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { objectKey, type KubeObject } from "./reconciler.ts";
import type { Enqueue, WatchEvent, WatchRegistration } from "./watches.ts";

export const monitorRefOf = (o: KubeObject): string | undefined =>
  (o.spec as { monitorRef?: { name?: unknown } } | undefined)?.monitorRef?.name as string | undefined;

/** A rollout's change (its status too) re-queues the monitor it names. */
export function rolloutEventMap(event: WatchEvent<KubeObject>): Enqueue[] {
  const monitor = monitorRefOf(event.object);
  return typeof monitor === "string" ? [{ controller: CONTROLLER.modelMonitor, key: `${event.object.metadata.namespace}/${monitor}` }] : [];
}

/** A monitor's change re-queues its rollouts (its serving spec may have changed). */
export const rolloutsOfMonitor =
  (byMonitor: Index) =>
  (event: WatchEvent<KubeObject>): Enqueue[] =>
    byMonitor.of(objectKey(event.object)).map((key) => ({ controller: CONTROLLER.modelRollout, key }));

export function modelRolloutWatch(o: { rollouts: Controller; byMonitor: Index; forget(namespace: string, name: string): void }): WatchRegistration {
  return {
    name: MODEL_ROLLOUT.plural,
    resource: { group: GROUP, version: VERSION, plural: MODEL_ROLLOUT.plural },
    owner: o.rollouts,
    record: (event) => {
      const monitor = event.type === "upsert" ? monitorRefOf(event.object) : undefined;
      o.byMonitor.set(objectKey(event.object), typeof monitor === "string" ? `${event.object.metadata.namespace}/${monitor}` : undefined);
      if (event.type === "remove") o.forget(event.object.metadata.namespace, event.object.metadata.name);
    },
    map: rolloutEventMap,
  };
}
