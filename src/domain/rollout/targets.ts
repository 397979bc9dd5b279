// REQUIRE_TARGET_OPT_IN: the objects a rollout would change (its serving targets) must each
// carry the label modelguardian.dev/rollout-target=true, so a person who may create a
// ModelRollout cannot have the operator change objects an admin has not marked for it. A label,
// not an annotation: RBAC and admission policies can guard who sets it, and a selector lists
// the targets. All or nothing: while one target lacks it, the rollout writes to none. Pure.
import { ROLLOUT_TARGET_LABEL } from "./names.ts";

export type ServingTargetKind = "Deployment" | "HTTPRoute" | "VirtualService" | "InferenceService";

/** An object a rollout may change, as read in this reconcile. */
export interface ServingTarget {
  kind: ServingTargetKind;
  name: string;
  labels: Readonly<Record<string, string>>;
}

const KUBECTL_RESOURCE: Record<ServingTargetKind, string> = {
  Deployment: "deployment",
  HTTPRoute: "httproute",
  VirtualService: "virtualservice",
  InferenceService: "inferenceservice",
};

export const optedIn = (t: ServingTarget): boolean => t.labels[ROLLOUT_TARGET_LABEL] === "true";

/** Why the rollout may change none of its targets (naming each one without the label, and the fix), or undefined. */
export function targetOptInRefusal(namespace: string, targets: readonly ServingTarget[], required: boolean): string | undefined {
  if (!required) return undefined;
  const seen = new Set<string>();
  const missing = targets.filter((t) => {
    const key = `${t.kind}/${t.name}`;
    if (optedIn(t) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (missing.length === 0) return undefined;
  const names = missing.map((t) => `${t.kind} ${t.name}`);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  const fix = missing.map((t) => `kubectl label -n ${namespace} ${KUBECTL_RESOURCE[t.kind]} ${t.name} --overwrite ${ROLLOUT_TARGET_LABEL}=true`).join("; ");
  return `${list} ${missing.length === 1 ? "lacks" : "lack"} the label ${ROLLOUT_TARGET_LABEL}=true (REQUIRE_TARGET_OPT_IN): the rollout changes none of its serving objects until each carries it: ${fix}`;
}
