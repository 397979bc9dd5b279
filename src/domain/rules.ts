// Health rules: bounds and drops from a baseline, with severity tiers. Pure.
import type { FindingType, RuleSpec, SignalSpec } from "../api/v1alpha1/modelmonitor.ts";
import type { Severity } from "../api/v1alpha1/common.ts";
import { belowTier, severityRank, tierOf } from "./stats/severity.ts";
import { human, humanP, humanPercent } from "./format.ts";

export const RULE_CHECKS = ["min", "max", "maxDrop", "maxRelativeDrop", "maxIncrease", "maxRelativeIncrease"] as const;
export type RuleCheck = (typeof RULE_CHECKS)[number];
/** The checks that compare with the rule's baseline: without a baseline value they cannot run. */
export const BASELINE_CHECKS = ["maxDrop", "maxRelativeDrop", "maxIncrease", "maxRelativeIncrease"] as const satisfies readonly RuleCheck[];

export const needsBaseline = (rule: RuleSpec): boolean => BASELINE_CHECKS.some((c) => rule[c] !== undefined);

/** A rule in short, for status and messages: "p95_latency maxRelativeIncrease, baseline 1d ago". */
export function describeRule(rule: RuleSpec): string {
  const checks = RULE_CHECKS.filter((c) => rule[c] !== undefined).join("/");
  const b = rule.baseline;
  const baseline = !b ? "" : b.offset ? `, baseline ${b.offset} ago` : b.pinned ? ", pinned baseline" : b.value !== undefined ? `, baseline ${b.value}` : "";
  return `${rule.signal} ${checks}${baseline}`;
}

export interface Breach {
  severity: Severity;
  check: RuleCheck;
  threshold: number;
  description: string;
}

const fmt = (v: number) => human(v);
const pct = (v: number) => humanPercent(v);

/**
 * The p-value of "the value is worse than the baseline by more than `threshold`" (both with their
 * noise), or undefined when the counts allow no test and the limit alone decides.
 */
export type BaselineTest = (check: (typeof BASELINE_CHECKS)[number], threshold: number) => number | undefined;

/** A breach of a baseline comparison under a test must be significant at this level (one-sided). */
export const BASELINE_SIGNIFICANCE = 0.01;

/**
 * Checks one value against one rule. `baseline` is needed by the relative checks; when it is
 * missing those checks are skipped (the caller reports the baseline as unavailable). With
 * `test`, a baseline comparison's tier counts only when its limit is passed and the test says
 * so at BASELINE_SIGNIFICANCE: the highest tier that is both.
 */
export function checkRule(
  rule: RuleSpec,
  subject: string,
  value: number,
  baseline: number | undefined,
  samples?: number,
  test?: BaselineTest,
  baselineSamples?: number,
): Breach | undefined {
  const n = samples !== undefined ? ` (${Math.round(samples)} samples)` : "";
  // a comparison with a baseline says how many samples the baseline had
  const nb = samples !== undefined && baselineSamples !== undefined ? ` (${Math.round(samples)} samples, baseline from ${Math.round(baselineSamples)})` : n;
  const candidates: Breach[] = [];
  const push = (check: (typeof BASELINE_CHECKS)[number], amount: number, describe: (threshold: number, extra: string) => string) => {
    const t = rule[check];
    if (!t) return;
    for (const limit of [t.critical, t.warning]) {
      const hit = limit === undefined ? undefined : tierOf(amount, { [limit === t.critical ? "critical" : "warning"]: limit });
      if (!hit) continue;
      const p = test?.(check, hit.threshold);
      if (p !== undefined && !(p < BASELINE_SIGNIFICANCE)) continue;
      const shown = p === undefined ? "" : `, p ${humanP(p)}`;
      candidates.push({ severity: hit.severity, check, threshold: hit.threshold, description: describe(hit.threshold, shown) + nb });
      return;
    }
  };
  if (rule.min) {
    const hit = belowTier(value, rule.min);
    if (hit) candidates.push({ ...hit, check: "min", description: `${subject} ${fmt(value)} is under its minimum ${fmt(hit.threshold)}${n}` });
  }
  if (rule.max) {
    const hit = tierOf(value, rule.max);
    if (hit) candidates.push({ ...hit, check: "max", description: `${subject} ${fmt(value)} is over its maximum ${fmt(hit.threshold)}${n}` });
  }
  if (baseline !== undefined && Number.isFinite(baseline)) {
    const drop = baseline - value;
    push("maxDrop", drop, (t, p) => `${subject} ${fmt(value)} is ${fmt(drop)} under its baseline ${fmt(baseline)} (limit ${fmt(t)}${p})`);
    push("maxIncrease", -drop, (t, p) => `${subject} ${fmt(value)} is ${fmt(-drop)} over its baseline ${fmt(baseline)} (limit ${fmt(t)}${p})`);
    if (baseline !== 0) {
      const rel = drop / Math.abs(baseline);
      push("maxRelativeDrop", rel, (t, p) => `${subject} ${fmt(value)} is ${pct(rel)} under its baseline ${fmt(baseline)} (limit ${pct(t)}${p})`);
      push("maxRelativeIncrease", -rel, (t, p) => `${subject} ${fmt(value)} is ${pct(-rel)} over its baseline ${fmt(baseline)} (limit ${pct(t)}${p})`);
    }
  }
  return candidates.sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0];
}

/** The finding type of a rule on a signal, unless the rule names one. */
export function findingTypeFor(signal: SignalSpec, rule?: RuleSpec): FindingType {
  if (rule?.findingType) return rule.findingType;
  const text = `${signal.name} ${signal.histogram?.metric ?? ""} ${signal.ratio?.numerator.metric ?? ""}`.toLowerCase();
  if (signal.classification || signal.regression || /feedback|accuracy/.test(text)) return "AccuracyDrift";
  if (/latency|duration/.test(text)) return "Latency";
  if (/confidence/.test(text)) return "ConfidenceDrop";
  if (signal.ratio || /refus|toxic|safety|flag/.test(text)) return "BehaviourDrift";
  return "Threshold";
}
