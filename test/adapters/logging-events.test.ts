// Every recorded Event is one JSON log line with an ISO time, written in one place (the sink).
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/adapters/logger.ts";
import { LoggingEventSink } from "../../src/adapters/logging-events.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { EventSink, ObjectRef } from "../../src/ports.ts";

function capture(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger(level, stream) };
}

const ref: ObjectRef = { apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", namespace: "ml", name: "fraud", uid: "u" };
const recorded: MonitorEvent[] = [];
const inner: EventSink = { emit: async (_r, e) => void recorded.push(e) };

describe("LoggingEventSink", () => {
  it("logs each Event once at info or warn with an ISO time, repeats at debug, and still records the Event", async () => {
    const { lines, log } = capture();
    let now = Date.parse("2026-12-01T10:00:00Z");
    const sink = new LoggingEventSink(inner, log, { now: () => now });
    const job: MonitorEvent = { type: "Normal", reason: "RetrainTriggered", message: "created Job fraud-retrain-1a2b for AccuracyDrift critical on accuracy" };
    await sink.emit(ref, job);
    now += 1000;
    await sink.emit(ref, job); // the same decision told again: not at info
    await sink.emit(ref, { type: "Warning", reason: "JobFailed", message: "Job fraud-retrain-1a2b failed: BackoffLimitExceeded" });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg, l.monitor, l.reason])).toEqual([
      [30, "RetrainTriggered: created Job fraud-retrain-1a2b for AccuracyDrift critical on accuracy", "ml/fraud", "RetrainTriggered"],
      [40, "JobFailed: Job fraud-retrain-1a2b failed: BackoffLimitExceeded", "ml/fraud", "JobFailed"],
    ]);
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(recorded.map((e) => e.reason)).toEqual(["RetrainTriggered", "RetrainTriggered", "JobFailed"]);
  });
});
