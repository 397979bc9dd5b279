// The operator's own metrics: per-monitor series follow the status they were set from.
import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "../../src/adapters/telemetry.ts";
import type { ModelMonitorStatus } from "../../src/api/v1alpha1/modelmonitor.ts";

const status = (held: { action: string; reason: string }[]): ModelMonitorStatus => ({
  health: "Critical",
  conditions: [],
  signals: [],
  drift: [],
  findings: [],
  history: [],
  remediation: { actions: [], held: held.map((h) => ({ ...h, message: "m" })), recentStarts: [], active: 0, history: [] },
});

const held = async (m: OperatorMetrics) =>
  (await m.registry.getSingleMetricAsString("modelguardian_actions_held"))
    .split("\n")
    .filter((l) => !l.startsWith("#") && l.trim() !== "");

describe("modelguardian_actions_held", () => {
  it("exists for each held action while the status lists it, and goes with it", async () => {
    const m = new OperatorMetrics();
    m.evaluated("ml", "churn", status([{ action: "retrain", reason: "BudgetExhausted" }, { action: "reindex", reason: "CooldownActive" }]), 0.01);
    expect(await held(m)).toEqual([
      'modelguardian_actions_held{namespace="ml",monitor="churn",action="retrain",reason="BudgetExhausted"} 1',
      'modelguardian_actions_held{namespace="ml",monitor="churn",action="reindex",reason="CooldownActive"} 1',
    ]);
    m.evaluated("ml", "churn", status([{ action: "retrain", reason: "BudgetExhausted" }]), 0.01);
    expect(await held(m)).toEqual(['modelguardian_actions_held{namespace="ml",monitor="churn",action="retrain",reason="BudgetExhausted"} 1']);
    m.forgetMonitor("ml", "churn");
    expect(await held(m)).toEqual([]);
  });
});
