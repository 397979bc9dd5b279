// Durations as written in specs ("90s", "1h30m", "7d") <-> milliseconds and PromQL ranges.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g;

/** Milliseconds of a duration, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] ?? NaN);
  return Number.isFinite(total) ? total : undefined;
}

/** Like parseDuration, for values already validated by the schema. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return ms;
}

/** A PromQL range/offset literal; whole seconds keep it valid for every Prometheus-compatible API. */
export function promDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds}s`;
}
