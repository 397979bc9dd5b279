// A canary analysis: the strategy's comparisons and bounds, planned as queries of the stable and
// the candidate version over the same window, and judged into one of four outcomes.
import type { ModelMonitorSpec, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import type { AnalysisOutcome, AnalysisRecord, BoundSpec, ComparisonRecord, ComparisonSpec, RolloutStrategy } from "../../api/v1alpha1/rollout.ts";
import { promDuration } from "../duration.ts";
import { versionSelector } from "../monitor/evaluate.ts";
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
    if (!monitor.signals.some((s) => s.name === c.signal))
      return `analysis names signal "${c.signal}", which the monitor ${monitor.model.name} does not declare`;
  if (strategy.shadow) return shadowProblem(monitor);
  return undefined;
}

/**
 * Why the monitor's router cannot mirror for a shadow phase. Checked before anything is written,
 * so a data plane that fails mirrored routes never sees one.
 */
function shadowProblem(monitor: ModelMonitorSpec): string | undefined {
  const router = monitor.serving?.router;
  if (router?.kserve)
    return "the strategy has a shadow phase, but KServe cannot mirror requests to a revision: use the gatewayAPI or istio router in front of two Deployments, or drop spec.rollout.shadow";
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

/** A stage of a rollout that judges the candidate on its own data: the shadow phase, or a step. */
export interface Stage {
  shadow: boolean;
  /** The step's index (ignored for the shadow phase). */
  index: number;
}

/** The stage a rollout's status is in. */
export const stageOf = (status: { phase?: string | undefined; stepIndex?: number | undefined }): Stage => ({
  shadow: status.phase === "Shadowing",
  index: status.stepIndex ?? 0,
});

/**
 * Whether a stage's evidence is carried into the next: the stable version is measured live beside
 * the candidate (the shadow phase, a step under 100 %), so the stages' data are disjoint. A 100 %
 * step reads stable over the window before it, which overlaps the step before: its test stands
 * alone at its own share of the significance.
 */
const carries = (strategy: RolloutStrategy, stage: Stage): boolean => stage.shadow || (strategy.steps[stage.index]?.weight ?? 100) < 100;

/** The stages in order, each with whether it carries. */
function stagesOf(strategy: RolloutStrategy): { stage: Stage; carried: boolean }[] {
  const all: Stage[] = [...(strategy.shadow ? [{ shadow: true, index: 0 }] : []), ...strategy.steps.map((_, index) => ({ shadow: false, index }))];
  return all.map((stage) => ({ stage, carried: carries(strategy, stage) }));
}

/**
 * The level of a comparison's anytime-valid test at a stage, from the evidence carried from the
 * completed stages (docs/statistics.md, "Over a whole rollout"). The significance is split by
 * stages: each standalone (100 %) step gets α/K, the carried stages together α_c = α·C/K. Over
 * the C carried stages the evidence is a mixture over starting stages, the one starting at stage k
 * with weight w_k (Σ w_k = 1): M = Σ_k w_k Π_{k ≤ j ≤ now} Λ_j, a test supermartingale, so
 * P(M ever ≥ 1/α_c) ≤ α_c whatever the stage the candidate turns worse at. Entering carried stage
 * i, M = (P + w_i)·Λ_i + Σ_{k > i} w_k with P the carried evidence, and M ≥ 1/α_c is exactly
 * Λ_i ≥ 1/α_i for the level returned here. Evidence against the candidate in earlier stages raises
 * it; evidence for it lowers it, never below w_i·α_c.
 */
export function stageAlpha(strategy: RolloutStrategy, stage: Stage, carried = 0): number {
  const significance = strategy.analysis.significance;
  const stages = stagesOf(strategy);
  const k = Math.max(1, stages.length);
  if (!carries(strategy, stage)) return significance / k;
  const c = stages.filter((s) => s.carried).length;
  const position = carriedPosition(strategy, stage);
  const alphaCarried = (significance * c) / k;
  const after = Array.from({ length: Math.max(0, c - position - 1) }, (_, j) => startWeight(c, position + 1 + j)).reduce((a, b) => a + b, 0);
  const level = (carried + startWeight(c, position)) / (1 / alphaCarried - after);
  // a level of 1 or more would have failed the candidate at the stage before; keep the test defined
  return Math.min(level, 0.5);
}

/**
 * The weight of the mixture's component that starts at carried stage i of c: three quarters on
 * the first (a regression usually shows from the candidate's first request, and the evidence of
 * every step then adds up against it), the rest spread over the later ones (a candidate that turns
 * worse only under more load is still judged from the stage it turns at). Chosen with
 * `npm run bench:canary` (docs/statistics.md), before and apart from any rollout's data.
 */
export const FIRST_STAGE_WEIGHT = 0.75;
const startWeight = (c: number, i: number): number => (c <= 1 ? 1 : i === 0 ? FIRST_STAGE_WEIGHT : (1 - FIRST_STAGE_WEIGHT) / (c - 1));

/** A carried stage's place among the carried stages. */
function carriedPosition(strategy: RolloutStrategy, stage: Stage): number {
  const carried = stagesOf(strategy).filter((s) => s.carried);
  return Math.max(
    0,
    carried.findIndex((s) => s.stage.shadow === stage.shadow && (stage.shadow || s.stage.index === stage.index)),
  );
}

/** The evidence to carry into the next stage: per comparison, (P + w)·Λ of the stage's final analysis; unchanged out of a stage that does not carry. */
export function carriedEvidence(
  strategy: RolloutStrategy,
  stage: Stage,
  carried: Record<string, number> | undefined,
  comparisons: readonly ComparisonRecord[],
): Record<string, number> | undefined {
  if (!carries(strategy, stage)) return carried;
  const w = startWeight(stagesOf(strategy).filter((s) => s.carried).length, carriedPosition(strategy, stage));
  const next = { ...carried };
  for (const r of comparisons) {
    if (r.logEvidence === undefined) continue;
    const key = boundaryKey(r);
    const value = ((carried?.[key] ?? 0) + w) * Math.exp(r.logEvidence);
    if (Number.isFinite(value)) next[key] = Number(value.toPrecision(8));
  }
  return next;
}

/** The key of a comparison in status.stepBoundaries and status.carriedEvidence. */
export const boundaryKey = (c: { signal: string; check: string }) => `${c.signal}:${c.check}`;

export interface JudgeOptions {
  /** A check before the hold's end: it can fail the candidate, never pass the step. */
  interim: boolean;
  stage: Stage;
  /** status.stepBoundaries */
  boundaries?: Record<string, number> | undefined;
  /** status.carriedEvidence */
  carried?: Record<string, number> | undefined;
}

/**
 * An analysis, at an interim check or at the hold's end: comparisons by their anytime-valid test
 * (so looking at every interval and extending a step spend no extra error), at the stage's level
 * given the evidence carried so far; bounds as always. An interim check can only fail the
 * candidate; at the hold's end the same judgement passes the step, and a measure with no test on
 * its counts is decided by its tolerance alone.
 */
export function judgeAnalysis(plan: RolloutAnalysisPlan, results: Results, strategy: RolloutStrategy, j: JudgeOptions): AnalysisJudgement {
  const { interim, boundaries = {} } = j;
  const o = { minSamples: strategy.analysis.minSamples, significance: strategy.analysis.significance };
  const comparisons = plan.checks.flatMap((c) => {
    if (!c.comparison) return checkBound(c.bound as BoundSpec, evidence(c, c.candidate, results), o);
    const stable = evidence(c, c.stable, results);
    const candidate = evidence(c, c.candidate, results);
    const key = boundaryKey({ signal: c.comparison.signal, check: limitOf(c.comparison).check });
    const alpha = stageAlpha(strategy, j.stage, j.carried?.[key]);
    const r = sequentialComparison(c.comparison, stable, candidate, { ...o, alpha, boundary: boundaries[key] });
    return [!interim && r.test === "none" ? compareVersions(c.comparison, stable, candidate, o) : r];
  });
  const judgement = judged(comparisons);
  if (!interim) return judgement;
  if (judgement.outcome === "Failed" || judgement.outcome === "Error") return { ...judgement, interim: true };
  // the step's running summary: every comparison's estimate with its anytime-valid interval
  return { ...judgement, message: comparisons.map(summaryOf).join("; "), interim: true };
}

const summaryOf = (c: ComparisonRecord): string => c.message ?? `${c.signal}${c.candidate !== undefined ? ` ${c.candidate}` : ""} within ${c.check} ${c.limit}`;

/** The step's kept boundaries with those its latest analysis chose for the first time, or undefined when nothing is new. */
export function keptBoundaries(kept: Record<string, number> | undefined, comparisons: readonly ComparisonRecord[]): Record<string, number> | undefined {
  const fresh = comparisons.filter((c) => c.boundary !== undefined && kept?.[boundaryKey(c)] === undefined);
  return fresh.length ? { ...kept, ...Object.fromEntries(fresh.map((c) => [boundaryKey(c), c.boundary as number])) } : undefined;
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
