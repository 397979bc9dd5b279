// The elector with a fake Lease that honours resourceVersion preconditions like the API server,
// ticked with fake timers: no real time passes.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaderElector } from "../../src/controller/leader-elector.ts";
import type { LeasePort, LeaseSpecWrite, StoredLease } from "../../src/ports.ts";

class FakeLease {
  stored: (StoredLease & { rv: number }) | undefined;
  broken = new Set<string>();
  /** Replicas whose requests never answer: a partition holds them (no error, no timeout). */
  hung = new Set<string>();
  port(identity: string): LeasePort {
    const check = () => {
      if (this.broken.has(identity)) throw new Error("connection refused");
    };
    const never = () => new Promise<never>(() => {});
    return {
      get: async () =>
        this.hung.has(identity) ? never() : (check(), this.stored ? { view: { ...this.stored.view }, resourceVersion: String(this.stored.rv) } : undefined),
      create: async (spec) => {
        check();
        if (this.stored) return false;
        this.write(spec, 1);
        return true;
      },
      update: async (rv, spec) => {
        check();
        if (!this.stored || String(this.stored.rv) !== rv) return false;
        this.write(spec, this.stored.rv + 1);
        return true;
      },
    };
  }
  private write(spec: LeaseSpecWrite, rv: number) {
    this.stored = {
      rv,
      resourceVersion: String(rv),
      view: { holder: spec.holder, durationMs: spec.durationMs, transitions: spec.transitions, renewTime: spec.renewTime.toISOString() },
    };
  }
}

const settings = (identity: string) => ({ identity, durationMs: 4000, renewDeadlineMs: 3000, retryMs: 500 });
const log = pino({ level: "silent" });
const clock = { now: () => Date.now() };

function elector(lease: FakeLease, identity: string) {
  const events: string[] = [];
  const e = new LeaderElector(
    lease.port(identity),
    settings(identity),
    { onStartedLeading: () => events.push("started"), onStoppedLeading: () => events.push("stopped") },
    clock,
    log,
  );
  return { e, events };
}

/** Two replicas on one Lease: a starts, `ms` later b starts, and `ms` pass again (a leads by then). */
async function aThenB(ms: number) {
  const lease = new FakeLease();
  const a = elector(lease, "a");
  const b = elector(lease, "b");
  a.e.start();
  await vi.advanceTimersByTimeAsync(ms);
  b.e.start();
  await vi.advanceTimersByTimeAsync(ms);
  return { lease, a, b };
}

beforeEach(() => vi.useFakeTimers({ now: Date.parse("2026-12-01T10:00:00Z") }));
afterEach(() => vi.useRealTimers());

describe("LeaderElector", () => {
  it("exactly one of two replicas leads, and keeps the lease by renewing it", async () => {
    const lease = new FakeLease();
    const a = elector(lease, "a");
    const b = elector(lease, "b");
    a.e.start();
    b.e.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect([a.e.isLeader, b.e.isLeader].filter(Boolean)).toHaveLength(1);
    expect(lease.stored?.view.holder).toBe("a");
    expect(lease.stored?.rv).toBeGreaterThan(15); // renewed every 0.5 s
    expect(a.events).toEqual(["started"]);
    expect(b.events).toEqual([]);
  });

  it("a leader that cannot reach the API server steps down after the renew deadline; the other takes over after the lease duration", async () => {
    const { lease, a, b } = await aThenB(1000);
    lease.broken.add("a"); // from t = 2 s; its last renewal was at 2 s
    await vi.advanceTimersByTimeAsync(3000);
    expect(a.events).toEqual(["started"]); // 3 s without a renewal: not yet past the deadline
    expect(b.e.isLeader).toBe(false); // 3 s since b saw the lease change: not yet run out
    await vi.advanceTimersByTimeAsync(1500);
    expect(a.events).toEqual(["started", "stopped"]);
    expect(b.e.isLeader).toBe(true); // 4 s unchanged by b's own clock
    expect(lease.stored?.view).toMatchObject({ holder: "b", transitions: 1 });
  });

  // caught by the fault campaign's leader-partition experiment (scripts/faults): a partition
  // holds requests rather than refusing them, so a renewal that never answers kept the old
  // leader leading until the partition healed, long after the other replica had taken over
  it("a leader whose renewal hangs steps down at the renew deadline, before the lease can run out", async () => {
    const { lease, a, b } = await aThenB(1000);
    lease.hung.add("a"); // its last renewal was at 2 s; every request from now on hangs
    await vi.advanceTimersByTimeAsync(2900);
    expect(a.events).toEqual(["started"]);
    await vi.advanceTimersByTimeAsync(200); // 3.1 s after the renewal: past the renew deadline (3 s)
    expect(a.events).toEqual(["started", "stopped"]);
    expect(a.e.isLeader).toBe(false);
    expect(b.e.isLeader).toBe(false); // the lease (4 s) has not run out yet: a stepped down first
    await vi.advanceTimersByTimeAsync(1500);
    expect(b.e.isLeader).toBe(true);
  });

  it("stopping releases the lease, and the other takes it at its next try", async () => {
    const { lease, a, b } = await aThenB(600);
    await a.e.stop();
    expect(lease.stored?.view.holder).toBe("");
    await vi.advanceTimersByTimeAsync(600);
    expect(b.e.isLeader).toBe(true);
    expect(a.events).toEqual(["started"]); // a stop is not a loss
  });
});
