// REQUIRE_TARGET_OPT_IN: which serving objects lack the label, and the message that names them
// and the command that fixes it.
import { describe, expect, it } from "vitest";
import { targetOptInRefusal, type ServingTarget } from "../../../src/domain/rollout/targets.ts";

const LABEL = { "modelguardian.dev/rollout-target": "true" };
const targets = (labels: Record<string, Record<string, string>>): ServingTarget[] => [
  { kind: "HTTPRoute", name: "model", labels: labels.route ?? {} },
  { kind: "Deployment", name: "model-stable", labels: labels.stable ?? {} },
  { kind: "Deployment", name: "model-candidate", labels: labels.candidate ?? {} },
];

describe("targetOptInRefusal", () => {
  it("refuses nothing when the setting is off", () => {
    expect(targetOptInRefusal("ml", targets({}), false)).toBeUndefined();
  });

  it("refuses nothing when every target carries the label with the value true", () => {
    expect(targetOptInRefusal("ml", targets({ route: LABEL, stable: LABEL, candidate: LABEL }), true)).toBeUndefined();
    expect(targetOptInRefusal("ml", [], true)).toBeUndefined();
  });

  it("names each object without it, and the command that labels it", () => {
    expect(targetOptInRefusal("ml", targets({ route: LABEL, stable: LABEL }), true)).toBe(
      "Deployment model-candidate lacks the label modelguardian.dev/rollout-target=true (REQUIRE_TARGET_OPT_IN): the rollout changes none of its serving objects until each carries it: kubectl label -n ml deployment model-candidate --overwrite modelguardian.dev/rollout-target=true",
    );
    const all = targetOptInRefusal("ml", targets({ stable: { "modelguardian.dev/rollout-target": "false" } }), true) as string;
    expect(all).toMatch(/^HTTPRoute model, Deployment model-stable and Deployment model-candidate lack the label/);
    expect(all).toContain("kubectl label -n ml httproute model --overwrite modelguardian.dev/rollout-target=true; kubectl label -n ml deployment model-stable");
  });

  it("names an object the rollout reads twice once", () => {
    const isvc: ServingTarget = { kind: "InferenceService", name: "fraud", labels: {} };
    expect(targetOptInRefusal("ml", [isvc, isvc], true)).toMatch(
      /^InferenceService fraud lacks the label.*kubectl label -n ml inferenceservice fraud --overwrite/,
    );
  });
});
