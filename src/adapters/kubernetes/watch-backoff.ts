// How long a failed watch waits before it starts again. The client fires "connect" before every
// attempt, so it proves nothing: only an attempt that listed and connected resets the backoff.
// Without that, an API server that is away saw a restart every 500 ms from every informer.
// The cap is short (4 s): the watch's return is what requeues the work that failed meanwhile, so
// the cap is how late the operator notices an API server that came back, whatever the outage's
// length (with 30 s, the fault campaign saw monitors evaluated 12-15 s after a 20 s outage); an
// informer then retries at most every 2-4 s, a handful of requests a second for the operator.

export interface WatchBackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** In [0, 1): spreads the replicas' and informers' retries so they do not arrive together. */
  random?: () => number;
}

export class WatchBackoff {
  private failures = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(o: WatchBackoffOptions = {}) {
    this.baseMs = o.baseMs ?? 500;
    this.maxMs = o.maxMs ?? 4_000;
    this.random = o.random ?? Math.random;
  }

  /** An attempt failed: the wait before the next, doubling from baseMs to maxMs, each between half and all of that. */
  failed(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return Math.round(ceiling * (0.5 + 0.5 * this.random()));
  }

  /** An attempt listed and connected: the backoff starts over. Answers how many failures came before it. */
  succeeded(): number {
    const before = this.failures;
    this.failures = 0;
    return before;
  }

  get failuresInARow(): number {
    return this.failures;
  }
}
