// Result style for the statistics core: functions never throw on bad data, they answer with a
// value or with a reason written as one clear English sentence.

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Result<T> => ({ ok: false, reason });

/** Formats a number for a reason sentence: +Inf, -Inf, NaN and plain numbers. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return String(x);
}

/** Describes what is wrong with a count, or undefined when it is a finite non-negative number. */
export function countProblem(x: number): string | undefined {
  if (typeof x !== "number") return "a count that is not a number";
  if (Number.isNaN(x)) return "a NaN count";
  if (!Number.isFinite(x)) return "an infinite count";
  if (x < 0) return `a negative count (${fmt(x)})`;
  return undefined;
}
