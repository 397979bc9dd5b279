// A failed watch waits longer each time in a row, up to a cap, spread by jitter; only an attempt
// that listed and connected starts it over.
import { describe, expect, it } from "vitest";
import { WatchBackoff } from "../../src/adapters/kubernetes/watch-backoff.ts";

describe("WatchBackoff", () => {
  it("doubles from 500 ms to 4 s while attempts keep failing: a returning API server is noticed within 4 s, whatever the outage's length", () => {
    const b = new WatchBackoff({ random: () => 0.999999 });
    const waits = Array.from({ length: 9 }, () => b.failed());
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000, 4_000, 4_000]);
    expect(b.failuresInARow).toBe(9);
  });

  it("waits between half and all of the ceiling, so informers and replicas do not come back together", () => {
    expect(new WatchBackoff({ random: () => 0 }).failed()).toBe(250);
    const b = new WatchBackoff({ random: () => 0.5 });
    b.failed();
    expect(b.failed()).toBe(750);
  });

  it("starts over only when an attempt succeeds, and says how many failed before it", () => {
    const b = new WatchBackoff({ random: () => 0.999999 });
    b.failed();
    b.failed();
    b.failed();
    expect(b.succeeded()).toBe(3);
    expect(b.failed()).toBe(500);
    expect(b.succeeded()).toBe(1);
    expect(b.succeeded()).toBe(0);
  });
});
