// One evaluation of a ModelMonitor, as pure steps around the I/O:
//   planEvaluation(spec, now)                     -> the instant queries to run
//   planLookups(plan, results)                    -> for queries that found no series: a lookup of the metric without the selector
//   decide(monitor, plan, results, now)           -> the next status and the events to emit
// The reconciler runs the queries (then the lookups, added to the same results) in between. The checks themselves are the reusable analysis
// core (domain/analysis); this file adds what is the monitor's own: its selector, the memory
// kept in status (pins, pending breaches, first-seen times), health, conditions and history.
import type { HistoryEntry, ModelMonitorSpec, ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { analyse } from "../analysis/analyse.ts";
import { declaredPins } from "../analysis/baselines.ts";
import { analysisQueries, planAnalysis, type AnalysisPlan, type Results, type Selector } from "../analysis/plan.ts";
import { planMetricLookups } from "../analysis/queries.ts";
import { matchers } from "../promql.ts";
import { setConditions } from "../conditions.ts";
import type { MonitorEvent } from "../events.ts";
import { findingKey } from "../findings.ts";
import { healthOf, monitorConditions, transitionEvents, unjudgedLine, unjudgedRules } from "./monitor-health.ts";
import type { QueryRequest } from "../observation.ts";
import { forPeople, human } from "../format.ts";
import { namedRules } from "../presets.ts";
import { severityRank } from "../stats/severity.ts";

/** Evaluations kept in status.history: enough to see the latest trend in kubectl describe, short enough to fit a screen (the report counts every evaluation of its period). */
export const HISTORY_LIMIT = 6;
export const REPIN_ANNOTATION = "modelguardian.dev/repin";
/** A new value asks for an evaluation now, whatever the interval (handled once, like a re-pin). */
export const EVALUATE_ANNOTATION = "modelguardian.dev/evaluate";

export interface MonitorSnapshot {
  generation: number;
  annotations: Record<string, string>;
  spec: ModelMonitorSpec;
  status: ModelMonitorStatus;
}

export type EvaluationPlan = AnalysisPlan;

/** The monitor's selector: spec.selector (default {model: <name>}), plus the version label. */
export function selectorOf(spec: ModelMonitorSpec): Selector {
  return versionSelector(spec, spec.model.version);
}

/** The selector of one version of the monitor's model (a rollout's stable or candidate). */
export function versionSelector(spec: Pick<ModelMonitorSpec, "selector" | "model" | "versionLabel">, version: string | undefined): Selector {
  const selector = { ...(spec.selector ?? { model: spec.model.name }) };
  if (spec.versionLabel && version) selector[spec.versionLabel] = version;
  return selector;
}

/** `pinned`: the pins in status (a pinned baseline still accumulating is re-queried from its start). */
export function planEvaluation(spec: ModelMonitorSpec, now: number, pinned: ModelMonitorStatus["pinned"] = {}): EvaluationPlan {
  const rules = namedRules(spec);
  return {
    ...planAnalysis({ ...spec, rules: rules.map((r) => r.rule), ruleNames: rules.map((r) => r.name) }, selectorOf(spec), now, pinned),
    selectorSource: selectorSource(spec),
  };
}

/** Where the monitor's selector comes from, as a message on a query that matched nothing names it. */
function selectorSource(spec: ModelMonitorSpec): string {
  const own = spec.selector ? "spec.selector" : `spec.selector (unset: {${matchers({ model: spec.model.name })}} from spec.model.name)`;
  return spec.versionLabel && spec.model.version ? `${own}, spec.versionLabel and the version watched` : own;
}

/** Every query of a plan, once. */
export function planQueries(plan: EvaluationPlan): QueryRequest[] {
  return analysisQueries(plan);
}

/**
 * The second round, from the first round's results: for each metric whose query found no
 * series, a lookup without the selector (at most one per metric name), so decide() can say
 * whether the metric's name or the selector is wrong. Their answers go into the same results.
 */
export function planLookups(plan: EvaluationPlan, results: Results): QueryRequest[] {
  return planMetricLookups(plan, results);
}

export interface Decision {
  status: ModelMonitorStatus;
  events: MonitorEvent[];
}

export function decide(monitor: MonitorSnapshot, plan: EvaluationPlan, results: Results, now: number): Decision {
  const { spec, status: previous } = monitor;
  const nowIso = new Date(now).toISOString();
  const repinToken = monitor.annotations[REPIN_ANNOTATION];
  const repinRequested = repinToken !== undefined && repinToken !== previous.repinToken;
  const analysis = analyse(
    plan,
    results,
    {
      pending: new Map((previous.pending ?? []).map((p) => [p.key, p.since])),
      pinned: repinRequested ? {} : declaredPins(previous.pinned ?? {}, spec),
      version: spec.model.version,
      repinRequested,
    },
    now,
  );

  // findings keep their first-seen time; worst first
  const previousByKey = new Map(previous.findings.map((f) => [findingKey(f), f]));
  const findings = analysis.findings
    .map((f) => ({ ...f, since: previousByKey.get(findingKey(f))?.since ?? f.since }))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || findingKey(a).localeCompare(findingKey(b)));
  const unjudged = unjudgedRules(analysis.rules);
  const health = healthOf(findings, analysis.unknownReasons, spec.signals.length === 0 && spec.drift.length === 0, unjudged.length);
  const conditions = setConditions(
    previous.conditions,
    monitorConditions(health, findings, analysis.unknownReasons, analysis.signals, analysis.drift, analysis.rules),
    nowIso,
    monitor.generation,
  );

  const headline = analysis.signals.find((s) => s.segment === undefined);
  const history: HistoryEntry[] = [
    ...previous.history,
    {
      time: nowIso,
      health,
      findings: findings.length,
      values: Object.fromEntries(analysis.signals.filter((s) => s.segment === undefined && s.value !== undefined).map((s) => [s.name, s.value as number])),
    },
  ].slice(-HISTORY_LIMIT);

  const status: ModelMonitorStatus = {
    observedGeneration: monitor.generation,
    health,
    ...(headline ? { summary: `${headline.name}=${headline.value !== undefined ? human(headline.value) : headline.state}` } : {}),
    ...(findings[0]
      ? { worstFinding: `${findings[0].severity} ${findings[0].type} ${findings[0].source}${findings[0].segment ? `[${findings[0].segment}]` : ""}` }
      : {}),
    ...(analysis.maxDriftScore !== undefined ? { maxDriftScore: forPeople(analysis.maxDriftScore) } : {}),
    lastEvaluationTime: nowIso,
    ...(spec.model.version ? { observedVersion: spec.model.version } : {}),
    conditions,
    signals: analysis.signals,
    drift: analysis.drift,
    ...(analysis.rules.length ? { rules: analysis.rules, judgedRules: `${analysis.rules.length - unjudged.length}/${analysis.rules.length}` } : {}),
    findings,
    ...(Object.keys(analysis.pinned).length ? { pinned: analysis.pinned } : {}),
    ...(repinToken !== undefined ? { repinToken } : {}),
    ...(monitor.annotations[EVALUATE_ANNOTATION] !== undefined ? { evaluateToken: monitor.annotations[EVALUATE_ANNOTATION] } : {}),
    ...(analysis.pending.size ? { pending: [...analysis.pending].map(([key, since]) => ({ key, since })) } : {}),
    history,
    // what the RetrainPolicy and the rollouts did is not the evaluation's to change
    ...(previous.remediation ? { remediation: previous.remediation } : {}),
    ...(previous.stableVersion !== undefined ? { stableVersion: previous.stableVersion } : {}),
    ...(previous.declaredVersion !== undefined ? { declaredVersion: previous.declaredVersion } : {}),
    ...(previous.rollout ? { rollout: previous.rollout } : {}),
    ...(previous.versions ? { versions: previous.versions } : {}),
    ...(previous.report ? { report: previous.report } : {}),
  };
  // a rule without data, samples or a query shares its signal's cause (in unknownReasons); a missing baseline is its own
  return {
    status,
    events: [
      ...analysis.events,
      ...transitionEvents(previous, status, [...analysis.unknownReasons, ...unjudged.filter((r) => r.coverage === "NoBaseline").map(unjudgedLine)]),
    ],
  };
}
