// The serving factory: one file per kind of routing object, chosen by the monitor's
// spec.serving.router. Gateway API and Istio route between two Deployments; a KServe
// InferenceService holds both versions itself.
import type { KubeConfig } from "@kubernetes/client-node";
import type { ServingFactory, WorkloadPort } from "../../ports.ts";
import { deploymentsBehindRouter } from "./deployments.ts";
import { gatewayApiRouter } from "./gateway-api.ts";
import { istioRouter } from "./istio.ts";
import { KServeServing } from "./kserve.ts";

/** requireOptIn (REQUIRE_TARGET_OPT_IN): every write to a routing object also tests its opt-in label. */
export function servingFactory(kc: KubeConfig, fieldManager: string, workloads: WorkloadPort, requireOptIn = false): ServingFactory {
  return (namespace, serving) => {
    if (serving.router.gatewayAPI)
      return deploymentsBehindRouter(gatewayApiRouter(kc, namespace, serving, fieldManager, requireOptIn), workloads, namespace, serving);
    if (serving.router.istio) return deploymentsBehindRouter(istioRouter(kc, namespace, serving, fieldManager, requireOptIn), workloads, namespace, serving);
    if (serving.router.kserve) return new KServeServing(kc, namespace, serving, fieldManager, requireOptIn);
    throw new Error("spec.serving.router names no router this operator knows");
  };
}
