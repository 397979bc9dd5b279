// The objects of ours that the tests, the demo and the benchmarks write again and again, built in
// one place: a ModelMonitor, a ModelRollout, RetrainPolicies, the accuracy signal most of them
// watch, and the wait for a rollout's phase.
import { getJson } from "./cluster.ts";
import { waitFor } from "./wait.ts";

const API_VERSION = "modelguardian.dev/v1alpha1";

/** The accuracy of a classifier, from the simulated model's predictions counter. */
export const ACCURACY = { name: "accuracy", classification: { metric: "model_predictions_total" } };

export const modelMonitor = (namespace: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: API_VERSION,
  kind: "ModelMonitor",
  metadata: { name, namespace },
  spec,
});

/** A ModelRollout of `candidate` for the monitor `monitor`. */
export const modelRollout = (namespace: string, name: string, candidate: { version: string; uri?: string }, monitor = "canary") => ({
  apiVersion: API_VERSION,
  kind: "ModelRollout",
  metadata: { name, namespace },
  spec: { monitorRef: { name: monitor }, candidate },
});

/** Polls a ModelRollout until its status.phase is `phase`; returns it then. */
export const rolloutReaches = <T extends { status?: { phase?: string } }>(namespace: string, name: string, phase: string, timeoutMs = 150_000) =>
  waitFor(
    `rollout ${name} to reach ${phase}`,
    async () => {
      const r = await getJson<T>("modelrollout", name, namespace);
      return r.status?.phase === phase && r;
    },
    timeoutMs,
    250,
  );

/**
 * The spec of a RetrainPolicy that runs one Job, `retrain`, on AccuracyDrift, on kwok's node: the
 * annotations of its pod say how the simulated run ends (sim.modelguardian.dev/termination-message,
 * run-duration, outcome).
 */
export const retrainOnDriftSpec = (annotations: Record<string, string>, image = "registry.example/train:1") => ({
  triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
  actions: [
    {
      name: "retrain",
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: { metadata: { annotations }, spec: { restartPolicy: "Never", containers: [{ name: "train", image }] } },
        },
      },
    },
  ],
});

/**
 * A RetrainPolicy that retrains on AccuracyDrift with a Job kwok's node runs: its pod reports
 * `version` in its termination message after `runDuration`. `spec` adds to the policy's spec.
 */
export const retrainOnDrift = (namespace: string, name: string, o: { version?: string; runDuration?: string; spec?: Record<string, unknown> } = {}) => ({
  apiVersion: API_VERSION,
  kind: "RetrainPolicy",
  metadata: { name, namespace },
  spec: {
    ...retrainOnDriftSpec({
      "sim.modelguardian.dev/termination-message": JSON.stringify({ version: o.version ?? "v2" }),
      "sim.modelguardian.dev/run-duration": o.runDuration ?? "2s",
    }),
    ...o.spec,
  },
});

/** The RetrainPolicy of the stand-in rollout tests: two 12 s steps, accuracy compared; `extra` adds to spec.rollout. */
export const canaryPolicy = (namespace: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: "RetrainPolicy",
  metadata: { name: "canary", namespace },
  spec: {
    rollout: {
      steps: [
        { weight: 30, hold: "12s" },
        { weight: 70, hold: "12s" },
      ],
      analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }], minSamples: 60, inconclusiveLimit: 3 },
      readyTimeout: "2m",
      ...extra,
    },
  },
});

/** The start of most monitors' specs: the accuracy of `model` v1, every `interval` over `window`, once `minSamples` are in. */
export const watching = (model: string, interval: string, window: string, minSamples: number) => ({
  model: { name: model, version: "v1" },
  interval,
  window,
  minSamples,
  signals: [ACCURACY],
});

/** A monitor `m` of one plant of `model` (selector model and plant): accuracy at least 0.8 over 20 s, every 2 s; `extra` adds to its spec. */
export const plantMonitor = (namespace: string, model: string, plant: string, extra: Record<string, unknown> = {}) =>
  modelMonitor(namespace, "m", {
    model: { name: model },
    selector: { model, plant },
    interval: "2s",
    window: "20s",
    minSamples: 50,
    signals: [ACCURACY],
    rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
    ...extra,
  });
