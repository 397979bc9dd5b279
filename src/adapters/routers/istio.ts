// Istio router: the weights of the stable and candidate destinations (a host, and a
// DestinationRule subset when the two share a host) in one spec.http[] route of a
// VirtualService. One JSON patch sets both weights, guarded by `test` operations on the two
// destinations (patched-object.ts); matches, retries, mirrors, other routes and other
// destinations are left as they are.
import type { KubeConfig } from "@kubernetes/client-node";
import type { DestinationSpec, ServingSpec, Weights } from "../../api/v1alpha1/rollout.ts";
import { RouterError, type TrafficRouter } from "../../ports.ts";
import { PatchedObjectRouter } from "./patched-object.ts";

/** networking.istio.io/v1: served since Istio 1.22 (v1beta1 and v1alpha3 read the same objects). */
export const VIRTUALSERVICES = { group: "networking.istio.io", version: "v1", plural: "virtualservices" } as const;

interface RouteDestination {
  destination?: { host?: string; subset?: string };
  weight?: number;
}
interface HttpRoute {
  name?: string;
  route?: RouteDestination[];
  mirror?: { host?: string; subset?: string };
  mirrorPercentage?: { value?: number };
}
interface VirtualService {
  spec?: { http?: HttpRoute[] };
}
type Location = { route: number; stable: number; candidate: number };

const matches = (d: RouteDestination, want: DestinationSpec) => d.destination?.host === want.host && (d.destination?.subset ?? "") === (want.subset ?? "");
const named = (d: DestinationSpec) => `${d.host}${d.subset ? ` subset ${d.subset}` : ""}`;

function destinationsOf(serving: ServingSpec): { stable: DestinationSpec; candidate: DestinationSpec } {
  const { stable, candidate } = { stable: serving.stable?.destination, candidate: serving.candidate?.destination };
  if (!stable || !candidate) throw new RouterError("BackendNotFound", "spec.serving needs stable.destination and candidate.destination with the istio router");
  return { stable, candidate };
}

/** Where the two destinations sit: the http route and their indexes in it. Pure, tested on objects. */
export function locateDestinations(vs: VirtualService, serving: ServingSpec): Location & { weights: Weights; mirror: number } {
  const want = destinationsOf(serving);
  const routes = vs.spec?.http ?? [];
  const routeName = serving.router.istio?.routeName;
  const route =
    routeName !== undefined ? routes.findIndex((r) => r.name === routeName) : routes.findIndex((r) => (r.route ?? []).some((d) => matches(d, want.stable)));
  if (route < 0)
    throw new RouterError(
      "RuleNotFound",
      routeName !== undefined
        ? `the VirtualService has no http route named ${routeName}`
        : `no http route of the VirtualService routes to the stable destination ${named(want.stable)}`,
    );
  const dests = routes[route]?.route ?? [];
  const find = (which: "stable" | "candidate") => {
    const i = dests.findIndex((d) => matches(d, want[which]));
    if (i < 0)
      throw new RouterError(
        "BackendNotFound",
        `http route ${routeName ?? route} of the VirtualService has no destination ${named(want[which])} (the ${which} version); add it, with weight 0 for the candidate`,
      );
    return i;
  };
  const stable = find("stable");
  const candidate = find("candidate");
  // Istio: an absent weight is 0, except that a route's only destination gets everything
  const weightOf = (i: number) => dests[i]?.weight ?? (dests.length === 1 ? 100 : 0);
  return {
    route,
    stable,
    candidate,
    weights: { stable: weightOf(stable), candidate: weightOf(candidate) },
    mirror: mirrorOf(routes[route] ?? {}, want.candidate),
  };
}

/** The share the route mirrors to the candidate (Istio: a mirror without mirrorPercentage mirrors all). */
function mirrorOf(route: HttpRoute, candidate: DestinationSpec): number {
  if (!route.mirror || !matches({ destination: route.mirror }, candidate)) return 0;
  return Math.round(route.mirrorPercentage?.value ?? 100);
}

/** The patch that mirrors `percent` of the route's requests to the candidate (0 removes the mirror); pure. */
export function istioMirrorPatch(vs: VirtualService, at: Location, serving: ServingSpec, percent: number): object[] {
  const route = vs.spec?.http?.[at.route] ?? {};
  const { candidate } = destinationsOf(serving);
  const base = `/spec/http/${at.route}`;
  const current = mirrorOf(route, candidate);
  if (current === percent && (percent === 0 || route.mirrorPercentage?.value === percent)) return [];
  if (route.mirror && current === 0)
    throw new RouterError(
      "RouteChanged",
      `http route ${at.route} of the VirtualService already mirrors to ${route.mirror.host}; the shadow phase leaves a person's mirror alone`,
    );
  if (percent === 0)
    return [
      { op: "test", path: `${base}/mirror/host`, value: candidate.host },
      { op: "remove", path: `${base}/mirror` },
      ...(route.mirrorPercentage !== undefined ? [{ op: "remove", path: `${base}/mirrorPercentage` }] : []),
    ];
  const dest = route.route?.[at.candidate]?.destination ?? {};
  return [
    { op: "test", path: `${base}/route/${at.candidate}/destination/host`, value: candidate.host },
    { op: "add", path: `${base}/mirror`, value: dest },
    { op: "add", path: `${base}/mirrorPercentage`, value: { value: percent } },
  ];
}

/** The JSON patch that sets both weights, failing if either destination moved. */
export function istioWeightPatch(at: Location, serving: ServingSpec, weights: Weights): object[] {
  const want = destinationsOf(serving);
  const dest = (i: number) => `/spec/http/${at.route}/route/${i}`;
  const guard = (i: number, d: DestinationSpec) => [
    { op: "test", path: `${dest(i)}/destination/host`, value: d.host },
    ...(d.subset !== undefined ? [{ op: "test", path: `${dest(i)}/destination/subset`, value: d.subset }] : []),
  ];
  return [
    ...guard(at.stable, want.stable),
    ...guard(at.candidate, want.candidate),
    { op: "add", path: `${dest(at.stable)}/weight`, value: weights.stable },
    { op: "add", path: `${dest(at.candidate)}/weight`, value: weights.candidate },
  ];
}

/** The router of a VirtualService's destination weights. */
export function istioRouter(kc: KubeConfig, namespace: string, serving: ServingSpec, fieldManager: string, requireOptIn = false): TrafficRouter {
  const name = (serving.router.istio as { virtualService: { name: string } }).virtualService.name;
  return new PatchedObjectRouter<VirtualService, Location>(
    kc,
    namespace,
    {
      resource: VIRTUALSERVICES,
      kind: "VirtualService",
      name,
      locate: (vs) => {
        const { weights, mirror, ...at } = locateDestinations(vs, serving);
        return { at, weights, mirror };
      },
      patch: (at, weights) => istioWeightPatch(at, serving, weights),
      mirrorPatch: (vs, at, percent) => istioMirrorPatch(vs, at, serving, percent),
    },
    fieldManager,
    requireOptIn,
  );
}
