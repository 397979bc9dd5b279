import { describe, expect, it } from "vitest";
import { decideLease, leadershipLost, observe } from "../../src/domain/leader.ts";

const T = 1_000_000;
const lease = (holder: string | undefined, renewTime = "2026-12-01T10:00:00.000000Z") => ({ holder, renewTime, durationMs: 15_000, transitions: 2 });

describe("decideLease", () => {
  it("creates a missing lease, renews its own", () => {
    expect(decideLease(undefined, observe(undefined, undefined, T), "a", T)).toEqual({ kind: "create" });
    expect(decideLease(lease("a"), observe(undefined, lease("a"), T), "a", T)).toEqual({ kind: "renew" });
  });
  it("follows a live leader until the lease has not changed for a whole duration, by its own clock", () => {
    const seen = observe(undefined, lease("b"), T);
    expect(decideLease(lease("b"), seen, "a", T + 5_000)).toEqual({ kind: "follow", holder: "b", expiresInMs: 10_000 });
    expect(decideLease(lease("b"), observe(seen, lease("b"), T + 14_999), "a", T + 14_999).kind).toBe("follow");
    expect(decideLease(lease("b"), observe(seen, lease("b"), T + 15_000), "a", T + 15_000)).toEqual({ kind: "takeOver", transitions: 3 });
  });
  it("a renewal seen restarts the count, whatever time the other replica's clock wrote", () => {
    const seen = observe(undefined, lease("b", "1999-01-01T00:00:00Z"), T);
    const renewed = observe(seen, lease("b", "1999-01-01T00:00:02Z"), T + 14_000);
    expect(renewed.at).toBe(T + 14_000);
    expect(decideLease(lease("b", "1999-01-01T00:00:02Z"), renewed, "a", T + 20_000).kind).toBe("follow");
  });
  it("takes over a released lease at once", () => {
    expect(decideLease(lease(undefined), observe(undefined, lease(undefined), T), "a", T)).toEqual({ kind: "takeOver", transitions: 3 });
    expect(decideLease(lease(""), observe(undefined, lease(""), T), "a", T).kind).toBe("takeOver");
  });
  it("a leader that could not renew within the deadline has lost", () => {
    expect(leadershipLost(T, 10_000, T + 10_000)).toBe(false);
    expect(leadershipLost(T, 10_000, T + 10_001)).toBe(true);
  });
});
