// Sets up the ModelMonitor controller: its reconciler (reading policies, Jobs and rollouts from
// the shared caches), its Controller, and the watches of monitors and of the operator's Jobs.
import { MODEL_MONITOR } from "../api/v1alpha1/modelmonitor.ts";
import { MODEL_ROLLOUT } from "../api/v1alpha1/rollout.ts";
import { policyViewOf } from "../domain/remediation/policy.ts";
import { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { ModelMonitorReconciler } from "./modelmonitor.ts";
import { jobWatch, modelMonitorWatch } from "./modelmonitor-watches.ts";
import { rolloutsOfMonitor } from "./modelrollout-watches.ts";
import { ownResource, type ControllerSetup, type SetupContext } from "./setup.ts";

export interface ModelMonitorOptions {
  workers: number;
  /** How long a status whose values alone moved may go unwritten, at most (STATUS_VALUES_MAX_AGE). */
  valuesMaxAgeMs: number;
}

export function setupModelMonitor(ctx: SetupContext, o: ModelMonitorOptions): ControllerSetup {
  const { stores, cluster } = ctx;
  const rollouts = cluster.creator(ownResource(MODEL_ROLLOUT.plural));
  const reconciler = new ModelMonitorReconciler({
    resolveSource: ctx.resolveSource,
    valuesMaxAgeMs: o.valuesMaxAgeMs,
    status: cluster.statusWriter(ownResource(MODEL_MONITOR.plural), CONTROLLER.modelMonitor),
    events: ctx.events,
    clock: ctx.clock,
    log: ctx.log,
    telemetry: ctx.telemetry,
    reports: cluster.reports(),
    remediation: {
      policy: (namespace, name) => policyViewOf(name, stores.policy(namespace, name)),
      jobsOf: (namespace, uid) => stores.jobs.ofMonitor(namespace, uid),
      jobs: cluster.jobs(),
      jobLimits: ctx.jobLimits,
    },
    rollouts: {
      rolloutsOf: (namespace, monitor) => stores.rolloutsOf(namespace, monitor),
      rolloutEnabled: (namespace, policy) => stores.policyRollout(namespace, policy).enabled,
      rolloutSteps: (namespace, policy) => stores.policyRollout(namespace, policy).steps,
      create: (manifest) => rollouts.create(manifest),
    },
  });
  const controller = new Controller({ workers: o.workers, log: ctx.log, onError: ctx.onError, reconciler });
  stores.monitors = controller;
  const monitors = modelMonitorWatch({
    monitors: controller,
    members: stores.policyMembers,
    forget: (namespace, name) => reconciler.forget(namespace, name),
    dependents: rolloutsOfMonitor(stores.rolloutsByMonitor),
  });
  return { name: CONTROLLER.modelMonitor, controller, registrations: [monitors, jobWatch({ jobs: stores.jobs })] };
}
