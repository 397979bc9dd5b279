// Distances between embedding vectors (e.g. a reference centroid and the current centroid).
import { fail, fmt, ok, type Result } from "./result.ts";

function check(u: readonly number[], v: readonly number[], what: string): string | undefined {
  if (!Array.isArray(u) || !Array.isArray(v)) return `${what} needs two vectors`;
  if (u.length === 0 || v.length === 0) return `${what} needs non-empty vectors, but the ${u.length === 0 ? "reference" : "current"} vector has no dimensions`;
  if (u.length !== v.length) return `${what} needs vectors of the same dimension, but the reference has ${u.length} dimensions and the current has ${v.length}`;
  for (const [side, w] of [
    ["reference", u],
    ["current", v],
  ] as const) {
    for (let i = 0; i < w.length; i++) {
      const x = w[i] as number;
      if (typeof x !== "number" || !Number.isFinite(x)) return `the ${side} vector has a non-finite value (${fmt(x)}) in dimension ${i}`;
    }
  }
  return undefined;
}

function maxAbs(w: readonly number[]): number {
  let m = 0;
  for (const x of w) m = Math.max(m, Math.abs(x));
  return m;
}

/**
 * Cosine distance 1 − u·v / (|u||v|), in [0, 2] (scipy.spatial.distance.cosine). Each vector is
 * scaled by its largest component first, so huge or tiny components neither overflow nor underflow.
 * A zero vector has no direction: that is a failure.
 */
export function cosineDistance(reference: readonly number[], current: readonly number[]): Result<number> {
  const problem = check(reference, current, "the cosine distance");
  if (problem) return fail(problem);
  const su = maxAbs(reference);
  const sv = maxAbs(current);
  if (su === 0 || sv === 0)
    return fail(`the ${su === 0 ? "reference" : "current"} vector is all zeros, so it has no direction and the cosine distance is undefined`);
  let dot = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < reference.length; i++) {
    const a = (reference[i] as number) / su;
    const b = (current[i] as number) / sv;
    dot += a * b;
    uu += a * a;
    vv += b * b;
  }
  const d = 1 - dot / Math.sqrt(uu * vv);
  return ok(Math.min(Math.max(d, 0), 2));
}

/** Euclidean distance |u − v|, scaled to avoid overflow (scipy.spatial.distance.euclidean). */
export function euclideanDistance(reference: readonly number[], current: readonly number[]): Result<number> {
  const problem = check(reference, current, "the euclidean distance");
  if (problem) return fail(problem);
  let scale = 0;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs((reference[i] as number) - (current[i] as number)));
  if (scale === 0) return ok(0);
  // a component difference beyond the largest double makes the distance beyond it too
  if (!Number.isFinite(scale)) return fail("the euclidean distance exceeds the largest finite number");
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = ((reference[i] as number) - (current[i] as number)) / scale;
    s += d * d;
  }
  const d = scale * Math.sqrt(s);
  return Number.isFinite(d) ? ok(d) : fail("the euclidean distance exceeds the largest finite number");
}
