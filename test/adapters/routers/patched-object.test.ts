// The guard every routing-object patch carries: a write decided on an old read never lands.
import { describe, expect, it } from "vitest";
import { unchangedSince } from "../../../src/adapters/routers/patched-object.ts";
import { istioWeightPatch } from "../../../src/adapters/routers/istio.ts";
import { applyJsonPatch } from "./json-patch.ts";

const vs = (resourceVersion: string, stable: number, candidate: number) => ({
  metadata: { name: "model", resourceVersion },
  spec: {
    http: [
      {
        name: "predict",
        route: [
          { destination: { host: "model", subset: "stable" }, weight: stable },
          { destination: { host: "model", subset: "candidate" }, weight: candidate },
        ],
      },
    ],
  },
});
const serving = {
  router: { istio: { virtualService: { name: "model" }, routeName: "predict" } },
  stable: { destination: { host: "model", subset: "stable" } },
  candidate: { destination: { host: "model", subset: "candidate" } },
} as unknown as Parameters<typeof istioWeightPatch>[1];
const at: Parameters<typeof istioWeightPatch>[0] = { route: 0, stable: 0, candidate: 1 };

describe("unchangedSince", () => {
  // caught by the fault campaign (scripts/faults, leader-partition): a weight patch held by a
  // partition landed after the new leader had moved a step on, and set the weights back
  it("refuses a patch decided on a read the object has moved on from", () => {
    const read = vs("41", 70, 30);
    const patch = [...unchangedSince(read), ...istioWeightPatch(at, serving, { stable: 70, candidate: 30 })];
    expect(() => applyJsonPatch(vs("57", 30, 70), patch)).toThrow(/resourceVersion/);
    expect(applyJsonPatch(vs("41", 100, 0), patch).spec.http[0]?.route.map((r) => r.weight)).toEqual([70, 30]);
  });

  it("adds nothing for an object read without a resourceVersion", () => {
    expect(unchangedSince({ metadata: {} })).toEqual([]);
  });
});
