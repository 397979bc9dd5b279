// The HTML report's history: a point per evaluation from its status, bounded in points and
// bytes, read back from the ConfigMap without trusting it.
import { describe, expect, it } from "vitest";
import { modelMonitorStatusSchema } from "../../../src/api/v1alpha1/modelmonitor.ts";
import {
  appendAll,
  appendPoint,
  MAX_SERIES_BYTES,
  MAX_SERIES_POINTS,
  parseSeries,
  pointOf,
  serializeSeries,
  type ReportSeries,
} from "../../../src/domain/monitor/report-series.ts";
import { ageScoredIncomeUnscored } from "../../support/monitors.ts";

const T0 = Date.parse("2026-03-08T00:00:00Z");
const status = modelMonitorStatusSchema.parse({
  health: "Warning",
  signals: [
    { name: "accuracy", state: "Value", value: 0.9, baseline: 0.92 },
    { name: "accuracy", segment: "north", state: "Value", value: 0.8 },
    { name: "latency", state: "NoData", reason: "NoSeries", message: "none" },
  ],
  drift: [ageScoredIncomeUnscored(0.2)],
  findings: [
    { type: "AccuracyDrift", severity: "warning", source: "accuracy", segment: "north", description: "d", since: "2026-03-08T00:00:00Z" },
    { type: "DataDrift", severity: "critical", source: "inputs", description: "d", since: "2026-03-08T00:00:00Z" },
    { type: "Fairness", severity: "warning", source: "accuracy", segment: "plant=north", description: "d", since: "2026-03-08T00:00:00Z" },
  ],
});

describe("the report's series", () => {
  it("takes a point from the status: values overall and per segment, baselines, scores, findings by source", () => {
    expect(pointOf(status, T0)).toEqual({
      t: "2026-03-08T00:00:00.000Z",
      h: "Warning",
      f: 3,
      s: { accuracy: 0.9, "accuracy|north": 0.8 },
      b: { accuracy: 0.92 },
      d: { "inputs|age": 0.2 },
      w: { "accuracy|north": "warning", inputs: "critical", "accuracy|plant=north": "warning" },
    });
  });

  it(`keeps at most ${MAX_SERIES_POINTS} points, the newest, and one point per time`, () => {
    let s: ReportSeries = { points: [] };
    for (let i = 0; i < MAX_SERIES_POINTS + 10; i++) s = appendPoint(s, pointOf(status, T0 + i * 60_000));
    expect(s.points).toHaveLength(MAX_SERIES_POINTS);
    expect(s.points[0]?.t).toBe(new Date(T0 + 10 * 60_000).toISOString());
    expect(appendPoint(s, pointOf(status, T0 + (MAX_SERIES_POINTS + 9) * 60_000)).points).toHaveLength(MAX_SERIES_POINTS);
  });

  it(`stays under ${MAX_SERIES_BYTES} bytes with many segments, dropping the oldest`, () => {
    const wide = {
      ...status,
      signals: Array.from({ length: 2000 }, (_, i) => ({ name: "accuracy", segment: `segment-${i}`, state: "Value" as const, value: 0.123456 })),
    };
    let s: ReportSeries = { points: [] };
    for (let i = 0; i < 50; i++) s = appendPoint(s, pointOf(wide, T0 + i * 60_000));
    expect(serializeSeries(s).length).toBeLessThanOrEqual(MAX_SERIES_BYTES);
    expect(s.points.length).toBeGreaterThan(1);
    expect(s.points.at(-1)?.t).toBe(new Date(T0 + 49 * 60_000).toISOString());
  });

  it("adds the points not yet saved to the saved series, in time order, a point of the same time replaced", () => {
    const saved = appendPoint(appendPoint({ points: [] }, pointOf(status, T0)), pointOf(status, T0 + 60_000));
    const again = { ...pointOf(status, T0 + 60_000), f: 9 };
    const merged = appendAll(saved, [again, pointOf(status, T0 + 120_000)]);
    expect(merged.points.map((p) => [p.t.slice(11, 16), p.f])).toEqual([
      ["00:00", 3],
      ["00:01", 9],
      ["00:02", 3],
    ]);
    expect(appendAll(saved, [])).toBe(saved);
  });

  it("reads back what it wrote, and drops what it cannot read", () => {
    const s = appendPoint(appendPoint({ points: [] }, pointOf(status, T0)), pointOf(status, T0 + 60_000));
    expect(parseSeries(serializeSeries(s))).toEqual(s);
    expect(parseSeries(undefined)).toEqual({ points: [] });
    expect(parseSeries("not json")).toEqual({ points: [] });
    expect(parseSeries('{"points":"no"}')).toEqual({ points: [] });
    const mixed = JSON.stringify({
      points: [
        { t: "nonsense", h: "Healthy", f: 0, s: {} },
        { t: "2026-03-08T00:00:00Z", h: "Bad", f: 0, s: {} },
        { t: "2026-03-08T00:01:00Z", h: "Healthy", f: 0, s: { a: "1" } },
        { t: "2026-03-08T00:02:00Z", h: "Healthy", f: 0, s: { a: 1 }, w: { a: "<b>" } },
        { t: "2026-03-08T00:03:00Z", h: "Healthy", f: 0, s: { a: 1 } },
      ],
    });
    expect(parseSeries(mixed).points).toEqual([{ t: "2026-03-08T00:03:00Z", h: "Healthy", f: 0, s: { a: 1 } }]);
  });
});
