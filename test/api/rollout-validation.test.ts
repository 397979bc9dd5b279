// The zod schemas of the rollout half refuse what can never work, naming the field, as the API
// server does with the CRDs generated from them (test/integration/rollout-validation.test.ts).
import { describe, expect, it } from "vitest";
import { modelRolloutSpecSchema, rolloutStrategySchema, servingSchema } from "../../src/api/v1alpha1/rollout.ts";
import { formatIssues } from "../../src/api/validation.ts";
import type { z } from "zod";

const refusal = (schema: z.ZodType, value: unknown, root: string): string => {
  const r = schema.safeParse(value);
  return r.success ? "accepted" : formatIssues(r.error, root);
};

const gateway = (
  stable: Record<string, unknown> = { name: "model-stable" },
  candidate: Record<string, unknown> = { name: "model-candidate" },
  extra: Record<string, unknown> = {},
) => ({
  router: { gatewayAPI: { httpRoute: { name: "fraud" } } },
  stable: { backendRef: stable, deployment: { name: "model-stable" } },
  candidate: { backendRef: candidate, deployment: { name: "model-candidate" } },
  ...extra,
});
const istio = (host: string, subset = "stable") => ({
  router: { istio: { virtualService: { name: "fraud" } } },
  stable: { destination: { host, subset }, deployment: { name: "model-stable" } },
  candidate: { destination: { host, subset: "candidate" }, deployment: { name: "model-candidate" } },
});

describe("serving (spec.serving of a ModelMonitor)", () => {
  it.each([
    ["a Service", gateway()],
    [
      "a TraefikService with its @provider",
      gateway(
        { group: "traefik.io", kind: "TraefikService", name: "demo-stable@file" },
        { group: "traefik.io", kind: "TraefikService", name: "demo-candidate@file" },
      ),
    ],
    ["an Istio FQDN with subsets", istio("fraud.models.svc.cluster.local")],
    ["a container and two env vars", gateway(undefined, undefined, { modelEnv: { container: "model", version: "MODEL_VERSION", uri: "MODEL_URI" } })],
  ])("accepts %s", (_what, serving) => expect(refusal(servingSchema, serving, "spec.serving")).toBe("accepted"));

  it.each([
    ["a backendRef name with a space", gateway({ name: "model stable" }), "spec.serving.stable.backendRef.name: must be a lower-case object name"],
    [
      "a backendRef name in upper case",
      gateway(undefined, { name: "Model-Candidate" }),
      "spec.serving.candidate.backendRef.name: must be a lower-case object name",
    ],
    ["a look-alike Cyrillic letter", gateway({ name: "m\u043edel-stable" }), "spec.serving.stable.backendRef.name: must be a lower-case object name"],
    ["a Service name with a dot", gateway({ name: "model.stable" }), "spec.serving.stable.backendRef.name: a Service's name is a DNS-1035 label"],
    [
      "a group that is no API group",
      gateway({ group: "Traefik IO", kind: "TraefikService", name: "s@file" }),
      "spec.serving.stable.backendRef.group: must be empty (the core group) or an API group",
    ],
    [
      "a container name in upper case",
      gateway(undefined, undefined, { modelEnv: { container: "Model" } }),
      "spec.serving.modelEnv.container: must be a container name",
    ],
    [
      "one env var for version and URI",
      gateway(undefined, undefined, { modelEnv: { version: "MODEL", uri: "MODEL" } }),
      "spec.serving.modelEnv.uri: version and uri must be different variables",
    ],
    ["an Istio host that is a URL", istio("https://fraud.models:8080/predict"), "spec.serving.stable.destination.host: must be a host name"],
    ["an Istio host with a space", istio("fraud models"), "spec.serving.stable.destination.host: must be a host name"],
    ["an Istio subset with a space", istio("fraud", "the stable"), "spec.serving.stable.destination.subset: must be a DestinationRule subset name"],
    [
      "an InferenceService name starting with a digit",
      { router: { kserve: { inferenceService: { name: "1fraud" } } } },
      "spec.serving.router.kserve.inferenceService.name: must be an InferenceService name",
    ],
  ])("refuses %s, naming the field", (_what, serving, message) => expect(refusal(servingSchema, serving, "spec.serving")).toContain(message));
});

describe("the strategy (spec.rollout of a RetrainPolicy)", () => {
  it("refuses a bound whose min exceeds its max, and accepts min == max", () => {
    expect(refusal(rolloutStrategySchema, { analysis: { bounds: [{ signal: "p95_latency", min: 2, max: 1 }] } }, "spec.rollout")).toBe(
      "spec.rollout.analysis.bounds[0].min: min must not exceed max: no value could pass",
    );
    expect(refusal(rolloutStrategySchema, { analysis: { bounds: [{ signal: "p95_latency", min: 1, max: 1 }] } }, "spec.rollout")).toBe("accepted");
  });
});

describe("a ModelRollout's candidate", () => {
  const spec = (candidate: Record<string, unknown>) => ({ monitorRef: { name: "fraud" }, candidate });
  it.each([
    { version: "v4", uri: "s3://models/fraud/v4" },
    { version: "2026-12-01 nightly", uri: "/mnt/models/fraud" },
    { version: "v4", uri: "hf://org/model" },
    { version: "v4", uri: "models:/fraud/4" },
    { version: "v4", uri: "gs://bucket/fraud/v4" },
  ])("accepts %o", (candidate) => expect(refusal(modelRolloutSpecSchema, spec(candidate), "spec")).toBe("accepted"));

  it.each([
    ["a blank version", { version: " " }, "spec.candidate.version: must be a version"],
    ["a version with a trailing newline", { version: "v4\n" }, "spec.candidate.version: must be a version"],
    ["a javascript: URI", { version: "v4", uri: "javascript:alert(1)" }, "spec.candidate.uri: must be a model URI"],
    ["a URI with a control character", { version: "v4", uri: "s3://models/v4\u0007" }, "spec.candidate.uri: must be a model URI"],
    ["a URI with a space", { version: "v4", uri: "s3://models/fraud v4" }, "spec.candidate.uri: must be a model URI"],
    ["a data: URI", { version: "v4", uri: "data:text/html,<script>" }, "spec.candidate.uri: must be a model URI"],
  ])("refuses %s, naming the field", (_what, candidate, message) => expect(refusal(modelRolloutSpecSchema, spec(candidate), "spec")).toContain(message));
});
