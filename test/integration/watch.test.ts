// The watch must outlive quiet periods: @kubernetes/client-node aborts a watch after 30 s
// without data (upstream issue 3020 in 2.0.0); the operator must still see new objects.
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, getJson, given, modelMonitor, useStage, waitFor } from "../stage/index.ts";

const stage = useStage(given("watch").withOperator());

describe("informer", () => {
  it("sees an object created after 45 s of silence", async () => {
    await new Promise((r) => setTimeout(r, 45_000));
    await apply(modelMonitor(stage.ns, "late", { model: { name: "nobody" }, interval: "5s", signals: [ACCURACY] }));
    const m = await waitFor(
      "the late object to be evaluated",
      async () => {
        const mm = await getJson<{ status?: { health?: string } }>("modelmonitor", "late", stage.ns);
        return mm.status?.health ? mm : undefined;
      },
      20_000,
    );
    expect(m.status?.health).toBe("Unknown");
  });
});
