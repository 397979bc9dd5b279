// Runs the controllers that were set up: starts their watches through one router, waits until
// every cache is complete, starts their workers and stops them within a grace. A watch back after
// an outage means the API server is back: what failed meanwhile is retried then.
import type { Logger } from "pino";
import type { ResourceWatch, ResourceWatchHandlers } from "../ports.ts";
import type { KubeObject } from "./reconciler.ts";
import type { ControllerSetup } from "./setup.ts";
import { WatchRouter, type WatchRegistration } from "./watches.ts";

export interface WorkersStopped {
  /** Every worker returned within the grace. */
  finished: boolean;
  /** The keys still being reconciled when the grace ran out, as `<controller> <namespace>/<name>`. */
  stillRunning: string[];
}

/** The grace's timer never keeps the process alive by itself. */
const sleepUnref = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

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

  /**
   * Stops every controller's workers at once: no key is handed out any more (keys still queued are
   * dropped; the next process lists their objects again), reconciles in flight finish (their status
   * is written). Waits at most `graceMs` (SHUTDOWN_GRACE): past it, logs and answers the keys still
   * running and leaves them to the process's exit.
   */
  async stopWorkers(graceMs = Infinity, graceOver: (ms: number) => Promise<void> = sleepUnref): Promise<WorkersStopped> {
    const stopped = Promise.all(this.setups.map((s) => s.controller.stop())).then(() => true);
    const finished = await (Number.isFinite(graceMs) ? Promise.race([stopped, graceOver(graceMs).then(() => false)]) : stopped);
    if (finished) return { finished, stillRunning: [] };
    const stillRunning = this.setups.flatMap((s) => s.controller.inFlight.map((key) => `${s.name} ${key}`));
    this.log.error({ graceMs, stillRunning }, "shutdown grace ran out with reconciles still running; exiting without waiting for them");
    return { finished, stillRunning };
  }

  async stopWatches(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private retryFailed(): void {
    const n = this.setups.reduce((sum, s) => sum + s.controller.retryFailedNow(), 0);
    if (n) this.log.info({ keys: n }, "retrying what failed while the API server was away");
  }
}
