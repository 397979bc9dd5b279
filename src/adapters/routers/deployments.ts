// Two Deployments behind a routing object (an HTTPRoute or a VirtualService): the router holds
// the traffic split, each Deployment one version, told its model by env vars.
import type { ServingSpec } from "../../api/v1alpha1/rollout.ts";
import type { LiveServing, RolloutView, ServedVersions, TrafficRouter, WorkloadPort } from "../../ports.ts";
import type { RolloutEffect } from "../../domain/rollout/machine.ts";
import type { ServingTarget } from "../../domain/rollout/targets.ts";

export function deploymentsBehindRouter(router: TrafficRouter, workloads: WorkloadPort, namespace: string, serving: ServingSpec): ServedVersions {
  const deployment = (which: "stable" | "candidate") => {
    const version = serving[which];
    if (!version) throw new Error(`spec.serving.${which} is required with this router`);
    return version.deployment.name;
  };
  return {
    async read(_view: RolloutView): Promise<LiveServing> {
      const [weights, { target: stableTarget, ...stable }, { target: candidateTarget, ...candidate }] = await Promise.all([
        router.read(),
        workloads.read(namespace, deployment("stable"), serving.modelEnv),
        workloads.read(namespace, deployment("candidate"), serving.modelEnv),
      ]);
      const targets = [router.target(), stableTarget, candidateTarget].filter((t): t is ServingTarget => t !== undefined);
      return { weights, stable, candidate, targets };
    },
    async apply(effect: RolloutEffect): Promise<void> {
      if (effect.kind === "setWeights") await router.write(effect.weights);
      else if (effect.kind === "setMirror") await router.writeMirror(effect.percent);
      else if (effect.kind === "parkCandidate") await workloads.park(namespace, deployment("candidate"), effect.parked);
      else await workloads.setModel(namespace, deployment(effect.which), serving.modelEnv, effect.version, effect.uri);
    },
  };
}
