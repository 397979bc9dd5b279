// The Gateway API router on route objects: where the backends are, and the patch that sets them.
import { describe, expect, it } from "vitest";
import { servingSchema } from "../../../src/api/v1alpha1/rollout.ts";
import { locateBackends, mirrorPatch, weightPatch } from "../../../src/adapters/routers/gateway-api.ts";
import { applyJsonPatch } from "./json-patch.ts";
import { RouterError } from "../../../src/ports.ts";

const serving = servingSchema.parse({
  router: { gatewayAPI: { httpRoute: { name: "r" } } },
  stable: { backendRef: { name: "model-stable" }, deployment: { name: "s" } },
  candidate: { backendRef: { name: "model-candidate" }, deployment: { name: "c" } },
});

const route = (rules: unknown[]) => ({ spec: { rules } }) as Parameters<typeof locateBackends>[0];

describe("locateBackends", () => {
  it("finds the rule that refers to the stable backend and both weights", () => {
    const r = route([
      { backendRefs: [{ name: "other", weight: 3 }] },
      { backendRefs: [{ name: "model-candidate", weight: 10 }, { name: "docs" }, { name: "model-stable", weight: 90 }] },
    ]);
    expect(locateBackends(r, serving)).toEqual({ rule: 1, stable: 2, candidate: 0, weights: { stable: 90, candidate: 10 }, mirror: 0 });
  });

  it("reads an absent weight as 1, as Gateway API defines it", () => {
    expect(locateBackends(route([{ backendRefs: [{ name: "model-stable" }, { name: "model-candidate", weight: 0 }] }]), serving).weights).toEqual({
      stable: 1,
      candidate: 0,
    });
  });

  it("matches group and kind, not only the name", () => {
    const r = route([{ backendRefs: [{ name: "model-stable", kind: "TraefikService", group: "traefik.io" }, { name: "model-candidate" }] }]);
    expect(() => locateBackends(r, serving)).toThrow(RouterError);
  });

  it("names the rule by ruleName when given", () => {
    const named = servingSchema.parse({ ...serving, router: { gatewayAPI: { httpRoute: { name: "r" }, ruleName: "predict" } } });
    const r = route([
      { name: "health", backendRefs: [{ name: "model-stable" }] },
      {
        name: "predict",
        backendRefs: [
          { name: "model-stable", weight: 7 },
          { name: "model-candidate", weight: 3 },
        ],
      },
    ]);
    expect(locateBackends(r, named).rule).toBe(1);
    expect(() => locateBackends(route([{ name: "x", backendRefs: [] }]), named)).toThrow(/no rule named predict/);
  });

  it("gives typed errors for a missing rule or backend", () => {
    const err = (r: ReturnType<typeof route>) => {
      try {
        locateBackends(r, serving);
      } catch (e) {
        return (e as RouterError).reason;
      }
      return "none";
    };
    expect(err(route([{ backendRefs: [{ name: "x" }] }]))).toBe("RuleNotFound");
    expect(err(route([{ backendRefs: [{ name: "model-stable" }] }]))).toBe("BackendNotFound");
  });
});

describe("weightPatch", () => {
  it("tests both names before it sets both weights", () => {
    expect(weightPatch({ rule: 1, stable: 2, candidate: 0 }, serving, { stable: 75, candidate: 25 })).toEqual([
      { op: "test", path: "/spec/rules/1/backendRefs/2/name", value: "model-stable" },
      { op: "test", path: "/spec/rules/1/backendRefs/0/name", value: "model-candidate" },
      { op: "add", path: "/spec/rules/1/backendRefs/2/weight", value: 75 },
      { op: "add", path: "/spec/rules/1/backendRefs/0/weight", value: 25 },
    ]);
  });
});

describe("the shadow mirror on an HTTPRoute rule", () => {
  const withPort = () =>
    ({
      spec: {
        rules: [
          {
            filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "x", value: "1" }] } }],
            backendRefs: [
              { name: "model-stable", port: 8080, weight: 100 },
              { name: "model-candidate", port: 8080, weight: 0 },
            ],
          },
        ],
      },
    }) as unknown as Parameters<typeof locateBackends>[0];
  const at = { rule: 0, stable: 0, candidate: 1 };

  it("adds a RequestMirror filter to the candidate's backendRef (its port, not its weight), keeps the other filters, and reads it back", () => {
    const after = applyJsonPatch(withPort(), mirrorPatch(withPort(), at, serving, 20));
    expect(after.spec?.rules?.[0]?.filters).toEqual([
      { type: "RequestHeaderModifier", requestHeaderModifier: { add: [{ name: "x", value: "1" }] } },
      { type: "RequestMirror", requestMirror: { backendRef: { name: "model-candidate", port: 8080 }, percent: 20 } },
    ]);
    expect(locateBackends(after, serving).mirror).toBe(20);
    expect(mirrorPatch(after, at, serving, 20)).toEqual([]);
    const changed = applyJsonPatch(after, mirrorPatch(after, at, serving, 50));
    expect(locateBackends(changed, serving).mirror).toBe(50);
    const removed = applyJsonPatch(changed, mirrorPatch(changed, at, serving, 0));
    expect(removed.spec?.rules?.[0]?.filters).toEqual(withPort().spec?.rules?.[0]?.filters);
    expect(locateBackends(removed, serving).mirror).toBe(0);
  });

  it("reads a fraction or a filter without a share as what Gateway API mirrors", () => {
    const r = withPort();
    r.spec!.rules![0]!.filters = [
      { type: "RequestMirror", requestMirror: { backendRef: { name: "model-candidate" }, fraction: { numerator: 1, denominator: 4 } } },
    ];
    expect(locateBackends(r, serving).mirror).toBe(25);
    r.spec!.rules![0]!.filters = [{ type: "RequestMirror", requestMirror: { backendRef: { name: "model-candidate" } } }];
    expect(locateBackends(r, serving).mirror).toBe(100);
  });
});
