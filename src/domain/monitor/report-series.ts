// The history the HTML report plots: one point per evaluation (each signal's value overall and
// per segment, the overall baselines, each drift score, the sources with a finding), kept by
// the operator in memory and in the report's ConfigMap (key series.json), never in status:
// status stays small at 10,000 monitors. Bounded twice: at most MAX_SERIES_POINTS points, and
// the oldest are dropped while its JSON exceeds MAX_SERIES_BYTES. Pure.
import type { Health, ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { HEALTH_STATES } from "../../api/v1alpha1/modelmonitor.ts";

/** The ConfigMap key of the series: `kubectl get cm <monitor>-report -o jsonpath='{.data.series\.json}'`. */
export const SERIES_KEY = "series.json";
/** Points kept: a week of hourly evaluations, or 4 hours of minutely ones. */
export const MAX_SERIES_POINTS = 240;
/** The series' JSON stays under this, whatever the number of segments and features (a ConfigMap holds 1 MiB). */
export const MAX_SERIES_BYTES = 192 * 1024;
/**
 * How often the series is saved between reports: a restart loses at most this much of the plots,
 * and the operator holds at most this much of each monitor's points in memory.
 */
export const SERIES_FLUSH_MS = 60 * 60_000;

export interface SeriesPoint {
  /** ISO time of the evaluation. */
  t: string;
  h: Health;
  /** Findings in that evaluation. */
  f: number;
  /** Signal values: `name` overall, `name|segment` per segment. */
  s: Record<string, number>;
  /** Overall baselines, by signal name. */
  b?: Record<string, number>;
  /** Drift scores: `check|feature` (the embedding check's feature is `centroid`). */
  d?: Record<string, number>;
  /** Worst finding severity by source (`source`, or `source|segment`; a fairness finding `source|label=value`). */
  w?: Record<string, "warning" | "critical">;
}

export interface ReportSeries {
  points: SeriesPoint[];
}

export const seriesKey = (name: string, part?: string): string => (part === undefined ? name : `${name}|${part}`);

/** The point of one evaluation, from the status it produced. */
export function pointOf(status: ModelMonitorStatus, now: number): SeriesPoint {
  const s: Record<string, number> = {};
  const b: Record<string, number> = {};
  for (const x of status.signals) {
    if (x.value !== undefined && Number.isFinite(x.value)) s[seriesKey(x.name, x.segment)] = x.value;
    if (x.segment === undefined && x.baseline !== undefined && Number.isFinite(x.baseline)) b[x.name] = x.baseline;
  }
  const d: Record<string, number> = {};
  for (const c of status.drift) for (const f of c.features) if (f.score !== undefined && Number.isFinite(f.score)) d[seriesKey(c.name, f.feature)] = f.score;
  const w: Record<string, "warning" | "critical"> = {};
  for (const f of status.findings) {
    // a fairness finding names its group as label=value: it marks no segment's or overall series
    const key = seriesKey(f.source, f.segment);
    if (f.severity === "critical" || w[key] === undefined) w[key] = f.severity;
  }
  return {
    t: new Date(now).toISOString(),
    h: status.health ?? "Unknown",
    f: status.findings.length,
    s,
    ...(Object.keys(b).length ? { b } : {}),
    ...(Object.keys(d).length ? { d } : {}),
    ...(Object.keys(w).length ? { w } : {}),
  };
}

/** Adds a point and applies both bounds (the oldest points go first). */
export function appendPoint(series: ReportSeries, point: SeriesPoint, maxPoints = MAX_SERIES_POINTS, maxBytes = MAX_SERIES_BYTES): ReportSeries {
  const points = [...series.points.filter((p) => p.t !== point.t), point].slice(-maxPoints);
  let size = serializeSeries({ points }).length;
  while (points.length > 1 && size > maxBytes) {
    const dropped = points.shift() as SeriesPoint;
    size -= JSON.stringify(dropped).length + 1;
  }
  return { points };
}

/** Adds points in order (each replaces a saved point of the same time), applying the bounds once. */
export function appendAll(series: ReportSeries, points: readonly SeriesPoint[], maxPoints = MAX_SERIES_POINTS, maxBytes = MAX_SERIES_BYTES): ReportSeries {
  if (points.length === 0) return series;
  const times = new Set(points.map((p) => p.t));
  const merged = [...series.points.filter((p) => !times.has(p.t)), ...points].sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
  return appendPoint({ points: merged.slice(0, -1) }, merged[merged.length - 1] as SeriesPoint, maxPoints, maxBytes);
}

export const serializeSeries = (series: ReportSeries): string => JSON.stringify({ points: series.points });

const isRecordOfNumbers = (x: unknown): x is Record<string, number> =>
  typeof x === "object" && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === "number" && Number.isFinite(v));

/**
 * The series read back from the ConfigMap. Anything unreadable (a hand edit, an older format)
 * is dropped point by point, never an error: the plots are a view, the verdicts are in status.
 */
export function parseSeries(text: string | undefined): ReportSeries {
  if (!text) return { points: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { points: [] };
  }
  const list = (raw as { points?: unknown })?.points;
  if (!Array.isArray(list)) return { points: [] };
  const points: SeriesPoint[] = [];
  for (const p of list as Record<string, unknown>[]) {
    if (typeof p !== "object" || p === null || typeof p.t !== "string" || !Number.isFinite(Date.parse(p.t))) continue;
    if (typeof p.h !== "string" || !(HEALTH_STATES as readonly string[]).includes(p.h) || typeof p.f !== "number" || !isRecordOfNumbers(p.s)) continue;
    const w = p.w as Record<string, unknown> | undefined;
    const validW = w === undefined || (typeof w === "object" && w !== null && Object.values(w).every((v) => v === "warning" || v === "critical"));
    if ((p.b !== undefined && !isRecordOfNumbers(p.b)) || (p.d !== undefined && !isRecordOfNumbers(p.d)) || !validW) continue;
    points.push({
      t: p.t,
      h: p.h as Health,
      f: p.f,
      s: p.s,
      ...(p.b ? { b: p.b } : {}),
      ...(p.d ? { d: p.d } : {}),
      ...(w ? { w: w as SeriesPoint["w"] & object } : {}),
    });
  }
  points.sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
  return appendBounded(points);
}

function appendBounded(points: SeriesPoint[]): ReportSeries {
  if (points.length === 0) return { points };
  const last = points[points.length - 1] as SeriesPoint;
  return appendPoint({ points: points.slice(0, -1) }, last);
}
