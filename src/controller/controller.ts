// Runs reconcilers: watched objects are kept in a map, their keys go through the work queue,
// a fixed number of workers reconcile one key at a time each.
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { WorkQueue } from "./workqueue.ts";
import { objectKey, type KubeObject, type Reconciler } from "./reconciler.ts";

/** A reconciler asking to run again sooner than this waits this long: never a busy loop. */
export const MIN_REQUEUE_MS = 500;

export class Controller<T extends KubeObject = KubeObject> {
  readonly queue: WorkQueue;
  private readonly objects = new Map<string, T>();
  private readonly reconciler: Reconciler<T>;
  private readonly workers: number;
  private readonly log: Logger;
  private readonly onError: (() => void) | undefined;
  private running: Promise<void>[] = [];

  constructor(o: { reconciler: Reconciler<T>; workers: number; log: Logger; queue?: WorkQueue; onError?: () => void }) {
    this.reconciler = o.reconciler;
    this.workers = o.workers;
    this.log = o.log;
    this.queue = o.queue ?? new WorkQueue();
    this.onError = o.onError;
  }

  upsert(obj: T): void {
    const key = objectKey(obj);
    const previous = this.objects.get(key);
    this.objects.set(key, obj);
    // status-only updates (most of them are our own writes) need no reconcile: the requeue
    // timer already covers periodic evaluation (controller-runtime's GenerationChangedPredicate)
    if (previous && !specOrAnnotationsChanged(previous, obj)) return;
    this.queue.add(key);
  }

  remove(obj: T): void {
    const key = objectKey(obj);
    this.objects.delete(key);
    this.queue.cancel(key);
  }

  /** Retries now every key that failed and waits out its backoff; answers how many. */
  retryFailedNow(): number {
    return this.queue.retryFailedNow();
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  start(): void {
    for (let i = 0; i < this.workers; i++) this.running.push(this.work());
  }

  /**
   * No key is handed out from now on (those still queued are dropped); resolves once the
   * reconciles in flight are done (their status written) and every worker has returned.
   */
  async stop(): Promise<void> {
    this.queue.shutdown();
    await Promise.all(this.running);
  }

  /** The keys being reconciled now. */
  get inFlight(): string[] {
    return this.queue.inFlight;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const obj = this.objects.get(key);
        if (!obj) continue;
        const result = await this.reconciler.reconcile(obj);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, Math.max(MIN_REQUEUE_MS, result.requeueAfterMs || 0));
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        this.onError?.();
        this.log.warn({ key, err: (err as Error).message, retryInMs: delay }, "reconcile failed");
      } finally {
        this.queue.done(key);
      }
    }
  }
}

export function specOrAnnotationsChanged(a: KubeObject, b: KubeObject): boolean {
  return (
    a.metadata.generation !== b.metadata.generation ||
    a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp ||
    !isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}
