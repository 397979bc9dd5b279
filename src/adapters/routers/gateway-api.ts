// Gateway API router: the weights of the stable and candidate backendRefs of one rule of an
// HTTPRoute. One JSON patch sets both weights, guarded by `test` operations on the backends'
// names (patched-object.ts); every other field (matches, filters, other rules, other backends)
// is left as it is.
import type { KubeConfig } from "@kubernetes/client-node";
import type { BackendRefSpec, ServingSpec, Weights } from "../../api/v1alpha1/rollout.ts";
import { RouterError, type TrafficRouter } from "../../ports.ts";
import { PatchedObjectRouter } from "./patched-object.ts";

export const HTTPROUTES = { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes" } as const;

interface BackendRef {
  name?: string;
  group?: string;
  kind?: string;
  weight?: number;
}
interface HttpRoute {
  spec?: { rules?: { name?: string; backendRefs?: BackendRef[] }[] };
}

const matches = (ref: BackendRef, want: BackendRefSpec) => ref.name === want.name && (ref.group ?? "") === want.group && (ref.kind ?? "Service") === want.kind;

/** The two backendRefs the schema requires with this router. */
function backendsOf(serving: ServingSpec): { stable: BackendRefSpec; candidate: BackendRefSpec } {
  const { stable, candidate } = { stable: serving.stable?.backendRef, candidate: serving.candidate?.backendRef };
  if (!stable || !candidate) throw new RouterError("BackendNotFound", "spec.serving needs stable.backendRef and candidate.backendRef with the gatewayAPI router");
  return { stable, candidate };
}

/** Where the two backends sit in a route: the rule and their indexes. Pure, tested on objects. */
export function locateBackends(route: HttpRoute, serving: ServingSpec): { rule: number; stable: number; candidate: number; weights: Weights } {
  const backends = backendsOf(serving);
  const rules = route.spec?.rules ?? [];
  const ruleName = serving.router.gatewayAPI?.ruleName;
  const rule = ruleName !== undefined ? rules.findIndex((r) => r.name === ruleName) : rules.findIndex((r) => (r.backendRefs ?? []).some((b) => matches(b, backends.stable)));
  if (rule < 0)
    throw new RouterError("RuleNotFound", ruleName !== undefined ? `the HTTPRoute has no rule named ${ruleName}` : `no rule of the HTTPRoute refers to the stable backend ${backends.stable.name}`);
  const refs = rules[rule]?.backendRefs ?? [];
  const find = (which: "stable" | "candidate") => {
    const want = backends[which];
    const i = refs.findIndex((b) => matches(b, want));
    if (i < 0) throw new RouterError("BackendNotFound", `rule ${ruleName ?? rule} of the HTTPRoute has no backendRef ${want.kind} ${want.name} (the ${which} backend); add it, with weight 0 for the candidate`);
    return i;
  };
  const stable = find("stable");
  const candidate = find("candidate");
  // an absent weight means 1 (Gateway API)
  const weightOf = (i: number) => refs[i]?.weight ?? 1;
  return { rule, stable, candidate, weights: { stable: weightOf(stable), candidate: weightOf(candidate) } };
}

type Location = { rule: number; stable: number; candidate: number };

/** The JSON patch that sets both weights, failing if either backend moved. */
export function weightPatch(at: Location, serving: ServingSpec, weights: Weights): object[] {
  const ref = (i: number) => `/spec/rules/${at.rule}/backendRefs/${i}`;
  const backends = backendsOf(serving);
  return [
    { op: "test", path: `${ref(at.stable)}/name`, value: backends.stable.name },
    { op: "test", path: `${ref(at.candidate)}/name`, value: backends.candidate.name },
    { op: "add", path: `${ref(at.stable)}/weight`, value: weights.stable },
    { op: "add", path: `${ref(at.candidate)}/weight`, value: weights.candidate },
  ];
}

/** The router of an HTTPRoute's backend weights. */
export function gatewayApiRouter(kc: KubeConfig, namespace: string, serving: ServingSpec, fieldManager: string): TrafficRouter {
  const name = (serving.router.gatewayAPI as { httpRoute: { name: string } }).httpRoute.name;
  return new PatchedObjectRouter<HttpRoute, Location>(
    kc,
    namespace,
    {
      resource: HTTPROUTES,
      kind: "HTTPRoute",
      name,
      locate: (route) => {
        const { weights, ...at } = locateBackends(route, serving);
        return { at, weights };
      },
      patch: (at, weights) => weightPatch(at, serving, weights),
    },
    fieldManager,
  );
}
