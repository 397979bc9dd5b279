// Decisions about a monitor that come before (or instead of) an evaluation: is one due, and
// what status an invalid or suspended monitor gets. Pure, like the evaluation itself.
import type { ModelMonitorStatus } from "../api/v1alpha1/modelmonitor.ts";
import { setConditions } from "./conditions.ts";
import { REPIN_ANNOTATION } from "./evaluate.ts";
import { EventReason, type MonitorEvent } from "./events.ts";

export type Due = { due: true } | { due: false; afterMs: number };

/** No monitor is evaluated more often than this, whatever its spec says (the schema agrees). */
export const MIN_EVALUATION_INTERVAL_MS = 1_000;

/** The interval the operator keeps: the spec's, never under the floor. */
export const evaluationIntervalMs = (specIntervalMs: number): number =>
  Number.isFinite(specIntervalMs) ? Math.max(MIN_EVALUATION_INTERVAL_MS, specIntervalMs) : MIN_EVALUATION_INTERVAL_MS;

/**
 * An evaluation is due when the spec changed, a re-pin was requested, or the interval has
 * passed since the last evaluation recorded in status (so a restart does not evaluate early).
 */
export function evaluationDue(
  status: ModelMonitorStatus,
  generation: number,
  annotations: Record<string, string>,
  specIntervalMs: number,
  now: number,
): Due {
  const intervalMs = evaluationIntervalMs(specIntervalMs);
  const repin = annotations[REPIN_ANNOTATION];
  const upToDate = status.observedGeneration === generation && (repin === undefined || repin === status.repinToken);
  const last = status.lastEvaluationTime ? Date.parse(status.lastEvaluationTime) : undefined;
  // a last evaluation in the future (clock skew) is not trusted
  if (!upToDate || last === undefined || now < last || now - last >= intervalMs) return { due: true };
  return { due: false, afterMs: last + intervalMs - now };
}

/** Ready=False InvalidSpec with the message naming the fields; the Event only on the first time. */
export function invalidSpecStatus(
  previous: ModelMonitorStatus,
  generation: number,
  message: string,
  nowIso: string,
): { status: ModelMonitorStatus; events: MonitorEvent[] } {
  const alreadyInvalid = previous.conditions.some((c) => c.type === "Ready" && c.reason === "InvalidSpec" && c.message === message);
  return {
    status: {
      ...previous,
      observedGeneration: generation,
      health: "Unknown",
      conditions: setConditions(previous.conditions, [{ type: "Ready", status: "False", reason: "InvalidSpec", message }], nowIso, generation),
    },
    events: alreadyInvalid ? [] : [{ type: "Warning", reason: EventReason.InvalidSpec, message }],
  };
}

export function suspendedStatus(previous: ModelMonitorStatus, generation: number, nowIso: string): ModelMonitorStatus {
  return {
    ...previous,
    observedGeneration: generation,
    conditions: setConditions(previous.conditions, [{ type: "Ready", status: "False", reason: "Suspended", message: "spec.suspend is true" }], nowIso, generation),
  };
}
