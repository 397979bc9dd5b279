// The objects of ours that the tests, the demo and the benchmarks write again and again, built in
// one place: a ModelMonitor, a ModelRollout, the accuracy signal most of them watch, and the wait
// for a rollout's phase.
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
