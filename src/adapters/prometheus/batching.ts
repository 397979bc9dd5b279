// Query batching behind the MetricsSource port (domain/query-batch.ts holds the pure half).
// Queries arriving within `windowMs` of each other are coalesced: the same text is sent once,
// and queries of the same shape that differ only in their selectors' label values are sent as
// one query grouped by those labels, whose answer is split per query. The reconcilers do not
// know: each query still gets its own answer, as if sent alone.
//
// Time: a batch is sent at the evaluation time of its first query; a later one joins only if its
// own time is within `windowMs` of it, so an answer is that of a moment at most `windowMs` away
// from the one asked for (a query for a day ago joins the batch of a day ago, never today's).
// Waiting: a batch goes when `windowMs` has passed since its first query, or when it is full, or
// as soon as no query at all has come for `idleMs`: when every worker is already waiting for a
// batch, nothing more will come, and waiting out the window would only slow the workers down.
// Errors stay per query: a batched query that fails for a reason about the query (rejected,
// timed out, unparsable) is retried as the single queries it stood for; only a failure of the
// source itself (unreachable, unauthorized) is every member's answer, as it would have been.
import { batchedQuery, batchShapeKey, memberKey, parseSumIncrease, splitBatched, type SumIncreaseQuery } from "../../domain/query-batch.ts";
import type { QueryRequest, QueryResult } from "../../domain/observation.ts";
import type { MetricsSource } from "../../ports.ts";

export interface BatchingOptions {
  /** How long a batch waits for more queries after its first (ms), at most. */
  windowMs: number;
  /** Open batches go when no query came for this long (ms; default min(25, windowMs)). */
  idleMs?: number;
  now?: () => number;
  /** Distinct selectors in one batched query at most (its alternation grows with them). */
  maxMembers: number;
  /** Called for every query sent to the source: batched (with its member count) or alone. */
  onSent?: (members: number) => void;
}

/** Failures of the source itself: the single queries would meet them too. */
const SOURCE_FAILURES = new Set(["Unreachable", "Unauthorized", "CredentialsRefused", "CredentialsMissing"]);

interface Waiter {
  request: QueryRequest;
  resolve(r: QueryResult): void;
}

interface Batch {
  time: number;
  shape?: SumIncreaseQuery | undefined;
  /** By member key (the exact text for unparsed queries); waiters with the same key share one answer. */
  members: Map<string, { query?: SumIncreaseQuery; waiters: Waiter[] }>;
}

export class BatchingSource implements MetricsSource {
  private readonly source: MetricsSource;
  private readonly o: BatchingOptions;
  /** Open batches by shape (or by exact text, for queries that are only coalesced). */
  private readonly open = new Map<string, Batch[]>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private lastArrival = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(source: MetricsSource, o: BatchingOptions) {
    this.source = source;
    this.o = o;
    this.idleMs = Math.min(o.idleMs ?? 25, o.windowMs);
    this.now = o.now ?? Date.now;
  }

  /** One timer for the source, re-armed only when it fires: a query costs no timer of its own. */
  private armIdle(): void {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = undefined;
        if (this.open.size === 0) return;
        if (this.now() - this.lastArrival < this.idleMs) return this.armIdle();
        for (const [key, list] of [...this.open]) for (const batch of [...list]) if (this.close(key, batch)) void this.send(batch);
      },
      Math.max(1, this.lastArrival + this.idleMs - this.now()),
    );
  }

  query(request: QueryRequest): Promise<QueryResult> {
    const parsed = parseSumIncrease(request.expr);
    const key = parsed ? `shape|${batchShapeKey(parsed)}` : `text|${request.expr}`;
    const member = parsed ? JSON.stringify(Object.keys(parsed.labels).map((k) => parsed.labels[k])) : request.expr;
    this.lastArrival = this.now();
    this.armIdle();
    return new Promise((resolve) => {
      const batch = this.batchFor(key, request.time, parsed);
      let m = batch.members.get(member);
      if (!m) batch.members.set(member, (m = { ...(parsed ? { query: parsed } : {}), waiters: [] }));
      m.waiters.push({ request, resolve });
      // a full batch goes at once; a later query of its shape opens the next one
      if (batch.members.size >= this.o.maxMembers && this.close(key, batch)) void this.send(batch);
    });
  }

  private batchFor(key: string, time: number, shape: SumIncreaseQuery | undefined): Batch {
    let list = this.open.get(key);
    if (!list) this.open.set(key, (list = []));
    const near = list.find((b) => Math.abs(b.time - time) <= this.o.windowMs);
    if (near) return near;
    const batch: Batch = { time, shape, members: new Map() };
    list.push(batch);
    // not unref'd: a query waiting for its batch keeps the process alive, as a query in flight does
    setTimeout(() => {
      if (this.close(key, batch)) void this.send(batch);
    }, this.o.windowMs);
    return batch;
  }

  /** Takes the batch out of the open ones; false when it already was. */
  private close(key: string, batch: Batch): boolean {
    const list = this.open.get(key);
    const i = list?.indexOf(batch) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.open.delete(key);
    return true;
  }

  /** One member's own query, answered to each of its waiters (a lone waiter at its own time). */
  private async alone(m: { waiters: Waiter[] }, time: number): Promise<void> {
    const first = m.waiters[0] as Waiter;
    this.o.onSent?.(1);
    const answer = await this.ask({ expr: first.request.expr, time: m.waiters.length === 1 ? first.request.time : time });
    for (const w of m.waiters) w.resolve(answer);
  }

  /** The source never throws by its contract; should it, the waiters still get an answer. */
  private async ask(request: QueryRequest): Promise<QueryResult> {
    try {
      return await this.source.query(request);
    } catch (err) {
      return { kind: "error", error: "Unreachable", message: (err as Error).message };
    }
  }

  private async send(batch: Batch): Promise<void> {
    const members = [...batch.members.values()];
    // one distinct query (or text that is only coalesced): sent as it is
    if (members.length === 1 || !batch.shape) {
      await Promise.all(members.map((m) => this.alone(m, batch.time)));
      return;
    }
    const batched = batchedQuery(members.map((m) => m.query as SumIncreaseQuery));
    this.o.onSent?.(members.length);
    const answer = await this.ask({ expr: batched.expr, time: batch.time });
    if (answer.kind === "error" && !SOURCE_FAILURES.has(answer.error)) {
      // a failure about the query: each member asks alone, so one member's trouble stays its own
      await Promise.all(members.map((m) => this.alone(m, batch.time)));
      return;
    }
    if (answer.kind === "error") {
      for (const m of members) for (const w of m.waiters) w.resolve(answer);
      return;
    }
    const split = splitBatched(answer.samples, batched.differing, (batch.shape as SumIncreaseQuery).by);
    for (const m of members) {
      const samples = split.get(memberKey((m.query as SumIncreaseQuery).labels, batched.differing)) ?? [];
      for (const w of m.waiters) w.resolve({ kind: "vector", samples });
    }
  }
}
