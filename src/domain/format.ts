// Numbers as people read them, in status columns, messages, Events, logs and the report: four
// significant digits, float noise shown as 0, never `2.22045e-16` or `661.0301000000001`.

/** Below this magnitude a computed number is float noise (a difference of two equal values). */
export const NOISE = 1e-9;

/** Significant digits people are shown. */
export const HUMAN_DIGITS = 4;

/** The number people are shown, as a number (for status fields): 4 significant digits, noise as 0. */
export function forPeople(x: number, digits = HUMAN_DIGITS): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) < NOISE) return 0;
  return Number(x.toPrecision(digits));
}

/** The number people are shown, as text: 4 significant digits, noise as 0, +Inf, -Inf and NaN spelled out. */
export function human(x: number, digits = HUMAN_DIGITS): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return String(forPeople(x, digits));
}

/** A fraction as a percentage for people: 0.123456 -> "12.35 %". */
export const humanPercent = (fraction: number): string => (Number.isFinite(fraction) ? `${human(fraction * 100)} %` : human(fraction));

/** A p-value for people: tiny ones as "< 0.0001" rather than an exponent. */
export const humanP = (p: number): string => (p < 1e-4 ? "< 0.0001" : `= ${human(p)}`);

/** A count that may come from a rate over time (increase() is fractional): whole. */
export const humanCount = (x: number): string => (Number.isFinite(x) ? String(Math.round(x)) : human(x));
