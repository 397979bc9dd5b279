// Durations as written in specs ("90s", "1h30m", "7d") <-> milliseconds and PromQL ranges.
import { durationToMs } from "../api/v1alpha1/common.ts";

/** Milliseconds of a duration, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const ms = durationToMs(text);
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
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
