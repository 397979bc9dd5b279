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
  namespace?: string;
  port?: number;
  weight?: number;
}
interface Filter {
  type?: string;
  requestMirror?: { backendRef?: BackendRef; percent?: number; fraction?: { numerator: number; denominator?: number } };
}
interface HttpRoute {
  spec?: { rules?: { name?: string; backendRefs?: BackendRef[]; filters?: Filter[] }[] };
}

const matches = (ref: BackendRef, want: BackendRefSpec) => ref.name === want.name && (ref.group ?? "") === want.group && (ref.kind ?? "Service") === want.kind;

/** The two backendRefs the schema requires with this router. */
function backendsOf(serving: ServingSpec): { stable: BackendRefSpec; candidate: BackendRefSpec } {
  const { stable, candidate } = { stable: serving.stable?.backendRef, candidate: serving.candidate?.backendRef };
  if (!stable || !candidate)
    throw new RouterError("BackendNotFound", "spec.serving needs stable.backendRef and candidate.backendRef with the gatewayAPI router");
  return { stable, candidate };
}

/** Where the two backends sit in a route: the rule and their indexes. Pure, tested on objects. */
export function locateBackends(route: HttpRoute, serving: ServingSpec): { rule: number; stable: number; candidate: number; weights: Weights; mirror: number } {
  const backends = backendsOf(serving);
  const rules = route.spec?.rules ?? [];
  const ruleName = serving.router.gatewayAPI?.ruleName;
  const rule =
    ruleName !== undefined
      ? rules.findIndex((r) => r.name === ruleName)
      : rules.findIndex((r) => (r.backendRefs ?? []).some((b) => matches(b, backends.stable)));
  if (rule < 0)
    throw new RouterError(
      "RuleNotFound",
      ruleName !== undefined ? `the HTTPRoute has no rule named ${ruleName}` : `no rule of the HTTPRoute refers to the stable backend ${backends.stable.name}`,
    );
  const refs = rules[rule]?.backendRefs ?? [];
  const find = (which: "stable" | "candidate") => {
    const want = backends[which];
    const i = refs.findIndex((b) => matches(b, want));
    if (i < 0)
      throw new RouterError(
        "BackendNotFound",
        `rule ${ruleName ?? rule} of the HTTPRoute has no backendRef ${want.kind} ${want.name} (the ${which} backend); add it, with weight 0 for the candidate`,
      );
    return i;
  };
  const stable = find("stable");
  const candidate = find("candidate");
  // an absent weight means 1 (Gateway API)
  const weightOf = (i: number) => refs[i]?.weight ?? 1;
  return {
    rule,
    stable,
    candidate,
    weights: { stable: weightOf(stable), candidate: weightOf(candidate) },
    mirror: mirrorOf(rules[rule]?.filters ?? [], backends.candidate).percent,
  };
}

/** The rule's RequestMirror filter to the candidate, and the share it mirrors (a filter without percent or fraction mirrors all). */
function mirrorOf(filters: Filter[], candidate: BackendRefSpec): { index: number; percent: number } {
  const index = filters.findIndex(
    (f) => f.type === "RequestMirror" && f.requestMirror?.backendRef !== undefined && matches(f.requestMirror.backendRef, candidate),
  );
  const m = filters[index]?.requestMirror;
  if (!m) return { index: -1, percent: 0 };
  const percent = m.percent ?? (m.fraction ? Math.round((100 * m.fraction.numerator) / (m.fraction.denominator ?? 100)) : 100);
  return { index, percent };
}

/** The patch that mirrors `percent` of the rule's requests to the candidate backend (0 removes the filter); pure. */
export function mirrorPatch(route: HttpRoute, at: Location, serving: ServingSpec, percent: number): object[] {
  const rule = route.spec?.rules?.[at.rule];
  const filters = rule?.filters;
  const { candidate } = backendsOf(serving);
  const current = mirrorOf(filters ?? [], candidate);
  if (current.percent === percent && (percent === 0 || filters?.[current.index]?.requestMirror?.percent === percent)) return [];
  const base = `/spec/rules/${at.rule}/filters`;
  const guard = (i: number) => [
    { op: "test", path: `${base}/${i}/type`, value: "RequestMirror" },
    { op: "test", path: `${base}/${i}/requestMirror/backendRef/name`, value: candidate.name },
  ];
  if (percent === 0) return [...guard(current.index), { op: "remove", path: `${base}/${current.index}` }];
  if (current.index >= 0) {
    const at = `${base}/${current.index}/requestMirror`;
    // percent and fraction are exclusive: the percent replaces a fraction
    const fraction = filters?.[current.index]?.requestMirror?.fraction !== undefined ? [{ op: "remove", path: `${at}/fraction` }] : [];
    return [...guard(current.index), ...fraction, { op: "add", path: `${at}/percent`, value: percent }];
  }
  // the candidate's own backendRef (its port, namespace), without its weight
  const { weight: _w, ...ref } = rule?.backendRefs?.[at.candidate] ?? {};
  const filter = { type: "RequestMirror", requestMirror: { backendRef: ref, percent } };
  return [
    { op: "test", path: `/spec/rules/${at.rule}/backendRefs/${at.candidate}/name`, value: candidate.name },
    filters ? { op: "add", path: `${base}/-`, value: filter } : { op: "add", path: base, value: [filter] },
  ];
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
export function gatewayApiRouter(kc: KubeConfig, namespace: string, serving: ServingSpec, fieldManager: string, requireOptIn = false): TrafficRouter {
  const name = (serving.router.gatewayAPI as { httpRoute: { name: string } }).httpRoute.name;
  return new PatchedObjectRouter<HttpRoute, Location>(
    kc,
    namespace,
    {
      resource: HTTPROUTES,
      kind: "HTTPRoute",
      name,
      locate: (route) => {
        const { weights, mirror, ...at } = locateBackends(route, serving);
        return { at, weights, mirror };
      },
      patch: (at, weights) => weightPatch(at, serving, weights),
      mirrorPatch: (route, at, percent) => mirrorPatch(route, at, serving, percent),
    },
    fieldManager,
    requireOptIn,
  );
}
