// The router factory: one file per kind of routing object, chosen by the monitor's spec.serving.
import type { KubeConfig } from "@kubernetes/client-node";
import type { ServingSpec } from "../../api/v1alpha1/rollout.ts";
import type { TrafficRouter } from "../../ports.ts";
import { gatewayApiRouter } from "./gateway-api.ts";
import { istioRouter } from "./istio.ts";

export type RouterFactory = (namespace: string, serving: ServingSpec) => TrafficRouter;

export function routerFactory(kc: KubeConfig, fieldManager: string): RouterFactory {
  return (namespace, serving) => {
    if (serving.router.gatewayAPI) return gatewayApiRouter(kc, namespace, serving, fieldManager);
    if (serving.router.istio) return istioRouter(kc, namespace, serving, fieldManager);
    throw new Error("spec.serving.router names no router this operator knows");
  };
}
