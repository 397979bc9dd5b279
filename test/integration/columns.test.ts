// What a person sees, from the real operator process: kubectl get columns that say why a rollout
// is blocked, and an operator log that tells its decisions in JSON lines with ISO times, at info,
// without a line per evaluation.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, given, kubectlOk, modelMonitor, modelRollout, ROOT, useStage, waitFor } from "../stage/index.ts";

const logName = `columns-${Date.now().toString(36)}`;
const logLines = async (): Promise<Record<string, unknown>[]> =>
  (await readFile(join(ROOT, `.local/logs/operator-${logName}.log`), "utf8"))
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const stage = useStage(given("columns-get").withOperator({ name: logName, env: { LOG_LEVEL: "info" } }), 120_000);

const rollout = modelRollout("", "blocked-v2", { version: "v2" }, "fraud");

describe("kubectl get and the operator's log", () => {
  it("a blocked rollout shows why in PHASE, REASON and MESSAGE, and follows the cause", async () => {
    const r = await apply({ ...rollout, metadata: { ...rollout.metadata, namespace: stage.ns } });
    expect(r.code, r.stderr).toBe(0);
    const table = await waitFor(
      "the rollout blocked",
      async () => {
        const out = await kubectlOk(["get", "modelrollouts", "-n", stage.ns, "-o", "wide"]);
        return /MonitorNotFound/.test(out) && out;
      },
      30_000,
    );
    const [header, row] = table.split("\n");
    expect(header).toMatch(/^NAME\s+CANDIDATE\s+STABLE\s+PHASE\s+REASON\s+STEP\s+WEIGHT\s+LAST ANALYSIS\s+MONITOR\s+MESSAGE\s+AGE/);
    expect(row).toMatch(/^blocked-v2\s+v2\s+Pending\s+MonitorNotFound\s+fraud\s+ModelMonitor fraud not found\s+/);

    // a monitor without spec.serving: the reason follows the cause
    await apply(
      modelMonitor(stage.ns, "fraud", {
        model: { name: "fraud" },
        interval: "1s",
        window: "10s",
        source: { url: "http://127.0.0.1:19999", timeout: "1s" },
        signals: [ACCURACY],
      }),
    );
    const noServing = await waitFor(
      "the rollout blocked by NoServing",
      async () => {
        const out = await kubectlOk(["get", "modelrollouts", "blocked-v2", "-n", stage.ns, "-o", "wide", "--no-headers"]);
        return /NoServing/.test(out) && out;
      },
      30_000,
    );
    expect(noServing).toMatch(/^blocked-v2\s+v2\s+Pending\s+NoServing\s+fraud\s+ModelMonitor fraud has no spec\.serving/);
  });

  it("a RetrainPolicy says why it is (not) ready, and the outcome of its latest action", async () => {
    const template = { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "train", image: "trainer:1" }] } } } };
    await apply({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "RetrainPolicy",
      metadata: { name: "retrain", namespace: stage.ns },
      spec: { actions: [{ name: "retrain", jobTemplate: template }] },
    });
    const table = await waitFor(
      "the policy's status",
      async () => {
        const out = await kubectlOk(["get", "retrainpolicies", "-n", stage.ns, "-o", "wide"]);
        return /Accepted/.test(out) && out;
      },
      30_000,
    );
    const [header, row] = table.split("\n");
    expect(header).toMatch(/^NAME\s+READY\s+REASON\s+MONITORS\s+ACTIVE\s+LAST ACTION\s+LAST OUTCOME\s+SUSPENDED\s+DRY RUN\s+LAST JOB\s+MESSAGE\s+AGE/);
    expect(row).toMatch(/^retrain\s+True\s+Accepted\s+0\s+0\s+false\s+false\s+acting for 0 ModelMonitor\(s\)\s+/);
  });

  it("the log says each decision once at info, in JSON with ISO times, and nothing per evaluation", async () => {
    // the monitor's source is unreachable: its first evaluation is Unknown, said once however often it is evaluated
    const lines = await waitFor(
      "the log lines of both decisions",
      async () => {
        const all = await logLines();
        return all.some((l) => l.reason === "HealthUnknown") && all.some((l) => l.reason === "RolloutBlocked") && all;
      },
      60_000,
    );
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const blocked = lines.filter((l) => l.reason === "RolloutBlocked");
    expect(blocked[0]).toMatchObject({ level: 40, rollout: `${stage.ns}/blocked-v2`, type: "Warning", msg: "RolloutBlocked: ModelMonitor fraud not found" });
    const unknown = lines.filter((l) => l.reason === "HealthUnknown");
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ level: 40, monitor: `${stage.ns}/fraud` });
    expect(String(unknown[0]?.msg)).toMatch(/^HealthUnknown: first evaluation: Unknown: accuracy: /);
    // it is evaluated every second; the log has no line per evaluation at info
    await waitFor(
      "a few more evaluations",
      async () => {
        const m = JSON.parse(await kubectlOk(["get", "modelmonitor", "fraud", "-n", stage.ns, "-o", "json"])) as { status?: { history?: unknown[] } };
        return (m.status?.history?.length ?? 0) >= 3;
      },
      30_000,
    );
    const after = await logLines();
    expect(after.filter((l) => l.monitor === `${stage.ns}/fraud` && l.level === 30)).toEqual([]);
    expect(after.filter((l) => l.reason === "HealthUnknown")).toHaveLength(1);
  });
});
