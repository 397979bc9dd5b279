// Severity: one edge convention for every rule and every drift method, and one ranking.
//
// A finding needs its amount to go strictly beyond a limit: a drop of 0.05 against a limit of
// 0.05 is not a finding, 0.0501 is. "Exactly at the limit" is meant as a person writes the
// numbers, not as floating point computes them: 0.92 - 0.87 is 0.05000000000000004 in binary,
// which is still "exactly 0.05". Differences within EDGE_TOLERANCE (relative, at least absolute
// for limits under 1) count as equal; a real effect is never that small.

/** The severities a finding can have (the same words as the API's). */
export type Severity = "warning" | "critical";

export const EDGE_TOLERANCE = 1e-9;

/** Whether `amount` goes strictly beyond `limit` (larger is worse). */
export function exceeds(amount: number, limit: number): boolean {
  if (!Number.isFinite(amount)) return amount === Infinity;
  return amount - limit > EDGE_TOLERANCE * Math.max(1, Math.abs(limit));
}

export interface Tiers {
  warning?: number | undefined;
  critical?: number | undefined;
}

/**
 * The highest tier `amount` goes beyond (larger is worse), with the limit it crossed. For a
 * lower bound (a minimum), pass the amount and limits negated, or use `belowTier`.
 */
export function tierOf(amount: number, tiers: Tiers): { severity: Severity; threshold: number } | undefined {
  if (tiers.critical !== undefined && exceeds(amount, tiers.critical)) return { severity: "critical", threshold: tiers.critical };
  if (tiers.warning !== undefined && exceeds(amount, tiers.warning)) return { severity: "warning", threshold: tiers.warning };
  return undefined;
}

/** The highest tier a value falls strictly under (a minimum: smaller is worse). */
export function belowTier(value: number, tiers: Tiers): { severity: Severity; threshold: number } | undefined {
  const hit = tierOf(-value, { warning: neg(tiers.warning), critical: neg(tiers.critical) });
  return hit && { severity: hit.severity, threshold: -hit.threshold };
}
const neg = (v: number | undefined) => (v === undefined ? undefined : -v);

const SEVERITY_RANK = { none: 0, warning: 1, critical: 2 } as const;
export type RankedSeverity = keyof typeof SEVERITY_RANK;

export const severityRank = (s: RankedSeverity | undefined): number => (s ? SEVERITY_RANK[s] : 0);

export function worseSeverity<S extends RankedSeverity>(a: S | undefined, b: S | undefined): S | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severityRank(a) >= severityRank(b) ? a : b;
}
