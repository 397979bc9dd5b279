// The rollout half refuses at apply time what can never work, as the monitoring half does: names
// no Kubernetes object can have, an Istio host that is a URL, env vars that would overwrite each
// other, a bound no value can pass, a blank version, a URI no model store uses. The local API
// server refuses each (server-side apply, as kubectl sends it), naming the field; the zod schemas
// (unit tests in test/api/rollout-validation.test.ts) refuse the same.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, deleteNamespace, kubectl } from "../stage/index.ts";

let ns: string;
beforeAll(async () => {
  ns = await createNamespace("columns-validation");
});
afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

const serverSideApply = (obj: unknown) => kubectl(["apply", "--server-side", "--field-manager", "columns-test", "-f", "-"], JSON.stringify(obj));
const name = () => `x-${Math.random().toString(36).slice(2, 8)}`;

const gatewayServing = (
  stable: Record<string, unknown> = { name: "model-stable" },
  candidate: Record<string, unknown> = { name: "model-candidate" },
  modelEnv?: Record<string, unknown>,
  ruleName?: string,
) => ({
  router: { gatewayAPI: { httpRoute: { name: "fraud" }, ...(ruleName !== undefined ? { ruleName } : {}) } },
  stable: { backendRef: stable, deployment: { name: "model-stable" } },
  candidate: { backendRef: candidate, deployment: { name: "model-candidate" } },
  ...(modelEnv ? { modelEnv } : {}),
});
const istioServing = (host: string, subset = "stable") => ({
  router: { istio: { virtualService: { name: "fraud" } } },
  stable: { destination: { host, subset }, deployment: { name: "model-stable" } },
  candidate: { destination: { host, subset: "candidate" }, deployment: { name: "model-candidate" } },
});
const monitor = (serving: unknown) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: name(), namespace: ns },
  spec: { model: { name: "fraud" }, versionLabel: "version", signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }], serving },
});
const policy = (rollout: unknown) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name: name(), namespace: ns },
  spec: { rollout },
});
const rollout = (candidate: unknown) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelRollout",
  metadata: { name: name(), namespace: ns },
  spec: { monitorRef: { name: "fraud" }, candidate },
});

describe("the rollout half, refused by the API server at apply time", () => {
  it("accepts what works: a Service, a TraefikService with its @provider, an Istio FQDN, a model store URI", async () => {
    for (const obj of [
      monitor(
        gatewayServing({ name: "model-stable" }, { name: "model-candidate" }, { container: "model", version: "MODEL_VERSION", uri: "MODEL_URI" }, "predict"),
      ),
      monitor(
        gatewayServing(
          { group: "traefik.io", kind: "TraefikService", name: "demo-stable@file" },
          { group: "traefik.io", kind: "TraefikService", name: "demo-candidate@file" },
        ),
      ),
      monitor(istioServing("fraud.models.svc.cluster.local")),
      policy({ analysis: { bounds: [{ signal: "p95_latency", min: 0, max: 0.5 }] } }),
      rollout({ version: "v4", uri: "s3://models/fraud/v4" }),
      rollout({ version: "2026-12-01 nightly", uri: "/mnt/models/fraud" }),
    ]) {
      const r = await serverSideApply(obj);
      expect(r.stderr, JSON.stringify(obj.spec)).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it.each([
    [
      "a backendRef name with a space",
      monitor(gatewayServing({ name: "model stable" })),
      /spec\.serving\.stable\.backendRef\.name: Invalid value: "model stable"/,
    ],
    [
      "a backendRef name in upper case",
      monitor(gatewayServing(undefined, { name: "Model-Candidate" })),
      /spec\.serving\.candidate\.backendRef\.name: Invalid value: "Model-Candidate"/,
    ],
    // Cyrillic 'о' in place of the Latin 'o': looks the same, names no object
    [
      "a backendRef name with a look-alike letter",
      monitor(gatewayServing({ name: "m\u043edel-stable" })),
      /spec\.serving\.stable\.backendRef\.name: Invalid value/,
    ],
    [
      "a Service name that is no DNS-1035 label (CEL)",
      monitor(gatewayServing({ name: "model.stable" })),
      /spec\.serving\.stable\.backendRef\.name: Invalid value.*a Service's name is a DNS-1035 label/,
    ],
    [
      "a backendRef group that is no API group",
      monitor(gatewayServing({ group: "Traefik IO", kind: "TraefikService", name: "s@file" })),
      /spec\.serving\.stable\.backendRef\.group: Invalid value: "Traefik IO"/,
    ],
    [
      "a backendRef kind that is no Kind",
      monitor(gatewayServing({ group: "traefik.io", kind: "Traefik Service", name: "s@file" })),
      /spec\.serving\.stable\.backendRef\.kind: Invalid value: "Traefik Service"/,
    ],
    [
      "a container name with upper case",
      monitor(gatewayServing(undefined, undefined, { container: "Model" })),
      /spec\.serving\.modelEnv\.container: Invalid value: "Model"/,
    ],
    [
      "the version and URI env vars of one name (CEL)",
      monitor(gatewayServing(undefined, undefined, { version: "MODEL", uri: "MODEL" })),
      /spec\.serving\.modelEnv\.uri: Invalid value.*version and uri must be different variables/,
    ],
    [
      "an HTTPRoute rule name that is no SectionName",
      monitor(gatewayServing(undefined, undefined, undefined, "Predict Rule")),
      /spec\.serving\.router\.gatewayAPI\.ruleName: Invalid value: "Predict Rule"/,
    ],
    [
      "an Istio host that is a URL",
      monitor(istioServing("http://fraud.models:8080")),
      /spec\.serving\.stable\.destination\.host: Invalid value: "http:\/\/fraud\.models:8080"/,
    ],
    ["an Istio host with a space", monitor(istioServing("fraud models")), /spec\.serving\.stable\.destination\.host: Invalid value: "fraud models"/],
    ["an Istio subset with a space", monitor(istioServing("fraud", "the stable")), /spec\.serving\.stable\.destination\.subset: Invalid value: "the stable"/],
    [
      "an InferenceService name KServe refuses",
      monitor({ router: { kserve: { inferenceService: { name: "1fraud" } } } }),
      /spec\.serving\.router\.kserve\.inferenceService\.name: Invalid value: "1fraud"/,
    ],
    [
      "a bound whose min exceeds its max (CEL)",
      policy({ analysis: { bounds: [{ signal: "p95_latency", min: 2, max: 1 }] } }),
      /spec\.rollout\.analysis\.bounds\[0\]\.min: Invalid value.*min must not exceed max/,
    ],
    ["a blank candidate version", rollout({ version: " " }), /spec\.candidate\.version: Invalid value: " "/],
    ["a candidate version with a control character", rollout({ version: "v4\n" }), /spec\.candidate\.version: Invalid value/],
    ["a javascript: URI", rollout({ version: "v4", uri: "javascript:alert(1)" }), /spec\.candidate\.uri: Invalid value: "javascript:alert\(1\)"/],
    ["a URI with a control character", rollout({ version: "v4", uri: "s3://models/v4\u0007" }), /spec\.candidate\.uri: Invalid value/],
    ["a URI with a space", rollout({ version: "v4", uri: "s3://models/fraud v4" }), /spec\.candidate\.uri: Invalid value: "s3:\/\/models\/fraud v4"/],
  ])("refuses %s, naming the field", async (_what, obj, message) => {
    const r = await serverSideApply(obj);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
