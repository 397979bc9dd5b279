// The one edge convention, at the exact boundary, for the helpers and for every place that
// uses them: rules of each kind, distribution drift and embedding drift.
import { describe, expect, it } from "vitest";
import { checkRule } from "../../../src/domain/rules.ts";
import { belowTier, exceeds, severityRank, tierOf, worseSeverity } from "../../../src/domain/stats/severity.ts";
import { severityOf } from "../../../src/domain/stats/drift.ts";

describe("exceeds: strictly beyond, as the numbers are written", () => {
  it.each([
    ["the mission's example: 0.92 - 0.87 against 0.05 (0.05000000000000004 in floats)", 0.92 - 0.87, 0.05, false],
    ["exactly the limit", 0.05, 0.05, false],
    ["a hair over the limit, as a person would write it", 0.0501, 0.05, true],
    ["0.1 + 0.2 against 0.3", 0.1 + 0.2, 0.3, false],
    ["a large limit, relative tolerance", 1e12 + 1e-3, 1e12, false],
    ["a large limit, a real difference", 1e12 + 1e4, 1e12, true],
    ["under the limit", 0.049, 0.05, false],
    ["zero against zero", 0, 0, false],
    ["infinity", Infinity, 1, true],
    ["NaN is never beyond anything", Number.NaN, 0, false],
  ])("%s", (_, amount, limit, expected) => {
    expect(exceeds(amount, limit)).toBe(expected);
  });

  it("tiers: the highest one crossed, never one that is not set", () => {
    expect(tierOf(0.1, { warning: 0.05, critical: 0.1 })).toEqual({ severity: "warning", threshold: 0.05 });
    expect(tierOf(0.11, { warning: 0.05, critical: 0.1 })).toEqual({ severity: "critical", threshold: 0.1 });
    expect(tierOf(5, { critical: 10 })).toBeUndefined();
    expect(belowTier(0.8, { warning: 0.85, critical: 0.8 })).toEqual({ severity: "warning", threshold: 0.85 });
    expect(belowTier(0.7999, { warning: 0.85, critical: 0.8 })).toEqual({ severity: "critical", threshold: 0.8 });
  });

  it("ranks: none < warning < critical", () => {
    expect([severityRank(undefined), severityRank("none"), severityRank("warning"), severityRank("critical")]).toEqual([0, 0, 1, 2]);
    expect(worseSeverity("warning", "critical")).toBe("critical");
    expect(worseSeverity(undefined, "warning")).toBe("warning");
  });
});

describe("every rule kind at its exact boundary", () => {
  const tiers = { warning: 0.05 };
  it.each([
    ["min", { min: { warning: 0.8 } }, 0.8, undefined, 0.7999],
    ["max", { max: { warning: 0.2 } }, 0.2, undefined, 0.2001],
    ["maxDrop (0.92 -> 0.87)", { maxDrop: tiers, baseline: { value: 0.92 } }, 0.87, 0.92, 0.8699],
    ["maxIncrease (0.2 -> 0.25)", { maxIncrease: tiers, baseline: { value: 0.2 } }, 0.25, 0.2, 0.2501],
    ["maxRelativeDrop (10 % of 0.9)", { maxRelativeDrop: { warning: 0.1 }, baseline: { value: 0.9 } }, 0.81, 0.9, 0.8099],
    ["maxRelativeIncrease (50 % of 0.2)", { maxRelativeIncrease: { critical: 0.5 }, baseline: { value: 0.2 } }, 0.3, 0.2, 0.3001],
  ])("%s: at the limit nothing, just beyond a finding", (_, rule, atLimit, baseline, beyond) => {
    const r = { signal: "s", ...rule };
    expect(checkRule(r, "s", atLimit, baseline)).toBeUndefined();
    expect(checkRule(r, "s", beyond, baseline)).toBeDefined();
  });
  it("distribution drift: a score at its threshold is no finding", () => {
    expect(severityOf(0.1, { warning: 0.1, critical: 0.2 })).toBe("none");
    expect(severityOf(0.2, { warning: 0.1, critical: 0.2 })).toBe("warning");
  });
});
