// The operator's own metrics: per-monitor series are read from the statuses the process holds,
// at each scrape, while it leads; nothing is kept per monitor between scrapes.
import { describe, expect, it } from "vitest";
import { OperatorMetrics, type MonitorView } from "../../src/adapters/telemetry.ts";
import type { ModelMonitorStatus } from "../../src/api/v1alpha1/modelmonitor.ts";
import { modelRolloutStatusSchema } from "../../src/api/v1alpha1/rollout.ts";
import { ageScoredIncomeUnscored } from "../support/monitors.ts";

const status = (held: { action: string; reason: string }[], extra: Partial<ModelMonitorStatus> = {}): ModelMonitorStatus => ({
  health: "Critical",
  lastEvaluationTime: "2026-12-01T00:00:00Z",
  conditions: [],
  signals: [],
  drift: [],
  findings: [],
  history: [],
  remediation: { actions: [], held: held.map((h) => ({ ...h, message: "m" })), recentStarts: [], active: 1, history: [] },
  ...extra,
});

const lines = async (m: OperatorMetrics, name: string) =>
  (await m.registry.getSingleMetricAsString(name)).split("\n").filter((l) => !l.startsWith("#") && l.trim() !== "");

function operator(monitors: MonitorView[]): OperatorMetrics {
  const m = new OperatorMetrics();
  m.monitorsFrom(() => monitors);
  m.leading(true);
  return m;
}

describe("per-monitor series", () => {
  it("modelguardian_actions_held: one per held action while the status lists it, gone with it", async () => {
    const churn: MonitorView = {
      metadata: { namespace: "ml", name: "churn" },
      status: status([
        { action: "retrain", reason: "BudgetExhausted" },
        { action: "reindex", reason: "CooldownActive" },
      ]),
    };
    const monitors = [churn];
    const m = operator(monitors);
    expect(await lines(m, "modelguardian_actions_held")).toEqual([
      'modelguardian_actions_held{namespace="ml",monitor="churn",action="retrain",reason="BudgetExhausted"} 1',
      'modelguardian_actions_held{namespace="ml",monitor="churn",action="reindex",reason="CooldownActive"} 1',
    ]);
    churn.status = status([{ action: "retrain", reason: "BudgetExhausted" }]);
    expect(await lines(m, "modelguardian_actions_held")).toEqual([
      'modelguardian_actions_held{namespace="ml",monitor="churn",action="retrain",reason="BudgetExhausted"} 1',
    ]);
    // a deleted monitor leaves the store, and its series with it
    monitors.pop();
    expect(await lines(m, "modelguardian_actions_held")).toEqual([]);
  });

  it("values, baselines, drift scores, health, counted findings and active Jobs, with label values escaped", async () => {
    const m = operator([
      {
        metadata: { namespace: "ml", name: "fraud" },
        status: status([], {
          health: "Warning",
          signals: [
            { name: "accuracy", state: "Value", value: 0.91, baseline: 0.95 },
            { name: "accuracy", segment: 'plant "a"', state: "Value", value: 0.9 },
            { name: "latency", state: "NoData" },
          ],
          drift: [ageScoredIncomeUnscored(0.12)],
          findings: [
            { type: "AccuracyDrift", severity: "warning", source: "accuracy", description: "d", since: "2026-12-01T00:00:00Z" },
            { type: "AccuracyDrift", severity: "warning", source: "accuracy", segment: "b", description: "d", since: "2026-12-01T00:00:00Z" },
          ],
        }),
      },
      // never evaluated: no health yet
      { metadata: { namespace: "ml", name: "new" }, status: { conditions: [] } },
    ]);
    expect(await lines(m, "modelguardian_signal_value")).toEqual([
      'modelguardian_signal_value{namespace="ml",monitor="fraud",signal="accuracy",segment=""} 0.91',
      'modelguardian_signal_value{namespace="ml",monitor="fraud",signal="accuracy",segment="plant \\"a\\""} 0.9',
    ]);
    expect(await lines(m, "modelguardian_signal_baseline")).toEqual([
      'modelguardian_signal_baseline{namespace="ml",monitor="fraud",signal="accuracy",segment=""} 0.95',
    ]);
    expect(await lines(m, "modelguardian_drift_score")).toEqual([
      'modelguardian_drift_score{namespace="ml",monitor="fraud",drift="inputs",feature="age",method="psi"} 0.12',
    ]);
    expect(await lines(m, "modelguardian_monitor_health")).toEqual(['modelguardian_monitor_health{namespace="ml",monitor="fraud"} 1']);
    expect(await lines(m, "modelguardian_findings")).toEqual([
      'modelguardian_findings{namespace="ml",monitor="fraud",type="AccuracyDrift",severity="warning"} 2',
    ]);
    expect(await lines(m, "modelguardian_action_jobs_active")).toEqual(['modelguardian_action_jobs_active{namespace="ml",monitor="fraud"} 1']);
  });

  it("modelguardian_rules_unjudged: the rules not judged in the last evaluation, 0 when all were, none before the first", async () => {
    const rules = (...coverage: ("Judged" | "NoBaseline" | "NoData")[]) => coverage.map((c, i) => ({ name: `spec.rules[${i}]`, rule: "r", coverage: c }));
    const fraud: MonitorView = {
      metadata: { namespace: "ml", name: "fraud" },
      status: status([], { health: "Unknown", rules: rules("Judged", "NoBaseline", "NoData") }),
    };
    const m = operator([
      fraud,
      { metadata: { namespace: "ml", name: "plain" }, status: status([]) },
      { metadata: { namespace: "ml", name: "new" }, status: { conditions: [] } },
    ]);
    expect(await lines(m, "modelguardian_rules_unjudged")).toEqual([
      'modelguardian_rules_unjudged{namespace="ml",monitor="fraud"} 2',
      'modelguardian_rules_unjudged{namespace="ml",monitor="plain"} 0',
    ]);
    fraud.status = status([], { health: "Healthy", rules: rules("Judged", "Judged", "Judged") });
    expect(await lines(m, "modelguardian_rules_unjudged")).toEqual([
      'modelguardian_rules_unjudged{namespace="ml",monitor="fraud"} 0',
      'modelguardian_rules_unjudged{namespace="ml",monitor="plain"} 0',
    ]);
  });

  it("are served only while this replica leads", async () => {
    const m = operator([{ metadata: { namespace: "ml", name: "fraud" }, status: status([]) }]);
    m.leading(false);
    expect(await lines(m, "modelguardian_monitor_health")).toEqual([]);
    m.leading(true);
    expect(await lines(m, "modelguardian_monitor_health")).toEqual(['modelguardian_monitor_health{namespace="ml",monitor="fraud"} 2']);
  });
});

describe("rollout series", () => {
  it("modelguardian_rollout_exposure_samples: set from a rolled-back rollout's status.exposure, gone after a retry and with the rollout", async () => {
    const m = operator([]);
    const rolledBack = modelRolloutStatusSchema.parse({ phase: "RolledBack", exposure: { signal: "error_rate", samples: 225 } });
    m.rollout("ml", "churn-v2", "churn", rolledBack);
    expect(await lines(m, "modelguardian_rollout_exposure_samples")).toEqual([
      'modelguardian_rollout_exposure_samples{namespace="ml",rollout="churn-v2",model="churn",signal="error_rate"} 225',
    ]);
    m.rollout("ml", "churn-v2", "churn", modelRolloutStatusSchema.parse({ phase: "Progressing" })); // retried: status.exposure cleared
    expect(await lines(m, "modelguardian_rollout_exposure_samples")).toEqual([]);
    m.rollout("ml", "churn-v2", "churn", rolledBack);
    m.forgetRollout("ml", "churn-v2");
    expect(await lines(m, "modelguardian_rollout_exposure_samples")).toEqual([]);
  });
});
