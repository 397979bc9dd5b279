// Named rule sets from the mission's operating procedures. A preset only adds rules for the
// signals the monitor declares (by conventional name or kind); rules written in spec.rules for
// the same signal replace the preset's.
import type { ModelMonitorSpec, RuleSpec, SignalSpec } from "../api/v1alpha1/modelmonitor.ts";

type Preset = (signals: readonly SignalSpec[]) => RuleSpec[];

const named = (signals: readonly SignalSpec[], name: string) => signals.some((s) => s.name === name);
const accuracyLike = (signals: readonly SignalSpec[]) => signals.filter((s) => s.classification && s.classification.measure === "accuracy").map((s) => s.name);

export const PRESETS: Record<ModelMonitorSpec["presets"][number], Preset> = {
  // rollback triggers: safety incidents +1 point over 12 h, feedback -0.5 over 24 h, p95 latency +50 % for 1 h
  "rollback-sop": (signals) => [
    ...(named(signals, "safety_incident_rate") ? [{ signal: "safety_incident_rate", baseline: { offset: "12h" }, maxIncrease: { critical: 0.01 } }] : []),
    ...(named(signals, "feedback") ? [{ signal: "feedback", baseline: { offset: "24h" }, maxDrop: { critical: 0.5 } }] : []),
    ...(named(signals, "p95_latency") ? [{ signal: "p95_latency", baseline: { offset: "1d" }, maxRelativeIncrease: { critical: 0.5 }, for: "1h" }] : []),
  ],
  // the mission's accuracy drift: drop > 0.05 high, > 0.10 critical, floor 0.80
  relaxed: (signals) =>
    accuracyLike(signals).map((signal) => ({
      signal,
      min: { critical: 0.8 },
      baseline: { pinned: { when: "FirstEvaluation" as const } },
      maxDrop: { warning: 0.05, critical: 0.1 },
    })),
  strict: (signals) =>
    accuracyLike(signals).map((signal) => ({
      signal,
      min: { critical: 0.85 },
      baseline: { pinned: { when: "FirstEvaluation" as const } },
      maxDrop: { warning: 0.02, critical: 0.05 },
    })),
};

/** spec.rules plus the presets' rules for signals spec.rules does not cover. */
export function effectiveRules(spec: ModelMonitorSpec): RuleSpec[] {
  return namedRules(spec).map((r) => r.rule);
}

/** The effective rules, each with where it comes from ("spec.rules[2]", "preset rollback-sop"), in the same order. */
export function namedRules(spec: ModelMonitorSpec): { rule: RuleSpec; name: string }[] {
  const own = new Set(spec.rules.map((r) => r.signal));
  const fromPresets = spec.presets
    .flatMap((p) => PRESETS[p](spec.signals).map((rule) => ({ rule, name: `preset ${p}` })))
    .filter((r) => !own.has(r.rule.signal));
  return [...fromPresets, ...spec.rules.map((rule, i) => ({ rule, name: `spec.rules[${i}]` }))];
}
