// The Istio router on VirtualService objects: where the destinations are, and the patch that sets them.
import { describe, expect, it } from "vitest";
import { servingSchema } from "../../../src/api/v1alpha1/rollout.ts";
import { istioMirrorPatch, istioWeightPatch, locateDestinations } from "../../../src/adapters/routers/istio.ts";
import { applyJsonPatch } from "./json-patch.ts";
import type { RouterError } from "../../../src/ports.ts";

const serving = (
  extra: Record<string, unknown> = {},
  destinations = { stable: { host: "fraud", subset: "stable" }, candidate: { host: "fraud", subset: "candidate" } },
) =>
  servingSchema.parse({
    router: { istio: { virtualService: { name: "fraud" }, ...extra } },
    stable: { destination: destinations.stable, deployment: { name: "s" } },
    candidate: { destination: destinations.candidate, deployment: { name: "c" } },
  });
const vs = (http: unknown[]) => ({ spec: { http } }) as Parameters<typeof locateDestinations>[0];
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as RouterError).reason}: ${(e as Error).message}`;
  }
  return "none";
};

describe("locateDestinations", () => {
  it("finds the http route to the stable destination, by host and subset, and both weights", () => {
    const v = vs([
      { name: "admin", route: [{ destination: { host: "admin" } }] },
      {
        route: [
          { destination: { host: "fraud", subset: "candidate" }, weight: 10 },
          { destination: { host: "docs" }, weight: 0 },
          { destination: { host: "fraud", subset: "stable" }, weight: 90 },
        ],
      },
    ]);
    expect(locateDestinations(v, serving())).toEqual({ route: 1, stable: 2, candidate: 0, weights: { stable: 90, candidate: 10 }, mirror: 0 });
  });

  it("tells versions apart by host when they have no subset", () => {
    const byHost = serving({}, { stable: { host: "fraud-v1.ml.svc.cluster.local" }, candidate: { host: "fraud-v2.ml.svc.cluster.local" } } as never);
    const v = vs([
      {
        route: [
          { destination: { host: "fraud-v1.ml.svc.cluster.local" }, weight: 100 },
          { destination: { host: "fraud-v2.ml.svc.cluster.local", subset: "x" }, weight: 0 },
          { destination: { host: "fraud-v2.ml.svc.cluster.local" }, weight: 0 },
        ],
      },
    ]);
    expect(locateDestinations(v, byHost)).toMatchObject({ stable: 0, candidate: 2 });
  });

  it("reads an absent weight as 0, and a route's only destination as 100, as Istio does", () => {
    expect(
      locateDestinations(
        vs([{ route: [{ destination: { host: "fraud", subset: "stable" } }, { destination: { host: "fraud", subset: "candidate" } }] }]),
        serving(),
      ).weights,
    ).toEqual({ stable: 0, candidate: 0 });
  });

  it("names the route by routeName when given", () => {
    const v = vs([
      { name: "health", route: [{ destination: { host: "fraud", subset: "stable" } }] },
      {
        name: "predict",
        route: [
          { destination: { host: "fraud", subset: "stable" }, weight: 70 },
          { destination: { host: "fraud", subset: "candidate" }, weight: 30 },
        ],
      },
    ]);
    expect(locateDestinations(v, serving({ routeName: "predict" })).route).toBe(1);
    expect(reason(() => locateDestinations(vs([{ name: "x", route: [] }]), serving({ routeName: "predict" })))).toBe(
      "RuleNotFound: the VirtualService has no http route named predict",
    );
  });

  it("gives typed errors for a missing route or destination", () => {
    expect(reason(() => locateDestinations(vs([{ route: [{ destination: { host: "other" } }] }]), serving()))).toBe(
      "RuleNotFound: no http route of the VirtualService routes to the stable destination fraud subset stable",
    );
    expect(reason(() => locateDestinations(vs([{ route: [{ destination: { host: "fraud", subset: "stable" } }] }]), serving()))).toBe(
      "BackendNotFound: http route 0 of the VirtualService has no destination fraud subset candidate (the candidate version); add it, with weight 0 for the candidate",
    );
    expect(reason(() => locateDestinations({}, serving()))).toMatch(/^RuleNotFound/);
  });
});

describe("istioWeightPatch", () => {
  it("tests both destinations (host and subset) before it sets both weights", () => {
    expect(istioWeightPatch({ route: 1, stable: 2, candidate: 0 }, serving(), { stable: 75, candidate: 25 })).toEqual([
      { op: "test", path: "/spec/http/1/route/2/destination/host", value: "fraud" },
      { op: "test", path: "/spec/http/1/route/2/destination/subset", value: "stable" },
      { op: "test", path: "/spec/http/1/route/0/destination/host", value: "fraud" },
      { op: "test", path: "/spec/http/1/route/0/destination/subset", value: "candidate" },
      { op: "add", path: "/spec/http/1/route/2/weight", value: 75 },
      { op: "add", path: "/spec/http/1/route/0/weight", value: 25 },
    ]);
  });
});

describe("spec.serving with a router", () => {
  const base = { stable: { deployment: { name: "s" } }, candidate: { deployment: { name: "c" } } };
  const problems = (s: unknown) => {
    const r = servingSchema.safeParse(s);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };
  it("needs exactly one router, and the destinations or backendRefs it works with", () => {
    expect(problems({ ...base, router: {} })).toEqual(["a router must be given: exactly one of gatewayAPI, istio or kserve"]);
    expect(problems({ ...base, router: { gatewayAPI: { httpRoute: { name: "r" } }, istio: { virtualService: { name: "v" } } } })[0]).toBe(
      "a router must be given: exactly one of gatewayAPI, istio or kserve",
    );
    expect(problems({ ...base, router: { istio: { virtualService: { name: "v" } } } })).toEqual([
      "the istio router needs stable.destination and candidate.destination",
    ]);
    expect(problems({ ...base, router: { gatewayAPI: { httpRoute: { name: "r" } } } })).toEqual([
      "the gatewayAPI router needs stable.backendRef and candidate.backendRef",
    ]);
  });
  it("kserve takes the InferenceService alone; the other routers need both versions", () => {
    expect(problems({ router: { kserve: { inferenceService: { name: "fraud" } } } })).toEqual([]);
    expect(problems({ ...base, router: { kserve: { inferenceService: { name: "fraud" } } } })).toEqual([
      "the kserve router takes no stable or candidate: its InferenceService serves both versions",
    ]);
    expect(problems({ router: { istio: { virtualService: { name: "v" } } } })).toEqual(["the gatewayAPI and istio routers need stable and candidate"]);
  });
  it("refuses one destination for both versions", () => {
    const same = {
      router: { istio: { virtualService: { name: "v" } } },
      stable: { destination: { host: "h", subset: "a" }, deployment: { name: "s" } },
      candidate: { destination: { host: "h", subset: "a" }, deployment: { name: "c" } },
    };
    expect(problems(same)).toEqual(["stable and candidate must be different destinations (another host, or another subset)"]);
    expect(problems({ ...same, candidate: { ...same.candidate, destination: { host: "h" } } })).toEqual([]);
  });
});

describe("the shadow mirror on a VirtualService route", () => {
  const vs = () =>
    ({
      spec: {
        http: [
          {
            name: "predict",
            timeout: "5s",
            route: [
              { destination: { host: "fraud", subset: "stable" }, weight: 100 },
              { destination: { host: "fraud", subset: "candidate" }, weight: 0 },
            ],
          },
        ],
      },
    }) as unknown as Parameters<typeof locateDestinations>[0];
  const s = servingSchema.parse({
    router: { istio: { virtualService: { name: "fraud" } } },
    stable: { destination: { host: "fraud", subset: "stable" }, deployment: { name: "s" } },
    candidate: { destination: { host: "fraud", subset: "candidate" }, deployment: { name: "c" } },
  });
  const at = { route: 0, stable: 0, candidate: 1 };

  it("sets mirror and mirrorPercentage to the candidate's destination, reads them back, and removes both", () => {
    const on = applyJsonPatch(vs(), istioMirrorPatch(vs(), at, s, 30));
    expect(on.spec?.http?.[0]).toMatchObject({ timeout: "5s", mirror: { host: "fraud", subset: "candidate" }, mirrorPercentage: { value: 30 } });
    expect(locateDestinations(on, s).mirror).toBe(30);
    expect(istioMirrorPatch(on, at, s, 30)).toEqual([]);
    const off = applyJsonPatch(on, istioMirrorPatch(on, at, s, 0));
    expect(off).toEqual(vs());
    expect(locateDestinations(off, s).mirror).toBe(0);
  });

  it("leaves a person's mirror to another host alone, and says so", () => {
    const theirs = vs();
    (theirs.spec!.http![0] as Record<string, unknown>).mirror = { host: "audit" };
    expect(locateDestinations(theirs, s).mirror).toBe(0);
    expect(() => istioMirrorPatch(theirs, at, s, 30)).toThrow(/already mirrors to audit/);
  });
});
