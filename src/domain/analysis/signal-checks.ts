// Checks of one signal: its value overall and per segment, each rule against its baseline
// (a breach becomes a finding once it has lasted the rule's `for`), and fairness across groups.
import type { Coverage, Finding, ModelMonitorSpec, RuleSpec, RuleStatus, SignalStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { durationMs } from "../duration.ts";
import { round, type Observation } from "../observation.ts";
import { BASELINE_CHECKS, checkRule, describeRule, findingTypeFor, needsBaseline } from "../rules.ts";
import { evidenceOf } from "../rollout/evidence.ts";
import { observeSignal, type SignalObservations } from "../signals.ts";
import { baselineFor, pinnedBaseline, pinnedBaselineTest, type Baseline, type BaselineSources } from "./baselines.ts";
import { emptyOutcome, type AnalysisMemory, type CheckOutcome } from "./outcome.ts";
import { resultsFor, type PlannedSignal, type Results } from "./plan.ts";

export interface SignalCheck {
  statuses: SignalStatus[];
  /** One per rule, in the order given: whether it could be judged overall, and on how many segments not. */
  rules: (RuleStatus & { index: number })[];
  overall: Observation;
  outcome: CheckOutcome;
}

/** `rules` are the rules on this signal, with their index in the analysis (part of the breach key). */
export function checkSignal(
  p: PlannedSignal,
  rules: readonly { rule: RuleSpec; index: number; name?: string | undefined }[],
  segments: ModelMonitorSpec["segments"] | undefined,
  results: Results,
  memory: AnalysisMemory,
  now: number,
  /** Why the current window has no series, when a lookup without the selector could tell (queries.ts). */
  noSeries?: string,
): SignalCheck {
  const nowIso = new Date(now).toISOString();
  const outcome = emptyOutcome();
  const statuses: SignalStatus[] = [];
  const segmentLabel = p.signal.query ? undefined : segments?.label;
  const observed = observeSignal(p.signal, resultsFor(p.current, results), p.minSamples, segmentLabel);
  const obs =
    noSeries !== undefined && observed.overall.state === "NoData" && observed.overall.reason === "NoSeries"
      ? { ...observed, overall: { ...observed.overall, message: noSeries } }
      : observed;
  const { kept, dropped } = boundedSegments(obs.groups, segments?.values);
  const scopes: [string | undefined, Observation][] = [[undefined, obs.overall], ...kept];
  const offsets = new Map<string, SignalObservations>();
  for (const [offset, qs] of p.baselines) offsets.set(offset, observeSignal(p.signal, resultsFor(qs, results), p.minSamples, segmentLabel));
  const current = resultsFor(p.current, results);
  const accumulating = new Map([...p.accumulating].map(([key, qs]) => [key, resultsFor(qs, results)]));
  const margin = smallestMargin(rules.map((r) => r.rule).filter((r) => r.baseline?.pinned));

  // per rule: its coverage on the overall value, and how many segments it could not judge
  const overallCoverage = new Map<number, ScopeCoverage>();
  const unjudgedSegments = new Map<number, number>();
  for (const [segment, o] of scopes) {
    let shownBaseline: number | undefined;
    const src: BaselineSources = {
      signal: p.signal,
      segment,
      segmentLabel,
      current,
      accumulating,
      offsets,
      windowMs: p.windowMs,
      minSamples: p.minSamples,
      margin,
    };
    // one pinned baseline per scope, whichever rules use it
    let pinned: Baseline | undefined;
    const scopeEvidence = once(() =>
      evidenceOf(p.signal, current, undefined, segment !== undefined && segmentLabel ? { label: segmentLabel, group: segment } : undefined),
    );
    for (const { rule, index } of rules) {
      const b = baselineFor(rule, src, () => (pinned ??= pinnedBaseline(rule, src, memory, outcome, now)));
      const baseline = b?.state === "Value" ? b.value : undefined;
      shownBaseline ??= baseline;
      const judged = ruleCoverage(rule, o, b);
      if (segment === undefined) overallCoverage.set(index, b?.samples !== undefined ? { ...judged, baselineSamples: Math.round(b.samples) } : judged);
      else if (judged.coverage !== "Judged") unjudgedSegments.set(index, (unjudgedSegments.get(index) ?? 0) + 1);
      if (o.state !== "Value") continue;
      const subject = segment === undefined ? p.signal.name : `${p.signal.name} [${segments?.label}=${segment}]`;
      const test = b?.state === "Value" && b.pin ? pinnedBaselineTest(b.pin, scopeEvidence()) : undefined;
      const breach = checkRule(rule, subject, o.value, baseline, o.samples, test, b?.state === "Value" ? b.samples : undefined);
      if (!breach) continue;
      // a breach becomes a finding once it has lasted the rule's `for`; its start is remembered
      const key = `rule${index}|${p.signal.name}|${segment ?? ""}`;
      const since = memory.pending.get(key) ?? nowIso;
      outcome.pending.set(key, since);
      if (now - Date.parse(since) < (rule.for ? durationMs(rule.for) : 0)) continue;
      outcome.findings.push({
        type: findingTypeFor(p.signal, rule),
        severity: breach.severity,
        source: p.signal.name,
        ...(segment !== undefined ? { segment } : {}),
        description: rule.for ? `${breach.description}, for ${rule.for}` : breach.description,
        value: round(o.value, 6),
        ...(baseline !== undefined ? { baseline: round(baseline, 6) } : {}),
        threshold: breach.threshold,
        since: nowIso,
      });
    }
    statuses.push(signalStatus(p.signal.name, segment, o, shownBaseline));
  }
  // the overall row says how many segments were left out, and how to choose them
  if (dropped > 0 && statuses[0] && statuses[0].message === undefined)
    statuses[0] = {
      ...statuses[0],
      message: `${dropped} more values of ${segments?.label} not evaluated: at most ${MAX_SEGMENTS} segments (the ones with the most samples); list them in spec.segments.values`,
    };
  const ruleStatuses = rules.map(({ rule, index, name }) => {
    // the overall scope always runs: every rule has its entry
    const { coverage, message, baselineSamples } = overallCoverage.get(index) as ScopeCoverage;
    const segmentsLeft = unjudgedSegments.get(index) ?? 0;
    return {
      index,
      name: name ?? `rules[${index}]`,
      rule: describeRule(rule),
      coverage,
      ...(message !== undefined ? { message } : {}),
      ...(segmentsLeft > 0 ? { unjudgedSegments: segmentsLeft } : {}),
      ...(baselineSamples !== undefined ? { baselineSamples } : {}),
    };
  });
  return { statuses, rules: ruleStatuses, overall: obs.overall, outcome };
}

type ScopeCoverage = { coverage: Coverage; message?: string; baselineSamples?: number };

/**
 * Whether a rule could be judged on one scope: the signal needs a value, and a rule with a
 * baseline comparison needs its baseline's value too (else only its min/max could run).
 */
function ruleCoverage(rule: RuleSpec, o: Observation, b: Baseline | undefined): ScopeCoverage {
  if (o.state === "Error") return { coverage: "Error", message: `${o.reason}: ${o.message}` };
  if (o.state === "NoData") return { coverage: o.reason === "TooFewSamples" ? "InsufficientSamples" : "NoData", message: `${o.reason}: ${o.message}` };
  if (!needsBaseline(rule)) return { coverage: "Judged" };
  if (b?.state === "Missing") return { coverage: "NoBaseline", message: b.message };
  if (b === undefined || !Number.isFinite(b.value)) return { coverage: "NoBaseline", message: "the rule has no baseline" };
  // a relative change from 0 is undefined: checkRule skips those checks
  if (b.value === 0 && rule.maxDrop === undefined && rule.maxIncrease === undefined)
    return { coverage: "NoBaseline", message: "the baseline is 0: a relative change from it is undefined" };
  return { coverage: "Judged" };
}

/** The smallest margin of some rules, as an absolute amount for a given baseline (a relative limit scales with it). */
export function smallestMargin(rules: readonly RuleSpec[]): (baseline: number) => number | undefined {
  const limits = (checks: readonly (typeof BASELINE_CHECKS)[number][]) =>
    rules.flatMap((r) => checks.flatMap((c) => [r[c]?.warning, r[c]?.critical])).filter((x): x is number => x !== undefined);
  const absolute = limits(["maxDrop", "maxIncrease"]);
  const relative = limits(["maxRelativeDrop", "maxRelativeIncrease"]);
  return (baseline) => {
    const all = [...absolute, ...relative.map((r) => r * Math.abs(baseline))];
    return all.length ? Math.min(...all) : undefined;
  };
}

const once = <T>(f: () => T): (() => T) => {
  let done: { v: T } | undefined;
  return () => (done ??= { v: f() }).v;
};

/** Segments evaluated per signal without spec.segments.values: status, findings and the operator's series stay bounded. */
export const MAX_SEGMENTS = 64;

/** The segments to evaluate, by name: the listed ones, or the MAX_SEGMENTS with the most samples. */
function boundedSegments(groups: ReadonlyMap<string, Observation>, values: readonly string[] | undefined): { kept: [string, Observation][]; dropped: number } {
  const all = [...groups].filter(([seg]) => !values || values.includes(seg));
  const samples = (o: Observation) => ("samples" in o ? (o.samples ?? 0) : 0);
  const kept = all.length <= MAX_SEGMENTS ? all : [...all].sort(([a, x], [b, y]) => samples(y) - samples(x) || a.localeCompare(b)).slice(0, MAX_SEGMENTS);
  return { kept: kept.sort(([a], [b]) => a.localeCompare(b)), dropped: all.length - kept.length };
}

/** Compares a signal across the groups of a label: unfair when worst/best < minRatio. */
export function checkFairness(p: PlannedSignal, f: ModelMonitorSpec["fairness"][number], results: Results, nowIso: string): Finding | undefined {
  const qs = p.fairness.get(f.groupLabel);
  if (!qs) return undefined;
  const groups = observeSignal(p.signal, resultsFor(qs, results), p.minSamples, f.groupLabel).groups;
  const values = [...groups].flatMap(([g, o]) => (o.state === "Value" ? [[g, o.value] as const] : [])).sort((a, b) => a[1] - b[1]);
  if (values.length < 2) return undefined;
  const [worstGroup, worst] = values[0] as readonly [string, number];
  const [bestGroup, best] = values[values.length - 1] as readonly [string, number];
  const ratio = best === 0 ? 1 : worst / best;
  if (ratio >= f.minRatio) return undefined;
  return {
    type: "Fairness",
    severity: f.severity,
    source: p.signal.name,
    segment: `${f.groupLabel}=${worstGroup}`,
    description: `${p.signal.name} of ${f.groupLabel}=${worstGroup} (${round(worst)}) is ${round(ratio, 3)} of ${f.groupLabel}=${bestGroup} (${round(best)}), under the ratio ${f.minRatio}`,
    value: round(ratio, 6),
    threshold: f.minRatio,
    since: nowIso,
  };
}

function signalStatus(name: string, segment: string | undefined, o: Observation, baseline: number | undefined): SignalStatus {
  return {
    name,
    ...(segment !== undefined ? { segment } : {}),
    state: o.state,
    ...(o.state === "Value" ? { value: round(o.value, 6) } : { reason: o.reason, message: o.message }),
    ...(o.state !== "Error" && o.samples !== undefined ? { samples: Math.round(o.samples) } : {}),
    ...(baseline !== undefined ? { baseline: round(baseline, 6) } : {}),
  };
}
