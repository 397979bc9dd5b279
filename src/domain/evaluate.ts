// One evaluation of a ModelMonitor, as two pure steps around the I/O:
//   planEvaluation(spec, now)                     -> the instant queries to run
//   decide(monitor, plan, results, now)           -> the next status and the events to emit
// The reconciler runs the queries in between. Nothing here reads a clock or the network.
import type { Severity } from "../api/v1alpha1/common.ts";
import type {
  DriftSpec,
  DriftStatus,
  Finding,
  Health,
  HistoryEntry,
  ModelMonitorSpec,
  ModelMonitorStatus,
  PinnedValue,
  RuleSpec,
  SignalSpec,
  SignalStatus,
} from "../api/v1alpha1/modelmonitor.ts";
import { setConditions, type ConditionInput } from "./conditions.ts";
import { durationMs, promDuration } from "./duration.ts";
import { EventReason, type MonitorEvent } from "./events.ts";
import { type Observation, type QueryRequest, type QueryResult, queryKey, round } from "./observation.ts";
import { effectiveRules } from "./presets.ts";
import { vectorSelector, sumIncrease } from "./promql.ts";
import { findingKey } from "./findings.ts";
import { checkRule, findingTypeFor } from "./rules.ts";
import { severityRank, worseSeverity } from "./stats/severity.ts";
import { embeddingDrift, histogramDrift } from "./drift.ts";
import { observeSignal, signalQueries, type SignalObservations } from "./signals.ts";

export const HISTORY_LIMIT = 24;
export const REPIN_ANNOTATION = "modelguardian.dev/repin";
const DRIFT_TYPES = new Set(["DataDrift", "EmbeddingDrift"]);

export interface MonitorSnapshot {
  generation: number;
  annotations: Record<string, string>;
  spec: ModelMonitorSpec;
  status: ModelMonitorStatus;
}

export type Queries = Record<string, QueryRequest>;

interface PlannedSignal {
  signal: SignalSpec;
  minSamples: number;
  current: Queries;
  baselines: Map<string, Queries>; // offset text -> queries at now - offset
  fairness: Map<string, Queries>; // group label -> queries
}
export interface PlannedDrift {
  drift: DriftSpec;
  current: Queries;
  reference?: Queries | undefined;
}
export interface EvaluationPlan {
  selector: Record<string, string>;
  rules: RuleSpec[];
  signals: PlannedSignal[];
  drift: PlannedDrift[];
}

export function selectorOf(spec: ModelMonitorSpec): Record<string, string> {
  const selector = { ...(spec.selector ?? { model: spec.model.name }) };
  if (spec.versionLabel && spec.model.version) selector[spec.versionLabel] = spec.model.version;
  return selector;
}

const at = (exprs: Record<string, string>, time: number): Queries =>
  Object.fromEntries(Object.entries(exprs).map(([id, expr]) => [id, { expr, time }]));

export function planEvaluation(spec: ModelMonitorSpec, now: number): EvaluationPlan {
  const selector = selectorOf(spec);
  const rules = effectiveRules(spec);
  const signals = spec.signals.map((signal): PlannedSignal => {
    const window = promDuration(durationMs(signal.window ?? spec.window));
    const ctx = { selector, window, groupBy: signal.query ? undefined : spec.segments?.label };
    const baselines = new Map<string, Queries>();
    for (const rule of rules)
      if (rule.signal === signal.name && rule.baseline?.offset)
        baselines.set(rule.baseline.offset, at(signalQueries(signal, ctx), now - durationMs(rule.baseline.offset)));
    const fairness = new Map<string, Queries>();
    for (const f of spec.fairness)
      if (f.signal === signal.name && !signal.query)
        fairness.set(f.groupLabel, at(signalQueries(signal, { ...ctx, groupBy: f.groupLabel }), now));
    return {
      signal,
      minSamples: signal.minSamples ?? spec.minSamples,
      current: at(signalQueries(signal, ctx), now),
      baselines,
      fairness,
    };
  });
  const drift = spec.drift.map((d): PlannedDrift => {
    const windowMs = durationMs(d.window ?? spec.window);
    if (d.embedding) {
      const expr = `avg by (${d.embedding.dimensionLabel}) (${vectorSelector(d.embedding.metric, selector)})`;
      return { drift: d, current: { vector: { expr, time: now } } };
    }
    const h = d.histogram as NonNullable<DriftSpec["histogram"]>;
    const by = ["le", ...(h.featureLabel ? [h.featureLabel] : [])];
    const query = (w: number) => sumIncrease(`${h.metric}_bucket`, selector, { window: promDuration(w), by });
    const reference = d.reference.offset
      ? { bucket: { expr: query(durationMs(d.reference.window ?? d.window ?? spec.window)), time: now - durationMs(d.reference.offset) } }
      : undefined;
    return { drift: d, current: { bucket: { expr: query(windowMs), time: now } }, reference };
  });
  return { selector, rules, signals, drift };
}

/** Every query of a plan, once. */
export function planQueries(plan: EvaluationPlan): QueryRequest[] {
  const all = new Map<string, QueryRequest>();
  const add = (qs: Queries | undefined) => {
    for (const q of Object.values(qs ?? {})) all.set(queryKey(q), q);
  };
  for (const s of plan.signals) {
    add(s.current);
    for (const q of s.baselines.values()) add(q);
    for (const q of s.fairness.values()) add(q);
  }
  for (const d of plan.drift) {
    add(d.current);
    add(d.reference);
  }
  return [...all.values()];
}

export interface Decision {
  status: ModelMonitorStatus;
  events: MonitorEvent[];
}

export type Results = ReadonlyMap<string, QueryResult>;
const resultsFor = (qs: Queries, results: Results) =>
  Object.fromEntries(Object.entries(qs).map(([id, q]) => [id, results.get(queryKey(q))]));

/** What one evaluation accumulates before the status is assembled. */
export interface Draft {
  findings: Finding[];
  pending: Map<string, string>;
  pinned: Record<string, PinnedValue>;
  events: MonitorEvent[];
}

export function decide(monitor: MonitorSnapshot, plan: EvaluationPlan, results: Results, now: number): Decision {
  const { spec, status: previous } = monitor;
  const nowIso = new Date(now).toISOString();
  const repinToken = monitor.annotations[REPIN_ANNOTATION];
  const repinRequested = repinToken !== undefined && repinToken !== previous.repinToken;
  const draft: Draft = {
    findings: [],
    pending: new Map((previous.pending ?? []).map((p) => [p.key, p.since])),
    pinned: repinRequested ? {} : keepDeclaredPins(previous.pinned ?? {}, spec),
    events: [],
  };
  const stillPending = new Set<string>();

  // ---- signals, rules, fairness
  const signalStatuses: SignalStatus[] = [];
  const unknownReasons: string[] = [];
  const ctx: RuleContext = { monitor, draft, stillPending, now, nowIso, repinRequested };
  for (const p of plan.signals) {
    const rules = plan.rules.map((rule, index) => ({ rule, index })).filter(({ rule }) => rule.signal === p.signal.name);
    const overall = evaluateSignal(p, rules, results, ctx, signalStatuses);
    if (overall.state !== "Value") unknownReasons.push(`${p.signal.name}: ${overall.message}`);
    for (const f of spec.fairness.filter((x) => x.signal === p.signal.name)) evaluateFairness(p, f, results, draft, nowIso);
  }

  // ---- drift
  const driftStatuses: DriftStatus[] = [];
  let maxDriftScore: number | undefined;
  for (const d of plan.drift) {
    const st = d.drift.embedding
      ? embeddingDrift(d, results, draft, monitor, nowIso, repinRequested)
      : histogramDrift(d, results, draft, monitor, nowIso, repinRequested, spec.minSamples);
    driftStatuses.push(st);
    for (const f of st.features) if (f.score !== undefined) maxDriftScore = Math.max(maxDriftScore ?? f.score, f.score);
    if (st.state !== "Value") unknownReasons.push(`${d.drift.name}: ${st.reason ?? st.state}`);
  }

  // ---- findings keep their first-seen time; health; conditions
  for (const key of [...draft.pending.keys()]) if (!stillPending.has(key)) draft.pending.delete(key);
  const previousByKey = new Map(previous.findings.map((f) => [findingKey(f), f]));
  const findings = draft.findings
    .map((f) => ({ ...f, since: previousByKey.get(findingKey(f))?.since ?? f.since }))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || findingKey(a).localeCompare(findingKey(b)));

  const worst = findings.reduce<Severity | undefined>((acc, f) => worseSeverity(acc, f.severity), undefined);
  const nothingToJudge = spec.signals.length === 0 && spec.drift.length === 0;
  const health: Health = worst === "critical" ? "Critical" : worst === "warning" ? "Warning" : unknownReasons.length > 0 || nothingToJudge ? "Unknown" : "Healthy";

  const conditions = setConditions(previous.conditions, monitorConditions(health, findings, unknownReasons, signalStatuses, driftStatuses), nowIso, monitor.generation);

  const headline = signalStatuses.find((s) => s.segment === undefined);
  const history: HistoryEntry[] = [
    ...previous.history,
    {
      time: nowIso,
      health,
      findings: findings.length,
      values: Object.fromEntries(signalStatuses.filter((s) => s.segment === undefined && s.value !== undefined).map((s) => [s.name, s.value as number])),
    },
  ].slice(-HISTORY_LIMIT);

  const status: ModelMonitorStatus = {
    observedGeneration: monitor.generation,
    health,
    ...(headline ? { summary: `${headline.name}=${headline.value !== undefined ? round(headline.value, 4) : headline.state}` } : {}),
    ...(findings[0] ? { worstFinding: `${findings[0].severity} ${findings[0].type} ${findings[0].source}${findings[0].segment ? `[${findings[0].segment}]` : ""}` } : {}),
    ...(maxDriftScore !== undefined ? { maxDriftScore: round(maxDriftScore, 6) } : {}),
    lastEvaluationTime: nowIso,
    ...(spec.model.version ? { observedVersion: spec.model.version } : {}),
    conditions,
    signals: signalStatuses,
    drift: driftStatuses,
    findings,
    ...(Object.keys(draft.pinned).length ? { pinned: draft.pinned } : {}),
    ...(repinToken !== undefined ? { repinToken } : {}),
    ...(draft.pending.size ? { pending: [...draft.pending].map(([key, since]) => ({ key, since })) } : {}),
    history,
    // what the RetrainPolicy did is not the evaluation's to change
    ...(previous.remediation ? { remediation: previous.remediation } : {}),
  };
  return { status, events: [...draft.events, ...transitionEvents(previous, status, unknownReasons)] };
}

interface RuleContext {
  monitor: MonitorSnapshot;
  draft: Draft;
  stillPending: Set<string>;
  now: number;
  nowIso: string;
  repinRequested: boolean;
}

/**
 * Observes one signal overall and per segment, applies its rules (with baselines and `for`),
 * appends its status entries and returns the overall observation.
 */
function evaluateSignal(
  p: PlannedSignal,
  rules: { rule: RuleSpec; index: number }[],
  results: Results,
  ctx: RuleContext,
  statuses: SignalStatus[],
): Observation {
  const { spec } = ctx.monitor;
  const segmentLabel = p.signal.query ? undefined : spec.segments?.label;
  const obs = observeSignal(p.signal, resultsFor(p.current, results), p.minSamples, segmentLabel);
  const scopes: [string | undefined, Observation][] = [[undefined, obs.overall]];
  for (const [seg, o] of [...obs.groups].sort(([a], [b]) => a.localeCompare(b)))
    if (!spec.segments?.values || spec.segments.values.includes(seg)) scopes.push([seg, o]);
  const offsets = new Map<string, SignalObservations>();
  for (const [offset, qs] of p.baselines) offsets.set(offset, observeSignal(p.signal, resultsFor(qs, results), p.minSamples, segmentLabel));

  for (const [segment, o] of scopes) {
    let shownBaseline: number | undefined;
    for (const { rule, index } of rules) {
      const baseline = baselineFor(rule, p.signal, segment, o, offsets, ctx.draft, ctx.monitor, ctx.nowIso, ctx.repinRequested);
      shownBaseline ??= baseline;
      if (o.state !== "Value") continue;
      const subject = segment === undefined ? p.signal.name : `${p.signal.name} [${spec.segments?.label}=${segment}]`;
      const breach = checkRule(rule, subject, o.value, baseline, o.samples);
      if (!breach) continue;
      // a breach becomes a finding once it has lasted the rule's `for`; its start is kept in status
      const key = `rule${index}|${p.signal.name}|${segment ?? ""}`;
      const since = ctx.draft.pending.get(key) ?? ctx.nowIso;
      ctx.stillPending.add(key);
      ctx.draft.pending.set(key, since);
      if (ctx.now - Date.parse(since) < (rule.for ? durationMs(rule.for) : 0)) continue;
      ctx.draft.findings.push({
        type: findingTypeFor(p.signal, rule),
        severity: breach.severity,
        source: p.signal.name,
        ...(segment !== undefined ? { segment } : {}),
        description: rule.for ? `${breach.description}, for ${rule.for}` : breach.description,
        value: round(o.value, 6),
        ...(baseline !== undefined ? { baseline: round(baseline, 6) } : {}),
        threshold: breach.threshold,
        since: ctx.nowIso,
      });
    }
    statuses.push(signalStatus(p.signal.name, segment, o, shownBaseline));
  }
  return obs.overall;
}

/** Compares a signal across the groups of a label: unfair when worst/best < minRatio. */
function evaluateFairness(p: PlannedSignal, f: ModelMonitorSpec["fairness"][number], results: Results, draft: Draft, nowIso: string): void {
  const qs = p.fairness.get(f.groupLabel);
  if (!qs) return;
  const groups = observeSignal(p.signal, resultsFor(qs, results), p.minSamples, f.groupLabel).groups;
  const values = [...groups].flatMap(([g, o]) => (o.state === "Value" ? [[g, o.value] as const] : [])).sort((a, b) => a[1] - b[1]);
  if (values.length < 2) return;
  const [worstGroup, worst] = values[0] as readonly [string, number];
  const [bestGroup, best] = values[values.length - 1] as readonly [string, number];
  const ratio = best === 0 ? 1 : worst / best;
  if (ratio >= f.minRatio) return;
  draft.findings.push({
    type: "Fairness",
    severity: f.severity,
    source: p.signal.name,
    segment: `${f.groupLabel}=${worstGroup}`,
    description: `${p.signal.name} of ${f.groupLabel}=${worstGroup} (${round(worst)}) is ${round(ratio, 3)} of ${f.groupLabel}=${bestGroup} (${round(best)}), under the ratio ${f.minRatio}`,
    value: round(ratio, 6),
    threshold: f.minRatio,
    since: nowIso,
  });
}

/** Pins of signals and drift checks that the spec no longer declares are dropped. */
function keepDeclaredPins(pinned: Record<string, PinnedValue>, spec: ModelMonitorSpec): Record<string, PinnedValue> {
  const signals = new Set(spec.signals.map((s) => s.name));
  const drift = new Set(spec.drift.map((d) => d.name));
  return Object.fromEntries(
    Object.entries(pinned).filter(([key]) => {
      const [kind, rest = ""] = key.split(/:(.*)/s);
      if (kind === "signal") return signals.has(rest.split("@")[0] as string);
      if (kind === "drift") return drift.has(rest.split(":")[0] as string);
      return false;
    }),
  );
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

/** The baseline value of a rule for one scope; pins a snapshot when the rule asks for one. */
function baselineFor(
  rule: RuleSpec,
  signal: SignalSpec,
  segment: string | undefined,
  current: Observation,
  offsets: Map<string, SignalObservations>,
  draft: Draft,
  monitor: MonitorSnapshot,
  nowIso: string,
  repinRequested: boolean,
): number | undefined {
  const b = rule.baseline;
  if (!b) return undefined;
  if (b.value !== undefined) return b.value;
  if (b.offset) {
    const obs = offsets.get(b.offset);
    const o = segment === undefined ? obs?.overall : obs?.groups.get(segment);
    return o?.state === "Value" ? o.value : undefined;
  }
  const key = `signal:${signal.name}${segment !== undefined ? `@${segment}` : ""}`;
  const version = monitor.spec.model.version;
  const pin = draft.pinned[key];
  const stale = b.pinned?.when === "VersionChange" && pin !== undefined && pin.version !== version;
  if ((!pin || stale) && current.state === "Value") {
    draft.pinned[key] = { value: round(current.value, 6), at: nowIso, ...(version ? { version } : {}) };
    draft.events.push({
      type: "Normal",
      reason: EventReason.BaselinePinned,
      message: `pinned baseline of ${signal.name}${segment !== undefined ? ` [${segment}]` : ""} at ${round(current.value)}${repinRequested ? " (re-pin requested)" : stale ? ` (version ${version})` : ""}`,
    });
  }
  return draft.pinned[key]?.value;
}

function monitorConditions(
  health: Health,
  findings: Finding[],
  unknownReasons: string[],
  signals: SignalStatus[],
  drift: DriftStatus[],
): ConditionInput[] {
  const missing = signals.filter((s) => s.segment === undefined && s.state !== "Value");
  const firstReason = missing[0]?.reason ?? (drift.find((d) => d.state !== "Value") ? "DriftUnavailable" : undefined);
  const metrics: ConditionInput =
    unknownReasons.length === 0
      ? { type: "MetricsAvailable", status: "True", reason: "AllSignalsHaveValues", message: "every signal and drift check has a value" }
      : { type: "MetricsAvailable", status: "False", reason: firstReason ?? "NoData", message: unknownReasons.join("; ").slice(0, 2000) };
  const degraded = findings.filter((f) => !DRIFT_TYPES.has(f.type));
  const drifted = findings.filter((f) => DRIFT_TYPES.has(f.type));
  const flag = (type: string, list: Finding[], okReason: string): ConditionInput =>
    list[0]
      ? { type, status: "True", reason: list[0].type, message: list.map((f) => f.description).join("; ").slice(0, 2000) }
      : health === "Unknown"
        ? { type, status: "Unknown", reason: "MetricsUnavailable", message: "not every signal has a value" }
        : { type, status: "False", reason: okReason, message: "no finding" };
  return [
    { type: "Ready", status: "True", reason: "Evaluated", message: `health ${health}` },
    metrics,
    flag("Degraded", degraded, "WithinThresholds"),
    flag("Drifted", drifted, "NoDrift"),
  ];
}

function transitionEvents(previous: ModelMonitorStatus, next: ModelMonitorStatus, unknownReasons: string[]): MonitorEvent[] {
  const events: MonitorEvent[] = [];
  if (previous.health !== next.health) {
    const was = previous.health ?? "none";
    if (next.health === "Healthy")
      events.push({ type: "Normal", reason: EventReason.HealthRecovered, message: `health ${was} -> Healthy` });
    else if (next.health === "Unknown")
      events.push({ type: "Warning", reason: EventReason.HealthUnknown, message: `health ${was} -> Unknown: ${unknownReasons.join("; ").slice(0, 900)}` });
    else
      events.push({
        type: "Warning",
        reason: next.health === "Critical" ? EventReason.HealthCritical : EventReason.HealthWarning,
        message: `health ${was} -> ${next.health}: ${next.findings[0]?.description ?? ""}`.slice(0, 1000),
      });
  }
  const before = new Map(previous.findings.map((f) => [findingKey(f), f]));
  const after = new Map(next.findings.map((f) => [findingKey(f), f]));
  for (const [k, f] of after) {
    const old = before.get(k);
    if (!old || severityRank(f.severity) > severityRank(old.severity))
      events.push({ type: "Warning", reason: `${f.type}Detected`, message: `${f.severity}: ${f.description}`.slice(0, 1000) });
  }
  for (const [k, f] of before)
    if (!after.has(k)) events.push({ type: "Normal", reason: `${f.type}Cleared`, message: `cleared: ${f.description}`.slice(0, 1000) });
  return events;
}

