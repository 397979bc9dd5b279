// Plots as inline SVG for the HTML report: lines over time with thresholds and marked points,
// grouped bars, a timeline. No script, no external request; every text that reaches the
// markup goes through esc(). Each plot is a <figure class="plot"> holding one <svg role="img">
// with a <title> (its accessible name); each data series has class "series", each threshold
// class "threshold warning|critical", so tests (and people with a DOM inspector) can count them. Pure.

/** Escapes text for HTML text and attribute values (quoted with "). */
export function esc(s: string | number | undefined): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Up to 4 significant digits, "—" when missing. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "—";
  if (!Number.isFinite(n)) return n > 0 ? "∞" : "-∞";
  return String(Number(n.toPrecision(4)));
}

export const COLORS = {
  value: "#1f5fa8",
  current: "#1f5fa8",
  reference: "#6b6b6b",
  baseline: "#4d4d4d",
  warning: "#a15000",
  critical: "#b00020",
  ok: "#2e7d32",
  grid: "#d9d9d9",
  text: "#222222",
} as const;

export type Severity = "warning" | "critical";
export interface TimePoint {
  t: number;
  v: number;
}
export interface LineSeries {
  name: string;
  points: TimePoint[];
  /** value: solid; baseline: dashed grey. */
  kind?: "value" | "baseline";
  color?: string;
}
export interface ThresholdLine {
  severity: Severity;
  label: string;
  /** A constant value, or one per time (a threshold relative to a moving baseline). */
  value?: number;
  points?: TimePoint[];
}
export interface Marker {
  t: number;
  v: number;
  severity: Severity | "ok" | "info";
  label: string;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}
const FRAME: Frame = { width: 640, height: 220, left: 56, right: 16, top: 16, bottom: 40 };
const SMALL: Frame = { width: 300, height: 150, left: 44, right: 8, top: 10, bottom: 30 };

let idCounter = 0;
/** Ids unique within one page, never derived from a label. Reset per page (renderers are deterministic). */
export function resetIds(): void {
  idCounter = 0;
}
const nextId = (): string => `p${++idCounter}`;

function extent(values: number[], pad = 0.08): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

const shortTime = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const r2 = (n: number): string => String(Math.round(n * 10) / 10);

function figure(kind: string, name: string, svg: string, caption: string, small = false): string {
  return `<figure class="plot${small ? " small" : ""}" data-plot="${esc(kind)}" data-name="${esc(name)}">${svg}<figcaption>${caption}</figcaption></figure>`;
}

function svgOpen(f: Frame, title: string, desc: string): [string, string] {
  const id = nextId();
  return [
    `<svg viewBox="0 0 ${f.width} ${f.height}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>`,
    "</svg>",
  ];
}

function yAxis(f: Frame, lo: number, hi: number, y: (v: number) => number, ticks = 4): string {
  const out: string[] = [];
  for (let i = 0; i <= ticks; i++) {
    const v = lo + ((hi - lo) * i) / ticks;
    const yy = y(v);
    out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${r2(yy)}" y2="${r2(yy)}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    out.push(`<text x="${f.left - 4}" y="${r2(yy + 4)}" text-anchor="end" font-size="11" fill="${COLORS.text}">${esc(fmt(v))}</text>`);
  }
  return out.join("");
}

/** A line plot over time: series, thresholds (dashed, coloured by severity), markers (findings). */
export function timePlot(o: {
  kind: string;
  name: string;
  title: string;
  series: LineSeries[];
  thresholds?: ThresholdLine[];
  markers?: Marker[];
  caption?: string;
  small?: boolean;
  /** A fixed value axis (a weight in %, a count from 0); values outside widen it. */
  yDomain?: [number, number];
  /** Draw each series as steps (a value holds until the next point). */
  steps?: boolean;
}): string {
  const f = o.small ? SMALL : FRAME;
  const thresholds = o.thresholds ?? [];
  const markers = o.markers ?? [];
  const times = o.series.flatMap((s) => s.points.map((p) => p.t));
  const values = [
    ...o.series.flatMap((s) => s.points.map((p) => p.v)),
    ...thresholds.flatMap((t) => (t.value !== undefined ? [t.value] : (t.points ?? []).map((p) => p.v))),
  ];
  const [t0, t1] = times.length ? [Math.min(...times), Math.max(...times)] : [0, 1];
  const [lo, hi] = o.yDomain ? extent([...o.yDomain, ...values], 0) : extent(values);
  const x = (t: number) => (t1 === t0 ? (f.left + f.width - f.right) / 2 : f.left + ((t - t0) / (t1 - t0)) * (f.width - f.left - f.right));
  const y = (v: number) => f.top + (1 - (v - lo) / (hi - lo)) * (f.height - f.top - f.bottom);
  const desc = [
    ...o.series.map((s) => `${s.name}: ${s.points.length} points${s.points.length ? `, last ${fmt(s.points[s.points.length - 1]?.v)}` : ""}`),
    ...thresholds.map((t) => `${t.severity} threshold ${t.label}`),
    ...(markers.length ? [`${markers.length} findings marked`] : []),
  ].join("; ");
  const [open, close] = svgOpen(f, o.title, desc || "no data");
  const parts: string[] = [open, yAxis(f, lo, hi, y)];
  if (times.length) {
    parts.push(`<text x="${f.left}" y="${f.height - 8}" font-size="11" fill="${COLORS.text}">${esc(shortTime(t0))}</text>`);
    if (t1 !== t0)
      parts.push(`<text x="${f.width - f.right}" y="${f.height - 8}" text-anchor="end" font-size="11" fill="${COLORS.text}">${esc(shortTime(t1))}</text>`);
  } else parts.push(`<text x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle" font-size="13" fill="${COLORS.text}">no data in the period</text>`);
  for (const t of thresholds) {
    const color = COLORS[t.severity];
    const line =
      t.value !== undefined
        ? `<line x1="${f.left}" x2="${f.width - f.right}" y1="${r2(y(t.value))}" y2="${r2(y(t.value))}"`
        : `<polyline fill="none" points="${(t.points ?? []).map((p) => `${r2(x(p.t))},${r2(y(p.v))}`).join(" ")}"`;
    parts.push(
      `<g class="threshold ${t.severity}" data-label="${esc(t.label)}">${line} stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"><title>${esc(`${t.severity} threshold ${t.label}`)}</title></${t.value !== undefined ? "line" : "polyline"}></g>`,
    );
  }
  for (const s of o.series) {
    const color = s.color ?? (s.kind === "baseline" ? COLORS.baseline : COLORS.value);
    const dash = s.kind === "baseline" ? ` stroke-dasharray="2 3"` : "";
    const pts = (o.steps ? s.points.flatMap((p, i) => (i === 0 ? [p] : [{ t: p.t, v: (s.points[i - 1] as TimePoint).v }, p])) : s.points)
      .map((p) => `${r2(x(p.t))},${r2(y(p.v))}`)
      .join(" ");
    const dots =
      s.points.length <= 60 || s.points.length === 1
        ? s.points.map((p) => `<circle cx="${r2(x(p.t))}" cy="${r2(y(p.v))}" r="${s.kind === "baseline" ? 1.5 : 2.5}" fill="${color}"/>`).join("")
        : "";
    parts.push(
      `<g class="series${s.kind === "baseline" ? " baseline" : ""}" data-series="${esc(s.name)}"><polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts}"/>${dots}</g>`,
    );
  }
  for (const m of markers) {
    const color = m.severity === "ok" ? COLORS.ok : m.severity === "info" ? COLORS.baseline : COLORS[m.severity];
    parts.push(
      `<g class="finding ${m.severity}"><circle cx="${r2(x(m.t))}" cy="${r2(y(m.v))}" r="5.5" fill="none" stroke="${color}" stroke-width="2"><title>${esc(m.label)}</title></circle></g>`,
    );
  }
  parts.push(close);
  return figure(o.kind, o.name, parts.join(""), o.caption ?? esc(o.title), o.small);
}

/** Grouped bars: one group per category, one bar per series (e.g. reference and current shares). */
export function barPlot(o: {
  kind: string;
  name: string;
  title: string;
  categories: string[];
  series: { name: string; values: number[]; color: string }[];
  thresholds?: ThresholdLine[];
  caption?: string;
}): string {
  const f = FRAME;
  const thresholds = o.thresholds ?? [];
  const values = [0, ...o.series.flatMap((s) => s.values), ...thresholds.flatMap((t) => (t.value !== undefined ? [t.value] : []))];
  const [, hiRaw] = extent(values, 0.05);
  const lo = 0;
  const hi = hiRaw <= 0 ? 1 : hiRaw;
  const y = (v: number) => f.top + (1 - (v - lo) / (hi - lo)) * (f.height - f.top - f.bottom);
  const n = Math.max(1, o.categories.length);
  const groupW = (f.width - f.left - f.right) / n;
  const barW = Math.max(1, (groupW * 0.8) / Math.max(1, o.series.length));
  const desc = o.series.map((s) => `${s.name}: ${s.values.map(fmt).join(", ")}`).join("; ");
  const [open, close] = svgOpen(f, o.title, desc || "no data");
  const parts: string[] = [open, yAxis(f, lo, hi, y)];
  o.series.forEach((s, si) => {
    const bars = s.values
      .map((v, i) => {
        const x0 = f.left + i * groupW + groupW * 0.1 + si * barW;
        const top = y(Math.max(0, v));
        return `<rect x="${r2(x0)}" y="${r2(top)}" width="${r2(Math.max(0.5, barW - 1))}" height="${r2(Math.max(0, y(0) - top))}" fill="${s.color}"><title>${esc(`${s.name} ${o.categories[i] ?? ""}: ${fmt(v)}`)}</title></rect>`;
      })
      .join("");
    parts.push(`<g class="series" data-series="${esc(s.name)}">${bars}</g>`);
  });
  // category labels: at most ~12 shown so they never overlap
  const every = Math.max(1, Math.ceil(n / 12));
  o.categories.forEach((c, i) => {
    if (i % every !== 0) return;
    parts.push(
      `<text x="${r2(f.left + i * groupW + groupW / 2)}" y="${f.height - 22}" text-anchor="middle" font-size="10" fill="${COLORS.text}">${esc(c.length > 14 ? `${c.slice(0, 13)}…` : c)}</text>`,
    );
  });
  for (const t of thresholds) {
    if (t.value === undefined) continue;
    parts.push(
      `<g class="threshold ${t.severity}" data-label="${esc(t.label)}"><line x1="${f.left}" x2="${f.width - f.right}" y1="${r2(y(t.value))}" y2="${r2(y(t.value))}" stroke="${COLORS[t.severity]}" stroke-width="1.5" stroke-dasharray="6 4"><title>${esc(`${t.severity} threshold ${t.label}`)}</title></line></g>`,
    );
  }
  // legend
  o.series.forEach((s, si) => {
    const lx = f.left + si * 140;
    parts.push(
      `<rect x="${lx}" y="${f.height - 14}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${f.height - 5}" font-size="11" fill="${COLORS.text}">${esc(s.name)}</text>`,
    );
  });
  parts.push(close);
  return figure(o.kind, o.name, parts.join(""), o.caption ?? esc(o.title));
}

/** Rows of events on one time axis (a version per row): each event a coloured mark with a label. */
export function timeline(o: {
  kind: string;
  name: string;
  title: string;
  rows: { label: string; events: { t: number; label: string; color: string }[] }[];
  caption?: string;
}): string {
  const rowH = 26;
  const f: Frame = { width: FRAME.width, height: FRAME.top + Math.max(1, o.rows.length) * rowH + 30, left: 130, right: 16, top: 12, bottom: 30 };
  const times = o.rows.flatMap((r) => r.events.map((e) => e.t));
  const [t0, t1] = times.length ? [Math.min(...times), Math.max(...times)] : [0, 1];
  const x = (t: number) => (t1 === t0 ? (f.left + f.width - f.right) / 2 : f.left + ((t - t0) / (t1 - t0)) * (f.width - f.left - f.right));
  const desc = o.rows.map((r) => `${r.label}: ${r.events.map((e) => e.label).join(", ")}`).join("; ");
  const [open, close] = svgOpen(f, o.title, desc || "no events");
  const parts: string[] = [open];
  o.rows.forEach((r, i) => {
    const yy = f.top + i * rowH + rowH / 2;
    const label = r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label;
    parts.push(`<text x="${f.left - 6}" y="${yy + 4}" text-anchor="end" font-size="11" fill="${COLORS.text}">${esc(label)}</text>`);
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`);
    const marks = r.events.map((e) => `<circle cx="${r2(x(e.t))}" cy="${yy}" r="6" fill="${e.color}"><title>${esc(e.label)}</title></circle>`).join("");
    parts.push(`<g class="series" data-series="${esc(r.label)}">${marks}</g>`);
  });
  if (times.length) {
    parts.push(`<text x="${f.left}" y="${f.height - 8}" font-size="11" fill="${COLORS.text}">${esc(shortTime(t0))}</text>`);
    if (t1 !== t0)
      parts.push(`<text x="${f.width - f.right}" y="${f.height - 8}" text-anchor="end" font-size="11" fill="${COLORS.text}">${esc(shortTime(t1))}</text>`);
  }
  parts.push(close);
  return figure(o.kind, o.name, parts.join(""), o.caption ?? esc(o.title));
}
