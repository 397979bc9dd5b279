// Signal arithmetic. Every built-in signal is a function of additive counts (outcome counters,
// sums, histogram buckets), so one query grouped by the segment label gives the value of every
// segment, and the overall value is the same function of the summed counts.
import type { SignalSpec } from "../api/v1alpha1/modelmonitor.ts";
import { binsFromCumulative, histogramQuantile, shareBelow, type Histogram, type Result } from "./stats/index.ts";
import { expandTemplate, sumIncrease } from "./promql.ts";
import { errorReasonOf, type Observation, type QueryResult } from "./observation.ts";

/** One additive component of a signal: `sum by (<sub>, <group>) (increase(metric{...}[w]))`. */
interface Component {
  id: string;
  metric: string;
  labels?: Record<string, string>;
  subLabel?: string; // outcome or le: kept apart within a group
  /** Where the metric's name is in the signal's spec, e.g. classification.metric. */
  field: string;
  /** Where its extra label matchers are, when it has some. */
  labelsField?: string;
}

export interface SignalQueryContext {
  selector: Record<string, string>;
  window: string; // PromQL duration
  groupBy?: string | undefined; // segment or fairness label
}

function components(s: SignalSpec): Component[] {
  if (s.classification) return [{ id: "outcome", metric: s.classification.metric, subLabel: s.classification.outcomeLabel, field: "classification.metric" }];
  if (s.regression) {
    const r = s.regression;
    const list: Component[] = [{ id: "count", metric: r.count, field: "regression.count" }];
    if (r.absErrorSum) list.push({ id: "abs", metric: r.absErrorSum, field: "regression.absErrorSum" });
    if (r.squaredErrorSum) list.push({ id: "sq", metric: r.squaredErrorSum, field: "regression.squaredErrorSum" });
    if (r.targetSum) list.push({ id: "tsum", metric: r.targetSum, field: "regression.targetSum" });
    if (r.targetSquaredSum) list.push({ id: "tsq", metric: r.targetSquaredSum, field: "regression.targetSquaredSum" });
    return list;
  }
  if (s.histogram) {
    const h = s.histogram;
    if (h.measure === "mean")
      return [
        { id: "sum", metric: `${h.metric}_sum`, field: "histogram.metric" },
        { id: "count", metric: `${h.metric}_count`, field: "histogram.metric" },
      ];
    return [{ id: "bucket", metric: `${h.metric}_bucket`, subLabel: "le", field: "histogram.metric" }];
  }
  if (s.ratio)
    return [
      {
        id: "num",
        metric: s.ratio.numerator.metric,
        labels: s.ratio.numerator.matchLabels ?? {},
        field: "ratio.numerator.metric",
        labelsField: "ratio.numerator.matchLabels",
      },
      {
        id: "den",
        metric: s.ratio.denominator.metric,
        labels: s.ratio.denominator.matchLabels ?? {},
        field: "ratio.denominator.metric",
        labelsField: "ratio.denominator.matchLabels",
      },
    ];
  return [];
}

/** What each of a built-in signal's queries reads, by the query's local id (none for a custom query). */
export function signalMetrics(s: SignalSpec): Map<string, { metric: string; labels: Record<string, string>; field: string; labelsField?: string }> {
  return new Map(
    components(s).map((c) => [
      c.id,
      {
        metric: c.metric,
        labels: c.labels ?? {},
        field: c.field,
        ...(c.labelsField && Object.keys(c.labels ?? {}).length ? { labelsField: c.labelsField } : {}),
      },
    ]),
  );
}

/** The queries a signal needs, by a local id. */
export function signalQueries(s: SignalSpec, ctx: SignalQueryContext): Record<string, string> {
  if (s.query) {
    const q: Record<string, string> = { value: expandTemplate(s.query.expr, ctx.selector, ctx.window) };
    if (s.query.samplesExpr) q.samples = expandTemplate(s.query.samplesExpr, ctx.selector, ctx.window);
    return q;
  }
  const out: Record<string, string> = {};
  for (const c of components(s)) {
    const by = [c.subLabel, ctx.groupBy].filter((x): x is string => !!x);
    out[c.id] = sumIncrease(c.metric, { ...ctx.selector, ...c.labels }, { window: ctx.window, by });
  }
  return out;
}

export interface SignalObservations {
  overall: Observation;
  groups: Map<string, Observation>;
}

const OVERALL = "\u0000overall";

/**
 * Turns query results into observations: the overall value and, when grouped, one per group.
 * A missing or failed query makes every observation an error naming it.
 */
export function observeSignal(s: SignalSpec, results: Record<string, QueryResult | undefined>, minSamples: number, groupBy?: string): SignalObservations {
  const collected = collect(s, results, groupBy);
  if ("failed" in collected) return allError(collected.failed);
  if (s.query) return { overall: observeCustom(results, minSamples), groups: new Map() };
  const { stats } = collected;
  const overallStats = stats.get(OVERALL);
  const overall = overallStats ? fromCounts(s, overallStats, minSamples) : noSeries(components(s));
  const groups = new Map<string, Observation>();
  for (const [group, m] of stats) if (group !== OVERALL) groups.set(group, fromCounts(s, m, minSamples));
  return { overall, groups };
}

/** A signal's overall observation with the summed counts behind it (absent for custom queries and errors). */
export interface SignalTotals {
  observation: Observation;
  totals?: ReadonlyMap<string, number>;
}

/** A group of a grouped query: the segment label and one of its values. */
export interface GroupScope {
  label: string;
  group: string;
}

/** The value of a signal (overall, or of one group) and its additive counts: what a statistical test needs. */
export function signalTotals(s: SignalSpec, results: Record<string, QueryResult | undefined>, minSamples: number, scope?: GroupScope): SignalTotals {
  const collected = collect(s, results, scope?.label);
  if ("failed" in collected) return { observation: collected.failed };
  if (s.query) return { observation: observeCustom(results, minSamples) };
  const m = collected.stats.get(scope ? scope.group : OVERALL);
  if (!m) return { observation: noSeries(components(s)) };
  return { observation: fromCounts(s, m, minSamples), totals: m };
}

/** Summed counts by group and component key; a missing, failed or non-finite answer fails the whole signal. */
function collect(
  s: SignalSpec,
  results: Record<string, QueryResult | undefined>,
  groupBy: string | undefined,
): { stats: Map<string, Map<string, number>> } | { failed: Observation } {
  for (const [id, r] of Object.entries(results)) {
    if (!r) return { failed: { state: "Error", reason: "InvalidData", message: `query ${id} was not run` } };
    if (r.kind === "error") return { failed: { state: "Error", reason: errorReasonOf(r.error), message: r.message } };
  }
  if (s.query) return { stats: new Map() };
  // group -> component key -> summed count
  const stats = new Map<string, Map<string, number>>();
  const add = (group: string, key: string, v: number) => {
    let m = stats.get(group);
    if (!m) stats.set(group, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + v);
  };
  for (const c of components(s)) {
    const r = results[c.id];
    if (!r || r.kind !== "vector") continue;
    for (const sample of r.samples) {
      if (Number.isNaN(sample.value) || !Number.isFinite(sample.value))
        return { failed: { state: "Error", reason: "NotFinite", message: `query ${c.id} returned ${sample.value}` } };
      const key = c.subLabel ? `${c.id}:${sample.labels[c.subLabel] ?? ""}` : c.id;
      add(OVERALL, key, sample.value);
      if (groupBy) add(sample.labels[groupBy] ?? "", key, sample.value);
    }
  }
  return { stats };
}

function allError(o: Observation): SignalObservations {
  return { overall: o, groups: new Map() };
}

function noSeries(comps: Component[]): Observation {
  const metrics = [...new Set(comps.map((c) => c.metric))].join(", ");
  return { state: "NoData", reason: "NoSeries", message: `no series of ${metrics} matched in the window` };
}

function observeCustom(results: Record<string, QueryResult | undefined>, minSamples: number): Observation {
  const single = (id: string): Observation => {
    const r = results[id];
    if (!r || r.kind !== "vector") return { state: "Error", reason: "InvalidData", message: `query ${id} was not run` };
    if (r.samples.length === 0) return { state: "NoData", reason: "NoSeries", message: `query ${id} returned no series` };
    if (r.samples.length > 1)
      return { state: "Error", reason: "MultipleSeries", message: `query ${id} returned ${r.samples.length} series where one was expected` };
    const v = (r.samples[0] as { value: number }).value;
    if (!Number.isFinite(v)) return { state: "Error", reason: "NotFinite", message: `query ${id} returned ${v}` };
    return { state: "Value", value: v };
  };
  const value = single("value");
  if (value.state !== "Value" || results.samples === undefined) return value;
  const samples = single("samples");
  if (samples.state !== "Value") return samples;
  return withSamples(value.value, samples.value, minSamples);
}

function withSamples(value: number, samples: number, minSamples: number): Observation {
  if (samples < minSamples)
    return { state: "NoData", reason: "TooFewSamples", message: `${round1(samples)} samples, fewer than the ${minSamples} required`, samples };
  if (!Number.isFinite(value)) return { state: "Error", reason: "NotFinite", message: `computed value is ${value}` };
  return { state: "Value", value, samples };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const zero = (what: string, samples: number): Observation => ({
  state: "NoData",
  reason: "ZeroDenominator",
  message: `${what} is zero in the window`,
  samples,
});

function fromCounts(s: SignalSpec, m: Map<string, number>, minSamples: number): Observation {
  const get = (k: string) => m.get(k) ?? 0;
  if (s.classification) {
    const o = s.classification.outcomes;
    const tp = get(`outcome:${o.truePositive}`);
    const fp = get(`outcome:${o.falsePositive}`);
    const tn = get(`outcome:${o.trueNegative}`);
    const fn = get(`outcome:${o.falseNegative}`);
    const n = tp + fp + tn + fn;
    if (n < minSamples || n === 0) return withSamples(NaN, n, Math.max(minSamples, 1));
    switch (s.classification.measure) {
      case "accuracy":
        return withSamples((tp + tn) / n, n, minSamples);
      case "precision":
        return tp + fp === 0 ? zero("the number of positive predictions", n) : withSamples(tp / (tp + fp), n, minSamples);
      case "recall":
        return tp + fn === 0 ? zero("the number of actual positives", n) : withSamples(tp / (tp + fn), n, minSamples);
      case "f1":
        return 2 * tp + fp + fn === 0 ? zero("2tp + fp + fn", n) : withSamples((2 * tp) / (2 * tp + fp + fn), n, minSamples);
    }
  }
  if (s.regression) {
    const n = get("count");
    if (n < minSamples || n === 0) return withSamples(NaN, n, Math.max(minSamples, 1));
    switch (s.regression.measure) {
      case "mae":
        return withSamples(get("abs") / n, n, minSamples);
      case "rmse":
        return withSamples(Math.sqrt(Math.max(0, get("sq")) / n), n, minSamples);
      case "r2": {
        const ssTot = get("tsq") - (get("tsum") * get("tsum")) / n;
        if (!(ssTot > 0)) return zero("the variance of the targets", n);
        return withSamples(1 - get("sq") / ssTot, n, minSamples);
      }
    }
  }
  if (s.histogram) {
    const h = s.histogram;
    if (h.measure === "mean") {
      const n = get("count");
      if (n < minSamples || n === 0) return withSamples(NaN, n, Math.max(minSamples, 1));
      return withSamples(get("sum") / n, n, minSamples);
    }
    const bins = histogramOfTotals(m);
    if (!bins.ok) return { state: "Error", reason: "InvalidData", message: bins.reason };
    const n = bins.value.total;
    if (n < minSamples || n === 0) return withSamples(NaN, n, Math.max(minSamples, 1));
    const measured =
      h.measure === "median"
        ? histogramQuantile(0.5, bins.value)
        : h.measure === "quantile"
          ? histogramQuantile(h.quantile ?? 0.5, bins.value)
          : h.measure === "shareBelow"
            ? shareBelow(h.threshold ?? 0, bins.value)
            : mapResult(shareBelow(h.threshold ?? 0, bins.value), (x) => 1 - x);
    if (!measured.ok) return { state: "Error", reason: "InvalidData", message: measured.reason };
    return withSamples(measured.value, n, minSamples);
  }
  if (s.ratio) {
    const den = get("den");
    if (den < minSamples || den === 0) return den === 0 && minSamples === 0 ? zero("the denominator", 0) : withSamples(NaN, den, Math.max(minSamples, 1));
    return withSamples(get("num") / den, den, minSamples);
  }
  return { state: "Error", reason: "InvalidData", message: "signal has no kind" };
}

/** The histogram held by a signal's summed `bucket:<le>` counts. */
export function histogramOfTotals(m: ReadonlyMap<string, number>): Result<Histogram> {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, count] of m) {
    if (!key.startsWith("bucket:")) continue;
    const le = parseLe(key.slice("bucket:".length));
    if (le === undefined) return { ok: false, reason: `bucket with le=${key.slice(7)} is not a number` };
    buckets.push({ le, count });
  }
  return binsFromCumulative(buckets);
}

type R<T> = { ok: true; value: T } | { ok: false; reason: string };
function mapResult<T, U>(r: R<T>, f: (t: T) => U): R<U> {
  return r.ok ? { ok: true, value: f(r.value) } : r;
}

export function parseLe(text: string): number | undefined {
  if (text === "+Inf" || text === "Inf") return Infinity;
  const v = Number(text);
  return text.trim() === "" || Number.isNaN(v) ? undefined : v;
}
