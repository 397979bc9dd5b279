// The operator's Jobs as the watch delivers them, indexed by owning monitor and by policy, so a
// reconcile finds its Jobs without asking the API server.
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
