// The evaluation core, tick by tick, with Prometheus answers made up per query: no I/O, no time passing.
import { describe, expect, it } from "vitest";
import {
  modelMonitorSpecSchema,
  modelMonitorStatusSchema,
  type ModelMonitorSpecInput,
  type ModelMonitorStatus,
} from "../../../src/api/v1alpha1/modelmonitor.ts";
import { decide, planEvaluation, planQueries, REPIN_ANNOTATION } from "../../../src/domain/monitor/evaluate.ts";
import { queryKey, type QueryRequest, type QueryResult, type Sample } from "../../../src/domain/observation.ts";
import { featureDrift } from "../../support/monitors.ts";

type Answer = (q: QueryRequest) => QueryResult;
const T0 = Date.parse("2026-11-01T00:00:00Z");
const vector = (samples: Sample[]): QueryResult => ({ kind: "vector", samples });

function tick(input: ModelMonitorSpecInput, answer: Answer, now: number, status?: ModelMonitorStatus, annotations: Record<string, string> = {}) {
  const spec = modelMonitorSpecSchema.parse(input);
  const plan = planEvaluation(spec, now);
  const results = new Map(planQueries(plan).map((q) => [queryKey(q), answer(q)]));
  return decide({ generation: 1, annotations, spec, status: status ?? modelMonitorStatusSchema.parse({}) }, plan, results, now);
}

/** Outcome counters giving the wanted accuracy, split over segments. */
function outcomes(accuracy: number, n: number, segments: Record<string, number> = { "": 1 }, segmentLabel = "plant"): Sample[] {
  return Object.entries(segments).flatMap(([seg, acc]) => {
    const a = seg === "" ? accuracy : acc;
    const labels = (o: string) => (seg === "" ? { outcome: o } : { outcome: o, [segmentLabel]: seg });
    return [
      { labels: labels("tp"), value: (n * a) / 2 },
      { labels: labels("tn"), value: (n * a) / 2 },
      { labels: labels("fp"), value: (n * (1 - a)) / 2 },
      { labels: labels("fn"), value: (n * (1 - a)) / 2 },
    ];
  });
}

const accuracyMonitor: ModelMonitorSpecInput = {
  model: { name: "fraud", version: "v3" },
  interval: "1m",
  window: "1h",
  minSamples: 100,
  signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
  rules: [{ signal: "accuracy", min: { critical: 0.8 }, baseline: { value: 0.92 }, maxDrop: { warning: 0.05, critical: 0.1 } }],
};

describe("accuracy against a threshold and a baseline", () => {
  it("healthy when accuracy holds", () => {
    const d = tick(accuracyMonitor, () => vector(outcomes(0.92, 5000)), T0);
    expect(d.status.health).toBe("Healthy");
    expect(d.status.signals[0]).toMatchObject({ name: "accuracy", state: "Value", value: 0.92, baseline: 0.92, samples: 5000 });
    expect(d.status.summary).toBe("accuracy=0.92");
    expect(d.status.conditions.find((c) => c.type === "Degraded")?.status).toBe("False");
  });

  it("a drop of more than 0.05 is a warning finding with the numbers, and a Warning event", () => {
    const healthy = tick(accuracyMonitor, () => vector(outcomes(0.92, 5000)), T0).status;
    const d = tick(accuracyMonitor, () => vector(outcomes(0.86, 5000)), T0 + 60_000, healthy);
    expect(d.status.health).toBe("Warning");
    expect(d.status.findings).toEqual([
      expect.objectContaining({ type: "AccuracyDrift", severity: "warning", source: "accuracy", value: 0.86, baseline: 0.92, threshold: 0.05 }),
    ]);
    expect(d.status.findings[0]?.description).toBe("accuracy 0.86 is 0.06 under its baseline 0.92 (limit 0.05) (5000 samples)");
    expect(d.events.map((e) => [e.type, e.reason])).toEqual([
      ["Warning", "HealthWarning"],
      ["Warning", "AccuracyDriftDetected"],
    ]);
    expect(d.status.worstFinding).toBe("warning AccuracyDrift accuracy");
  });

  it("0.80 is critical; recovery clears the finding with a Normal event", () => {
    const bad = tick(accuracyMonitor, () => vector(outcomes(0.79, 5000)), T0);
    expect(bad.status.health).toBe("Critical");
    const good = tick(accuracyMonitor, () => vector(outcomes(0.92, 5000)), T0 + 60_000, bad.status);
    expect(good.status.health).toBe("Healthy");
    expect(good.events.map((e) => e.reason)).toEqual(["HealthRecovered", "AccuracyDriftCleared"]);
  });

  it("too few samples is Unknown (no data), never Healthy nor a breach", () => {
    const d = tick(accuracyMonitor, () => vector(outcomes(0.5, 50)), T0);
    expect(d.status.health).toBe("Unknown");
    expect(d.status.findings).toEqual([]);
    expect(d.status.signals[0]).toMatchObject({ state: "NoData", reason: "TooFewSamples", samples: 50 });
    expect(d.status.conditions.find((c) => c.type === "MetricsAvailable")).toMatchObject({ status: "False", reason: "TooFewSamples" });
  });

  it("an empty answer is NoSeries", () => {
    const d = tick(accuracyMonitor, () => vector([]), T0);
    expect(d.status.health).toBe("Unknown");
    expect(d.status.signals[0]).toMatchObject({ state: "NoData", reason: "NoSeries" });
  });

  it("an unreachable Prometheus is Unknown with reason PrometheusUnreachable and an event", () => {
    const healthy = tick(accuracyMonitor, () => vector(outcomes(0.92, 5000)), T0).status;
    const d = tick(accuracyMonitor, () => ({ kind: "error", error: "Unreachable", message: "ECONNREFUSED" }), T0 + 60_000, healthy);
    expect(d.status.health).toBe("Unknown");
    expect(d.status.signals[0]).toMatchObject({ state: "Error", reason: "PrometheusUnreachable" });
    expect(d.status.conditions.find((c) => c.type === "MetricsAvailable")).toMatchObject({ status: "False", reason: "PrometheusUnreachable" });
    expect(d.events[0]).toMatchObject({ type: "Warning", reason: "HealthUnknown" });
  });

  it("refused credentials are their own state: Unknown, reason CredentialsNotAllowed, the refusal said once for every signal", () => {
    const twoSignals: ModelMonitorSpecInput = {
      ...accuracyMonitor,
      signals: [
        { name: "accuracy", classification: { metric: "model_predictions_total" } },
        { name: "errors", ratio: { numerator: { metric: "model_errors_total" }, denominator: { metric: "model_requests_total" } } },
      ],
    };
    const why = "spec.source.authSecretRef: Secret ml/prom is not labelled modelguardian.dev/metrics-credentials=true";
    const d = tick(twoSignals, () => ({ kind: "error", error: "CredentialsRefused", message: why }), T0);
    expect(d.status.health).toBe("Unknown");
    expect(d.status.signals.map((s) => s.reason)).toEqual(["CredentialsNotAllowed", "CredentialsNotAllowed"]);
    expect(d.status.conditions.find((c) => c.type === "MetricsAvailable")).toEqual(
      expect.objectContaining({ status: "False", reason: "CredentialsNotAllowed", message: `accuracy, errors: ${why}` }),
    );
    expect(d.events.find((e) => e.reason === "HealthUnknown")?.message).toBe(`first evaluation: Unknown: accuracy, errors: ${why}`);
  });

  it("NaN values are an error, not a value", () => {
    const d = tick(accuracyMonitor, () => vector([{ labels: { outcome: "tp" }, value: NaN }]), T0);
    expect(d.status.signals[0]).toMatchObject({ state: "Error", reason: "NotFinite" });
    expect(d.status.health).toBe("Unknown");
  });

  it("keeps a short history: kubectl describe fits a screen or two (the report counts every evaluation)", () => {
    let status: ModelMonitorStatus | undefined;
    for (let i = 0; i < 30; i++) status = tick(accuracyMonitor, () => vector(outcomes(0.92, 5000)), T0 + i * 60_000, status).status;
    expect(status?.history).toHaveLength(6);
    expect(status?.history.at(-1)).toMatchObject({ health: "Healthy", values: { accuracy: 0.92 } });
  });
});

describe("custom queries", () => {
  const spec: ModelMonitorSpecInput = {
    model: { name: "m" },
    signals: [{ name: "feedback", query: { expr: "avg_over_time(feedback{ {{selector}} }[{{window}}])" } }],
    rules: [{ signal: "feedback", min: { warning: 3 } }],
  };
  it("expands the template with the escaped selector", () => {
    const plan = planEvaluation(modelMonitorSpecSchema.parse({ ...spec, selector: { model: 'x"}' } }), T0);
    expect(planQueries(plan)[0]?.expr).toBe('avg_over_time(feedback{ model="x\\"}" }[3600s])');
  });
  it("several series where one was expected is an error", () => {
    const d = tick(
      spec,
      () =>
        vector([
          { labels: { a: "1" }, value: 4 },
          { labels: { a: "2" }, value: 4 },
        ]),
      T0,
    );
    expect(d.status.signals[0]).toMatchObject({ state: "Error", reason: "MultipleSeries" });
    expect(d.status.health).toBe("Unknown");
  });
});

describe("sustained rules", () => {
  const spec: ModelMonitorSpecInput = {
    model: { name: "m" },
    minSamples: 10,
    signals: [{ name: "p95_latency", histogram: { metric: "lat", measure: "quantile", quantile: 0.95 } }],
    rules: [{ signal: "p95_latency", max: { critical: 0.5 }, for: "10m" }],
  };
  const latency = (slow: boolean) => () =>
    vector([
      { labels: { le: "0.1" }, value: slow ? 0 : 990 },
      { labels: { le: "1" }, value: 1000 },
      { labels: { le: "+Inf" }, value: 1000 },
    ]);
  it("fires only after the breach lasted `for`, and forgets a breach that stops", () => {
    let s = tick(spec, latency(true), T0).status;
    expect(s.health).toBe("Healthy");
    expect(s.pending).toHaveLength(1);
    s = tick(spec, latency(true), T0 + 5 * 60_000, s).status;
    expect(s.findings).toHaveLength(0);
    s = tick(spec, latency(true), T0 + 10 * 60_000, s).status;
    expect(s.health).toBe("Critical");
    expect(s.findings[0]).toMatchObject({ type: "Latency", since: new Date(T0 + 10 * 60_000).toISOString() });
    s = tick(spec, latency(false), T0 + 11 * 60_000, s).status;
    expect(s.health).toBe("Healthy");
    expect(s.pending).toBeUndefined();
  });
});

describe("pinned baselines", () => {
  const spec: ModelMonitorSpecInput = {
    ...accuracyMonitor,
    rules: [{ signal: "accuracy", baseline: { pinned: { when: "VersionChange" } }, maxDrop: { warning: 0.05 } }],
  };
  it("pins on first evaluation, keeps it in status, re-pins on request", () => {
    const first = tick(spec, () => vector(outcomes(0.9, 5000)), T0);
    expect(first.status.pinned?.["signal:accuracy"]).toMatchObject({ value: 0.9, version: "v3" });
    expect(first.events.map((e) => e.reason)).toContain("BaselinePinned");
    const later = tick(spec, () => vector(outcomes(0.8, 5000)), T0 + 60_000, first.status);
    expect(later.status.health).toBe("Warning");
    const repinned = tick(spec, () => vector(outcomes(0.8, 5000)), T0 + 120_000, later.status, { [REPIN_ANNOTATION]: "1" });
    expect(repinned.status.pinned?.["signal:accuracy"]?.value).toBe(0.8);
    expect(repinned.status.repinToken).toBe("1");
    expect(repinned.status.health).toBe("Healthy");
  });
  it("drops the pins of signals the spec no longer declares", () => {
    const first = tick(spec, () => vector(outcomes(0.9, 5000)), T0);
    const renamed = tick(
      { ...accuracyMonitor, signals: [{ name: "acc2", classification: { metric: "model_predictions_total" } }], rules: [] },
      () => vector(outcomes(0.9, 5000)),
      T0 + 60_000,
      first.status,
    );
    expect(renamed.status.pinned).toBeUndefined();
  });
});

describe("segments and fairness", () => {
  const spec: ModelMonitorSpecInput = {
    ...accuracyMonitor,
    segments: { label: "plant" },
    fairness: [{ signal: "accuracy", groupLabel: "group", minRatio: 0.9 }],
  };
  const answer: Answer = (q) =>
    q.expr.includes("group")
      ? vector(outcomes(0, 4000, { young: 0.95, old: 0.8 }, "group"))
      : vector(outcomes(0, 6000, { north: 0.95, south: 0.95, east: 0.8 }));
  it("reports the degraded segment only, and the fairness gap", () => {
    const d = tick(spec, answer, T0);
    const bySegment = Object.fromEntries(d.status.signals.map((s) => [s.segment ?? "(all)", s.value]));
    expect(bySegment).toMatchObject({ "(all)": 0.9, north: 0.95, south: 0.95, east: 0.8 });
    const segs = d.status.findings.filter((f) => f.type === "AccuracyDrift").map((f) => f.segment);
    expect(segs).toEqual(["east"]);
    const fairness = d.status.findings.find((f) => f.type === "Fairness");
    expect(fairness).toMatchObject({ segment: "group=old", value: 0.842105 });
    expect(fairness?.description).toBe("accuracy of group=old (0.8) is 0.842 of group=young (0.95), under the ratio 0.9");
  });
});

describe("errors in one signal do not hide another's breach", () => {
  it("reports the breach and still marks metrics unavailable", () => {
    const spec: ModelMonitorSpecInput = {
      ...accuracyMonitor,
      signals: [
        ...(accuracyMonitor.signals ?? []),
        {
          name: "refusal_rate",
          ratio: { numerator: { metric: "responses_total", matchLabels: { refusal: "true" } }, denominator: { metric: "responses_total" } },
        },
      ],
    };
    const d = tick(spec, (q) => (q.expr.includes("responses_total") ? { kind: "error", error: "Timeout", message: "slow" } : vector(outcomes(0.7, 5000))), T0);
    expect(d.status.health).toBe("Critical");
    expect(d.status.conditions.find((c) => c.type === "MetricsAvailable")).toMatchObject({ status: "False" });
  });
});

describe("data drift per feature", () => {
  const spec: ModelMonitorSpecInput = {
    model: { name: "m" },
    minSamples: 100,
    drift: [featureDrift({ offset: "1h", window: "1h" })],
  };
  // cumulative buckets of a normal-ish feature; `shift` moves mass to the upper bins
  const buckets = (feature: string, shift: number): Sample[] => {
    const per = shift ? [50, 100, 250, 600] : [100, 400, 400, 100];
    let total = 0;
    return ["-1", "0", "1", "+Inf"].map((le, i) => ({ labels: { le, feature }, value: (total += per[i] as number) }));
  };
  it("names the shifted feature, leaves the stable one alone", () => {
    const now = T0;
    const d = tick(
      spec,
      (q) => vector(q.time === now ? [...buckets("age", 1), ...buckets("income", 0)] : [...buckets("age", 0), ...buckets("income", 0)]),
      now,
    );
    const drift = d.status.drift[0];
    expect(drift?.driftedFeatures).toEqual(["age"]);
    expect(drift?.features.find((f) => f.feature === "income")).toMatchObject({ state: "Value", score: 0, severity: "none" });
    expect(d.status.findings[0]).toMatchObject({ type: "DataDrift", severity: "critical", source: "inputs" });
    expect(d.status.findings[0]?.description).toMatch(/^data drift in 1 of 2 features: age \(psi [0-9.]+, p (= [0-9.]+|< 0\.0001), critical\)/);
    expect(d.status.conditions.find((c) => c.type === "Drifted")).toMatchObject({ status: "True", reason: "DataDrift" });
    expect(d.status.maxDriftScore).toBeGreaterThan(0.25);
  });
  it("the noise gate: a PSI over critical that a window of 100 can show by chance is no finding at one evaluation a minute", () => {
    // PSI 0.279 > 0.25, pooled chi-square p = 0.0046 (scipy): noise explains it at 1m (level 1.16e-6)
    // and 1h (6.9e-5); at 7d (level 0.0117) the budget allows it. Ten times the counts: p ≈ 1e-20.
    const cumulative = (feature: string, per: number[], scale: number): Sample[] => {
      let total = 0;
      return ["-1", "0", "1", "+Inf"].map((le, i) => ({ labels: { le, feature }, value: (total += (per[i] as number) * scale) }));
    };
    const run = (interval: string, scale: number) =>
      tick({ ...spec, interval }, (q) => vector(cumulative("age", q.time === T0 ? [3, 27, 45, 25] : [10, 40, 40, 10], scale)), T0);
    for (const interval of ["1m", "1h"]) {
      const d = run(interval, 1);
      expect(d.status.drift[0]?.features[0], interval).toMatchObject({ feature: "age", state: "Value", severity: "none", pValue: 0.004606 });
      expect(d.status.drift[0]?.features[0]?.score, interval).toBeCloseTo(0.278706, 6);
      expect(d.status.findings, interval).toEqual([]);
    }
    expect(run("7d", 1).status.findings[0]).toMatchObject({ type: "DataDrift", severity: "critical", features: ["age"] });
    expect(run("1m", 10).status.findings[0]).toMatchObject({ type: "DataDrift", severity: "critical", features: ["age"] });
  });
  it("refuses differing bucket layouts with a clear reason, and the health is Unknown", () => {
    const other: Sample[] = [
      { labels: { le: "-2", feature: "age" }, value: 100 },
      { labels: { le: "0", feature: "age" }, value: 500 },
      { labels: { le: "2", feature: "age" }, value: 900 },
      { labels: { le: "+Inf", feature: "age" }, value: 1000 },
    ];
    const d = tick(spec, (q) => vector(q.time === T0 ? buckets("age", 0) : other), T0);
    expect(d.status.drift[0]).toMatchObject({ state: "Error" });
    expect(d.status.drift[0]?.features[0]).toMatchObject({ feature: "age", state: "Error" });
    expect(d.status.drift[0]?.features[0]?.reason).toMatch(/bucket layouts differ/);
    expect(d.status.health).toBe("Unknown");
  });
  it("too few samples in a window is insufficient data, never a finding", () => {
    const few = (q: QueryRequest) => vector(buckets("age", q.time === T0 ? 1 : 0).map((s) => ({ ...s, value: s.value / 100 })));
    const d = tick(spec, few, T0);
    expect(d.status.drift[0]).toMatchObject({ state: "NoData" });
    expect(d.status.drift[0]?.features[0]).toMatchObject({ state: "InsufficientData" });
    expect(d.status.findings).toEqual([]);
  });
  it("pins a reference distribution in status when asked to", () => {
    const pinnedSpec = { ...spec, drift: [{ ...spec.drift![0]!, reference: { pinned: {} } }] };
    const first = tick(pinnedSpec, () => vector(buckets("age", 0)), T0);
    expect(first.status.pinned?.["drift:inputs:age"]?.bins).toEqual([{ le: -1, count: 100 }, { le: 0, count: 400 }, { le: 1, count: 400 }, { count: 100 }]);
    const later = tick(pinnedSpec, () => vector(buckets("age", 1)), T0 + 60_000, first.status);
    expect(later.status.drift[0]?.driftedFeatures).toEqual(["age"]);
  });
});

describe("embedding drift", () => {
  const spec: ModelMonitorSpecInput = {
    model: { name: "rag" },
    drift: [{ name: "queries", embedding: { metric: "centroid" }, method: "cosine", reference: { pinned: {} }, threshold: { warning: 0.02, critical: 0.1 } }],
  };
  const centroid =
    (v: number[]): Answer =>
    () =>
      vector(v.map((value, i) => ({ labels: { dim: String(i) }, value })));
  it("pins the first centroid and flags a moved one", () => {
    const first = tick(spec, centroid([1, 0, 0]), T0);
    expect(first.status.health).toBe("Healthy");
    const moved = tick(spec, centroid([0.8, 0.6, 0]), T0 + 60_000, first.status);
    expect(moved.status.findings[0]).toMatchObject({ type: "EmbeddingDrift", severity: "critical", value: 0.2 });
  });
});

describe("coverage: a rule that cannot be judged is never Healthy", () => {
  const HOUR = 3_600_000;
  const latestRule = { signal: "accuracy", baseline: { offset: "24h" }, maxDrop: { warning: 0.05, critical: 0.1 } };
  const spec: ModelMonitorSpecInput = { ...accuracyMonitor, rules: [latestRule] };
  /** A model first seen at `since`: queries of earlier times find no series. */
  const bornAt =
    (since: number, accuracy = 0.92, n = 5000): Answer =>
    (q) =>
      vector(q.time < since ? [] : outcomes(accuracy, n));
  const condition = (d: ReturnType<typeof tick>, type: string) => d.status.conditions.find((c) => c.type === type);

  it("tick by tick: no baseline yet -> Unknown, the condition names the rule and why; once the baseline has data -> Judged and Healthy", () => {
    const first = tick(spec, bornAt(T0), T0);
    expect(first.status.health).toBe("Unknown");
    expect(first.status.rules).toEqual([
      {
        name: "spec.rules[0]",
        rule: "accuracy maxDrop, baseline 24h ago",
        coverage: "NoBaseline",
        message: "the baseline window 24h ago has no value yet (NoSeries: no series of model_predictions_total matched in the window)",
      },
    ]);
    expect(first.status.judgedRules).toBe("0/1");
    expect(condition(first, "RulesJudged")).toMatchObject({
      status: "False",
      reason: "NoBaseline",
      message:
        "1 of 1 rules not judged: spec.rules[0] (accuracy maxDrop, baseline 24h ago): NoBaseline: the baseline window 24h ago has no value yet (NoSeries: no series of model_predictions_total matched in the window)",
    });
    // the current values are there, and MetricsAvailable says so without claiming more
    expect(condition(first, "MetricsAvailable")).toMatchObject({
      status: "True",
      message: "every signal and drift check has a current value; 1 of 1 rules could not be judged (condition RulesJudged)",
    });
    expect(condition(first, "Degraded")).toMatchObject({ status: "Unknown", reason: "RulesNotJudged" });
    expect(condition(first, "Drifted")).toMatchObject({ status: "False", reason: "NoDrift" });
    expect(first.events.find((e) => e.reason === "HealthUnknown")?.message).toContain("spec.rules[0] (accuracy maxDrop, baseline 24h ago): NoBaseline");

    // 12 h later the window 24 h back still predates the model
    const half = tick(spec, bornAt(T0), T0 + 12 * HOUR, first.status);
    expect(half.status.health).toBe("Unknown");
    expect(half.status.rules?.[0]?.coverage).toBe("NoBaseline");

    const day = tick(spec, bornAt(T0), T0 + 24 * HOUR, half.status);
    expect(day.status.health).toBe("Healthy");
    // an offset baseline reports the samples it had
    expect(day.status.rules).toEqual([{ name: "spec.rules[0]", rule: "accuracy maxDrop, baseline 24h ago", coverage: "Judged", baselineSamples: 5000 }]);
    expect(day.status.judgedRules).toBe("1/1");
    expect(condition(day, "RulesJudged")).toMatchObject({ status: "True", reason: "Judged", message: "all 1 rules judged" });
    expect(condition(day, "MetricsAvailable")).toMatchObject({ status: "True", message: "every signal and drift check has a value" });
    expect(condition(day, "Degraded")).toMatchObject({ status: "False", reason: "WithinThresholds" });
    expect(day.events.map((e) => e.reason)).toEqual(["HealthRecovered"]);
  });

  it("a finding still wins: Critical while another rule has no baseline, and RulesJudged says which", () => {
    const d = tick({ ...spec, rules: [{ signal: "accuracy", min: { critical: 0.8 } }, latestRule] }, bornAt(T0, 0.7), T0);
    expect(d.status.health).toBe("Critical");
    expect(d.status.findings.map((f) => f.severity)).toEqual(["critical"]);
    expect(d.status.rules?.map((r) => [r.name, r.coverage])).toEqual([
      ["spec.rules[0]", "Judged"],
      ["spec.rules[1]", "NoBaseline"],
    ]);
    expect(d.status.judgedRules).toBe("1/2");
    expect(condition(d, "RulesJudged")).toMatchObject({ status: "False", reason: "NoBaseline" });
    expect(condition(d, "RulesJudged")?.message).toMatch(/^1 of 2 rules not judged: spec\.rules\[1\] \(accuracy maxDrop, baseline 24h ago\): NoBaseline/);
    expect(condition(d, "Degraded")).toMatchObject({ status: "True", reason: "AccuracyDrift" });
  });

  it("too few samples now: InsufficientSamples; too few in the baseline window: NoBaseline with the count", () => {
    const few = tick(spec, (q) => vector(outcomes(0.92, q.time === T0 ? 50 : 5000)), T0);
    expect(few.status.health).toBe("Unknown");
    expect(few.status.rules?.[0]).toMatchObject({ coverage: "InsufficientSamples", message: "TooFewSamples: 50 samples, fewer than the 100 required" });
    expect(condition(few, "RulesJudged")).toMatchObject({ status: "False", reason: "InsufficientSamples" });

    const thinBaseline = tick(spec, (q) => vector(outcomes(0.92, q.time === T0 ? 5000 : 40)), T0);
    expect(thinBaseline.status.health).toBe("Unknown");
    expect(thinBaseline.status.rules?.[0]).toMatchObject({
      coverage: "NoBaseline",
      message: "the baseline window 24h ago has no value yet (TooFewSamples: 40 samples, fewer than the 100 required)",
    });
  });

  it("a failed query is Error; min/max-only rules and fixed or pinned baselines are judged at once", () => {
    const failed = tick(spec, () => ({ kind: "error", error: "Timeout", message: "slow" }), T0);
    expect(failed.status.rules?.[0]).toMatchObject({ coverage: "Error" });
    const fixed = tick(accuracyMonitor, bornAt(T0), T0);
    expect(fixed.status.rules?.[0]).toMatchObject({ coverage: "Judged" });
    expect(fixed.status.health).toBe("Healthy");
    const pinned = tick({ ...spec, rules: [{ ...latestRule, baseline: { pinned: {} } }] }, bornAt(T0), T0);
    expect(pinned.status.rules?.[0]).toMatchObject({ rule: "accuracy maxDrop, pinned baseline", coverage: "Judged" });
    expect(pinned.status.health).toBe("Healthy");
  });

  it("a relative check against a baseline of 0 cannot be judged; an absolute one can", () => {
    const zero = (rule: ModelMonitorSpecInput["rules"]) => tick({ ...spec, rules: rule }, bornAt(T0), T0).status;
    const relative = zero([{ signal: "accuracy", baseline: { value: 0 }, maxRelativeDrop: { warning: 0.1 } }]);
    expect(relative.rules?.[0]).toMatchObject({ coverage: "NoBaseline", message: "the baseline is 0: a relative change from it is undefined" });
    expect(relative.health).toBe("Unknown");
    const absolute = zero([{ signal: "accuracy", baseline: { value: 0 }, maxRelativeDrop: { warning: 0.1 }, maxIncrease: { warning: 5 } }]);
    expect(absolute.rules?.[0]).toMatchObject({ coverage: "Judged" });
  });

  it("status.rules stays within its schema's bound at the spec's largest: 64 rules and 4 presets on 32 signals", () => {
    const signals = Array.from({ length: 32 }, (_, i) => ({ name: `acc${i}`, classification: { metric: "model_predictions_total" } }));
    const big: ModelMonitorSpecInput = {
      ...spec,
      signals,
      presets: ["strict", "relaxed", "strict", "relaxed"],
      rules: Array.from({ length: 64 }, () => ({ signal: "acc0", min: { warning: 0.1 } })),
    };
    const d = tick(big, bornAt(T0), T0);
    expect(d.status.rules).toHaveLength(64 + 31 * 4);
    expect(modelMonitorStatusSchema.safeParse(d.status).success).toBe(true);
  });

  it("segments without a baseline are a count on the rule's row; the overall scope decides", () => {
    const seg = { ...spec, segments: { label: "plant" } };
    // the baseline window knows north only: south is new
    const answer: Answer = (q) => vector(q.time === T0 ? outcomes(0, 6000, { north: 0.92, south: 0.92 }) : outcomes(0, 3000, { north: 0.92 }));
    const d = tick(seg, answer, T0);
    expect(d.status.rules).toEqual([
      { name: "spec.rules[0]", rule: "accuracy maxDrop, baseline 24h ago", coverage: "Judged", unjudgedSegments: 1, baselineSamples: 3000 },
    ]);
    expect(d.status.health).toBe("Healthy");
  });

  it("preset rules are named by their preset (rag-assistant's rollback-sop on a model younger than a day)", () => {
    const rag: ModelMonitorSpecInput = {
      model: { name: "rag-assistant" },
      presets: ["rollback-sop"],
      signals: [{ name: "feedback", histogram: { metric: "model_feedback_score", measure: "mean" } }],
    };
    const hist = (q: QueryRequest): QueryResult =>
      vector(
        q.time < T0
          ? []
          : q.expr.includes("_count")
            ? [{ labels: {}, value: 500 }]
            : q.expr.includes("_sum")
              ? [{ labels: {}, value: 2000 }]
              : [{ labels: { le: "+Inf" }, value: 500 }],
      );
    const d = tick(rag, hist, T0);
    expect(d.status.signals[0]).toMatchObject({ state: "Value", value: 4 });
    expect(d.status.health).toBe("Unknown");
    expect(d.status.rules).toEqual([
      expect.objectContaining({ name: "preset rollback-sop", rule: "feedback maxDrop, baseline 24h ago", coverage: "NoBaseline" }),
    ]);
  });

  it("a drift check without a reference distribution yet is NoBaseline", () => {
    const drift: ModelMonitorSpecInput = {
      model: { name: "m" },
      drift: [{ name: "inputs", histogram: { metric: "f" }, method: "psi", reference: { offset: "24h" }, threshold: { warning: 0.1 } }],
    };
    const buckets = [
      { labels: { le: "0" }, value: 500 },
      { labels: { le: "+Inf" }, value: 1000 },
    ];
    const d = tick(drift, (q) => vector(q.time < T0 ? [] : buckets), T0);
    expect(d.status.drift[0]).toMatchObject({ state: "NoData", coverage: "NoBaseline" });
    expect(d.status.health).toBe("Unknown");
    const later = tick(drift, () => vector(buckets), T0 + 24 * HOUR, d.status);
    expect(later.status.drift[0]).toMatchObject({ state: "Value", coverage: "Judged" });
  });
});

describe("the first evaluation", () => {
  it("is no HealthRecovered 'none -> Healthy'; a later recovery is", async () => {
    const { transitionEvents } = await import("../../../src/domain/monitor/monitor-health.ts");
    const { modelMonitorStatusSchema } = await import("../../../src/api/v1alpha1/modelmonitor.ts");
    const none = modelMonitorStatusSchema.parse({});
    const healthy = modelMonitorStatusSchema.parse({ health: "Healthy" });
    const critical = modelMonitorStatusSchema.parse({
      health: "Critical",
      findings: [
        { type: "Threshold", severity: "critical", source: "accuracy", description: "accuracy 0.7 is under its minimum 0.8", since: "2026-12-01T00:00:00Z" },
      ],
    });
    expect(transitionEvents(none, healthy, [])).toEqual([]);
    expect(transitionEvents(none, critical, []).map((e) => [e.reason, e.message])).toEqual([
      ["HealthCritical", "first evaluation: Critical: accuracy 0.7 is under its minimum 0.8"],
      ["ThresholdDetected", "critical: accuracy 0.7 is under its minimum 0.8"],
    ]);
    expect(transitionEvents(critical, healthy, []).map((e) => [e.reason, e.message])).toEqual([
      ["HealthRecovered", "health Critical -> Healthy"],
      ["ThresholdCleared", "cleared: accuracy 0.7 is under its minimum 0.8"],
    ]);
  });
});
