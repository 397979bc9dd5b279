// Baselines of rules: a fixed value, the same signal an offset ago, or a snapshot pinned in
// status (accumulated from the first evaluation until it has enough samples for the rules'
// margins, and again on a version change or a re-pin request). See docs/statistics.md.
import type { ModelMonitorSpec, PinnedValue, RuleSpec, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { EventReason } from "../events.ts";
import { round, type QueryResult } from "../observation.ts";
import { worseTest } from "../rollout/comparisons.ts";
import { evidenceOf, type Basis, type Evidence } from "../rollout/evidence.ts";
import type { BaselineTest } from "../rules.ts";
import type { SignalObservations } from "../signals.ts";
import type { Histogram } from "../stats/index.ts";
import { pinOf, type AnalysisMemory, type CheckOutcome } from "./outcome.ts";

/** Pins of signals and drift checks that the spec no longer declares are dropped. */
export function declaredPins(pinned: Record<string, PinnedValue>, spec: Pick<ModelMonitorSpec, "signals" | "drift">): Record<string, PinnedValue> {
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

/** A pinned baseline's standard error may be at most this share of the smallest margin of the rules on it. */
export const PIN_SE_SHARE = 0.25;
/** Samples a pin needs when its measure gives no standard error (custom queries, a mean without its squares). */
export const PIN_FALLBACK_SAMPLES = 400;

/** A rule's baseline for one scope: its value with the evidence behind it, or why there is none. */
export type Baseline =
  | { state: "Value"; value: number; samples?: number | undefined; pin?: PinnedValue | undefined }
  | { state: "Missing"; message: string; samples?: number | undefined };

/** What the baselines of one signal's rules are taken from, for one scope (overall or a segment). */
export interface BaselineSources {
  signal: SignalSpec;
  segment: string | undefined;
  /** The segment label the queries are grouped by, when the scope is a segment. */
  segmentLabel: string | undefined;
  /** The answers to the current window's queries, and to the growing windows of pins accumulating (by pin key). */
  current: Record<string, QueryResult | undefined>;
  accumulating: ReadonlyMap<string, Record<string, QueryResult | undefined>>;
  offsets: ReadonlyMap<string, SignalObservations>;
  /** The signal's window (the first accumulation window) and minimum sample count. */
  windowMs: number;
  minSamples: number;
  /** The smallest margin, as an absolute amount, of the rules with a pinned baseline on this signal. */
  margin: (baseline: number) => number | undefined;
}

export const pinKeyOf = (signal: string, segment: string | undefined): string => `signal:${signal}${segment !== undefined ? `@${segment}` : ""}`;

/** The baseline of a rule for one scope; `pinned` is the scope's pinned baseline (pinnedBaseline), taken once per scope. */
export function baselineFor(rule: RuleSpec, src: BaselineSources, pinned: () => Baseline): Baseline | undefined {
  const b = rule.baseline;
  if (!b) return undefined;
  if (b.value !== undefined) return { state: "Value", value: b.value };
  if (b.offset) {
    const obs = src.offsets.get(b.offset);
    const o = src.segment === undefined ? obs?.overall : obs?.groups.get(src.segment);
    if (o?.state === "Value") return { state: "Value", value: o.value, samples: o.samples };
    const why = o === undefined ? "NoSeries: no series in that window" : `${o.reason}: ${o.message}`;
    return {
      state: "Missing",
      message: `the baseline window ${b.offset} ago has no value yet (${why})`,
      ...(o?.state === "NoData" && o.samples !== undefined ? { samples: o.samples } : {}),
    };
  }
  return pinned();
}

/**
 * A signal's pinned baseline for one scope. It is not taken from the first evaluation's window
 * alone: it accumulates over one growing window, from the start of the first evaluation's
 * window to now (re-queried as one range, so overlapping evaluations never count twice, and a
 * restart resumes from the start kept in status), until its standard error is at most
 * PIN_SE_SHARE of the smallest margin of the rules on it (at least minSamples); then its value,
 * sample count, window and the counts a test needs are pinned. Until then it is Missing and the
 * rules on it are not judged. A pin `when: VersionChange` of another version starts again.
 */
export function pinnedBaseline(rule: RuleSpec, src: BaselineSources, memory: AnalysisMemory, outcome: CheckOutcome, now: number): Baseline {
  const key = pinKeyOf(src.signal.name, src.segment);
  const version = memory.version;
  const nowIso = new Date(now).toISOString();
  const pin = pinOf(outcome, memory, key);
  const stale = rule.baseline?.pinned?.when === "VersionChange" && pin !== undefined && pin.version !== version;
  if (pin && !stale && pin.state !== "Accumulating" && pin.value !== undefined) return { state: "Value", value: pin.value, samples: pin.samples, pin };
  const fresh = !pin || stale;
  const from = fresh ? new Date(now - src.windowMs).toISOString() : (pin.from ?? pin.at);
  const started = fresh ? nowIso : pin.at;
  const results = fresh ? src.current : src.accumulating.get(key);
  const scope = src.segment !== undefined && src.segmentLabel ? { label: src.segmentLabel, group: src.segment } : undefined;
  const evidence: Evidence = results
    ? evidenceOf(src.signal, results, undefined, scope)
    : { state: "Error", message: "the query of the accumulation window was not run" };
  const samples = evidence.state === "Error" ? 0 : (evidence.samples ?? 0);
  const needed = evidence.state === "Value" ? neededSamples(evidence, src.margin(evidence.value), src.minSamples) : undefined;
  if (evidence.state === "Value" && needed !== undefined && samples >= needed) {
    const taken: PinnedValue = {
      state: "Pinned",
      value: round(evidence.value, 6),
      at: nowIso,
      from,
      samples: round(samples, 6),
      ...pinnedCounts(evidence.basis),
      ...(version ? { version } : {}),
    };
    outcome.pins[key] = taken;
    outcome.events.push({
      type: "Normal",
      reason: EventReason.BaselinePinned,
      message: `pinned baseline of ${src.signal.name}${src.segment !== undefined ? ` [${src.segment}]` : ""} at ${round(evidence.value)} from ${Math.round(samples)} samples since ${from}${memory.repinRequested ? " (re-pin requested)" : stale ? ` (version ${version})` : ""}`,
    });
    return { state: "Value", value: taken.value as number, samples: taken.samples, pin: taken };
  }
  outcome.pins[key] = { state: "Accumulating", at: started, from, ...(version ? { version } : {}) };
  const of = needed !== undefined ? ` of ~${needed}` : "";
  const why = evidence.state === "Value" ? "" : ` (${evidence.message})`;
  return { state: "Missing", message: `pinned baseline accumulating since ${from}: ${Math.round(samples)}${of} samples${why}`, samples };
}

/**
 * Samples a baseline needs for its standard error to be at most PIN_SE_SHARE of `margin`, judged
 * from the evidence so far: p(1 − p)/n for a rate (p with one success and one failure added, so
 * a first run of all successes does not look certain), s²/n for a mean, q(1 − q)/(n f²) for a
 * q-quantile (f the density of the bucket that holds it); PIN_FALLBACK_SAMPLES when there is no
 * standard error. Never under minSamples.
 */
export function neededSamples(evidence: Extract<Evidence, { state: "Value" }>, margin: number | undefined, minSamples: number): number {
  const fallback = Math.max(minSamples, PIN_FALLBACK_SAMPLES);
  if (margin === undefined) return minSamples;
  if (!(margin > 0) || !Number.isFinite(margin)) return fallback;
  const se = PIN_SE_SHARE * margin;
  const b = evidence.basis;
  let unitVariance: number | undefined; // n × SE²
  if (b.test === "twoProportion") {
    const p = (b.successes + 1) / (b.trials + 2);
    unitVariance = p * (1 - p);
  } else if (b.test === "welch" && b.n >= 2) unitVariance = b.variance;
  else if (b.test === "quantileShare") {
    const density = densityAtQuantile(b.histogram, b.q);
    if (density !== undefined) unitVariance = (b.q * (1 - b.q)) / (density * density);
  }
  if (unitVariance === undefined || !Number.isFinite(unitVariance)) return fallback;
  return Math.max(minSamples, Math.ceil(unitVariance / (se * se)));
}

/** The density of the finite bucket holding the q-quantile (its share over its width), if there is one. */
function densityAtQuantile(h: Histogram, q: number): number | undefined {
  if (!(h.total > 0)) return undefined;
  let below = 0;
  for (const bin of h.bins) {
    below += bin.count;
    if (below / h.total >= q) {
      const width = bin.upper - Math.max(0, bin.lower);
      if (!Number.isFinite(width) || !(width > 0) || !(bin.count > 0)) return undefined;
      return bin.count / h.total / width;
    }
  }
  return undefined;
}

/** The counts a pinned baseline keeps for a test of later values against it. */
function pinnedCounts(b: Basis): Pick<PinnedValue, "test" | "successes" | "variance"> {
  if (b.test === "twoProportion") return { test: b.test, successes: round(b.successes, 9) };
  if (b.test === "welch") return { test: b.test, variance: b.variance };
  return { test: b.test };
}

/**
 * The test of a current value against a pinned baseline: worse than the baseline by more than
 * a limit, with both their noise (the canary's tests, rollout/comparisons.ts); undefined when
 * the counts allow none and the limit alone decides (a custom query, a pin taken before its
 * counts were kept).
 */
export function pinnedBaselineTest(pin: PinnedValue | undefined, current: Evidence): BaselineTest | undefined {
  if (!pin?.test || pin.test === "none" || pin.value === undefined || pin.samples === undefined || current.state !== "Value") return undefined;
  const value = pin.value;
  const n = pin.samples;
  let stable: Basis;
  if (pin.test === "twoProportion" && pin.successes !== undefined) stable = { test: "twoProportion", successes: Math.min(pin.successes, n), trials: n };
  else if (pin.test === "welch" && pin.variance !== undefined) stable = { test: "welch", mean: value, variance: pin.variance, n };
  // a quantile is tested on the current counts against the tolerated value (its share beyond the nearest boundary)
  else if (pin.test === "quantileShare" && current.basis.test === "quantileShare") stable = current.basis;
  else return undefined;
  const basis = current.basis;
  return (check, threshold) => {
    const relative = check === "maxRelativeDrop" || check === "maxRelativeIncrease";
    const worse = check === "maxDrop" || check === "maxRelativeDrop" ? "less" : "greater";
    const t = worseTest({ basis: stable, value }, { basis }, worse, relative ? threshold * Math.abs(value) : threshold, relative ? threshold : undefined);
    return t.kind === "p" ? t.pValue : undefined;
  };
}
