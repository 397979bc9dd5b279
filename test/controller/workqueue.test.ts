import { describe, expect, it } from "vitest";
import { WorkQueue } from "../../src/controller/workqueue.ts";

const fakeClock = () => {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
};

describe("WorkQueue", () => {
  it("deduplicates queued keys", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands a key to two workers; a key added while processing is requeued after done", async () => {
    const q = new WorkQueue();
    q.add("a");
    const key = await q.get();
    q.add("a");
    expect(q.length).toBe(0);
    q.done(key as string);
    expect(q.length).toBe(1);
  });

  it("delayed adds fire in time order and keep the earliest due time", () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("late", 5_000);
    q.addAfter("early", 1_000);
    q.addAfter("late", 9_000); // later than the existing one: ignored
    clock.t += 1_000;
    q.fire();
    expect(q.length).toBe(1);
    clock.t += 4_000;
    q.fire();
    expect(q.length).toBe(2);
    expect(q.delayed).toBe(0);
    q.shutdown();
  });

  it("cancel drops a delayed add", () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("gone", 1_000);
    q.cancel("gone");
    clock.t += 2_000;
    q.fire();
    expect(q.length).toBe(0);
    q.shutdown();
  });

  it("backs off exponentially per key and forget resets it", () => {
    const q = new WorkQueue({ clock: fakeClock(), baseBackoffMs: 100, maxBackoffMs: 1_000 });
    expect([q.addRateLimited("k"), q.addRateLimited("k"), q.addRateLimited("k"), q.addRateLimited("k"), q.addRateLimited("k")]).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    q.forget("k");
    expect(q.addRateLimited("k")).toBe(100);
    q.shutdown();
  });

  it("retryFailedNow queues every key waiting out a failure's backoff at once, and nothing else", async () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock, baseBackoffMs: 100, maxBackoffMs: 300_000 });
    for (let i = 0; i < 8; i++) q.addRateLimited("failing"); // the next try 12.8 s away
    q.addAfter("periodic", 60_000); // a requeue after a success: not a failure
    expect(q.retryFailedNow()).toBe(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("failing");
    q.done("failing");
    // its backoff fired later finds nothing to do twice; the periodic key keeps its time
    clock.t += 60_000;
    q.fire();
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("periodic");
    expect(q.retryFailedNow()).toBe(0);
    q.shutdown();
  });

  it("shutdown releases waiting workers", async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });
});

describe("WorkQueue shutdown", () => {
  it("hands out no queued key once shutdown begins and drops queued, delayed and dirty keys", async () => {
    const clock = fakeClock();
    const q = new WorkQueue({ clock });
    for (let i = 0; i < 1_000; i++) q.add(`k${i}`);
    q.addAfter("later", 1_000);
    const key = (await q.get()) as string;
    q.add(key); // dirty: would be queued again at done
    q.shutdown();
    expect(q.inFlight).toEqual([key]);
    expect(await q.get()).toBeUndefined();
    expect([q.length, q.delayed]).toEqual([0, 0]);
    q.done(key);
    expect(q.inFlight).toEqual([]);
    clock.t += 1_000;
    q.fire();
    q.add("new");
    q.addAfter("new-later", 1);
    expect([q.length, q.delayed]).toEqual([0, 0]);
    expect(await q.get()).toBeUndefined();
  });

  it("wakes an idle worker with undefined", async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });
});
