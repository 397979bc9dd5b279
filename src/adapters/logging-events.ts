// Every Event the controllers record is also a log line (domain/log-lines.ts): the one place where
// the operator's decisions reach its log, so the log and `kubectl get events` tell the same story.
import type { Logger } from "pino";
import { eventKey, eventLogLine, REPEAT_QUIET_MS } from "../domain/log-lines.ts";
import type { MonitorEvent } from "../domain/events.ts";
import type { Clock, EventSink, ObjectRef } from "../ports.ts";

/** Remembered Events, at most: past it the oldest are forgotten (and a repeat is logged once more). */
const REMEMBERED = 10_000;

export class LoggingEventSink implements EventSink {
  private readonly inner: EventSink;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly lastLogged = new Map<string, number>();
  constructor(inner: EventSink, log: Logger, clock: Clock) {
    this.inner = inner;
    this.log = log;
    this.clock = clock;
  }
  async emit(ref: ObjectRef, event: MonitorEvent): Promise<void> {
    const now = this.clock.now();
    const key = eventKey(ref, event);
    const line = eventLogLine(ref, event, now, this.lastLogged.get(key));
    this.log[line.level](line.fields, line.msg);
    if (line.level !== "debug") this.remember(key, now);
    await this.inner.emit(ref, event);
  }
  private remember(key: string, now: number) {
    this.lastLogged.delete(key);
    this.lastLogged.set(key, now);
    if (this.lastLogged.size <= REMEMBERED) return;
    for (const [k, at] of this.lastLogged) {
      if (this.lastLogged.size <= REMEMBERED && now - at < REPEAT_QUIET_MS) break;
      this.lastLogged.delete(k);
    }
  }
}
