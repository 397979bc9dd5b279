// The caches the controllers share, and typed views of them. Each controller stores its own
// objects (Controller is its store) and reads the others' from here: the views are declared
// before the controllers exist and filled as each is set up, so the order of setup is free.
import type { RemediationStatus } from "../api/v1alpha1/modelmonitor.ts";
import { policyMemberOf, policyRolloutOf } from "../domain/remediation/policy.ts";
import type { Controller } from "./controller.ts";
import { Index, JobCache } from "./jobcache.ts";
import type { KubeObject } from "./reconciler.ts";
import type { ReportLookup } from "./reports.ts";
import type { ReportPort } from "../ports.ts";

export class ControllerStores {
  /** The operator's Jobs, as their watch keeps them. */
  readonly jobs = new JobCache();
  /** Which policy each monitor names (monitor key -> policy key). */
  readonly policyMembers = new Index();
  /** Which monitor each rollout names (rollout key -> monitor key). */
  readonly rolloutsByMonitor = new Index();
  monitors: Controller | undefined;
  policies: Controller | undefined;
  rollouts: Controller | undefined;

  monitor(namespace: string, name: string): KubeObject | undefined {
    return this.monitors?.get(`${namespace}/${name}`);
  }

  policy(namespace: string, name: string): KubeObject | undefined {
    return this.policies?.get(`${namespace}/${name}`);
  }

  rollout(namespace: string, name: string): KubeObject | undefined {
    return this.rollouts?.get(`${namespace}/${name}`);
  }

  /** The monitor's ModelRollouts. */
  rolloutsOf(namespace: string, monitor: string): KubeObject[] {
    return this.rolloutsByMonitor
      .of(`${namespace}/${monitor}`)
      .map((key) => this.rollouts?.get(key))
      .filter((r): r is KubeObject => r !== undefined);
  }

  /** The monitors naming a policy, as its summary reads them. */
  membersOf(namespace: string, policy: string): { name: string; remediation?: RemediationStatus }[] {
    return this.policyMembers
      .of(`${namespace}/${policy}`)
      .map((key) => this.monitors?.get(key))
      .filter((m): m is KubeObject => m !== undefined)
      .map(policyMemberOf);
  }

  /** The named policy's rollout strategy: whether it has one, and its step weights. */
  policyRollout(namespace: string, policy: string): { enabled: boolean; steps: number[] | undefined } {
    return policyRolloutOf(this.policy(namespace, policy));
  }

  /** What /reports and /ui/ read: the monitors this process holds, and the report ConfigMaps. */
  reportLookup(reports: Pick<ReportPort, "read">): ReportLookup {
    return {
      monitor: (key) => this.monitors?.get(key),
      list: () => [...(this.monitors?.values() ?? [])],
      read: (namespace, configMap, key) => reports.read(namespace, configMap, key),
    };
  }
}
