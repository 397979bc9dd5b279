// Sets up the ModelRollout controller: its reconciler (reading monitors and policies from the
// shared caches), its Controller, and the watch of rollouts.
import { MODEL_ROLLOUT } from "../api/v1alpha1/rollout.ts";
import { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { ModelRolloutReconciler, type RolloutReconcilerDeps } from "./modelrollout.ts";
import { modelRolloutWatch } from "./modelrollout-watches.ts";
import { ownResource, type ControllerSetup, type SetupContext } from "./setup.ts";

export interface ModelRolloutOptions {
  workers: number;
  /** How soon to come back when the state machine does not say (default ROLLOUT_REQUEUE). */
  requeue?: RolloutReconcilerDeps["requeue"];
}

export function setupModelRollout(ctx: SetupContext, o: ModelRolloutOptions): ControllerSetup {
  const { stores, cluster } = ctx;
  const type = ownResource(MODEL_ROLLOUT.plural);
  const reconciler = new ModelRolloutReconciler({
    monitor: (namespace, name) => stores.monitor(namespace, name),
    policy: (namespace, name) => stores.policy(namespace, name),
    serving: cluster.serving(CONTROLLER.modelRollout, ctx.requireTargetOptIn),
    requireTargetOptIn: ctx.requireTargetOptIn,
    resolveSource: ctx.resolveSource,
    status: cluster.statusWriter(type, CONTROLLER.modelRollout),
    finalizers: cluster.finalizers(type),
    events: ctx.events,
    clock: ctx.clock,
    log: ctx.log,
    telemetry: ctx.telemetry,
    ...(o.requeue ? { requeue: o.requeue } : {}),
  });
  const controller = new Controller({ workers: o.workers, log: ctx.log, onError: ctx.onError, reconciler });
  stores.rollouts = controller;
  const forget = (namespace: string, name: string) => ctx.telemetry.forgetRollout(namespace, name);
  return {
    name: CONTROLLER.modelRollout,
    controller,
    registrations: [modelRolloutWatch({ rollouts: controller, byMonitor: stores.rolloutsByMonitor, forget })],
  };
}
