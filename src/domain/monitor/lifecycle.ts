// Decisions about a monitor that come before (or instead of) an evaluation: is one due, and
// what status an invalid or suspended monitor gets. Pure, like the evaluation itself.
import type { ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { setConditions } from "../conditions.ts";
import { EVALUATE_ANNOTATION, REPIN_ANNOTATION } from "./evaluate.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import { stableHash } from "../identifiers.ts";
import { latestPossibleEvaluation } from "./status-writes.ts";

export type Due = { due: true } | { due: false; afterMs: number };

/** No monitor is evaluated more often than this, whatever its spec says (the schema agrees). */
export const MIN_EVALUATION_INTERVAL_MS = 1_000;

/** The interval the operator keeps: the spec's, never under the floor. */
export const evaluationIntervalMs = (specIntervalMs: number): number =>
  Number.isFinite(specIntervalMs) ? Math.max(MIN_EVALUATION_INTERVAL_MS, specIntervalMs) : MIN_EVALUATION_INTERVAL_MS;

/**
 * A monitor whose Secret is missing, refuses its source, or holds credentials the source rejects
 * (HTTP 401/403, e.g. a token rotated at the source first) is evaluated again this often,
 * whatever its interval: the Secret's owner is likely fixing it, and a monitor on a 30-minute
 * interval should not wait 30 minutes to see the fix. Each retry costs one Secret read at most
 * (the resolver keeps such a Secret 10 s), and no query unless the Secret is usable.
 */
export const CREDENTIALS_RETRY_MS = 10_000;
const CREDENTIAL_REASONS = new Set(["CredentialsNotAllowed", "SecretNotFound", "QueryUnauthorized"]);

/** Whether the last evaluation could not get an answer for want of usable credentials. */
export const waitingForCredentials = (status: ModelMonitorStatus): boolean =>
  status.conditions.some((c) => c.type === "MetricsAvailable" && c.status === "False" && CREDENTIAL_REASONS.has(c.reason));

/** How long after its last evaluation a monitor is due again: its interval, or the credentials retry while it waits for them. */
export const effectiveIntervalMs = (status: ModelMonitorStatus, specIntervalMs: number): number =>
  waitingForCredentials(status) ? Math.min(evaluationIntervalMs(specIntervalMs), CREDENTIALS_RETRY_MS) : evaluationIntervalMs(specIntervalMs);

/** Monitors overdue when the operator starts are spread over at most this long (and their interval). */
export const MAX_START_SPREAD_MS = 30_000;

/**
 * What this process knows of a monitor beyond its status. After a start, the monitors that are
 * overdue (the operator was down longer than their interval, or they were never evaluated)
 * would all be due at once: each waits until its own moment in the spread window after the
 * start, fixed by its key, so a restart is no thundering herd. And a status whose values-only
 * write waited (status-writes.ts) is older than the last evaluation: what this process
 * remembers, or for a process that remembers nothing the latest moment possible, counts
 * instead. Only ever later, never earlier than the interval allows.
 */
export interface ProcessView {
  /** When this process started reconciling (a start, or taking over the Lease). */
  startedAt: number;
  /** The monitor's stable identity (its uid): the same monitor always gets the same moment. */
  key: string;
  /** When this process last evaluated the monitor, if it did. */
  lastEvaluated?: number;
  /** How long values-only writes may wait (status-writes.ts valuesRefreshMs); absent, none waits. */
  refreshMs?: number;
}

/** When the monitor was last evaluated, as far as a process can tell without evaluating early. */
export function lastEvaluation(status: ModelMonitorStatus, specIntervalMs: number, view?: ProcessView): number | undefined {
  const parsed = status.lastEvaluationTime ? Date.parse(status.lastEvaluationTime) : Number.NaN;
  const recorded = Number.isFinite(parsed) ? parsed : undefined;
  // this process's own record wins: a status written by another clock (ahead of ours) must not
  // make it look overdue
  if (view?.lastEvaluated !== undefined) return view.lastEvaluated;
  if (recorded === undefined || view === undefined) return recorded;
  return latestPossibleEvaluation(recorded, evaluationIntervalMs(specIntervalMs), view.refreshMs ?? 0, view.startedAt);
}

/**
 * An evaluation is due when the spec changed, a re-pin was requested, or the interval has
 * passed since the last evaluation (so a restart does not evaluate early).
 */
export function evaluationDue(
  status: ModelMonitorStatus,
  generation: number,
  annotations: Record<string, string>,
  specIntervalMs: number,
  now: number,
  view?: ProcessView,
): Due {
  const intervalMs = effectiveIntervalMs(status, specIntervalMs);
  const repin = annotations[REPIN_ANNOTATION];
  const evaluate = annotations[EVALUATE_ANNOTATION];
  const upToDate =
    status.observedGeneration === generation &&
    (repin === undefined || repin === status.repinToken) &&
    (evaluate === undefined || evaluate === status.evaluateToken);
  // a person's change is acted on at once
  if (!upToDate) return { due: true };
  const last = lastEvaluation(status, specIntervalMs, view);
  // a last evaluation in the future (clock skew) is not trusted
  if (last !== undefined && now >= last && now - last < intervalMs) return { due: false, afterMs: last + intervalMs - now };
  if (view) {
    const at = view.startedAt + Math.floor(unitHash(view.key) * Math.min(intervalMs, MAX_START_SPREAD_MS));
    if (now < at) return { due: false, afterMs: at - now };
  }
  return { due: true };
}

/** A number in [0, 1) fixed by the text: the low digits of the Job names' stable hash (FNV's best mixed). */
const unitHash = (text: string): number => Number.parseInt(stableHash(text).slice(-6), 36) / 36 ** 6;

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
    conditions: setConditions(
      previous.conditions,
      [{ type: "Ready", status: "False", reason: "Suspended", message: "spec.suspend is true" }],
      nowIso,
      generation,
    ),
  };
}
