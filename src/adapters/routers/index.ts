// The serving factory: one file per kind of routing object, chosen by the monitor's
// spec.serving.router. Gateway API and Istio route between two Deployments; a KServe
// InferenceService holds both versions itself.
import type { KubeConfig } from "@kubernetes/client-node";
import type { ServingSpec } from "../../api/v1alpha1/rollout.ts";
import type { ServedVersions, WorkloadPort } from "../../ports.ts";
import { deploymentsBehindRouter } from "./deployments.ts";
import { gatewayApiRouter } from "./gateway-api.ts";
import { istioRouter } from "./istio.ts";
import { KServeServing } from "./kserve.ts";

export type ServingFactory = (namespace: string, serving: ServingSpec) => ServedVersions;

export function servingFactory(kc: KubeConfig, fieldManager: string, workloads: WorkloadPort): ServingFactory {
  return (namespace, serving) => {
    if (serving.router.gatewayAPI) return deploymentsBehindRouter(gatewayApiRouter(kc, namespace, serving, fieldManager), workloads, namespace, serving);
    if (serving.router.istio) return deploymentsBehindRouter(istioRouter(kc, namespace, serving, fieldManager), workloads, namespace, serving);
    if (serving.router.kserve) return new KServeServing(kc, namespace, serving, fieldManager);
    throw new Error("spec.serving.router names no router this operator knows");
  };
}
