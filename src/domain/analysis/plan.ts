// What one analysis queries: a model's signals (with their baselines and fairness groups) and
// drift checks, for one selector over one window. The selector is a parameter, so the same
// checks can be planned for the stable version and for a candidate over the same window.
import type { DriftSpec, ModelMonitorSpec, PinnedValue, RuleSpec, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { durationMs, promDuration } from "../duration.ts";
import { queryKey, type QueryRequest, type QueryResult } from "../observation.ts";
import { sumIncrease, vectorSelector } from "../promql.ts";
import { signalQueries } from "../signals.ts";

/** The checks an analysis runs, as a ModelMonitor declares them (presets already expanded). */
export interface AnalysisSpec {
  signals: readonly SignalSpec[];
  rules: readonly RuleSpec[];
  /** Where each rule comes from, by index (status and messages); `rules[i]` when absent. */
  ruleNames?: readonly string[] | undefined;
  drift: readonly DriftSpec[];
  fairness: ModelMonitorSpec["fairness"];
  segments?: ModelMonitorSpec["segments"] | undefined;
  /** Default window of every signal and drift check. */
  window: string;
  /** Default minimum sample count. */
  minSamples: number;
  /** How often the analysis repeats ("1m" when absent): the drift noise gate spends its budget over these evaluations. */
  interval?: string | undefined;
}

/** Label matchers added to every query (escaped when the queries are built). */
export type Selector = Record<string, string>;

export type Queries = Record<string, QueryRequest>;

export interface PlannedSignal {
  signal: SignalSpec;
  /** Its current window, as PromQL writes it. */
  window: string;
  minSamples: number;
  windowMs: number;
  current: Queries;
  baselines: Map<string, Queries>; // offset text -> queries at now - offset
  /** Pins still accumulating (pin key -> queries over the one growing window from its start to now). */
  accumulating: Map<string, Queries>;
  fairness: Map<string, Queries>; // group label -> queries
}

export interface PlannedDrift {
  drift: DriftSpec;
  /** Its current window, as PromQL writes it. */
  window: string;
  current: Queries;
  reference?: Queries | undefined;
}

export interface AnalysisPlan {
  spec: AnalysisSpec;
  selector: Selector;
  /** Where the selector comes from, for a message on a query that matched nothing (default "the selector"). */
  selectorSource?: string | undefined;
  signals: PlannedSignal[];
  drift: PlannedDrift[];
}

export type Results = ReadonlyMap<string, QueryResult>;

const at = (exprs: Record<string, string>, time: number): Queries => Object.fromEntries(Object.entries(exprs).map(([id, expr]) => [id, { expr, time }]));

/** The answers to a group of queries, by the same local ids. */
export const resultsFor = (qs: Queries, results: Results): Record<string, QueryResult | undefined> =>
  Object.fromEntries(Object.entries(qs).map(([id, q]) => [id, results.get(queryKey(q))]));

/** `pinned`: the remembered pins; a signal's pin still accumulating is re-queried as one range from its start. */
export function planAnalysis(spec: AnalysisSpec, selector: Selector, now: number, pinned: Readonly<Record<string, PinnedValue>> = {}): AnalysisPlan {
  const signals = spec.signals.map((signal): PlannedSignal => {
    const window = promDuration(durationMs(signal.window ?? spec.window));
    const ctx = { selector, window, groupBy: signal.query ? undefined : spec.segments?.label };
    const baselines = new Map<string, Queries>();
    for (const rule of spec.rules)
      if (rule.signal === signal.name && rule.baseline?.offset)
        baselines.set(rule.baseline.offset, at(signalQueries(signal, ctx), now - durationMs(rule.baseline.offset)));
    const fairness = new Map<string, Queries>();
    for (const f of spec.fairness)
      if (f.signal === signal.name && !signal.query) fairness.set(f.groupLabel, at(signalQueries(signal, { ...ctx, groupBy: f.groupLabel }), now));
    const accumulating = new Map<string, Queries>();
    if (spec.rules.some((r) => r.signal === signal.name && r.baseline?.pinned))
      for (const [key, pin] of Object.entries(pinned)) {
        if (pin.state !== "Accumulating" || pinSignal(key) !== signal.name) continue;
        // the whole range since the accumulation started, never less than the signal's window
        const range = Math.max(now - Date.parse(pin.from ?? pin.at), durationMs(window));
        accumulating.set(key, at(signalQueries(signal, { ...ctx, window: promDuration(range) }), now));
      }
    return {
      signal,
      window,
      minSamples: signal.minSamples ?? spec.minSamples,
      windowMs: durationMs(window),
      current: at(signalQueries(signal, ctx), now),
      baselines,
      accumulating,
      fairness,
    };
  });
  const drift = spec.drift.map((d): PlannedDrift => {
    const windowMs = durationMs(d.window ?? spec.window);
    if (d.embedding) {
      const expr = `avg by (${d.embedding.dimensionLabel}) (${vectorSelector(d.embedding.metric, selector)})`;
      return { drift: d, window: promDuration(windowMs), current: { vector: { expr, time: now } } };
    }
    const h = d.histogram as NonNullable<DriftSpec["histogram"]>;
    const by = ["le", ...(h.featureLabel ? [h.featureLabel] : [])];
    const query = (w: number) => sumIncrease(`${h.metric}_bucket`, selector, { window: promDuration(w), by });
    const reference = d.reference.offset
      ? { bucket: { expr: query(durationMs(d.reference.window ?? d.window ?? spec.window)), time: now - durationMs(d.reference.offset) } }
      : undefined;
    return { drift: d, window: promDuration(windowMs), current: { bucket: { expr: query(windowMs), time: now } }, reference };
  });
  return { spec, selector, signals, drift };
}

/** Every query of a plan, once. */
export function analysisQueries(plan: AnalysisPlan): QueryRequest[] {
  const all = new Map<string, QueryRequest>();
  const add = (qs: Queries | undefined) => {
    for (const q of Object.values(qs ?? {})) all.set(queryKey(q), q);
  };
  for (const s of plan.signals) {
    add(s.current);
    for (const q of s.baselines.values()) add(q);
    for (const q of s.accumulating.values()) add(q);
    for (const q of s.fairness.values()) add(q);
  }
  for (const d of plan.drift) {
    add(d.current);
    add(d.reference);
  }
  return [...all.values()];
}

/** The signal a pin key belongs to: `signal:<name>` or `signal:<name>@<segment>`. */
export const pinSignal = (key: string): string | undefined => (key.startsWith("signal:") ? (key.slice("signal:".length).split("@")[0] as string) : undefined);
