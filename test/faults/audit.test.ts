import { describe, expect, it } from "vitest";
import { writesByNonLeader, type Write } from "../stage/faults/audit.ts";

const w = (user: string, what: string, done: number): Write => ({ user, verb: "patch", what, received: done - 5, done, code: 200 });

describe("writesByNonLeader", () => {
  it("takes the Lease's last successful writer, for at most the lease's duration, as the holder", () => {
    const writes = [
      w("a", "leases/l", 1000),
      w("a", "modelrollouts/status/r", 2000), // a holds it
      w("b", "modelrollouts/status/r", 2500), // b never held it
      w("a", "leases/l", 3000),
      w("a", "modelrollouts/status/r", 9500), // 6.5 s after a's last renewal: b could have taken over
      w("b", "leases/l", 10_000),
      w("b", "virtualservices/model", 10_500), // b holds it now
      w("a", "virtualservices/model", 11_000), // a, held bytes landing after the heal
    ];
    expect(writesByNonLeader(writes, "l", 6).map((x) => `${x.user}@${x.done}`)).toEqual(["b@2500", "a@9500", "a@11000"]);
  });

  it("counts a write before any Lease write as a non-leader's", () => {
    expect(writesByNonLeader([w("a", "jobs/j", 1)], "l", 6)).toHaveLength(1);
  });
});
