// One comparison of the candidate with the stable version, or one bound on the candidate. A
// comparison fails only when the difference passes its tolerance and, where the counts allow a
// test, a test against that tolerance says the candidate is really worse than tolerated; too few
// samples is inconclusive, a failed query an error: four outcomes, never confused
// (docs/statistics.md, "Comparing a candidate with the stable version").
import type { BoundSpec, ComparisonLimit, ComparisonRecord, ComparisonSpec } from "../../api/v1alpha1/rollout.ts";
import { COMPARISON_LIMITS } from "../../api/v1alpha1/rollout.ts";
import { countAbove, meanMarginTest, proportionMarginTest, shareExcessTest, type Histogram } from "../stats/index.ts";
import type { Basis, Evidence } from "./evidence.ts";

export interface ComparisonOptions {
  minSamples: number;
  significance: number;
}

type Alternative = "greater" | "less";

/** Tolerance for float noise when a difference sits exactly on its limit. */
const EPSILON = 1e-9;

export const limitOf = (c: ComparisonSpec): { check: ComparisonLimit; limit: number } => {
  const check = COMPARISON_LIMITS.find((k) => c[k] !== undefined) as ComparisonLimit;
  return { check, limit: c[check] as number };
};

const r6 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

export function compareVersions(c: ComparisonSpec, stable: Evidence, candidate: Evidence, o: ComparisonOptions): ComparisonRecord {
  const { check, limit } = limitOf(c);
  const base = { signal: c.signal, check, limit };
  const unusable = insufficient(stable, candidate, o.minSamples);
  if (unusable) return { ...base, ...unusable, ...figures(stable, candidate) };
  const s = stable as Extract<Evidence, { state: "Value" }>;
  const k = candidate as Extract<Evidence, { state: "Value" }>;
  const relative = check === "maxRelativeIncrease" || check === "maxRelativeDecrease";
  const worse: Alternative = check === "maxRelativeIncrease" || check === "maxIncrease" ? "greater" : "less";
  const diff = k.value - s.value;
  let measured: number;
  if (relative) {
    if (s.value === 0) measured = diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
    else measured = diff / Math.abs(s.value);
  } else measured = diff;
  const out = { ...base, ...figures(s, k), ...(Number.isFinite(measured) ? { difference: r6(measured) } : {}) };
  const beyond = worse === "greater" ? measured > limit + EPSILON : -measured > limit + EPSILON;
  if (!beyond) return { ...out, outcome: "Passed" };
  // the tolerance as an absolute margin on the measured scale
  const margin = relative ? limit * Math.abs(s.value) : limit;
  const test = worseTest(s, k, worse, margin, relative ? limit : undefined);
  if (test.kind === "none")
    return { ...out, outcome: "Failed", test: "none", message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit}; ${test.why}, so the tolerance alone decides` };
  if (test.kind === "error") return { ...out, outcome: "Error", test: test.name, message: test.reason };
  const rec = { ...out, test: test.name, pValue: Number(test.pValue.toPrecision(4)) };
  if (test.pValue < o.significance)
    return { ...rec, outcome: "Failed", message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit} (p = ${rec.pValue})` };
  return { ...rec, outcome: "Inconclusive", message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit}, but not significant yet (p = ${rec.pValue} >= ${o.significance})` };
}

export function checkBound(b: BoundSpec, candidate: Evidence, o: ComparisonOptions): ComparisonRecord[] {
  const out: ComparisonRecord[] = [];
  for (const [check, limit] of [["min", b.min], ["max", b.max]] as const) {
    if (limit === undefined) continue;
    const base = { signal: b.signal, check, limit };
    if (candidate.state === "Error") out.push({ ...base, outcome: "Error", message: `candidate: ${candidate.message}` });
    else if (candidate.state === "NoData" || candidate.samples < o.minSamples)
      out.push({ ...base, outcome: "Inconclusive", ...samplesOf("candidate", candidate), message: `candidate: ${tooFew(candidate, o.minSamples)}` });
    else {
      const bad = check === "min" ? candidate.value < limit - EPSILON : candidate.value > limit + EPSILON;
      out.push({
        ...base,
        outcome: bad ? "Failed" : "Passed",
        candidate: r6(candidate.value),
        candidateSamples: candidate.samples,
        ...(bad ? { message: `${b.signal} ${r6(candidate.value)} is ${check === "min" ? "below" : "above"} the bound ${limit}` } : {}),
      });
    }
  }
  return out;
}

function insufficient(stable: Evidence, candidate: Evidence, minSamples: number): Pick<ComparisonRecord, "outcome" | "message"> | undefined {
  for (const [who, e] of [["stable", stable], ["candidate", candidate]] as const)
    if (e.state === "Error") return { outcome: "Error", message: `${who}: ${e.message}` };
  for (const [who, e] of [["candidate", candidate], ["stable", stable]] as const)
    if (e.state !== "Value" || e.samples < minSamples) return { outcome: "Inconclusive", message: `${who}: ${tooFew(e, minSamples)}` };
  return undefined;
}

const tooFew = (e: Evidence, minSamples: number): string =>
  e.state === "Value" ? `${Math.round(e.samples)} samples, fewer than the ${minSamples} required` : e.state === "NoData" ? e.message : e.message;

const samplesOf = (who: "stable" | "candidate", e: Evidence) =>
  e.state === "Value" || (e.state === "NoData" && e.samples !== undefined) ? { [`${who}Samples`]: Math.round((e as { samples: number }).samples) } : {};

function figures(stable: Evidence, candidate: Evidence): Partial<ComparisonRecord> {
  return {
    ...(stable.state === "Value" ? { stable: r6(stable.value) } : {}),
    ...(candidate.state === "Value" ? { candidate: r6(candidate.value) } : {}),
    ...samplesOf("stable", stable),
    ...samplesOf("candidate", candidate),
  };
}

const describe = (signal: string, measured: number, relative: boolean) =>
  relative
    ? `${signal} ${measured >= 0 ? "+" : ""}${Number.isFinite(measured) ? `${r6(measured * 100)} %` : "from zero"}`
    : `${signal} ${measured >= 0 ? "+" : ""}${r6(measured)}`;

export type WorseTest = { kind: "p"; name: string; pValue: number } | { kind: "none"; why: string } | { kind: "error"; name: string; reason: string };

/**
 * The one-sided test that the candidate is worse than tolerated, chosen by what the counts allow.
 * Also a monitor rule's test of its current value against a pinned baseline (analysis/baselines.ts).
 */
export function worseTest(stable: { basis: Basis; value: number }, candidate: { basis: Basis }, worse: Alternative, margin: number, relativeLimit: number | undefined): WorseTest {
  const a = stable.basis;
  const b = candidate.basis;
  if (a.test === "twoProportion" && b.test === "twoProportion") {
    const r = proportionMarginTest({ successes: a.successes, trials: a.trials }, { successes: b.successes, trials: b.trials }, worse, margin);
    return r.ok ? { kind: "p", name: "twoProportion", pValue: r.value.pValue } : { kind: "error", name: "twoProportion", reason: r.reason };
  }
  if (a.test === "welch" && b.test === "welch") {
    const r = meanMarginTest({ mean: a.mean, variance: a.variance, n: a.n }, { mean: b.mean, variance: b.variance, n: b.n }, worse, margin);
    return r.ok ? { kind: "p", name: "welch", pValue: r.value.pValue } : { kind: "error", name: "welch", reason: r.reason };
  }
  if (a.test === "quantileShare" && b.test === "quantileShare") {
    const tolerated = relativeLimit !== undefined ? stable.value * (worse === "greater" ? 1 + relativeLimit : 1 - relativeLimit) : stable.value + (worse === "greater" ? margin : -margin);
    const beyond = quantileExcess(b.histogram, b.q, tolerated, worse);
    if (!beyond) return { kind: "none", why: "no bucket boundary lies beyond the tolerated quantile" };
    const r = shareExcessTest(beyond.count, beyond.total, beyond.p0);
    return r.ok ? { kind: "p", name: "quantileShare", pValue: r.value.pValue } : { kind: "error", name: "quantileShare", reason: r.reason };
  }
  return { kind: "none", why: "this measure has no test on its counts" };
}

/**
 * For a quantile q tolerated up to `tolerated`: the first bucket boundary B at or beyond it, and
 * the candidate's count on the far side of B. Its q-quantile lies beyond B (so beyond what is
 * tolerated) exactly when that far side holds more than 1 − q (above, for "greater") or when
 * the near side holds more than q (below, for "less") of its observations: a share against a
 * bound, tested exactly from the bucket counts.
 */
export function quantileExcess(candidate: Histogram, q: number, tolerated: number, worse: Alternative): { boundary: number; count: number; total: number; p0: number } | undefined {
  if (!(q > 0 && q < 1)) return undefined;
  const bounds = candidate.bins.map((x) => x.upper).filter((u) => Number.isFinite(u));
  const boundary = worse === "greater" ? bounds.find((u) => u >= tolerated) : [...bounds].reverse().find((u) => u <= tolerated);
  if (boundary === undefined) return undefined;
  const counted = countAbove(boundary, candidate);
  if (!counted.ok) return undefined;
  const { above, total } = counted.value;
  return worse === "greater" ? { boundary, count: above, total, p0: 1 - q } : { boundary, count: total - above, total, p0: q };
}
