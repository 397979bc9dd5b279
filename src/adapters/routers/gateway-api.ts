// Gateway API router: the weights of the stable and candidate backendRefs of one rule of an
// HTTPRoute. One JSON patch sets both weights, guarded by `test` operations on the backends'
// names, so a route reordered since it was read is never written at the wrong places; every
// other field (matches, filters, other rules, other backends) is left as it is.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { BackendRefSpec, ServingSpec, Weights } from "../../api/v1alpha1/rollout.ts";
import type { LiveWeights } from "../../domain/rollout/machine.ts";
import { RouterError, type TrafficRouter } from "../../ports.ts";
import { apiMessage } from "../kubernetes/client.ts";

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

/** Where the two backends sit in a route: the rule and their indexes. Pure, tested on objects. */
export function locateBackends(route: HttpRoute, serving: ServingSpec): { rule: number; stable: number; candidate: number; weights: Weights } {
  const rules = route.spec?.rules ?? [];
  const ruleName = serving.router.gatewayAPI?.ruleName;
  const rule = ruleName !== undefined ? rules.findIndex((r) => r.name === ruleName) : rules.findIndex((r) => (r.backendRefs ?? []).some((b) => matches(b, serving.stable.backendRef)));
  if (rule < 0)
    throw new RouterError("RuleNotFound", ruleName !== undefined ? `the HTTPRoute has no rule named ${ruleName}` : `no rule of the HTTPRoute refers to the stable backend ${serving.stable.backendRef.name}`);
  const refs = rules[rule]?.backendRefs ?? [];
  const find = (which: "stable" | "candidate") => {
    const want = serving[which].backendRef;
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

/** The JSON patch that sets both weights, failing if either backend moved. */
export function weightPatch(at: { rule: number; stable: number; candidate: number }, serving: ServingSpec, weights: Weights): object[] {
  const ref = (i: number) => `/spec/rules/${at.rule}/backendRefs/${i}`;
  return [
    { op: "test", path: `${ref(at.stable)}/name`, value: serving.stable.backendRef.name },
    { op: "test", path: `${ref(at.candidate)}/name`, value: serving.candidate.backendRef.name },
    { op: "add", path: `${ref(at.stable)}/weight`, value: weights.stable },
    { op: "add", path: `${ref(at.candidate)}/weight`, value: weights.candidate },
  ];
}

/**
 * One instance serves one reconcile: a write right after a read reuses what was read (the
 * rollback's write then costs one request); the patch's `test` operations still refuse it if
 * the route changed in between.
 */
export class GatewayApiRouter implements TrafficRouter {
  private readonly api: CustomObjectsApi;
  private lastRead: HttpRoute | undefined;
  private readonly namespace: string;
  private readonly serving: ServingSpec;
  private readonly fieldManager: string;
  constructor(kc: KubeConfig, namespace: string, serving: ServingSpec, fieldManager: string) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
    this.serving = serving;
    this.fieldManager = fieldManager;
  }

  private get route(): string {
    return (this.serving.router.gatewayAPI as { httpRoute: { name: string } }).httpRoute.name;
  }

  private async get(): Promise<HttpRoute> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...HTTPROUTES, namespace: this.namespace, name: this.route })) as HttpRoute;
    } catch (err) {
      throw routerError(err, `HTTPRoute ${this.namespace}/${this.route}`);
    }
  }

  async read(): Promise<LiveWeights> {
    try {
      this.lastRead = await this.get();
      return { kind: "weights", weights: locateBackends(this.lastRead, this.serving).weights };
    } catch (err) {
      const e = err instanceof RouterError ? err : new RouterError("RouterUnavailable", String((err as Error).message));
      return { kind: "error", reason: e.reason, message: e.message };
    }
  }

  async write(weights: Weights): Promise<void> {
    const route = this.lastRead ?? (await this.get());
    this.lastRead = undefined;
    const at = locateBackends(route, this.serving);
    try {
      await this.api.patchNamespacedCustomObject(
        { ...HTTPROUTES, namespace: this.namespace, name: this.route, body: weightPatch(at, this.serving, weights), fieldManager: this.fieldManager },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    } catch (err) {
      throw routerError(err, `HTTPRoute ${this.namespace}/${this.route}`);
    }
  }
}

function routerError(err: unknown, what: string): RouterError {
  if (err instanceof RouterError) return err;
  const code = (err as { code?: number }).code;
  const message = `${what}: ${apiMessage(err)}`;
  if (code === 404) return new RouterError("RouteNotFound", message);
  if (code === 403 || code === 401) return new RouterError("RouterForbidden", message);
  // a failed `test` operation: the route changed between the read and the write
  if (code === 422 || code === 409) return new RouterError("RouteChanged", message);
  return new RouterError("RouterUnavailable", message);
}
