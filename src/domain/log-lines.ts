// The operator's log tells the story: one line per decision that matters, which is one line per
// Event the controllers record (a finding raised or cleared with its numbers, a health change, a
// Job started or finished, an action held and why, a rollout's step, analysis and ending). Built
// here, pure; the logging EventSink (adapters/logging-events.ts) writes them, in one place.
import type { MonitorEvent } from "./events.ts";
import type { QueryRequest, QueryResult } from "./observation.ts";

export type LogLevel = "debug" | "info" | "warn";

export interface LogLine {
  level: LogLevel;
  /** Structured fields: which object, the Event's reason, type and severity. */
  fields: Record<string, string>;
  msg: string;
}

/** The field an object is logged under, by kind: monitor=ns/name, rollout=ns/name, policy=ns/name. */
const FIELD_OF_KIND: Record<string, string> = { ModelMonitor: "monitor", ModelRollout: "rollout", RetrainPolicy: "policy" };

/** The same Event again (same object, reason and message) within this long is logged at debug only: a decision is told once. */
export const REPEAT_QUIET_MS = 10 * 60_000;

/**
 * The log line of one Event: info for a Normal one, warn for a Warning one, debug for a repeat of
 * the same Event within REPEAT_QUIET_MS (`lastLoggedAt`: when the same line was last logged above debug).
 */
export function eventLogLine(ref: { kind: string; namespace: string; name: string }, event: MonitorEvent, now: number, lastLoggedAt?: number): LogLine {
  const repeat = lastLoggedAt !== undefined && now - lastLoggedAt < REPEAT_QUIET_MS;
  const field = FIELD_OF_KIND[ref.kind] ?? "object";
  return {
    level: repeat ? "debug" : event.type === "Warning" ? "warn" : "info",
    fields: {
      [field]: `${ref.namespace}/${ref.name}`,
      ...(field === "object" ? { kind: ref.kind } : {}),
      reason: event.reason,
      type: event.type,
      ...(event.severity ? { severity: event.severity } : {}),
    },
    msg: `${event.reason}: ${event.message}`,
  };
}

/** What makes two Events the same for REPEAT_QUIET_MS. */
export const eventKey = (ref: { kind: string; namespace: string; name: string }, event: MonitorEvent): string =>
  `${ref.kind}/${ref.namespace}/${ref.name}\u0000${event.reason}\u0000${event.message}`;

/** A query as the debug log shows it: the PromQL, its time (ISO) and what came back. */
export function queryLogOf(q: QueryRequest, r: QueryResult): { expr: string; at: string; series?: number; error?: string } {
  return { expr: q.expr, at: new Date(q.time).toISOString(), ...(r.kind === "vector" ? { series: r.samples.length } : { error: `${r.error}: ${r.message}` }) };
}
