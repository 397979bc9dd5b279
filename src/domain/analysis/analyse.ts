// The reusable analysis core: a model's signals, rules and drift checks, planned for one
// selector (plan.ts) and judged from the query results. A ModelMonitor's evaluation is one
// analysis; a canary analysis is two, with the stable and the candidate selectors over the
// same window. It returns observations and findings and never touches a status.
import type { Coverage, DriftStatus, Finding, PinnedValue, RuleStatus, SignalStatus } from "../../api/v1alpha1/modelmonitor.ts";
import type { MonitorEvent } from "../events.ts";
import { durationMs } from "../duration.ts";
import { checkEmbeddingDrift, checkHistogramDrift, NO_REFERENCE } from "./drift-checks.ts";
import type { AnalysisMemory, CheckOutcome } from "./outcome.ts";
import type { AnalysisPlan, Results } from "./plan.ts";
import { driftQueriesShown, signalQueriesShown } from "./queries.ts";
import { checkFairness, checkSignal } from "./signal-checks.ts";

export interface AnalysisResult {
  signals: SignalStatus[];
  drift: DriftStatus[];
  /** Every rule, in spec order (presets first), and whether it could be judged. */
  rules: RuleStatus[];
  /** In check order; first-seen times are this analysis's (a caller keeping history restores them). */
  findings: Finding[];
  /** Breaches still waiting for their `for`. */
  pending: Map<string, string>;
  /** Every pin after this analysis: the remembered ones and the ones it took. */
  pinned: Record<string, PinnedValue>;
  events: MonitorEvent[];
  /** Why a signal or drift check has no value, one line each. */
  unknownReasons: string[];
  maxDriftScore?: number;
}

export function analyse(plan: AnalysisPlan, results: Results, memory: AnalysisMemory, now: number): AnalysisResult {
  const nowIso = new Date(now).toISOString();
  const outcomes: CheckOutcome[] = [];
  const signals: SignalStatus[] = [];
  const unknownReasons: string[] = [];
  const rules: (RuleStatus & { index: number })[] = [];
  for (const [i, p] of plan.signals.entries()) {
    const own = plan.spec.rules.map((rule, index) => ({ rule, index, name: plan.spec.ruleNames?.[index] })).filter(({ rule }) => rule.signal === p.signal.name);
    // the overall row shows the queries (segments share them); no series says which fix it needs
    const shown = signalQueriesShown(plan, i, results);
    const check = checkSignal(p, own, plan.spec.segments, results, memory, now, shown.noSeries);
    const [overall, ...segments] = check.statuses;
    if (overall) signals.push(shown.queries.length ? { ...overall, queries: shown.queries } : overall);
    signals.push(...segments);
    rules.push(...check.rules);
    outcomes.push(check.outcome);
    if (check.overall.state !== "Value") unknownReasons.push(`${p.signal.name}: ${check.overall.message}`);
    for (const f of plan.spec.fairness.filter((x) => x.signal === p.signal.name)) {
      const finding = checkFairness(p, f, results, nowIso);
      if (finding) outcomes.push({ findings: [finding], pins: {}, pending: new Map(), events: [] });
    }
  }
  const drift: DriftStatus[] = [];
  let maxDriftScore: number | undefined;
  for (const [j, d] of plan.drift.entries()) {
    const check = d.drift.embedding
      ? checkEmbeddingDrift(d, results, memory, nowIso)
      : checkHistogramDrift(d, results, memory, nowIso, plan.spec.minSamples, durationMs(plan.spec.interval ?? "1m"));
    const shown = driftQueriesShown(plan, j, results);
    // a current window without series is the only way a check has no features
    const noSeries = check.status.state === "NoData" && check.status.features.length === 0 ? shown.noSeries : undefined;
    const status = { ...check.status, ...(noSeries !== undefined ? { reason: noSeries } : {}) };
    drift.push({ ...status, coverage: driftCoverage(status), ...(shown.queries.length ? { queries: shown.queries } : {}) });
    outcomes.push(check.outcome);
    for (const f of status.features) if (f.score !== undefined) maxDriftScore = Math.max(maxDriftScore ?? f.score, f.score);
    if (status.state !== "Value") unknownReasons.push(`${d.drift.name}: ${status.reason ?? status.state}`);
  }
  return {
    signals,
    drift,
    rules: rules.sort((a, b) => a.index - b.index).map(({ index: _, ...r }) => r),
    findings: outcomes.flatMap((o) => o.findings),
    pending: keepOrder(memory.pending, new Map(outcomes.flatMap((o) => [...o.pending]))),
    pinned: Object.assign({}, memory.pinned, ...outcomes.map((o) => o.pins)) as Record<string, PinnedValue>,
    events: outcomes.flatMap((o) => o.events),
    unknownReasons,
    ...(maxDriftScore !== undefined ? { maxDriftScore } : {}),
  };
}

/** Remembered breaches first, in their order, then new ones: a status that did not change reads the same. */
function keepOrder(before: ReadonlyMap<string, string>, now: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of before.keys()) if (now.has(key)) out.set(key, now.get(key) as string);
  for (const [key, since] of now) if (!out.has(key)) out.set(key, since);
  return out;
}

/**
 * Whether a drift check could be judged: with a score for at least one feature it was; without,
 * no reference for any feature is NoBaseline, too few samples InsufficientSamples.
 */
function driftCoverage(d: DriftStatus): Coverage {
  if (d.state === "Value") return "Judged";
  if (d.state === "Error") return "Error";
  if (d.features.length > 0 && d.features.every((f) => f.state === "InsufficientData" && f.reason === NO_REFERENCE)) return "NoBaseline";
  if (d.features.some((f) => f.state === "InsufficientData")) return "InsufficientSamples";
  return "NoData";
}
