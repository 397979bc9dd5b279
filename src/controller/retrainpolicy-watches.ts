// What the RetrainPolicy controller watches, and which monitors a policy's change concerns.
import { GROUP, VERSION } from "../api/v1alpha1/common.ts";
import { RETRAIN_POLICY } from "../api/v1alpha1/retrainpolicy.ts";
import { policyChangeConcernsMonitors } from "../domain/remediation/policy.ts";
import type { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { objectKey, type KubeObject } from "./reconciler.ts";
import type { Enqueue, WatchEvent, WatchRegistration } from "./watches.ts";

/** A policy's summary follows its monitors and Jobs; a short delay coalesces bursts of changes. */
export const POLICY_COALESCE_MS = 1000;

/** Re-summarise a policy a moment from now (nothing when no policy is named). */
export const touchPolicy = (namespace: string, name: string | undefined): Enqueue[] =>
  name ? [{ controller: CONTROLLER.retrainPolicy, key: `${namespace}/${name}`, afterMs: POLICY_COALESCE_MS }] : [];

/** A policy change that concerns its monitors (domain: policyChangeConcernsMonitors) re-queues every one naming it. */
export function policyEventMap(event: WatchEvent<KubeObject>, monitorsOf: (policyKey: string) => string[]): Enqueue[] {
  if (event.type === "upsert" && !policyChangeConcernsMonitors(event.previous, event.object)) return [];
  return monitorsOf(objectKey(event.object)).map((key) => ({ controller: CONTROLLER.modelMonitor, key }));
}

export function retrainPolicyWatch(o: { policies: Controller; monitorsOf: (policyKey: string) => string[] }): WatchRegistration {
  return {
    name: RETRAIN_POLICY.plural,
    resource: { group: GROUP, version: VERSION, plural: RETRAIN_POLICY.plural },
    owner: o.policies,
    map: (event) => policyEventMap(event, o.monitorsOf),
  };
}
