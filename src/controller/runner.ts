// Runs the controllers that were set up: starts their watches through one router, waits until
// every cache is complete, starts and stops their workers. A watch back after an outage means
// the API server is back: what failed meanwhile is retried then.
import type { Logger } from "pino";
import type { ResourceWatch, ResourceWatchHandlers } from "../ports.ts";
import type { KubeObject } from "./reconciler.ts";
import type { ControllerSetup } from "./setup.ts";
import { WatchRouter, type WatchRegistration } from "./watches.ts";

export type WatchStarter = (registration: WatchRegistration, handlers: ResourceWatchHandlers<KubeObject>) => ResourceWatch;

export class ControllerRunner {
  private readonly setups: readonly ControllerSetup[];
  private readonly watches: ResourceWatch[];
  private readonly log: Logger;
  /** Every cache has been listed once: decisions can be made. */
  synced = false;

  constructor(o: { setups: readonly ControllerSetup[]; watch: WatchStarter; log: Logger }) {
    this.setups = o.setups;
    this.log = o.log;
    const router = new WatchRouter(Object.fromEntries(o.setups.map((s) => [s.name, s.controller])), o.log);
    const registrations = o.setups.flatMap((s) => s.registrations);
    this.watches = registrations.map((r) => o.watch(r, { ...router.handlers(r), resumed: () => this.retryFailed() }));
  }

  /**
   * Decisions need complete caches: a policy not yet listed would look deleted, a Job not yet
   * listed would look never created.
   */
  async waitForSync(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.synced));
    this.synced = true;
  }

  startWorkers(): void {
    for (const s of this.setups) s.controller.start();
  }

  /** In-flight reconciles finish (their status is written). */
  async stopWorkers(): Promise<void> {
    for (const s of this.setups) await s.controller.stop();
  }

  async stopWatches(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private retryFailed(): void {
    const n = this.setups.reduce((sum, s) => sum + s.controller.retryFailedNow(), 0);
    if (n) this.log.info({ keys: n }, "retrying what failed while the API server was away");
  }
}
