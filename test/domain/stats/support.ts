// Shared helpers of the statistics tests.
import type { Histogram, Result } from "../../../src/domain/stats/index.ts";

/** The value of a Result, or a test failure naming the reason. */
export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected a value, got: ${r.reason}`);
  return r.value;
}

/** The reason of a failed Result, or a test failure showing the value. */
export function reason<T>(r: Result<T>): string {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  return r.reason;
}

/** A histogram from upper bounds and per-bin counts; the first bin starts at -Inf. */
export function hist(upper: number[], counts: number[]): Histogram {
  return {
    bins: upper.map((u, i) => ({ lower: i === 0 ? -Infinity : (upper[i - 1] as number), upper: u, count: counts[i] as number })),
    total: counts.reduce((a, b) => a + b, 0),
  };
}

/** Prometheus's cumulative buckets from [upper bound, count] pairs, in the order given. */
export const cumulative = (...buckets: [le: number, count: number][]): { le: number; count: number }[] => buckets.map(([le, count]) => ({ le, count }));
