// One comparison of the candidate with the stable version, or one bound on the candidate. A
// comparison fails only when the difference passes its tolerance and, where the counts allow a
// test, a test against that tolerance says the candidate is really worse than tolerated; too few
// samples is inconclusive, a failed query an error: four outcomes, never confused
// (docs/statistics.md, "Comparing a candidate with the stable version").
import type { BoundSpec, ComparisonLimit, ComparisonRecord, ComparisonSpec } from "../../api/v1alpha1/rollout.ts";
import { COMPARISON_LIMITS } from "../../api/v1alpha1/rollout.ts";
import {
  countAbove,
  meanMarginTest,
  proportionMarginTest,
  sequentialMeanTest,
  sequentialProportionTest,
  sequentialShareTest,
  shareExcessTest,
  type Histogram,
  type Result,
  type SequentialResult,
} from "../stats/index.ts";
import type { Basis, Evidence } from "./evidence.ts";
import { forPeople, human, humanP, humanPercent } from "../format.ts";

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

/**
 * What both kinds of comparison start from: the limit, the record's common fields and, with
 * enough samples on both sides, the measured difference (relative: over |stable|) and whether it
 * is beyond the limit. A record when the evidence cannot be compared.
 */
function measure(c: ComparisonSpec, stable: Evidence, candidate: Evidence, minSamples: number) {
  const { check, limit } = limitOf(c);
  const base = { signal: c.signal, check, limit };
  const unusable = insufficient(stable, candidate, minSamples);
  if (unusable) return { comparable: false as const, record: { ...base, ...unusable, ...figures(stable, candidate) } as ComparisonRecord };
  const s = stable as Extract<Evidence, { state: "Value" }>;
  const k = candidate as Extract<Evidence, { state: "Value" }>;
  const relative = check === "maxRelativeIncrease" || check === "maxRelativeDecrease";
  const worse: Alternative = check === "maxRelativeIncrease" || check === "maxIncrease" ? "greater" : "less";
  const diff = k.value - s.value;
  const measured = relative ? (s.value === 0 ? (diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity) : diff / Math.abs(s.value)) : diff;
  const out = { ...base, ...figures(s, k), ...(Number.isFinite(measured) ? { difference: forPeople(measured, 6) } : {}) };
  const beyond = worse === "greater" ? measured > limit + EPSILON : -measured > limit + EPSILON;
  return { comparable: true as const, s, k, limit, relative, worse, measured, out, beyond };
}

export function compareVersions(c: ComparisonSpec, stable: Evidence, candidate: Evidence, o: ComparisonOptions): ComparisonRecord {
  const m = measure(c, stable, candidate, o.minSamples);
  if (!m.comparable) return m.record;
  const { s, k, limit, relative, worse, measured, out, beyond } = m;
  if (!beyond) return { ...out, outcome: "Passed" };
  // the tolerance as an absolute margin on the measured scale
  const margin = relative ? limit * Math.abs(s.value) : limit;
  const test = worseTest(s, k, worse, margin, relative ? limit : undefined);
  if (test.kind === "none")
    return {
      ...out,
      outcome: "Failed",
      test: "none",
      message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit}; ${test.why}, so the tolerance alone decides`,
    };
  if (test.kind === "error") return { ...out, outcome: "Error", test: test.name, message: test.reason };
  const rec = { ...out, test: test.name, pValue: forPeople(test.pValue) };
  if (test.pValue < o.significance)
    return { ...rec, outcome: "Failed", message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit} (p ${humanP(test.pValue)})` };
  return {
    ...rec,
    outcome: "Inconclusive",
    message: `${describe(c.signal, measured, relative)} is beyond the limit ${limit}, but not significant yet (p ${humanP(test.pValue)} >= ${o.significance})`,
  };
}

export interface SequentialComparisonOptions {
  minSamples: number;
  /** The level of this comparison's anytime-valid test at this stage (stageAlpha): Λ ≥ 1/alpha fails the candidate. */
  alpha: number;
  /** For a quantile: the bucket boundary this step's earlier looks counted beyond, kept so that every look tests the same share. */
  boundary?: number | undefined;
}

/**
 * An interim check of one comparison: the anytime-valid test (docs/statistics.md, "Anytime-valid
 * comparisons") on the counts since the step began. Failed only when the test rejects; the
 * estimate beyond the limit without a rejection is Inconclusive, within it Passed. A measure with
 * no test on its counts never fails an interim check (the hold's end judges it by its tolerance).
 */
export function sequentialComparison(c: ComparisonSpec, stable: Evidence, candidate: Evidence, o: SequentialComparisonOptions): ComparisonRecord {
  const m = measure(c, stable, candidate, o.minSamples);
  if (!m.comparable) return m.record;
  const { s, k, limit, relative, worse, measured, out, beyond } = m;
  const tested = sequentialTest(s, k, worse, relative ? { relative: limit } : { margin: limit }, o, limit, relative);
  const test = tested?.result;
  if (test === undefined)
    return {
      ...out,
      outcome: beyond ? "Inconclusive" : "Passed",
      test: "none",
      message: `${c.signal}: no anytime-valid test on these counts; the hold's end judges it by its limit`,
    };
  if (!test.ok) return { ...out, outcome: "Error", test: "sequential", message: test.reason };
  const r = test.value;
  // ln Λ, kept finite for status (e^-745 is 0 in doubles), so a passed stage's evidence can be carried
  const logEvidence = Number(Math.max(-745, Math.min(709, r.logEvidence)).toPrecision(8));
  if (s.basis.test === "quantileShare") {
    // the test is on the candidate's share beyond a bucket boundary, not on the quantile itself
    const share = `${describe(c.signal, measured, relative)} (the share beyond le=${tested?.boundary} exceeds its bound by ${human(r.excess)}, anytime-valid lower end ${human(r.lower)})`;
    const kept = { ...out, logEvidence, ...(tested?.boundary !== undefined ? { boundary: tested.boundary } : {}) };
    if (r.reject)
      return {
        ...kept,
        test: "sequential",
        outcome: "Failed",
        message: `${share}: beyond the limit ${limit} at every look at once (α = ${Number(o.alpha.toPrecision(4))})`,
      };
    return { ...kept, test: "sequential", outcome: beyond ? "Inconclusive" : "Passed", message: `${share}; limit ${limit}` };
  }
  // the interval on the excess, back on the scale of the difference (relative: over |stable|)
  const scale = relative ? Math.abs(s.value) : 1;
  const toWorseness = (e: number) => (scale > 0 ? limit + e / scale : e > 0 ? Infinity : -Infinity);
  const [lo, hi] = worse === "greater" ? [toWorseness(r.lower), toWorseness(r.upper)] : [-toWorseness(r.upper), -toWorseness(r.lower)];
  const bounds = { ...(Number.isFinite(lo) ? { lowerBound: forPeople(lo, 6) } : {}), ...(Number.isFinite(hi) ? { upperBound: forPeople(hi, 6) } : {}) };
  const shown = `${describe(c.signal, measured, relative)} (anytime-valid interval ${fmtBound(lo, relative)} to ${fmtBound(hi, relative)})`;
  const rec = { ...out, ...bounds, logEvidence, test: "sequential" };
  if (r.reject)
    return { ...rec, outcome: "Failed", message: `${shown} is beyond the limit ${limit} at every look at once (α = ${Number(o.alpha.toPrecision(4))})` };
  return { ...rec, outcome: beyond ? "Inconclusive" : "Passed", message: `${shown}; limit ${limit}` };
}

const fmtBound = (x: number, relative: boolean) => (relative ? humanPercent(x) : human(x));

function sequentialTest(
  stable: { basis: Basis; value: number },
  candidate: { basis: Basis },
  worse: Alternative,
  tolerance: { margin: number } | { relative: number },
  o: SequentialComparisonOptions,
  limit: number,
  relative: boolean,
): { result: Result<SequentialResult>; boundary?: number } | undefined {
  const a = stable.basis;
  const b = candidate.basis;
  const alpha = o.alpha;
  if (a.test === "twoProportion" && b.test === "twoProportion")
    return {
      result: sequentialProportionTest({ successes: a.successes, trials: a.trials }, { successes: b.successes, trials: b.trials }, worse, tolerance, { alpha }),
    };
  if (a.test === "welch" && b.test === "welch")
    return {
      result: sequentialMeanTest({ mean: a.mean, variance: a.variance, n: a.n }, { mean: b.mean, variance: b.variance, n: b.n }, worse, tolerance, { alpha }),
    };
  if (a.test === "quantileShare" && b.test === "quantileShare") {
    // the boundary is chosen at the step's first look that has one, from stable's quantile then, and kept
    const tolerated = relative ? stable.value * (worse === "greater" ? 1 + limit : 1 - limit) : stable.value + (worse === "greater" ? limit : -limit);
    const beyond = o.boundary !== undefined ? shareBeyond(b.histogram, b.q, o.boundary, worse) : quantileExcess(b.histogram, b.q, tolerated, worse);
    if (!beyond) return undefined;
    return { result: sequentialShareTest(beyond.count, beyond.total, beyond.p0, { alpha }), boundary: beyond.boundary };
  }
  return undefined;
}

/** The candidate's count beyond a given bucket boundary, as quantileExcess counts it. */
function shareBeyond(
  candidate: Histogram,
  q: number,
  boundary: number,
  worse: Alternative,
): { boundary: number; count: number; total: number; p0: number } | undefined {
  if (!(q > 0 && q < 1)) return undefined;
  const counted = countAbove(boundary, candidate);
  if (!counted.ok) return undefined;
  const { above, total } = counted.value;
  return worse === "greater" ? { boundary, count: above, total, p0: 1 - q } : { boundary, count: total - above, total, p0: q };
}

export function checkBound(b: BoundSpec, candidate: Evidence, o: ComparisonOptions): ComparisonRecord[] {
  const out: ComparisonRecord[] = [];
  for (const [check, limit] of [
    ["min", b.min],
    ["max", b.max],
  ] as const) {
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
        candidate: forPeople(candidate.value, 6),
        candidateSamples: Math.round(candidate.samples),
        ...(bad ? { message: `${b.signal} ${human(candidate.value)} is ${check === "min" ? "below" : "above"} the bound ${limit}` } : {}),
      });
    }
  }
  return out;
}

function insufficient(stable: Evidence, candidate: Evidence, minSamples: number): Pick<ComparisonRecord, "outcome" | "message"> | undefined {
  for (const [who, e] of [
    ["stable", stable],
    ["candidate", candidate],
  ] as const)
    if (e.state === "Error") return { outcome: "Error", message: `${who}: ${e.message}` };
  for (const [who, e] of [
    ["candidate", candidate],
    ["stable", stable],
  ] as const)
    if (e.state !== "Value" || e.samples < minSamples) return { outcome: "Inconclusive", message: `${who}: ${tooFew(e, minSamples)}` };
  return undefined;
}

const tooFew = (e: Evidence, minSamples: number): string =>
  e.state === "Value" ? `${Math.round(e.samples)} samples, fewer than the ${minSamples} required` : e.state === "NoData" ? e.message : e.message;

const samplesOf = (who: "stable" | "candidate", e: Evidence) =>
  e.state === "Value" || (e.state === "NoData" && e.samples !== undefined) ? { [`${who}Samples`]: Math.round((e as { samples: number }).samples) } : {};

function figures(stable: Evidence, candidate: Evidence): Partial<ComparisonRecord> {
  return {
    ...(stable.state === "Value" ? { stable: forPeople(stable.value, 6) } : {}),
    ...(candidate.state === "Value" ? { candidate: forPeople(candidate.value, 6) } : {}),
    ...samplesOf("stable", stable),
    ...samplesOf("candidate", candidate),
  };
}

const describe = (signal: string, measured: number, relative: boolean) =>
  relative
    ? `${signal} ${forPeople(measured) > 0 ? "+" : ""}${Number.isFinite(measured) ? humanPercent(measured) : "from zero"}`
    : `${signal} ${forPeople(measured) > 0 ? "+" : ""}${human(measured)}`;

export type WorseTest = { kind: "p"; name: string; pValue: number } | { kind: "none"; why: string } | { kind: "error"; name: string; reason: string };

/**
 * The one-sided test that the candidate is worse than tolerated, chosen by what the counts allow.
 * Also a monitor rule's test of its current value against a pinned baseline (analysis/baselines.ts).
 */
export function worseTest(
  stable: { basis: Basis; value: number },
  candidate: { basis: Basis },
  worse: Alternative,
  margin: number,
  relativeLimit: number | undefined,
): WorseTest {
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
    const tolerated =
      relativeLimit !== undefined
        ? stable.value * (worse === "greater" ? 1 + relativeLimit : 1 - relativeLimit)
        : stable.value + (worse === "greater" ? margin : -margin);
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
export function quantileExcess(
  candidate: Histogram,
  q: number,
  tolerated: number,
  worse: Alternative,
): { boundary: number; count: number; total: number; p0: number } | undefined {
  if (!(q > 0 && q < 1)) return undefined;
  const bounds = candidate.bins.map((x) => x.upper).filter((u) => Number.isFinite(u));
  const boundary = worse === "greater" ? bounds.find((u) => u >= tolerated) : [...bounds].reverse().find((u) => u <= tolerated);
  if (boundary === undefined) return undefined;
  const counted = countAbove(boundary, candidate);
  if (!counted.ok) return undefined;
  const { above, total } = counted.value;
  return worse === "greater" ? { boundary, count: above, total, p0: 1 - q } : { boundary, count: total - above, total, p0: q };
}
