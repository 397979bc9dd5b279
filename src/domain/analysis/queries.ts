// The queries an analysis ran, as status shows them, and why one matched nothing. A query that
// answers no series has two likely causes that call for different fixes: a misspelt metric name
// or a selector that matches none of the metric's series. A second, cheap lookup of the metric
// without any selector tells them apart: planned here only for current-window queries that
// answered no series, at most one per metric name, and read back here. Pure.
import type { QueryStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { durationMs, promDuration } from "../duration.ts";
import { queryKey, type QueryRequest } from "../observation.ts";
import { matchers, vectorSelector } from "../promql.ts";
import { signalMetrics } from "../signals.ts";
import type { AnalysisPlan, Queries, Results, Selector } from "./plan.ts";

/** The longest expression status shows; a longer one is cut, with a note saying how long it was. */
export const MAX_SHOWN_EXPR = 512;

/** How far back the lookup without a selector looks at most: it reads every series of the metric. */
export const LOOKUP_MAX_MS = 3_600_000;
/** …and at least: Prometheus's own look-back, so a window shorter than two scrapes still sees a scraped metric. */
export const LOOKUP_MIN_MS = 300_000;

const MAX_LABELS_SHOWN = 20;

/** A planned query reading one metric: what a no-series answer is checked against. */
interface MetricRead {
  request: QueryRequest;
  metric: string;
  /** Every label matcher the query used. */
  labels: Selector;
  window: string;
  /** Where the metric's name is in the spec, e.g. spec.signals[0].classification.metric. */
  field: string;
  /** Where extra label matchers are in the spec, when the query has some. */
  labelsField?: string | undefined;
}

/** The queries shown for one signal or drift check, and why the check has no series when it can say. */
export interface ShownQueries {
  queries: QueryStatus[];
  /** The first no-series explanation among them. */
  noSeries?: string;
}

/** The metric behind each of a signal's current queries, by local id (none for a custom query). */
function signalReads(plan: AnalysisPlan, i: number): Map<string, MetricRead> {
  const p = plan.signals[i] as AnalysisPlan["signals"][number];
  const out = new Map<string, MetricRead>();
  for (const [id, m] of signalMetrics(p.signal)) {
    const request = p.current[id];
    if (!request) continue;
    out.set(id, {
      request,
      metric: m.metric,
      labels: { ...plan.selector, ...m.labels },
      window: p.window,
      field: `spec.signals[${i}].${m.field}${p.signal.histogram ? " (a histogram's base name)" : ""}`,
      labelsField: m.labelsField ? `spec.signals[${i}].${m.labelsField}` : undefined,
    });
  }
  return out;
}

function driftReads(plan: AnalysisPlan, j: number): Map<string, MetricRead> {
  const d = plan.drift[j] as AnalysisPlan["drift"][number];
  const h = d.drift.histogram;
  const e = d.drift.embedding;
  const out = new Map<string, MetricRead>();
  const read = (id: string, metric: string, field: string) => {
    const request = d.current[id];
    if (request) out.set(id, { request, metric, labels: { ...plan.selector }, window: d.window, field });
  };
  if (h) read("bucket", `${h.metric}_bucket`, `spec.drift[${j}].histogram.metric (a histogram's base name)`);
  if (e) read("vector", e.metric, `spec.drift[${j}].embedding.metric`);
  return out;
}

function allReads(plan: AnalysisPlan): MetricRead[] {
  return [...plan.signals.flatMap((_, i) => [...signalReads(plan, i).values()]), ...plan.drift.flatMap((_, j) => [...driftReads(plan, j).values()])];
}

const answeredNothing = (r: MetricRead, results: Results) => {
  const answer = results.get(queryKey(r.request));
  return answer?.kind === "vector" && answer.samples.length === 0;
};

/** The lookup's range: the query's window within [LOOKUP_MIN_MS, LOOKUP_MAX_MS], in the largest whole unit (it is also read in messages). */
function lookbackOf(window: string): string {
  const ms = Math.min(Math.max(durationMs(window), LOOKUP_MIN_MS), LOOKUP_MAX_MS);
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return promDuration(ms);
}

/** The lookup of a metric without any selector: one of its series, with its label names, if any exists. */
export function metricLookup(metric: string, window: string, time: number): QueryRequest {
  return { expr: `topk(1, last_over_time(${vectorSelector(metric, {})}[${lookbackOf(window)}]))`, time };
}

type Lookups = Map<string, { request: QueryRequest; lookback: string }>;

/**
 * The lookup of each metric whose current-window query answered no series: one per metric name,
 * over the shortest window among those queries (what it finds was there for every one of them).
 */
function lookupsByMetric(plan: AnalysisPlan, results: Results): Lookups {
  const shortest = new Map<string, MetricRead>();
  for (const r of allReads(plan)) {
    if (!answeredNothing(r, results)) continue;
    const kept = shortest.get(r.metric);
    if (!kept || durationMs(r.window) < durationMs(kept.window)) shortest.set(r.metric, r);
  }
  return new Map([...shortest].map(([metric, r]) => [metric, { request: metricLookup(metric, r.window, r.request.time), lookback: lookbackOf(r.window) }]));
}

/**
 * The second round of an evaluation: a lookup without the selector for each metric whose
 * current-window query answered no series, at most one per metric name. Empty when every
 * query found series (or failed: an error says what it is by itself).
 */
export function planMetricLookups(plan: AnalysisPlan, results: Results): QueryRequest[] {
  return [...lookupsByMetric(plan, results).values()].map((l) => l.request);
}

/**
 * Why a query of `read` matched nothing, from its metric's lookup: the metric does not exist
 * (fix its name), or it exists without the labels asked for (fix the selector). Undefined when
 * the lookup was not run or failed.
 */
function noSeriesMessage(read: MetricRead, lookups: Lookups, results: Results, selectorSource: string): string | undefined {
  const planned = lookups.get(read.metric);
  const lookup = planned && results.get(queryKey(planned.request));
  if (!planned || lookup?.kind !== "vector") return undefined;
  if (lookup.samples.length === 0) return `no series named ${read.metric} exist in this Prometheus (in the last ${planned.lookback}): check ${read.field}`;
  const seen = Object.keys(lookup.samples[0]?.labels ?? {})
    .filter((l) => l !== "__name__")
    .sort();
  const absent = Object.keys(read.labels)
    .filter((l) => !seen.includes(l))
    .sort();
  const where = [selectorSource, ...(read.labelsField ? [read.labelsField] : [])].join(" and ");
  // a series' label names are few; the list is still bounded, as status is
  const shown =
    seen.length > MAX_LABELS_SHOWN ? `${seen.slice(0, MAX_LABELS_SHOWN).join(", ")} and ${seen.length - MAX_LABELS_SHOWN} more` : seen.join(", ") || "none";
  return `${read.metric} exists, but none with {${matchers(read.labels)}}: check ${where} (labels seen on this metric: ${shown}${absent.length ? `; a series seen has no ${absent.join(", ")}` : ""})`;
}

/** An expression as status shows it: at most MAX_SHOWN_EXPR characters, a cut one saying so. */
export function shownExpr(expr: string): string {
  if (expr.length <= MAX_SHOWN_EXPR) return expr;
  const note = ` … [cut: ${expr.length} characters in all]`;
  return expr.slice(0, MAX_SHOWN_EXPR - note.length) + note;
}

function show(qs: Queries, reads: Map<string, MetricRead>, lookups: Lookups, results: Results, selectorSource: string): ShownQueries {
  const queries: QueryStatus[] = [];
  let noSeries: string | undefined;
  for (const [id, request] of Object.entries(qs)) {
    const answer = results.get(queryKey(request));
    const series = answer?.kind === "vector" ? answer.samples.length : undefined;
    const read = reads.get(id);
    const message = series === 0 && read ? noSeriesMessage(read, lookups, results, selectorSource) : undefined;
    noSeries ??= message;
    queries.push({ expr: shownExpr(request.expr), ...(series !== undefined ? { series } : {}), ...(message !== undefined ? { message } : {}) });
  }
  return { queries, ...(noSeries !== undefined ? { noSeries } : {}) };
}

/** The current-window queries of signal `i`, with their series counts and, for those that matched nothing, why. */
export function signalQueriesShown(plan: AnalysisPlan, i: number, results: Results): ShownQueries {
  const p = plan.signals[i] as AnalysisPlan["signals"][number];
  return show(p.current, signalReads(plan, i), lookupsByMetric(plan, results), results, plan.selectorSource ?? "the selector");
}

/** The queries of drift check `j`: its current window, then its reference window when it has one. */
export function driftQueriesShown(plan: AnalysisPlan, j: number, results: Results): ShownQueries {
  const d = plan.drift[j] as AnalysisPlan["drift"][number];
  const current = show(d.current, driftReads(plan, j), lookupsByMetric(plan, results), results, plan.selectorSource ?? "the selector");
  const reference = d.reference ? show(d.reference, new Map(), new Map(), results, "") : { queries: [] };
  return { ...current, queries: [...current.queries, ...reference.queries] };
}
