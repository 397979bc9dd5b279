// Deterministic names and the annotations of the rollout half.
import { stableHash } from "../identifiers.ts";

/** `kubectl annotate modelrollout <name> modelguardian.dev/rollout-action=<verb>[-<anything>]`. */
export const ROLLOUT_ACTION_ANNOTATION = "modelguardian.dev/rollout-action";
export const ROLLOUT_ACTIONS = ["approve", "reject", "promote", "abort", "resume", "retry"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** Holds deletion of a ModelRollout until the route is back at 100 % stable. */
export const ROLLOUT_FINALIZER = "modelguardian.dev/restore-stable";

const MAX_NAME = 253;

/**
 * `<monitor>-<version>`, lower-cased to a DNS subdomain; when that changed the version (or cut
 * it), a hash of the exact version is appended so two versions never share a rollout.
 */
export function rolloutName(monitor: string, version: string): string {
  const clean = version.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
  const base = `${monitor}-${clean}`.replace(/[.-]+$/g, "").replace(/^[.-]+/g, "");
  if (clean === version && base.length <= MAX_NAME && /^[a-z0-9]/.test(clean)) return base;
  const tail = `-${stableHash(version).slice(0, 10)}`;
  return `${base.slice(0, MAX_NAME - tail.length).replace(/[.-]+$/g, "")}${tail}`;
}

/** The verb of an action annotation's value, "promote-2" -> promote; undefined when unknown. */
export function actionVerb(value: string): RolloutAction | undefined {
  const verb = value.split("-")[0]?.trim().toLowerCase();
  return ROLLOUT_ACTIONS.find((a) => a === verb);
}

/**
 * With REQUIRE_TARGET_OPT_IN the operator changes a serving object (Deployment, HTTPRoute,
 * VirtualService, InferenceService) only while it carries this label with the value "true".
 */
/** On a candidate Deployment the operator scaled to zero between rollouts: the replicas it had, restored when the next rollout starts. */
export const PARKED_REPLICAS_ANNOTATION = "modelguardian.dev/parked-replicas";

export const ROLLOUT_TARGET_LABEL = "modelguardian.dev/rollout-target";
