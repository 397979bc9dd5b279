// Baselines of rules: a fixed value, the same signal an offset ago, or a snapshot pinned in
// status (taken on the first evaluation, or again on a version change or a re-pin request).
import type { ModelMonitorSpec, PinnedValue, RuleSpec, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { EventReason } from "../events.ts";
import { round, type Observation } from "../observation.ts";
import type { SignalObservations } from "../signals.ts";
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

/**
 * The baseline value of a rule for one scope (overall or a segment). A pinned baseline is
 * taken into `outcome` when there is none yet, or when it belongs to another version.
 */
export function baselineFor(
  rule: RuleSpec,
  signal: SignalSpec,
  segment: string | undefined,
  current: Observation,
  offsets: Map<string, SignalObservations>,
  memory: AnalysisMemory,
  outcome: CheckOutcome,
  nowIso: string,
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
  const version = memory.version;
  const pin = pinOf(outcome, memory, key);
  const stale = b.pinned?.when === "VersionChange" && pin !== undefined && pin.version !== version;
  if ((!pin || stale) && current.state === "Value") {
    outcome.pins[key] = { value: round(current.value, 6), at: nowIso, ...(version ? { version } : {}) };
    outcome.events.push({
      type: "Normal",
      reason: EventReason.BaselinePinned,
      message: `pinned baseline of ${signal.name}${segment !== undefined ? ` [${segment}]` : ""} at ${round(current.value)}${memory.repinRequested ? " (re-pin requested)" : stale ? ` (version ${version})` : ""}`,
    });
  }
  return pinOf(outcome, memory, key)?.value;
}

/** Why a rule's baseline has no value for one scope: the offset window's own answer, or no pin yet. */
export function missingBaseline(rule: RuleSpec, segment: string | undefined, offsets: Map<string, SignalObservations>): string {
  const b = rule.baseline;
  if (b?.offset) {
    const obs = offsets.get(b.offset);
    const o = segment === undefined ? obs?.overall : obs?.groups.get(segment);
    const why = o === undefined || o.state === "Value" ? "NoSeries: no series in that window" : `${o.reason}: ${o.message}`;
    return `the baseline window ${b.offset} ago has no value yet (${why})`;
  }
  return "no baseline pinned yet: it is taken at the first evaluation with a value";
}
