// Reading a pair of binned count vectors (reference, current) with the checks every distance needs.
import { leLabel, validateHistogram, type Histogram } from "./histogram.ts";
import { countProblem, fail, ok, type Result } from "./result.ts";

/** Per-bin counts: a plain vector, or a histogram whose bins give the counts in order. */
export type Counts = readonly number[] | Histogram;

export interface CountPair {
  reference: number[];
  current: number[];
  referenceTotal: number;
  currentTotal: number;
  /** Names of the bins for reasons: "bucket le=0.5" or "bin 3". */
  labels: string[];
}

function read(x: Counts, side: "reference" | "current"): Result<{ counts: number[]; labels: string[] }> {
  if (Array.isArray(x)) {
    const counts: number[] = [];
    const labels: string[] = [];
    for (let i = 0; i < x.length; i++) {
      const c = x[i] as number;
      const problem = countProblem(c);
      if (problem) return fail(`the ${side} counts have ${problem} in bin ${i}`);
      counts.push(c);
      labels.push(`bin ${i}`);
    }
    return ok({ counts, labels });
  }
  const h = x as Histogram;
  const valid = validateHistogram(h, side);
  if (!valid.ok) return valid;
  return ok({ counts: h.bins.map((b) => b.count), labels: h.bins.map((b) => `bucket ${leLabel(b.upper)}`) });
}

/**
 * Validates both sides: same number of bins (at least one), finite non-negative counts, and,
 * unless `allowEmpty`, a positive total on each side. Histograms must share their layout.
 */
export function readPair(reference: Counts, current: Counts, what: string): Result<CountPair> {
  const r = read(reference, "reference");
  if (!r.ok) return r;
  const c = read(current, "current");
  if (!c.ok) return c;
  const nr = r.value.counts.length;
  const nc = c.value.counts.length;
  if (nr === 0 || nc === 0) return fail(`${what} needs at least one bin, but the ${nr === 0 ? "reference" : "current"} side has zero bins`);
  if (nr !== nc) return fail(`${what} needs the same bins on both sides, but the reference has ${nr} bins and the current has ${nc}`);
  if (!Array.isArray(reference) && !Array.isArray(current)) {
    const ra = (reference as Histogram).bins;
    const ca = (current as Histogram).bins;
    for (let i = 0; i < ra.length; i++) {
      const a = (ra[i] as { upper: number }).upper;
      const b = (ca[i] as { upper: number }).upper;
      if (a !== b)
        return fail(
          `${what} needs the same bucket layout on both sides, but bucket ${i + 1} is ${leLabel(a)} in the reference and ${leLabel(b)} in the current`,
        );
    }
  }
  const referenceTotal = sum(r.value.counts);
  const currentTotal = sum(c.value.counts);
  if (referenceTotal === 0) return fail(`the reference window is empty (total count 0), so ${what} cannot be computed`);
  if (currentTotal === 0) return fail(`the current window is empty (total count 0), so ${what} cannot be computed`);
  if (!Number.isFinite(referenceTotal) || !Number.isFinite(currentTotal))
    return fail(`the counts add up to more than the largest finite number, so ${what} cannot be computed`);
  return ok({ reference: r.value.counts, current: c.value.counts, referenceTotal, currentTotal, labels: r.value.labels });
}

/** Sum with Neumaier compensation: exact enough for 1e12-sized counts next to small ones. */
export function sum(xs: readonly number[]): number {
  let s = 0;
  let comp = 0;
  for (const x of xs) {
    const t = s + x;
    comp += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + comp;
}
