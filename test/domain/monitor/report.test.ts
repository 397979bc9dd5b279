// The governance report: the right numbers in the right rows, the period applied to history and
// actions, one recommendation per problem, safe Markdown, and the same text for the same input.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import type { ActionRecord } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import {
  boundedReport,
  recommendedActions,
  renderGovernanceReport,
  reportConfigMapName,
  reportDue,
  reportOverwriteRefusal,
  type ReportInput,
} from "../../../src/domain/monitor/report.ts";
import { ACCURACY_AND_P95_LATENCY, featureDrift, FRAUD_DETECTOR, quietFeatureDrift } from "../../support/monitors.ts";

const NOW = Date.parse("2026-03-08T12:00:00Z");
const WEEK_AGO = Date.parse("2026-03-01T12:00:00Z");

const spec = modelMonitorSpecSchema.parse({
  ...FRAUD_DETECTOR,
  signals: [
    ...ACCURACY_AND_P95_LATENCY,
    { name: "low_confidence_share", histogram: { metric: "model_prediction_confidence", measure: "shareBelow", threshold: 0.75 } },
    { name: "refusal_rate", ratio: { numerator: { metric: "refusals_total" }, denominator: { metric: "requests_total" } } },
    { name: "rmse", regression: { count: "scored_total", squaredErrorSum: "squared_error_sum", measure: "rmse" } },
  ],
  rules: [{ signal: "accuracy", baseline: { offset: "7d" }, maxDrop: { warning: 0.05, critical: 0.1 } }],
  drift: [featureDrift({ offset: "7d" })],
  fairness: [{ signal: "accuracy", groupLabel: "group" }],
});

/** A healthy evaluation of every signal, overall and per plant. */
const healthy = (): ModelMonitorStatus =>
  modelMonitorStatusSchema.parse({
    health: "Healthy",
    lastEvaluationTime: "2026-03-08T11:45:00.000Z",
    signals: [
      { name: "accuracy", state: "Value", value: 0.93, baseline: 0.92, samples: 5000 },
      { name: "p95_latency", state: "Value", value: 0.21, baseline: 0.2, samples: 5000 },
      { name: "low_confidence_share", state: "Value", value: 0.1, samples: 5000 },
      { name: "refusal_rate", state: "Value", value: 0.01, baseline: 0, samples: 5000 },
      { name: "rmse", state: "Value", value: 12.5, samples: 5000 },
    ],
    drift: [
      quietFeatureDrift([{ feature: "amount", state: "Value", score: 0.01, pValue: 0.8, severity: "none", referenceSamples: 10000, currentSamples: 9000 }]),
    ],
  });

const job = (time: string, name: string, outcome: ActionRecord["outcome"], extra: Partial<ActionRecord> = {}): ActionRecord => ({
  time,
  action: "retrain",
  purpose: "retrain",
  trigger: name,
  reason: "AccuracyDrift on accuracy",
  severity: "critical",
  job: name,
  attempt: 1,
  outcome,
  ...extra,
});

/** A bad week: accuracy fell in one plant, inputs drifted, a Job failed, a version was quarantined. */
const troubled = (): ModelMonitorStatus => {
  const s = healthy();
  return {
    ...s,
    health: "Critical",
    stableVersion: "v3",
    signals: [
      // the evaluation may list a segment before the overall value: the overall row still comes first
      { name: "accuracy", segment: "berlin", state: "Value", value: 0.95, baseline: 0.94, samples: 812 },
      { name: "accuracy", state: "Value", value: 0.8123456, baseline: 0.9, samples: 5000 },
      { name: "accuracy", segment: "paris", state: "NoData", reason: "TooFewSamples", message: "40 samples < 100", samples: 40 },
      { name: "p95_latency", state: "Error", reason: "PrometheusUnreachable", message: "connect ECONNREFUSED" },
      ...s.signals.filter((x) => x.name !== "accuracy" && x.name !== "p95_latency"),
    ],
    drift: [
      {
        name: "inputs",
        method: "psi",
        state: "Value",
        driftedFeatures: ["amount", "country"],
        driftedShare: 0.6667,
        datasetDrift: true,
        features: [
          { feature: "amount", state: "Value", score: 0.31234, pValue: 0.0001234, severity: "critical", referenceSamples: 10000, currentSamples: 9000 },
          { feature: "country", state: "Value", score: 0.12, pValue: 0.01, severity: "warning", referenceSamples: 10000, currentSamples: 9000 },
          { feature: "device", state: "InsufficientData", reason: "too few samples", referenceSamples: 50, currentSamples: 20 },
        ],
      },
    ],
    findings: [
      {
        type: "AccuracyDrift",
        severity: "critical",
        source: "accuracy",
        segment: "berlin",
        description: "accuracy | plant berlin\nfell",
        since: "2026-03-08T10:00:00.000Z",
      },
      {
        type: "DataDrift",
        severity: "critical",
        source: "inputs",
        description: "data drift in 2 of 3 features",
        since: "2026-03-08T09:00:00.000Z",
        features: ["country", "amount"],
      },
    ],
    history: [
      { time: "2026-02-28T00:00:00.000Z", health: "Critical", findings: 1 },
      { time: "2026-03-02T00:00:00.000Z", health: "Healthy", findings: 0 },
      { time: "2026-03-05T00:00:00.000Z", health: "Warning", findings: 1 },
      { time: "2026-03-08T11:45:00.000Z", health: "Critical", findings: 2 },
    ],
    remediation: {
      actions: [],
      recentStarts: [],
      active: 0,
      held: [{ action: "retrain", reason: "CooldownActive", message: "cooldown of 6h since the last Job.", until: "2026-03-08T18:00:00.000Z" }],
      history: [
        job("2026-03-07T10:00:00.000Z", "fraud-retrain-abc-1", "Failed", { message: "OOMKilled" }),
        job("2026-03-03T10:00:00.000Z", "fraud-retrain-def-1", "Succeeded", { version: "v4" }),
        job("2026-02-20T10:00:00.000Z", "fraud-retrain-old-1", "Failed"),
      ],
    },
    versions: [
      { version: "v4", state: "Quarantined", rollout: "fraud-v4", time: "2026-03-05T00:00:00.000Z", reason: "canary accuracy fell" },
      { version: "v3", state: "Stable", time: "2026-02-01T00:00:00.000Z" },
      { version: "v2", state: "Previous", time: "2026-02-01T00:00:00.000Z" },
    ],
    rollout: { name: "fraud-v4", candidate: "v4", phase: "RolledBack" },
  };
};

const input = (status: ModelMonitorStatus, extra: Partial<ReportInput> = {}): ReportInput => ({
  namespace: "ml",
  name: "fraud",
  spec,
  status,
  now: NOW,
  periodStart: WEEK_AGO,
  ...extra,
});
const render = (status: ModelMonitorStatus, extra: Partial<ReportInput> = {}) => renderGovernanceReport(input(status, extra));

/** The text of one `## ` section, up to the next. */
function section(report: string, title: string): string {
  const start = report.indexOf(`\n## ${title}\n`);
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const end = report.indexOf("\n## ", start + 1);
  return report.slice(start, end < 0 ? undefined : end);
}
/** The table rows of a block whose first cell is `first`, as cells. */
const rows = (text: string, first: string): string[][] =>
  text
    .split("\n")
    .filter((l) => l.startsWith(`| ${first} |`))
    .map((l) => l.slice(2, -2).split(/(?<!\\) \| /));
/** Cell separators of a table line, ignoring escaped characters. */
const pipes = (line: string) => line.replace(/\\./g, "").split("|").length - 1;

describe("header", () => {
  it("names the model, the monitor, the serving version, the health and the period", () => {
    const r = render(troubled());
    expect(r.startsWith("# Model report: fraud-detector\n")).toBe(true);
    expect(r).toContain("- Monitor: `ml/fraud`");
    expect(r).toContain("- Serving version: v3");
    expect(r).toContain("- Health: Critical");
    expect(r).toContain("- Period: 2026-03-01T12:00:00.000Z to 2026-03-08T12:00:00.000Z");
    expect(r).toContain("- Last evaluation: 2026-03-08T11:45:00.000Z");
    expect(r).toContain("- Generated: 2026-03-08T12:00:00.000Z");
  });
  it("the serving version follows a promotion, falls back to the declared one, else unknown", () => {
    expect(render({ ...healthy(), stableVersion: "v7" })).toContain("- Serving version: v7");
    expect(render(healthy())).toContain("- Serving version: v3");
    const undeclared = modelMonitorSpecSchema.parse({ ...spec, model: { name: "fraud-detector" } });
    expect(render(healthy(), { spec: undeclared })).toContain("- Serving version: unknown");
  });
  it("the first report has no period start", () => {
    expect(render(healthy(), { periodStart: undefined })).toContain("- Period: first report to 2026-03-08T12:00:00.000Z");
  });
  it("sections come in order", () => {
    const r = render(troubled());
    const at = ["## KPIs", "## Rules", "## Drift", "## Findings", "## Trend", "## Actions taken", "## Recommended actions"].map((h) => r.indexOf(`\n${h}\n`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});

describe("KPIs", () => {
  const kpis = section(render(troubled()), "KPIs");
  it("headings say what each signal measures", () => {
    expect(kpis).toContain("### accuracy (classification accuracy)\n");
    expect(kpis).toContain("### p95_latency (histogram quantile 0.95)\n");
    expect(kpis).toContain("### low_confidence_share (histogram share below 0.75)\n");
    expect(kpis).toContain("### refusal_rate (ratio refusals_total / requests_total)\n");
    expect(kpis).toContain("### rmse (regression rmse)\n");
  });
  it("the overall row comes first, then the segments, each with its own numbers", () => {
    const accuracy = kpis.slice(kpis.indexOf("### accuracy"), kpis.indexOf("### p95_latency"));
    const segments = accuracy
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| Segment"))
      .map((l) => l.split(" | ")[0]);
    expect(segments).toEqual(["| overall", "| plant=berlin", "| plant=paris"]);
    expect(rows(accuracy, "overall")).toEqual([["overall", "0.8123", "0.9", "-9.7%", "5000", "Value"]]);
    expect(rows(accuracy, "plant=berlin")).toEqual([["plant=berlin", "0.95", "0.94", "+1.1%", "812", "Value"]]);
    expect(rows(accuracy, "plant=paris")).toEqual([["plant=paris", "—", "—", "—", "40", "NoData (TooFewSamples: 40 samples < 100)"]]);
  });
  it("errors show their reason; no change against a zero or a missing baseline", () => {
    const latency = kpis.slice(kpis.indexOf("### p95_latency"), kpis.indexOf("### low_confidence_share"));
    expect(rows(latency, "overall")).toEqual([["overall", "—", "—", "—", "—", "Error (PrometheusUnreachable: connect ECONNREFUSED)"]]);
    const refusal = kpis.slice(kpis.indexOf("### refusal_rate"), kpis.indexOf("### rmse"));
    expect(rows(refusal, "overall")[0]?.[3]).toBe("—");
    expect(rows(kpis.slice(kpis.indexOf("### rmse")), "overall")[0]?.slice(1, 4)).toEqual(["12.5", "—", "—"]);
  });
  it("a signal of the spec without a result says so", () => {
    const s = healthy();
    const r = section(render({ ...s, signals: s.signals.filter((x) => x.name !== "rmse") }), "KPIs");
    expect(r).toContain("### rmse (regression rmse)\n\nNo value recorded.");
  });
});

describe("rules", () => {
  const young = (): ModelMonitorStatus => ({
    ...healthy(),
    health: "Unknown",
    signals: [{ name: "accuracy", state: "Value", value: 0.93, samples: 5000 }, ...healthy().signals.filter((x) => x.name !== "accuracy")],
    rules: [
      {
        name: "spec.rules[0]",
        rule: "accuracy maxDrop, baseline 7d ago",
        coverage: "NoBaseline",
        message: "the baseline window 7d ago has no value yet (NoSeries: no series of model_predictions_total matched in the window)",
        unjudgedSegments: 2,
      },
    ],
    judgedRules: "0/1",
  });
  it("lists each rule with its coverage and why it was not judged", () => {
    const rules = section(render(young()), "Rules");
    expect(rules).toContain("0 of 1 rules judged in the last evaluation.");
    expect(rows(rules, "spec.rules[0]")).toEqual([
      [
        "spec.rules[0]",
        "accuracy maxDrop, baseline 7d ago",
        "NoBaseline",
        "the baseline window 7d ago has no value yet (NoSeries: no series of model_predictions_total matched in the window); 2 segments not judged",
      ],
    ]);
    expect(
      section(render({ ...healthy(), rules: [{ name: "spec.rules[0]", rule: "accuracy maxDrop, baseline 7d ago", coverage: "Judged" }] }), "Rules"),
    ).toContain("1 of 1 rules judged");
    expect(section(render(healthy()), "Rules")).toContain("No rule results recorded.");
  });
  it("a missing baseline names the rules instead of a dash, and is a recommendation of its own", () => {
    const r = render(young());
    expect(rows(section(r, "KPIs"), "overall")[0]?.slice(0, 3)).toEqual(["overall", "0.93", "none yet: spec.rules[0] not judged (NoBaseline)"]);
    expect(recommendedActions(spec, young())).toContain(
      "Rules not judged protect nothing until their baseline has a value: spec.rules[0] (accuracy maxDrop, baseline 7d ago: the baseline window 7d ago has no value yet (NoSeries: no series of model_predictions_total matched in the window)).",
    );
  });
});

describe("drift", () => {
  const drift = section(render(troubled()), "Drift");
  it("states the method, the spec's thresholds and the verdict", () => {
    expect(drift).toContain("### inputs\n");
    expect(drift).toContain("- Method: psi");
    expect(drift).toContain("- Thresholds: warning 0.1, critical 0.25; alpha 0.05 (bonferroni correction); dataset drift from 50% of features");
    expect(drift).toContain("- Reference: window ending 7d ago");
    expect(drift).toContain("- State: Value");
    expect(drift).toContain("- Dataset drift: yes");
    expect(drift).toContain("- Drifted share: 66.67% (amount, country)");
  });
  it("one row per feature with its score, p-value, severity and samples", () => {
    expect(rows(drift, "amount")).toEqual([["amount", "0.3123", "0.0001234", "critical", "Value", "10000", "9000"]]);
    expect(rows(drift, "country")).toEqual([["country", "0.12", "0.01", "warning", "Value", "10000", "9000"]]);
    expect(rows(drift, "device")).toEqual([["device", "—", "—", "—", "InsufficientData (too few samples)", "50", "20"]]);
  });
  it("no drift", () => {
    expect(section(render(healthy()), "Drift")).toContain("- Dataset drift: no");
  });
});

describe("findings", () => {
  it("one row per finding; a | or a newline in a description does not break the table", () => {
    const findings = section(render(troubled()), "Findings");
    const lines = findings.split("\n").filter((l) => l.startsWith("|"));
    expect(lines).toHaveLength(4); // header, rule, two findings
    expect(lines.map(pipes)).toEqual([7, 7, 7, 7]);
    expect(lines[2]).toBe("| critical | AccuracyDrift | accuracy | plant=berlin | accuracy \\| plant berlin fell | 2026-03-08T10:00:00.000Z |");
    expect(lines[3]).toBe("| critical | DataDrift | inputs | — | data drift in 2 of 3 features | 2026-03-08T09:00:00.000Z |");
  });
  it("escapes backslashes too, so an escaped pipe stays escaped", () => {
    const s = troubled();
    const findings = section(render({ ...s, findings: [{ ...s.findings[0]!, description: "a \\| b" }] }), "Findings");
    const row = findings.split("\n").find((l) => l.startsWith("| critical"));
    expect(row && pipes(row)).toBe(7);
  });
  it("None when there is none", () => {
    expect(section(render(healthy()), "Findings").trim()).toBe("## Findings\n\nNone.");
  });
});

describe("trend", () => {
  it("counts only the evaluations of the period", () => {
    const trend = section(render(troubled()), "Trend");
    expect(trend).toContain("- Evaluations: 3 (Healthy 1, Warning 1, Critical 1)");
    expect(trend).toContain("- First: 2026-03-02T00:00:00.000Z");
    expect(trend).toContain("- Last: 2026-03-08T11:45:00.000Z");
    expect(trend).toContain("- With findings: 2 of 3");
  });
  it("the first report counts every evaluation", () => {
    const trend = section(render(troubled(), { periodStart: undefined }), "Trend");
    expect(trend).toContain("- Evaluations: 4 (Healthy 1, Warning 1, Critical 2)");
    expect(trend).toContain("- First: 2026-02-28T00:00:00.000Z");
  });
  it("compares times, not text: an offset time inside the period counts", () => {
    const s = { ...healthy(), history: [{ time: "2026-03-01T13:30:00+02:00", health: "Healthy" as const, findings: 0 }] }; // 11:30Z, before the period
    expect(section(render(s), "Trend")).toContain("No evaluations recorded in the period.");
    const later = { ...s, history: [{ time: "2026-03-01T15:30:00+02:00", health: "Healthy" as const, findings: 0 }] }; // 13:30Z
    expect(section(render(later), "Trend")).toContain("- Evaluations: 1 (Healthy 1)");
  });
});

describe("actions taken", () => {
  const actions = section(render(troubled()), "Actions taken");
  it("lists the Jobs of the period only", () => {
    expect(rows(actions, "2026-03-07T10:00:00.000Z")).toEqual([
      ["2026-03-07T10:00:00.000Z", "retrain", "retrain", "AccuracyDrift on accuracy", "fraud-retrain-abc-1", "Failed", "—"],
    ]);
    expect(rows(actions, "2026-03-03T10:00:00.000Z")[0]?.slice(4)).toEqual(["fraud-retrain-def-1", "Succeeded", "v4"]);
    expect(actions).not.toContain("fraud-retrain-old-1");
    expect(section(render(troubled(), { periodStart: undefined }), "Actions taken")).toContain("fraud-retrain-old-1");
  });
  it("held actions, the versions and the last rollout", () => {
    expect(rows(actions, "retrain").find((r) => r[1] === "CooldownActive")).toEqual([
      "retrain",
      "CooldownActive",
      "cooldown of 6h since the last Job.",
      "2026-03-08T18:00:00.000Z",
    ]);
    expect(rows(actions, "v4")).toEqual([["v4", "Quarantined", "fraud-v4", "2026-03-05T00:00:00.000Z", "canary accuracy fell"]]);
    expect(rows(actions, "v2")[0]?.[1]).toBe("Previous");
    expect(actions).toContain("### Last rollout\n\n- fraud-v4: candidate v4, phase RolledBack");
  });
  it("a rollout in progress", () => {
    const r = section(
      render({ ...healthy(), rollout: { name: "fraud-v5", candidate: "v5", phase: "Progressing", stepIndex: 1, weight: 25 } }),
      "Actions taken",
    );
    expect(r).toContain("### Rollout in progress\n\n- fraud-v5: candidate v5, phase Progressing, step 1, weight 25%");
  });
  it("nothing done", () => {
    const r = section(render(healthy()), "Actions taken");
    expect(r).toContain("### Jobs\n\nNone in the period.");
    expect(r).not.toContain("### Held actions");
    expect(r).not.toContain("### Versions");
  });
});

describe("recommendedActions", () => {
  const actions = recommendedActions(spec, troubled(), WEEK_AGO);
  it("performance findings: retrain or roll back to the Previous version", () => {
    expect(actions).toContain("Retrain the model or roll back to the previous version v2: performance findings on accuracy [plant=berlin] (critical).");
    const s = troubled();
    const noPrevious = recommendedActions(spec, { ...s, versions: s.versions?.filter((v) => v.state !== "Previous") });
    expect(noPrevious[0]).toBe("Retrain the model or roll back to the previous version: performance findings on accuracy [plant=berlin] (critical).");
  });
  it("drift findings: investigate the drifted features, named in order", () => {
    expect(actions).toContain("Investigate the drifted features of inputs (amount, country) and consider retraining on recent data.");
  });
  it("embedding drift names what its drift status names", () => {
    const s = {
      ...healthy(),
      drift: [{ name: "queries", method: "cosine", state: "Value" as const, driftedFeatures: ["centroid"], features: [] }],
      findings: [
        {
          type: "EmbeddingDrift" as const,
          severity: "warning" as const,
          source: "queries",
          description: "cosine distance 0.3",
          since: "2026-03-08T10:00:00.000Z",
        },
      ],
    };
    expect(recommendedActions(spec, s)).toEqual(["Investigate the drifted features of queries (centroid) and consider retraining on recent data."]);
  });
  it("signals without a value: fix the metrics pipeline, with the reasons", () => {
    expect(actions).toContain("Fix the metrics pipeline: accuracy [plant=paris] (NoData: TooFewSamples), p95_latency (Error: PrometheusUnreachable).");
  });
  it("held actions: what holds them and until when", () => {
    expect(actions).toContain("Action retrain is held by CooldownActive until 2026-03-08T18:00:00.000Z: cooldown of 6h since the last Job.");
  });
  it("a quarantined version must not be redeployed", () => {
    expect(actions).toContain("Version v4 is quarantined (canary accuracy fell): it must not be redeployed without a fix.");
  });
  it("failed Jobs of the period: inspect them", () => {
    expect(actions).toContain("Inspect Job fraud-retrain-abc-1 (action retrain, Failed at 2026-03-07T10:00:00.000Z): OOMKilled.");
    expect(actions.join("\n")).not.toContain("fraud-retrain-old-1");
    expect(recommendedActions(spec, troubled()).join("\n")).toContain("Inspect Job fraud-retrain-old-1");
  });
  it("fairness findings", () => {
    const s = {
      ...healthy(),
      findings: [
        {
          type: "Fairness" as const,
          severity: "warning" as const,
          source: "accuracy",
          segment: "group=b",
          description: "unfair",
          since: "2026-03-08T10:00:00.000Z",
        },
      ],
    };
    expect(recommendedActions(spec, s)).toEqual(["Review the fairness of accuracy [group=b] (warning) and consider retraining on more representative data."]);
  });
  it("signals never evaluated and a suspended monitor", () => {
    const empty: ModelMonitorStatus = { conditions: [], signals: [], drift: [], findings: [], history: [] };
    expect(recommendedActions({ ...spec, suspend: true }, empty)).toEqual([
      "Check that the monitor is evaluated: no result is recorded for accuracy, p95_latency, low_confidence_share, refusal_rate, rmse.",
      "Resume the monitor (spec.suspend is true) to get current results.",
    ]);
  });
  it("nothing wrong: one line", () => {
    expect(recommendedActions(spec, healthy())).toEqual(["No action needed: all signals are within their rules."]);
    expect(section(render(healthy()), "Recommended actions").trim()).toBe("## Recommended actions\n\n- No action needed: all signals are within their rules.");
  });
  it("the report lists them as bullets, in the same order", () => {
    const bullets = section(render(troubled()), "Recommended actions")
      .split("\n")
      .filter((l) => l.startsWith("- "));
    expect(bullets).toEqual(actions.map((a) => `- ${a}`));
  });
});

describe("robustness", () => {
  it("the same input gives the same text", () => {
    const a = render(troubled());
    expect(render(troubled())).toBe(a);
    expect(renderGovernanceReport(structuredClone(input(troubled())))).toBe(a);
  });
  it.each([
    ["only a health", modelMonitorStatusSchema.parse({ health: "Unknown" })],
    ["an empty status", { conditions: [], signals: [], drift: [], findings: [], history: [] } satisfies ModelMonitorStatus],
    ["the troubled week", troubled()],
  ])("no undefined or NaN for %s", (_name, status) => {
    for (const periodStart of [undefined, WEEK_AGO]) {
      const r = render(status, { periodStart });
      expect(r).not.toMatch(/undefined|NaN|null/);
      expect(r.endsWith("\n")).toBe(true);
      expect(r).not.toMatch(/\n\n\n/);
    }
  });
  it("non-finite and missing numbers become dashes", () => {
    const s = { ...healthy(), signals: [{ name: "accuracy", state: "Value" as const, value: Number.NaN, baseline: 0.9 }] };
    const accuracy = section(render(s), "KPIs");
    expect(rows(accuracy, "overall")).toEqual([["overall", "—", "0.9", "—", "—", "Value"]]);
  });
  it("a spec with nothing to watch", () => {
    const bare = modelMonitorSpecSchema.parse({ model: { name: "m" } });
    const r = render(modelMonitorStatusSchema.parse({}), { spec: bare });
    expect(section(r, "KPIs")).toContain("No signals configured.");
    expect(section(r, "Drift")).toContain("No drift checks configured.");
    expect(r).not.toMatch(/undefined|NaN/);
  });
});

describe("the report's schedule and ConfigMap", () => {
  const weekly = modelMonitorSpecSchema.parse({ model: { name: "fraud" }, report: {} });
  const last = "2026-03-01T12:00:00.000Z";
  it("is due at once the first time, then once `every` (default 7d) has passed since the last", () => {
    expect(weekly.report).toEqual({ every: "7d" });
    expect(reportDue(weekly, "fraud", {}, NOW)).toEqual({ due: true, configMap: "fraud-report" });
    const report = { configMap: "fraud-report", lastTime: last };
    expect(reportDue(weekly, "fraud", { report }, Date.parse(last) + 7 * 86_400_000 - 1)).toEqual({ due: false });
    expect(reportDue(weekly, "fraud", { report }, Date.parse(last) + 7 * 86_400_000)).toEqual({
      due: true,
      configMap: "fraud-report",
      periodStart: Date.parse(last),
    });
    expect(reportDue(modelMonitorSpecSchema.parse({ model: { name: "fraud" } }), "fraud", {}, NOW)).toEqual({ due: false });
  });
  it("a renamed ConfigMap or an unreadable last time starts afresh", () => {
    const renamed = modelMonitorSpecSchema.parse({ model: { name: "fraud" }, report: { configMapName: "weekly" } });
    expect(reportDue(renamed, "fraud", { report: { configMap: "fraud-report", lastTime: last } }, NOW)).toEqual({ due: true, configMap: "weekly" });
    expect(reportDue(weekly, "fraud", { report: { configMap: "fraud-report", lastTime: "yesterday" } }, NOW)).toEqual({ due: true, configMap: "fraud-report" });
  });
  it("names the ConfigMap after the monitor, within 253 characters, distinctly", () => {
    expect(reportConfigMapName("fraud", weekly)).toBe("fraud-report");
    const long = "a".repeat(250);
    const name = reportConfigMapName(long, weekly);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^a+-[0-9a-z]{10}-report$/);
    expect(reportConfigMapName(`${"a".repeat(249)}b`, weekly)).not.toBe(name);
  });
  it("the API refuses a schedule under a minute and a ConfigMap name that is no DNS name", () => {
    expect(modelMonitorSpecSchema.safeParse({ model: { name: "f" }, report: { every: "30s" } }).success).toBe(false);
    expect(modelMonitorSpecSchema.safeParse({ model: { name: "f" }, report: { configMapName: "Weekly_Report" } }).success).toBe(false);
  });
  it("a report too large for a ConfigMap is cut at a line and says so", () => {
    const big = Array.from({ length: 2000 }, (_, i) => `| row ${i} | ${"x".repeat(40)} |`).join("\n");
    const cut = boundedReport(big, 10_000);
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(10_000);
    expect(cut).toMatch(/\|\n\n_The report was cut at 10000 bytes of \d+: the full figures are in the monitor's status\._\n$/);
    expect(boundedReport("small\n", 10_000)).toBe("small\n");
  });
});

describe("whose ConfigMap", () => {
  const monitor = { name: "fraud", uid: "u-1" };
  it("replaces only a ConfigMap that names the monitor as its owner", () => {
    expect(reportOverwriteRefusal({ name: "fraud-report", ownerReferences: [{ uid: "u-0" }, { uid: "u-1" }] }, monitor)).toBeUndefined();
  });
  it("refuses a person's ConfigMap, or another monitor's, naming the field and the way out", () => {
    for (const ownerReferences of [undefined, [], [{ uid: "u-2" }]])
      expect(reportOverwriteRefusal({ name: "app-settings", ownerReferences }, monitor)).toBe(
        "spec.report.configMapName: ConfigMap app-settings exists and is not the report of ModelMonitor fraud (no owner reference to it), so the operator does not write to it; name another ConfigMap, or delete this one to let the operator create it",
      );
  });
});

describe("numbers in the report, for people", () => {
  it("4 significant digits, float noise as 0, a tiny p-value as < 0.0001: never an exponent", () => {
    const s = healthy();
    s.signals[0] = { name: "accuracy", state: "Value", value: 661.0301000000001, baseline: 661.0301000000001 - 2.220446049250313e-16, samples: 5000 };
    (s.drift[0] as { features: unknown[] }).features = [
      { feature: "amount", state: "Value", score: 2.220446049250313e-16, pValue: 3.29e-16, severity: "none", referenceSamples: 10000, currentSamples: 9000 },
    ];
    const text = render(s);
    expect(text).toMatch(/\| overall \| 661 \| 661 \|/);
    expect(text).toMatch(/\| amount \| 0 \| < 0\.0001 \|/);
    expect(text).not.toMatch(/\de-\d|0000000001/);
  });
});
