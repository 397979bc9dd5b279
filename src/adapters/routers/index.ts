// The router factory: one file per kind of routing object, chosen by the monitor's spec.serving.
import type { KubeConfig } from "@kubernetes/client-node";
import type { ServingSpec } from "../../api/v1alpha1/rollout.ts";
import type { TrafficRouter } from "../../ports.ts";
import { GatewayApiRouter } from "./gateway-api.ts";

export type RouterFactory = (namespace: string, serving: ServingSpec) => TrafficRouter;

export function routerFactory(kc: KubeConfig, fieldManager: string): RouterFactory {
  return (namespace, serving) => {
    if (serving.router.gatewayAPI) return new GatewayApiRouter(kc, namespace, serving, fieldManager);
    throw new Error("spec.serving.router names no router this operator knows");
  };
}
