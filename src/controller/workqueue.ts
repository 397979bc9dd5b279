// A work queue of object keys, as in controller-runtime: a key is queued at most once, never
// handed to two workers at once (a key added while it is processed is queued again when the
// worker is done), delayed adds share one timer, failures back off exponentially. Once shutdown
// begins it hands out nothing more: keys still queued are dropped, not worked off, because the next
// process lists every object again (the state lives in the API server, not here).
import type { Clock } from "../ports.ts";

export interface WorkQueueOptions {
  clock?: Clock;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly due = new Map<string, number>(); // key -> earliest due time of a delayed add
  private readonly heap: { at: number; key: string }[] = [];
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(o: WorkQueueOptions = {}) {
    this.clock = o.clock ?? { now: () => Date.now() };
    this.baseBackoffMs = o.baseBackoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 5 * 60_000;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else this.queue.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.due.get(key);
    if (existing !== undefined && existing <= at) return;
    this.due.set(key, at);
    this.push({ at, key });
    this.arm();
  }

  /** Re-queue after a failure, with exponential backoff per key. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  /**
   * Every key waiting out a failure's backoff is queued now (its failure count stays): called when
   * a watch is back after an outage, so recovery follows the API server's return, not the backoff.
   */
  retryFailedNow(): number {
    let n = 0;
    for (const key of this.failures.keys()) {
      if (!this.due.delete(key)) continue;
      this.add(key);
      n++;
    }
    return n;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Drops any delayed add of the key (for deleted objects). */
  cancel(key: string): void {
    this.due.delete(key);
    this.failures.delete(key);
  }

  /** Resolves with the next key to process, or undefined once shutdown has begun (keys still queued are never handed out then). */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /**
   * Hands out no key from now on: idle workers get undefined at once, busy ones at their next get().
   * Queued, delayed and dirty keys are dropped; the keys in flight stay until their done().
   */
  shutdown(): void {
    this.shuttingDown = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.due.clear();
    this.heap.length = 0;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The keys handed out and not yet done: what a stop waits for. */
  get inFlight(): string[] {
    return [...this.processing];
  }

  get length(): number {
    return this.queue.length;
  }
  get delayed(): number {
    return this.due.size;
  }

  private arm(): void {
    const top = this.heap[0];
    if (!top || this.shuttingDown) return;
    if (this.timer && this.timerAt <= top.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = top.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, top.at - this.clock.now()));
    this.timer.unref?.();
  }

  /** Moves every due key into the queue. Public so tests with a fake clock can drive it. */
  fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    while (this.heap.length && (this.heap[0] as { at: number }).at <= now) {
      const { at, key } = this.pop() as { at: number; key: string };
      if (this.due.get(key) !== at) continue; // superseded by an earlier add, or cancelled
      this.due.delete(key);
      this.add(key);
    }
    this.arm();
  }

  private push(item: { at: number; key: string }): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as { at: number }).at <= item.at) break;
      h[i] = h[p] as { at: number; key: string };
      i = p;
    }
    h[i] = item;
  }

  private pop(): { at: number; key: string } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!h.length || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const mAt = () => (m === i ? last.at : (h[m] as { at: number }).at);
      if (l < h.length && (h[l] as { at: number }).at < mAt()) m = l;
      if (r < h.length && (h[r] as { at: number }).at < mAt()) m = r;
      if (m === i) break;
      h[i] = h[m] as { at: number; key: string };
      i = m;
    }
    h[i] = last;
    return top;
  }
}
