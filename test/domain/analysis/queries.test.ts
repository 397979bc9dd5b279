// The queries an evaluation shows in status, and the second round that tells a misspelt metric
// from a selector that matches nothing: planned only for no-series answers, one per metric name.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorSpecInput } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { LOOKUP_MAX_MS, MAX_SHOWN_EXPR, metricLookup, shownExpr } from "../../../src/domain/analysis/queries.ts";
import { decide, planEvaluation, planLookups, planQueries } from "../../../src/domain/monitor/evaluate.ts";
import { queryKey, type QueryRequest, type QueryResult, type Sample } from "../../../src/domain/observation.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const vector = (samples: Sample[] = []): QueryResult => ({ kind: "vector", samples });

/** Answers like a Prometheus holding the given series (name -> label sets), with every sample at 100. */
function prometheus(series: Record<string, Record<string, string>[]>) {
  const asked: string[] = [];
  const answer = (q: QueryRequest): QueryResult => {
    asked.push(q.expr);
    const lookup = /^topk\(1, last_over_time\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{\}\[[0-9a-z]+\]\)\)$/.exec(q.expr);
    if (lookup)
      return vector((series[lookup[1] as string] ?? []).slice(0, 1).map((labels) => ({ labels: { __name__: lookup[1] as string, ...labels }, value: 100 })));
    // a first-round query: sum by (...) (increase(name{a="x",...}[w])) or avg by (dim) (name{...})
    const m = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/.exec(q.expr);
    if (!m) return { kind: "error", error: "BadQuery", message: q.expr };
    const wanted = Object.fromEntries([...(m[2] as string).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const by = /by \(([^)]*)\)/.exec(q.expr)?.[1]?.split(", ").filter(Boolean) ?? [];
    const matching = (series[m[1] as string] ?? []).filter((labels) => Object.entries(wanted).every(([k, v]) => labels[k] === v));
    const groups = new Map<string, Sample>();
    for (const labels of matching) {
      const kept = Object.fromEntries(by.map((l) => [l, labels[l] ?? ""]));
      const key = JSON.stringify(kept);
      const g = groups.get(key) ?? { labels: kept, value: 0 };
      g.value += 100;
      groups.set(key, g);
    }
    return vector([...groups.values()]);
  };
  return { answer, asked };
}

/** Both rounds of one evaluation, as the controller runs them. */
function evaluate(input: ModelMonitorSpecInput, answer: (q: QueryRequest) => QueryResult) {
  const spec = modelMonitorSpecSchema.parse(input);
  const plan = planEvaluation(spec, T0);
  const results = new Map(planQueries(plan).map((q) => [queryKey(q), answer(q)]));
  const lookups = planLookups(plan, results);
  for (const q of lookups) results.set(queryKey(q), answer(q));
  return { lookups, decision: decide({ generation: 1, annotations: {}, spec, status: modelMonitorStatusSchema.parse({}) }, plan, results, T0) };
}

const outcomeSeries = (model: string) =>
  ["tp", "fp", "tn", "fn"].flatMap((outcome) => ["plant-a", "plant-b"].map((plant) => ({ model, version: "v1", plant, outcome })));
const fraudExported = { model_predictions_total: outcomeSeries("fraud") };

const monitor = (metric: string, extra: Partial<ModelMonitorSpecInput> = {}): ModelMonitorSpecInput => ({
  model: { name: "fraud" },
  window: "1h",
  minSamples: 10,
  signals: [{ name: "accuracy", classification: { metric } }],
  ...extra,
});

type DriftInput = NonNullable<ModelMonitorSpecInput["drift"]>[number];
/** Drift check "features": PSI of each feature of `metric`, a warning from 0.1, against `reference`. */
const psiOfFeatures = (metric: string, reference: DriftInput["reference"]): DriftInput => ({
  name: "features",
  histogram: { metric, featureLabel: "feature" },
  method: "psi",
  reference,
  threshold: { warning: 0.1 },
});

describe("the queries in status", () => {
  it("the overall row of a signal shows its PromQL and how many series it matched; segments do not repeat it", () => {
    const { decision, lookups } = evaluate(monitor("model_predictions_total", { segments: { label: "plant" } }), prometheus(fraudExported).answer);
    expect(lookups).toEqual([]);
    const [overall, ...segments] = decision.status.signals;
    expect(overall).toMatchObject({ name: "accuracy", state: "Value" });
    expect(overall?.queries).toEqual([{ expr: 'sum by (outcome, plant) (increase(model_predictions_total{model="fraud"}[3600s]))', series: 8 }]);
    expect(segments.map((s) => s.segment)).toEqual(["plant-a", "plant-b"]);
    for (const s of segments) expect(s.queries).toBeUndefined();
  });

  it("a failed query shows its expression without a series count", () => {
    const { decision, lookups } = evaluate(monitor("model_predictions_total"), () => ({ kind: "error", error: "Timeout", message: "no answer" }));
    expect(lookups).toEqual([]);
    expect(decision.status.signals[0]?.queries).toEqual([{ expr: 'sum by (outcome) (increase(model_predictions_total{model="fraud"}[3600s]))' }]);
  });

  it("a drift check shows its current and reference queries", () => {
    const { decision } = evaluate(
      {
        model: { name: "fraud" },
        drift: [psiOfFeatures("model_feature_value", { offset: "1d" })],
      },
      () => vector(),
    );
    expect(decision.status.drift[0]?.queries?.map((q) => q.expr)).toEqual([
      'sum by (le, feature) (increase(model_feature_value_bucket{model="fraud"}[3600s]))',
      'sum by (le, feature) (increase(model_feature_value_bucket{model="fraud"}[3600s]))',
    ]);
  });

  it("a long custom query is cut to the limit with a note of its length", () => {
    const expr = `sum(rate(x{{{selector}}}[{{window}}]))${" + 0".repeat(400)}`;
    const { decision } = evaluate({ model: { name: "fraud" }, signals: [{ name: "custom", query: { expr } }] }, () => vector([{ labels: {}, value: 1 }]));
    const shown = decision.status.signals[0]?.queries?.[0];
    expect(shown?.expr.length).toBe(MAX_SHOWN_EXPR);
    expect(shown?.expr).toMatch(/^sum\(rate\(x\{model="fraud"\}\[3600s\]\)\) \+ 0.* … \[cut: 1634 characters in all\]$/);
    expect(shown?.series).toBe(1);
    expect(shownExpr("up")).toBe("up");
  });
});

describe("a query that matched nothing: a misspelt metric or a wrong selector", () => {
  it("a misspelt metric name: no series of that name exist, fix the signal's metric", () => {
    const prom = prometheus(fraudExported);
    const { decision, lookups } = evaluate(monitor("model_predictions_totl"), prom.answer);
    expect(lookups.map((q) => q.expr)).toEqual(["topk(1, last_over_time(model_predictions_totl{}[1h]))"]);
    const message = "no series named model_predictions_totl exist in this Prometheus (in the last 1h): check spec.signals[0].classification.metric";
    expect(decision.status.signals[0]).toMatchObject({ state: "NoData", reason: "NoSeries", message });
    expect(decision.status.signals[0]?.queries).toEqual([
      { expr: 'sum by (outcome) (increase(model_predictions_totl{model="fraud"}[3600s]))', series: 0, message },
    ]);
    expect(decision.status.conditions.find((c) => c.type === "MetricsAvailable")).toMatchObject({
      status: "False",
      reason: "NoSeries",
      message: `accuracy: ${message}`,
    });
  });

  it("a rule on that signal says the same in its coverage", () => {
    const { decision } = evaluate(
      monitor("model_predictions_totl", { rules: [{ signal: "accuracy", min: { critical: 0.8 } }] }),
      prometheus(fraudExported).answer,
    );
    expect(decision.status.rules).toEqual([
      expect.objectContaining({
        coverage: "NoData",
        message: "NoSeries: no series named model_predictions_totl exist in this Prometheus (in the last 1h): check spec.signals[0].classification.metric",
      }),
    ]);
  });

  it("a selector that matches none of the metric's series: the metric exists, fix the selector; the labels seen are named", () => {
    const { decision } = evaluate(monitor("model_predictions_total", { model: { name: "frauds" } }), prometheus(fraudExported).answer);
    expect(decision.status.signals[0]?.message).toBe(
      'model_predictions_total exists, but none with {model="frauds"}: check spec.selector (unset: {model="frauds"} from spec.model.name) (labels seen on this metric: model, outcome, plant, version)',
    );
  });

  it("names a selector label the series do not carry, and the version label when the monitor has one", () => {
    const { decision } = evaluate(
      monitor("model_predictions_total", { selector: { app: "fraud" }, versionLabel: "model_version", model: { name: "fraud", version: "v1" } }),
      prometheus(fraudExported).answer,
    );
    expect(decision.status.signals[0]?.message).toBe(
      'model_predictions_total exists, but none with {app="fraud",model_version="v1"}: check spec.selector, spec.versionLabel and the version watched (labels seen on this metric: model, outcome, plant, version; a series seen has no app, model_version)',
    );
  });

  it("a long list of labels seen is cut at 20", () => {
    const wide = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`l${String(i).padStart(2, "0")}`, "x"]));
    const { decision } = evaluate(monitor("model_predictions_total"), prometheus({ model_predictions_total: [wide] }).answer);
    expect(decision.status.signals[0]?.message).toMatch(/\(labels seen on this metric: l00, l01, .*, l19 and 5 more; a series seen has no model\)$/);
  });

  it("a ratio's matchLabels are named with the selector; a numerator without series is shown although the ratio has a value", () => {
    const exported = { model_responses_total: [{ model: "fraud", refusal: "false" }] };
    const spec = monitor("unused", {
      signals: [
        {
          name: "refusals",
          ratio: { numerator: { metric: "model_responses_total", matchLabels: { refusal: "true" } }, denominator: { metric: "model_responses_total" } },
        },
      ],
    });
    const { decision, lookups } = evaluate(spec, prometheus(exported).answer);
    expect(lookups).toHaveLength(1);
    expect(decision.status.signals[0]).toMatchObject({ state: "Value", value: 0 });
    expect(decision.status.signals[0]?.queries?.map((q) => [q.series, q.message])).toEqual([
      [
        0,
        'model_responses_total exists, but none with {model="fraud",refusal="true"}: check spec.selector (unset: {model="fraud"} from spec.model.name) and spec.signals[0].ratio.numerator.matchLabels (labels seen on this metric: model, refusal)',
      ],
      [1, undefined],
    ]);
  });

  it("a drift check's histogram: the reason says which fix, naming the base name's field", () => {
    const { decision } = evaluate(
      {
        model: { name: "fraud" },
        drift: [psiOfFeatures("model_feature_valu", { pinned: {} })],
      },
      prometheus({ model_feature_value_bucket: [{ model: "fraud", feature: "age", le: "1" }] }).answer,
    );
    expect(decision.status.drift[0]).toMatchObject({
      state: "NoData",
      coverage: "NoData",
      reason:
        "no series named model_feature_valu_bucket exist in this Prometheus (in the last 1h): check spec.drift[0].histogram.metric (a histogram's base name)",
    });
  });

  it("at most one lookup per metric name, only for no-series answers of the current window, never for a failed query", () => {
    const spec = modelMonitorSpecSchema.parse({
      model: { name: "fraud" },
      window: "1d",
      signals: [
        { name: "accuracy", classification: { metric: "model_predictions_totl" } },
        { name: "precision", classification: { metric: "model_predictions_totl", measure: "precision" } },
        { name: "recall", classification: { metric: "model_predictions_total", measure: "recall" } },
        { name: "latency", histogram: { metric: "model_latency_seconds", measure: "mean" } },
      ],
      rules: [{ signal: "recall", maxDrop: { warning: 0.1 }, baseline: { offset: "7d" } }],
    });
    const plan = planEvaluation(spec, T0);
    const results = new Map<string, QueryResult>();
    for (const q of planQueries(plan)) {
      const now = q.time === T0;
      // recall's baseline (7 days back) has no series: that is a missing baseline, not a lookup
      results.set(
        queryKey(q),
        q.expr.includes("model_latency_seconds_sum")
          ? { kind: "error", error: "Timeout", message: "slow" }
          : q.expr.includes("_totl") || q.expr.includes("_count") || !now
            ? vector()
            : vector([{ labels: { outcome: "tp" }, value: 5 }]),
      );
    }
    expect(planLookups(plan, results)).toEqual([metricLookup("model_predictions_totl", "1d", T0), metricLookup("model_latency_seconds_count", "1d", T0)]);
    // a window longer than the lookup's limit is looked at over the limit: it reads every series of the metric
    expect(metricLookup("x", "1d", T0).expr).toBe(`topk(1, last_over_time(x{}[${LOOKUP_MAX_MS / 3_600_000}h]))`);
    // and a window shorter than Prometheus's look-back over the look-back: a metric scraped every minute is still seen
    expect(metricLookup("x", "10s", T0).expr).toBe("topk(1, last_over_time(x{}[5m]))");
    expect(metricLookup("x", "390s", T0).expr).toBe("topk(1, last_over_time(x{}[390s]))");
  });

  it("one metric read over two windows: one lookup, over the shorter, and both signals get its answer", () => {
    const prom = prometheus(fraudExported);
    const { decision, lookups } = evaluate(
      monitor("model_predictions_totl", {
        signals: [
          { name: "accuracy", classification: { metric: "model_predictions_totl" } },
          { name: "recall", window: "10m", classification: { metric: "model_predictions_totl", measure: "recall" } },
        ],
      }),
      prom.answer,
    );
    expect(lookups.map((q) => q.expr)).toEqual(["topk(1, last_over_time(model_predictions_totl{}[10m]))"]);
    expect(decision.status.signals.map((x) => x.message)).toEqual([
      "no series named model_predictions_totl exist in this Prometheus (in the last 10m): check spec.signals[0].classification.metric",
      "no series named model_predictions_totl exist in this Prometheus (in the last 10m): check spec.signals[1].classification.metric",
    ]);
  });

  it("without the lookup's answer (it failed or was not run) the message stays the plain one", () => {
    const spec = modelMonitorSpecSchema.parse(monitor("model_predictions_totl"));
    const plan = planEvaluation(spec, T0);
    const results = new Map(planQueries(plan).map((q) => [queryKey(q), vector()]));
    for (const q of planLookups(plan, results)) results.set(queryKey(q), { kind: "error", error: "Timeout", message: "slow" });
    const d = decide({ generation: 1, annotations: {}, spec, status: modelMonitorStatusSchema.parse({}) }, plan, results, T0);
    expect(d.status.signals[0]).toMatchObject({ reason: "NoSeries", message: "no series of model_predictions_totl matched in the window" });
    expect(d.status.signals[0]?.queries?.[0]).toEqual({ expr: expect.any(String), series: 0 });
  });
});
