// The API server itself refuses invalid ModelMonitors at `kubectl apply` time, naming the field.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { apply, given, kubectl, kubectlOk, ROOT, useStage } from "../stage/index.ts";

const stage = useStage(given("crd"));

const valid = () => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: "fraud", namespace: stage.ns },
  spec: {
    model: { name: "fraud-detector", version: "v3" },
    interval: "1m",
    window: "1h",
    signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
    rules: [{ signal: "accuracy", min: { critical: 0.8 }, baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } }],
  },
});

type Spec = ReturnType<typeof valid>["spec"] & Record<string, unknown>;
const withSpec = (name: string, edit: (spec: Spec) => void) => {
  const obj = valid();
  obj.metadata.name = name;
  edit(obj.spec as Spec);
  return obj;
};

describe("CRD schema validation by kube-apiserver", () => {
  it("accepts a valid ModelMonitor, with defaults filled in by the server", async () => {
    const r = await apply(valid());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const obj = JSON.parse(await kubectlOk(["get", "modelmonitor", "fraud", "-n", stage.ns, "-o", "json"]));
    expect(obj.spec.minSamples).toBe(100);
    expect(obj.spec.signals[0].classification.outcomeLabel).toBe("outcome");
  });

  it.each([
    ["wrong type", (s: Spec) => (s.minSamples = "lots"), /spec\.minSamples.*(integer|Invalid value)/],
    [
      "negative threshold",
      (s: Spec) => ((s.rules as { maxDrop: { warning: number } }[])[0]!.maxDrop.warning = -0.1),
      /spec\.rules\[0\]\.maxDrop\.warning.*greater than or equal to 0/,
    ],
    [
      "unknown enum value",
      (s: Spec) => ((s.signals as unknown as { classification: { measure: string } }[])[0]!.classification.measure = "accurasy"),
      /spec\.signals\[0\]\.classification\.measure.*Unsupported value: "accurasy"/,
    ],
    ["missing required field", (s: Spec) => delete (s as Partial<Spec>).model, /spec\.model: Required value/],
    ["malformed duration", (s: Spec) => (s.interval = "5 minutes"), /spec\.interval.*should match/],
    [
      "two signal kinds at once (CEL)",
      (s: Spec) => ((s.signals as Record<string, unknown>[])[0]!.ratio = { numerator: { metric: "a" }, denominator: { metric: "b" } }),
      /spec\.signals\[0\].*exactly one of classification, regression, histogram, ratio, query/,
    ],
    [
      "a rule on an undeclared signal (CEL)",
      (s: Spec) => ((s.rules as { signal: string }[])[0]!.signal = "nope"),
      /spec\.rules.*every rules\[\]\.signal must name a signal/,
    ],
    ["a drop without a baseline (CEL)", (s: Spec) => delete (s.rules as { baseline?: unknown }[])[0]!.baseline, /spec\.rules\[0\].*set baseline/],
    [
      "a duplicate signal name",
      (s: Spec) => (s.signals as unknown[]).push({ name: "accuracy", ratio: { numerator: { metric: "a" }, denominator: { metric: "b" } } }),
      /spec\.signals\[1\].*Duplicate value/,
    ],
    ["an unknown field", (s: Spec) => (s.intervall = "1m"), /unknown field "spec\.intervall"/],
    [
      "a distribution method for an embedding (CEL)",
      (s: Spec) => (s.drift = [{ name: "q", embedding: { metric: "c" }, method: "psi", reference: { pinned: {} }, threshold: { warning: 0.1 } }]),
      /spec\.drift\[0\].*embedding drift uses method cosine or euclidean/,
    ],
    [
      "a threshold without any tier (CEL)",
      (s: Spec) => (s.drift = [{ name: "d", histogram: { metric: "f" }, method: "psi", reference: { offset: "7d" }, threshold: {} }]),
      /spec\.drift\[0\]\.threshold.*at least one of warning or critical/,
    ],
    [
      "a quantile signal without its quantile (CEL)",
      (s: Spec) => ((s as Record<string, unknown>).signals = [{ name: "p95", histogram: { metric: "lat", measure: "quantile" } }]),
      /spec\.signals\[0\]\.histogram.*measure quantile needs quantile/,
    ],
    [
      "an istio router without its destinations (CEL)",
      (s: Spec) =>
        Object.assign(s, {
          versionLabel: "version",
          serving: { router: { istio: { virtualService: { name: "v" } } }, stable: { deployment: { name: "a" } }, candidate: { deployment: { name: "b" } } },
        }),
      /spec\.serving.*the istio router needs stable\.destination and candidate\.destination/,
    ],
    [
      "two routers at once (CEL)",
      (s: Spec) =>
        Object.assign(s, {
          versionLabel: "version",
          serving: {
            router: { istio: { virtualService: { name: "v" } }, gatewayAPI: { httpRoute: { name: "r" } } },
            stable: { deployment: { name: "a" } },
            candidate: { deployment: { name: "b" } },
          },
        }),
      /spec\.serving\.router.*a router must be given: exactly one of gatewayAPI, istio or kserve/,
    ],
    [
      "a kserve router with Deployments (CEL)",
      (s: Spec) =>
        Object.assign(s, {
          versionLabel: "version",
          serving: { router: { kserve: { inferenceService: { name: "fraud" } } }, stable: { deployment: { name: "a" } } },
        }),
      /spec\.serving.*the kserve router takes no stable or candidate/,
    ],
  ])("rejects %s with a message naming the field", async (_, edit, message) => {
    const r = await apply(withSpec(`bad-${Math.random().toString(36).slice(2, 8)}`, edit));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  const policy = (spec: Record<string, unknown>) => ({
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "RetrainPolicy",
    metadata: { name: `p-${Math.random().toString(36).slice(2, 8)}`, namespace: stage.ns },
    spec,
  });
  const template = (podSpec: Record<string, unknown>) => ({ spec: { template: { spec: podSpec } } });
  it.each([
    [
      "a trigger naming no action (CEL)",
      { triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }], actions: [] },
      /spec\.triggers.*every triggers\[\]\.action must name an entry in spec\.actions/,
    ],
    [
      "an action without a purpose whose name says none (CEL)",
      { actions: [{ name: "refresh", jobTemplate: template({ restartPolicy: "Never", containers: [{ name: "t", image: "i" }] }) }] },
      /spec\.actions\[0\].*purpose is required/,
    ],
    [
      "a Job template without containers",
      { actions: [{ name: "retrain", jobTemplate: template({ restartPolicy: "Never" }) }] },
      /spec\.actions\[0\]\.jobTemplate\.spec\.template\.spec\.containers: Required value/,
    ],
    [
      "a container without an image",
      { actions: [{ name: "retrain", jobTemplate: template({ restartPolicy: "Never", containers: [{ name: "t" }] }) }] },
      /spec\.actions\[0\]\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image: Required value/,
    ],
    [
      "an unknown finding type",
      {
        triggers: [{ findings: ["Sadness"], action: "retrain" }],
        actions: [{ name: "retrain", jobTemplate: template({ restartPolicy: "Never", containers: [{ name: "t", image: "i" }] }) }],
      },
      /spec\.triggers\[0\]\.findings\[0\]: Unsupported value: "Sadness"/,
    ],
    [
      "a notification of an unknown format",
      { notifications: [{ name: "chat", format: "teams", urlSecretRef: { name: "hooks" } }] },
      /spec\.notifications\[0\]\.format: Unsupported value: "teams"/,
    ],
    [
      "a notification whose Secret key is no data key",
      { notifications: [{ name: "chat", urlSecretRef: { name: "hooks", key: "a/b" } }] },
      /spec\.notifications\[0\]\.urlSecretRef\.key: Invalid value: "a\/b"/,
    ],
    [
      "a notification topic that does not exist",
      { notifications: [{ name: "chat", urlSecretRef: { name: "hooks" }, topics: ["Everything"] }] },
      /spec\.notifications\[0\]\.topics\[0\]: Unsupported value: "Everything"/,
    ],
    [
      "two notifications of one name",
      {
        notifications: [
          { name: "chat", urlSecretRef: { name: "a" } },
          { name: "chat", urlSecretRef: { name: "b" } },
        ],
      },
      /spec\.notifications\[1\]: Duplicate value/,
    ],
    ["a gradual rollback without steps (CEL)", { rollout: { rollback: { mode: "gradual" } } }, /spec\.rollout\.rollback\.steps.*gradual rollback needs steps/],
    [
      "rollback steps that go up (CEL)",
      {
        rollout: {
          rollback: {
            mode: "gradual",
            steps: [
              { weight: 10, hold: "1m" },
              { weight: 30, hold: "1m" },
            ],
          },
        },
      },
      /spec\.rollout\.rollback\.steps.*rollback step weights must decrease/,
    ],
  ])("rejects a RetrainPolicy with %s", async (_what, spec, message) => {
    const r = await apply(policy(spec));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it("the API server accepts every example under examples/", async () => {
    const r = await kubectl(["apply", "--dry-run=server", "-n", stage.ns, "-f", join(ROOT, "examples")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/modelmonitor.modelguardian.dev\/fraud-detector created \(server dry run\)/);
    expect(r.stdout).toMatch(/retrainpolicy.modelguardian.dev\/fraud-policy created \(server dry run\)/);
  });

  it("kubectl get shows model, version, health, the rules judged and the headline signal as columns", async () => {
    const out = await kubectlOk(["get", "modelmonitors", "-n", stage.ns]);
    expect(out.split("\n")[0]).toMatch(/^NAME\s+MODEL\s+VERSION\s+SERVING\s+HEALTH\s+JUDGED\s+SIGNAL\s+WORST FINDING\s+LAST EVAL\s+AGE/);
    expect(out).toMatch(/fraud\s+fraud-detector\s+v3/);
    const short = await kubectlOk(["get", "mm", "-n", stage.ns, "-o", "name"]);
    expect(short.trim()).toBe("modelmonitor.modelguardian.dev/fraud");
  });
});
