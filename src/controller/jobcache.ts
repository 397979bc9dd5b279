// In-memory indexes over what the watches deliver: the operator's Jobs by owning monitor and
// by policy, and monitors by the policy they name, so a reconcile finds what it needs without
// asking the API server or scanning every object.
import { jobViewOf, type JobView } from "../domain/remediation/job.ts";

export class JobCache {
  private readonly byMonitor = new Map<string, Map<string, JobView>>();
  private readonly byName = new Map<string, JobView>();

  /** Records the Job and returns how it was understood (undefined: not one of ours). */
  upsert(namespace: string, job: unknown): JobView | undefined {
    const view = jobViewOf(job);
    if (!view) return undefined;
    this.remove(namespace, view.name);
    this.byName.set(`${namespace}/${view.name}`, view);
    const key = `${namespace}/${view.monitorUid}`;
    const jobs = this.byMonitor.get(key) ?? new Map<string, JobView>();
    jobs.set(view.name, view);
    this.byMonitor.set(key, jobs);
    return view;
  }

  remove(namespace: string, name: string): JobView | undefined {
    const view = this.byName.get(`${namespace}/${name}`);
    if (!view) return undefined;
    this.byName.delete(`${namespace}/${name}`);
    const key = `${namespace}/${view.monitorUid}`;
    const jobs = this.byMonitor.get(key);
    jobs?.delete(name);
    if (jobs?.size === 0) this.byMonitor.delete(key);
    return view;
  }

  ofMonitor(namespace: string, monitorUid: string): JobView[] {
    return [...(this.byMonitor.get(`${namespace}/${monitorUid}`)?.values() ?? [])];
  }

  ofPolicy(namespace: string, policy: string): JobView[] {
    const prefix = `${namespace}/`;
    return [...this.byName].filter(([k, v]) => k.startsWith(prefix) && v.policy === policy).map(([, v]) => v);
  }

  get size(): number {
    return this.byName.size;
  }
}

/** A many-to-one index: each member belongs to at most one group (a monitor to its policy). */
export class Index {
  private readonly groupOf = new Map<string, string>();
  private readonly members = new Map<string, Set<string>>();

  set(member: string, group: string | undefined): void {
    const previous = this.groupOf.get(member);
    if (previous === group) return;
    if (previous !== undefined) {
      const set = this.members.get(previous);
      set?.delete(member);
      if (set?.size === 0) this.members.delete(previous);
      this.groupOf.delete(member);
    }
    if (group === undefined) return;
    this.groupOf.set(member, group);
    const set = this.members.get(group) ?? new Set<string>();
    set.add(member);
    this.members.set(group, set);
  }

  of(group: string): string[] {
    return [...(this.members.get(group) ?? [])];
  }
}
