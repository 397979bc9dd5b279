// How often the running operator writes a monitor's status, counted on the real API server's
// watch: a steady model (only its values move) costs one write per 5 evaluations, every write
// carries the evaluations since the last, and a change of health is written at the evaluation
// that found it.
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { apply, env, getJson, given, metricSum, modelMonitor, useStage, waitFor, watching } from "../stage/index.ts";

interface Status {
  health?: string;
  lastEvaluationTime?: string;
  history?: { time: string; health: string }[];
}

const model = `steady-${Date.now().toString(36)}`;

const stage = useStage(
  given("refresh")
    .withModel({ model, version: "v1", segments: { "plant-a": { requestsPerSecond: 60, accuracy: 0.93 } }, seed: 11 })
    .withOperator(),
);

const evaluations = () => metricSum(stage.operator, "modelguardian_evaluations_total");

/** Every status the API server sends on a watch of the monitor, from now on. */
async function watchStatuses(name: string): Promise<{ seen: Status[]; stop(): void }> {
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG as string);
  const seen: Status[] = [];
  const request = await new Watch(kc).watch(
    `/apis/modelguardian.dev/v1alpha1/namespaces/${stage.ns}/modelmonitors`,
    { fieldSelector: `metadata.name=${name}` },
    (type: string, obj: { status?: Status }) => {
      if (type === "MODIFIED") seen.push(obj.status ?? {});
    },
    () => undefined,
  );
  return { seen, stop: () => request.abort() };
}

describe("status writes of a running operator", () => {
  it("a steady model's status is written once per 5 evaluations; a change of health at once", async () => {
    const r = await apply(
      modelMonitor(stage.ns, "steady", {
        ...watching(model, "1s", "10s", 50),
        rules: [{ signal: "accuracy", min: { critical: 0.85 } }],
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    await waitFor(
      "a Healthy status",
      async () => (await getJson<{ status?: Status }>("modelmonitor", "steady", stage.ns)).status?.health === "Healthy",
      60_000,
    );

    // the values move at every evaluation (new samples), the state does not
    const watch = await watchStatuses("steady");
    const before = await evaluations();
    await new Promise((r) => setTimeout(r, 16_000));
    const evaluated = (await evaluations()) - before;
    const steady = [...watch.seen];
    expect(evaluated).toBeGreaterThanOrEqual(10);
    expect(steady.every((s) => s.health === "Healthy")).toBe(true);
    // one write per 5 evaluations (window 5 × 1 s), at least one in 16 s; never one per evaluation
    expect(steady.length).toBeGreaterThanOrEqual(2);
    expect(steady.length).toBeLessThanOrEqual(Math.ceil(evaluated / 5) + 1);
    // each write carries the history of the evaluations whose write waited
    for (const [a, b] of steady.slice(1).map((s, i) => [steady[i] as Status, s] as const)) {
      const gap = Date.parse(b.lastEvaluationTime ?? "") - Date.parse(a.lastEvaluationTime ?? "");
      expect(gap).toBeGreaterThanOrEqual(4_000);
      const added = (b.history ?? []).filter((h) => Date.parse(h.time) > Date.parse(a.lastEvaluationTime ?? "")).length;
      expect(added).toBeGreaterThanOrEqual(4);
    }

    // the model degrades right after a write, so that the next values-only write is 5
    // evaluations away: the first Critical status written is the evaluation that found it
    const writes = watch.seen.length;
    await waitFor("the next write", async () => watch.seen.length > writes, 15_000, 20);
    stage.sim.setBehaviour({ accuracy: 0 });
    const critical = await waitFor("a Critical status", async () => watch.seen.find((s) => s.health === "Critical"), 60_000, 100);
    watch.stop();
    const history = critical.history ?? [];
    expect(history.at(-1)?.health).toBe("Critical");
    expect(history.at(-2)?.health).not.toBe("Critical");
    expect(history.at(-1)?.time).toBe(critical.lastEvaluationTime);
  });
});
