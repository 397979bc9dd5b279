// A canary analysis: the strategy's comparisons and bounds, planned as queries of the stable and
// the candidate version over the same window, and judged into one of four outcomes.
import type { ModelMonitorSpec, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import type { AnalysisOutcome, AnalysisRecord, BoundSpec, ComparisonRecord, ComparisonSpec, RolloutStrategy } from "../../api/v1alpha1/rollout.ts";
import { promDuration } from "../duration.ts";
import { versionSelector } from "../evaluate.ts";
import { queryKey, type QueryRequest } from "../observation.ts";
import { signalQueries } from "../signals.ts";
import type { Queries, Results } from "../analysis/plan.ts";
import { resultsFor } from "../analysis/plan.ts";
import { checkBound, compareVersions, limitOf, sequentialComparison } from "./comparisons.ts";
import { bucketSignalOf, evidenceOf, type Evidence } from "./evidence.ts";

/** The comparisons a strategy asks for: its presets' (for the signals the monitor declares), then its own. */
export function effectiveComparisons(strategy: RolloutStrategy, signals: readonly SignalSpec[]): ComparisonSpec[] {
  const has = (name: string) => signals.some((s) => s.name === name);
  const own = new Set(strategy.analysis.compare.map((c) => c.signal));
  const preset: ComparisonSpec[] = strategy.analysis.presets.includes("rollback-sop")
    ? [
        ...(has("safety_incident_rate") ? [{ signal: "safety_incident_rate", maxIncrease: 0.01 }] : []),
        ...(has("feedback") ? [{ signal: "feedback", maxDecrease: 0.5 }] : []),
        ...(has("p95_latency") ? [{ signal: "p95_latency", maxRelativeIncrease: 0.5 }] : []),
      ]
    : [];
  return [...preset.filter((c) => !own.has(c.signal)), ...strategy.analysis.compare];
}

/** Why a strategy cannot analyse this monitor's model, or undefined when it can. */
export function strategyProblem(strategy: RolloutStrategy, monitor: ModelMonitorSpec): string | undefined {
  const comparisons = effectiveComparisons(strategy, monitor.signals);
  if (comparisons.length + strategy.analysis.bounds.length === 0)
    return "the rollout strategy compares nothing: give analysis.compare, analysis.bounds or a preset whose signals the monitor declares";
  for (const c of [...comparisons, ...strategy.analysis.bounds])
    if (!monitor.signals.some((s) => s.name === c.signal)) return `analysis names signal "${c.signal}", which the monitor ${monitor.model.name} does not declare`;
  if (strategy.shadow) return shadowProblem(monitor);
  return undefined;
}

/**
 * Why the monitor's router cannot mirror for a shadow phase. Checked before anything is written,
 * so a data plane that fails mirrored routes never sees one.
 */
function shadowProblem(monitor: ModelMonitorSpec): string | undefined {
  const router = monitor.serving?.router;
  if (router?.kserve) return "the strategy has a shadow phase, but KServe cannot mirror requests to a revision: use the gatewayAPI or istio router in front of two Deployments, or drop spec.rollout.shadow";
  if (router?.gatewayAPI && !router.gatewayAPI.requestMirror)
    return "the strategy has a shadow phase, but spec.serving.router.gatewayAPI.requestMirror is not true: set it once the data plane implements the HTTPRoute RequestMirror filter with percent (Traefik's provider does not: it answers 500 on such a route while the route says Accepted)";
  return undefined;
}

interface VersionQueries {
  main: Queries;
  buckets?: Queries | undefined;
}

export interface PlannedCheck {
  signal: SignalSpec;
  comparison?: ComparisonSpec;
  bound?: BoundSpec;
  stable: VersionQueries;
  candidate: VersionQueries;
}

export interface RolloutAnalysisPlan {
  window: string;
  checks: PlannedCheck[];
}

export interface AnalysisTarget {
  monitor: ModelMonitorSpec;
  strategy: RolloutStrategy;
  stableVersion: string;
  candidateVersion: string;
  /** Both versions are measured over [at - window, at]. */
  windowMs: number;
  candidateAt: number;
  /** When the stable version has no live traffic (a 100 % step), its window before the step. */
  stableAt: number;
}

export function planRolloutAnalysis(t: AnalysisTarget): RolloutAnalysisPlan {
  const window = promDuration(Math.max(1000, t.windowMs));
  const queriesOf = (signal: SignalSpec, version: string, time: number): VersionQueries => {
    const ctx = { selector: versionSelector(t.monitor, version), window };
    const at = (exprs: Record<string, string>): Queries => Object.fromEntries(Object.entries(exprs).map(([id, expr]) => [id, { expr, time }]));
    const bucketSignal = bucketSignalOf(signal);
    return { main: at(signalQueries(signal, ctx)), buckets: bucketSignal ? at(signalQueries(bucketSignal, ctx)) : undefined };
  };
  const signal = (name: string) => t.monitor.signals.find((s) => s.name === name) as SignalSpec;
  const checks: PlannedCheck[] = [
    ...effectiveComparisons(t.strategy, t.monitor.signals).map((comparison) => ({ comparison, signal: signal(comparison.signal) })),
    ...t.strategy.analysis.bounds.map((bound) => ({ bound, signal: signal(bound.signal) })),
  ]
    .filter((c) => c.signal !== undefined)
    .map((c) => ({ ...c, stable: queriesOf(c.signal, t.stableVersion, t.stableAt), candidate: queriesOf(c.signal, t.candidateVersion, t.candidateAt) }));
  return { window, checks };
}

export function rolloutAnalysisQueries(plan: RolloutAnalysisPlan): QueryRequest[] {
  const all = new Map<string, QueryRequest>();
  for (const c of plan.checks)
    for (const qs of [c.stable.main, c.stable.buckets, c.candidate.main, c.candidate.buckets]) for (const q of Object.values(qs ?? {})) all.set(queryKey(q), q);
  return [...all.values()];
}

export interface AnalysisJudgement {
  outcome: AnalysisOutcome;
  message: string;
  comparisons: ComparisonRecord[];
  /** A check while the hold lasts (analysis.interval): it can fail the candidate, never pass the step. */
  interim?: boolean;
}

const evidence = (c: PlannedCheck, v: VersionQueries, results: Results): Evidence =>
  evidenceOf(c.signal, resultsFor(v.main, results), v.buckets ? resultsFor(v.buckets, results) : undefined);

/**
 * The level of each comparison's anytime-valid test in one step: significance split evenly over
 * the steps and the shadow phase, so that over the whole rollout the chance of ever failing a
 * candidate within tolerance stays at most significance per comparison (docs/statistics.md).
 */
export const sequentialAlpha = (strategy: RolloutStrategy): number => strategy.analysis.significance / (strategy.steps.length + (strategy.shadow ? 1 : 0));

/**
 * An analysis of a strategy with analysis.interval: comparisons by their anytime-valid test (so
 * looking at every interval and extending a step spend no extra error), bounds as always. An
 * interim check (before the hold's end) can only fail the candidate; at the hold's end the same
 * judgement passes the step, and a measure with no test on its counts is decided by its
 * tolerance alone, as without an interval.
 */
/** The key of a comparison's kept bucket boundary in status.stepBoundaries. */
export const boundaryKey = (c: { signal: string; check: string }) => `${c.signal}:${c.check}`;

export function judgeSequentialAnalysis(plan: RolloutAnalysisPlan, results: Results, strategy: RolloutStrategy, interim: boolean, boundaries: Record<string, number> = {}): AnalysisJudgement {
  const o = { minSamples: strategy.analysis.minSamples, alpha: sequentialAlpha(strategy), significance: strategy.analysis.significance };
  const comparisons = plan.checks.flatMap((c) => {
    if (!c.comparison) return checkBound(c.bound as BoundSpec, evidence(c, c.candidate, results), o);
    const stable = evidence(c, c.stable, results);
    const candidate = evidence(c, c.candidate, results);
    const r = sequentialComparison(c.comparison, stable, candidate, { ...o, boundary: boundaries[boundaryKey({ signal: c.comparison.signal, check: limitOf(c.comparison).check })] });
    return [!interim && r.test === "none" ? compareVersions(c.comparison, stable, candidate, o) : r];
  });
  const j = judged(comparisons);
  if (!interim) return j;
  if (j.outcome === "Failed" || j.outcome === "Error") return { ...j, interim: true };
  // the step's running summary: every comparison's estimate with its anytime-valid interval
  return { ...j, message: comparisons.map(summaryOf).join("; "), interim: true };
}

const summaryOf = (c: ComparisonRecord): string => c.message ?? `${c.signal}${c.candidate !== undefined ? ` ${c.candidate}` : ""} within ${c.check} ${c.limit}`;

/** The judgement the analysis due now needs: anytime-valid with analysis.interval or while a hold still runs, else the fixed-horizon one. */
export function judgeAnalysis(plan: RolloutAnalysisPlan, results: Results, strategy: RolloutStrategy, interim: boolean, boundaries?: Record<string, number>): AnalysisJudgement {
  return interim || strategy.analysis.interval !== undefined ? judgeSequentialAnalysis(plan, results, strategy, interim, boundaries) : judgeRolloutAnalysis(plan, results, strategy);
}

/** The step's kept boundaries with those its latest analysis chose for the first time, or undefined when nothing is new. */
export function keptBoundaries(kept: Record<string, number> | undefined, comparisons: readonly ComparisonRecord[]): Record<string, number> | undefined {
  const fresh = comparisons.filter((c) => c.boundary !== undefined && kept?.[boundaryKey(c)] === undefined);
  return fresh.length ? { ...kept, ...Object.fromEntries(fresh.map((c) => [boundaryKey(c), c.boundary as number])) } : undefined;
}

export function judgeRolloutAnalysis(plan: RolloutAnalysisPlan, results: Results, strategy: RolloutStrategy): AnalysisJudgement {
  const o = { minSamples: strategy.analysis.minSamples, significance: strategy.analysis.significance };
  const comparisons = plan.checks.flatMap((c) =>
    c.comparison ? [compareVersions(c.comparison, evidence(c, c.stable, results), evidence(c, c.candidate, results), o)] : checkBound(c.bound as BoundSpec, evidence(c, c.candidate, results), o),
  );
  return judged(comparisons);
}

/** The outcome of an analysis from its comparisons' records: the first Failed, else Error, else Inconclusive, else Successful. */
export function judged(comparisons: ComparisonRecord[]): AnalysisJudgement {
  const first = (outcome: ComparisonRecord["outcome"]) => comparisons.find((c) => c.outcome === outcome);
  const failed = first("Failed");
  if (failed) return { outcome: "Failed", message: failed.message ?? `${failed.signal} failed ${failed.check}`, comparisons };
  const error = first("Error");
  if (error) return { outcome: "Error", message: `${error.signal}: ${error.message ?? "error"}`, comparisons };
  const inconclusive = first("Inconclusive");
  if (inconclusive) return { outcome: "Inconclusive", message: `${inconclusive.signal}: ${inconclusive.message ?? "inconclusive"}`, comparisons };
  return { outcome: "Successful", message: `${comparisons.length} checks passed`, comparisons };
}

/**
 * The candidate's samples of `signal` over the live steps its records cover: per step, the most
 * any of its analyses counted (each counts from the step's start, so the last is the largest);
 * the shadow phase served nothing. Records beyond the 32 kept are not counted.
 */
export function exposureOf(analyses: readonly AnalysisRecord[], signal: string): number {
  const perStep = new Map<number, number>();
  for (const a of analyses) {
    if (a.shadow) continue;
    const samples = a.comparisons.find((c) => c.signal === signal)?.candidateSamples ?? 0;
    perStep.set(a.step, Math.max(perStep.get(a.step) ?? 0, samples));
  }
  return [...perStep.values()].reduce((x, y) => x + y, 0);
}

/** The record kept in status: one line per comparison with its numbers. */
export function analysisRecordOf(j: AnalysisJudgement, step: number, weight: number, window: string, now: number): AnalysisRecord {
  return { step, weight, time: new Date(now).toISOString(), window, outcome: j.outcome, message: j.message, comparisons: j.comparisons };
}
