// Sets up the RetrainPolicy controller: its reconciler (summarising the monitors and Jobs of each
// policy from the shared caches), its Controller, and the watch of policies.
import { RETRAIN_POLICY } from "../api/v1alpha1/retrainpolicy.ts";
import { Controller } from "./controller.ts";
import { CONTROLLER } from "./controller-names.ts";
import { RetrainPolicyReconciler } from "./retrainpolicy.ts";
import { retrainPolicyWatch } from "./retrainpolicy-watches.ts";
import { ownResource, type ControllerSetup, type SetupContext } from "./setup.ts";

export interface RetrainPolicyOptions {
  workers: number;
}

export function setupRetrainPolicy(ctx: SetupContext, o: RetrainPolicyOptions): ControllerSetup {
  const { stores, cluster } = ctx;
  const reconciler = new RetrainPolicyReconciler({
    status: cluster.statusWriter(ownResource(RETRAIN_POLICY.plural), CONTROLLER.retrainPolicy),
    events: ctx.events,
    clock: ctx.clock,
    jobs: cluster.jobs(),
    jobLimits: ctx.jobLimits,
    log: ctx.log,
    monitorsOf: (namespace, policy) => stores.membersOf(namespace, policy),
    jobsOf: (namespace, policy) => stores.jobs.ofPolicy(namespace, policy),
  });
  const controller = new Controller({ workers: o.workers, log: ctx.log, onError: ctx.onError, reconciler });
  stores.policies = controller;
  const watch = retrainPolicyWatch({ policies: controller, monitorsOf: (policyKey) => stores.policyMembers.of(policyKey) });
  return { name: CONTROLLER.retrainPolicy, controller, registrations: [watch] };
}
