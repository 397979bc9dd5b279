// The governance report as one self-contained HTML page (inline SVG and CSS, no script, no
// request to any other host), beside the Markdown one and with the same sections: signals over
// the kept history with their thresholds, baselines and findings; per drift check the
// reference and current distributions and the score over time; segments as small multiples;
// fairness groups against the ratio; versions and rollouts; Jobs; recommendations. Every text
// from a spec, a label or a status goes through esc(). Pure and deterministic.
import type { Finding, ModelMonitorSpec, ModelMonitorStatus, RuleSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { HEALTH_STATES } from "../../api/v1alpha1/modelmonitor.ts";
import type { AnalysisRecord } from "../../api/v1alpha1/rollout.ts";
import type { FairnessGroups, FeatureDistribution, ReportDetails } from "../analysis/report-details.ts";
import { namedRules } from "../presets.ts";
import { recommendedActions, type ReportInput } from "./report.ts";
export { HTML_REPORT_KEY } from "./report.ts";
import { COLORS, barPlot, esc, fmt, resetIds, timeline, timePlot, type LineSeries, type Marker, type ThresholdLine, type TimePoint } from "./report-svg.ts";
import { MAX_SERIES_POINTS, seriesKey, type ReportSeries, type SeriesPoint } from "./report-series.ts";

/** The page stays under this (with report.md and series.json the ConfigMap stays under 1 MiB). */
export const MAX_HTML_BYTES = 480 * 1024;
/** Small multiples drawn per signal, features drawn per drift check: the rest are named. */
const MAX_SEGMENT_PLOTS = 16;
const MAX_FEATURE_PLOTS = 24;

/** One ModelRollout of the monitor, as the report shows it. */
export interface RolloutSummary {
  name: string;
  candidate: string;
  stable?: string | undefined;
  phase?: string | undefined;
  stepIndex?: number | undefined;
  weight?: number | undefined;
  /** The strategy's step weights (from the RetrainPolicy), when known. */
  steps?: number[] | undefined;
  startTime?: string | undefined;
  finishTime?: string | undefined;
  message?: string | undefined;
  analyses: AnalysisRecord[];
}

export interface HtmlReportInput extends ReportInput {
  series: ReportSeries;
  details?: ReportDetails | undefined;
  rollouts?: RolloutSummary[] | undefined;
}

/** A ModelRollout object read loosely (a view: anything malformed is left out, never an error). */
export function rolloutSummaryOf(o: { metadata: { name: string }; spec?: unknown; status?: unknown }, steps?: number[]): RolloutSummary | undefined {
  const spec = o.spec as { candidate?: { version?: unknown } } | undefined;
  const s = (o.status ?? {}) as Record<string, unknown>;
  if (typeof spec?.candidate?.version !== "string") return undefined;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const analyses = Array.isArray(s.analyses) ? (s.analyses as AnalysisRecord[]).filter((a) => typeof a?.time === "string" && typeof a.weight === "number") : [];
  return {
    name: o.metadata.name,
    candidate: spec.candidate.version,
    stable: str((s.stable as { version?: unknown } | undefined)?.version),
    phase: str(s.phase),
    stepIndex: num(s.stepIndex),
    weight: num((s.weights as { candidate?: unknown } | undefined)?.candidate),
    steps,
    startTime: str(s.startTime),
    finishTime: str(s.finishTime),
    message: str(s.message),
    analyses: analyses.map((a) => ({ ...a, comparisons: Array.isArray(a.comparisons) ? a.comparisons : [] })),
  };
}

// ---------------------------------------------------------------- helpers

const time = (iso: string): number => Date.parse(iso);

function table(header: string[], rows: string[][], caption?: string): string {
  const head = header.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${esc(caption ?? header.join(", "))}"><table>${caption ? `<caption>${esc(caption)}</caption>` : ""}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function seriesOf(points: SeriesPoint[], pick: (p: SeriesPoint) => number | undefined): TimePoint[] {
  return points.flatMap((p) => {
    const v = pick(p);
    return v === undefined || !Number.isFinite(v) ? [] : [{ t: time(p.t), v }];
  });
}

/** Finding markers of a source on its own series: the points whose evaluation had a finding on it. */
function markersOf(points: SeriesPoint[], key: string, pick: (p: SeriesPoint) => number | undefined, what: string): Marker[] {
  return points.flatMap((p) => {
    const sev = p.w?.[key];
    const v = pick(p);
    return sev && v !== undefined ? [{ t: time(p.t), v, severity: sev, label: `${sev} finding on ${what} at ${p.t}: ${fmt(v)}` }] : [];
  });
}

type Tier = { warning?: number | undefined; critical?: number | undefined };
const TIERS = ["warning", "critical"] as const;

/** The thresholds of a signal's rules: absolute ones as lines, baseline-relative ones following the baseline. */
function signalThresholds(rules: RuleSpec[], baselines: TimePoint[], overall: boolean): ThresholdLine[] {
  const out: ThresholdLine[] = [];
  const absolute = (tier: Tier | undefined, what: string) => {
    for (const sev of TIERS) if (tier?.[sev] !== undefined) out.push({ severity: sev, label: `${what} ${fmt(tier[sev])}`, value: tier[sev] as number });
  };
  const relative = (tier: Tier | undefined, what: string, at: (b: number, x: number) => number) => {
    if (!overall || baselines.length === 0) return;
    for (const sev of TIERS)
      if (tier?.[sev] !== undefined)
        out.push({
          severity: sev,
          label: `${what} ${fmt(tier[sev])} from the baseline`,
          points: baselines.map((b) => ({ t: b.t, v: at(b.v, tier[sev] as number) })),
        });
  };
  for (const r of rules) {
    absolute(r.min, "min");
    absolute(r.max, "max");
    relative(r.maxDrop, "max drop", (b, x) => b - x);
    relative(r.maxRelativeDrop, "max relative drop", (b, x) => b * (1 - x));
    relative(r.maxIncrease, "max increase", (b, x) => b + x);
    relative(r.maxRelativeIncrease, "max relative increase", (b, x) => b * (1 + x));
  }
  return out;
}

// ---------------------------------------------------------------- sections

function signalsSection(spec: ModelMonitorSpec, status: ModelMonitorStatus, points: SeriesPoint[]): string {
  const names = [...new Set([...spec.signals.map((s) => s.name), ...status.signals.map((s) => s.name)])];
  if (names.length === 0) return "<p>No signals configured.</p>";
  const rules = namedRules(spec);
  return names
    .map((name) => {
      const values = seriesOf(points, (p) => p.s[name]);
      const baselines = seriesOf(points, (p) => p.b?.[name]);
      const own = rules.filter((r) => r.rule.signal === name).map((r) => r.rule);
      const thresholds = signalThresholds(own, baselines, true);
      const markers = markersOf(points, name, (p) => p.s[name], name);
      const series: LineSeries[] = [
        { name, points: values },
        ...(baselines.length ? [{ name: `${name} baseline`, points: baselines, kind: "baseline" as const }] : []),
      ];
      const current = status.signals.find((s) => s.name === name && s.segment === undefined);
      const caption = `${esc(name)}: ${values.length} evaluations; now ${esc(fmt(current?.value))}${current?.baseline !== undefined ? `, baseline ${esc(fmt(current.baseline))}` : ""}${thresholds.length ? `; thresholds: ${thresholds.map((t) => esc(`${t.severity} ${t.label}`)).join(", ")}` : "; no rule"}${markers.length ? `; ${markers.length} evaluations with a finding (circled)` : ""}`;
      return timePlot({ kind: "signal", name, title: `Signal ${name} over time`, series, thresholds, markers, caption });
    })
    .join("");
}

function distributionPlot(check: string, d: FeatureDistribution): string {
  const total = (bins: { count: number }[]) => bins.reduce((n, b) => n + b.count, 0);
  const share = (bins: { count: number }[]) => {
    const n = total(bins);
    return bins.map((b) => (n > 0 ? b.count / n : 0));
  };
  const categories = d.current.map((b, i) => (b.upper === undefined ? `> ${fmt(d.current[i - 1]?.upper)}` : `≤ ${fmt(b.upper)}`));
  const series = [
    ...(d.reference && d.reference.length === d.current.length
      ? [{ name: `reference (${Math.round(total(d.reference))})`, values: share(d.reference), color: COLORS.reference }]
      : []),
    { name: `current (${Math.round(total(d.current))})`, values: share(d.current), color: COLORS.current },
  ];
  const caption = `${esc(check)} / ${esc(d.feature)}: share of samples per bin, ${d.reference ? "reference against current" : "current only (no reference distribution yet)"}`;
  return barPlot({
    kind: "distribution",
    name: `${check}/${d.feature}`,
    title: `${check} ${d.feature}: reference and current distributions`,
    categories,
    series,
    caption,
  });
}

function driftSection(spec: ModelMonitorSpec, status: ModelMonitorStatus, points: SeriesPoint[], details: ReportDetails | undefined): string {
  const names = [...new Set([...spec.drift.map((d) => d.name), ...status.drift.map((d) => d.name)])];
  if (names.length === 0) return "<p>No drift checks configured.</p>";
  return names
    .map((name) => {
      const d = spec.drift.find((x) => x.name === name);
      const s = status.drift.find((x) => x.name === name);
      const thresholds: ThresholdLine[] = d
        ? TIERS.flatMap((sev) =>
            d.threshold[sev] !== undefined ? [{ severity: sev, label: `${d.method} ${fmt(d.threshold[sev])}`, value: d.threshold[sev] as number }] : [],
          )
        : [];
      const features = [
        ...new Set([
          ...(s?.features ?? []).map((f) => f.feature),
          ...points.flatMap((p) =>
            Object.keys(p.d ?? {})
              .filter((k) => k.startsWith(`${name}|`))
              .map((k) => k.slice(name.length + 1)),
          ),
        ]),
      ];
      const facts = [
        `Method ${esc(d?.method ?? s?.method ?? "—")}`,
        `state ${esc(s?.state ?? "not evaluated")}${s?.reason ? ` (${esc(s.reason)})` : ""}`,
        ...(s?.driftedShare !== undefined ? [`drifted share ${esc(fmt(s.driftedShare * 100))}%`] : []),
        ...(s?.datasetDrift !== undefined ? [`dataset drift ${s.datasetDrift ? "yes" : "no"}`] : []),
      ].join(", ");
      const embedding = d?.embedding !== undefined || s?.method === "cosine" || s?.method === "euclidean";
      const plots = features.slice(0, MAX_FEATURE_PLOTS).map((feature) => {
        const key = seriesKey(name, feature);
        const scores = seriesOf(points, (p) => p.d?.[key]);
        const markers = markersOf(points, name, (p) => p.d?.[key], `${name}/${feature}`).filter((m) =>
          thresholds.some((t) => t.value !== undefined && m.v >= t.value),
        );
        const distribution = details?.distributions[name]?.find((x) => x.feature === feature);
        const score = timePlot({
          kind: embedding ? "embedding" : "drift-score",
          name: `${name}/${feature}`,
          title: embedding ? `${name}: ${d?.method ?? "distance"} distance of the centroid over time` : `${name} ${feature}: ${d?.method ?? "score"} over time`,
          series: [{ name: `${name}/${feature}`, points: scores }],
          thresholds,
          markers,
          caption: `${esc(name)} / ${esc(feature)}: ${embedding ? "distance" : "score"} over ${scores.length} evaluations; now ${esc(fmt(s?.features.find((f) => f.feature === feature)?.score))}`,
        });
        return `<div class="pair">${distribution ? distributionPlot(name, distribution) : ""}${score}</div>`;
      });
      const more = features.length > MAX_FEATURE_PLOTS ? `<p>${features.length - MAX_FEATURE_PLOTS} more features are in the Markdown report's table.</p>` : "";
      return `<h3>${esc(name)}</h3><p>${facts}</p>${plots.join("")}${more}`;
    })
    .join("");
}

function segmentsSection(spec: ModelMonitorSpec, status: ModelMonitorStatus, points: SeriesPoint[]): string {
  if (!spec.segments) return "<p>No segments configured.</p>";
  const label = spec.segments.label;
  const rules = namedRules(spec);
  const out: string[] = [];
  for (const signal of spec.signals) {
    const segments = [
      ...new Set([
        ...status.signals.filter((s) => s.name === signal.name && s.segment !== undefined).map((s) => s.segment as string),
        ...points.flatMap((p) =>
          Object.keys(p.s)
            .filter((k) => k.startsWith(`${signal.name}|`))
            .map((k) => k.slice(signal.name.length + 1)),
        ),
      ]),
    ].sort();
    if (segments.length === 0) continue;
    const thresholds = signalThresholds(
      rules.filter((r) => r.rule.signal === signal.name).map((r) => r.rule),
      [],
      false,
    );
    const plots = segments.slice(0, MAX_SEGMENT_PLOTS).map((segment) => {
      const key = seriesKey(signal.name, segment);
      const values = seriesOf(points, (p) => p.s[key]);
      return timePlot({
        kind: "segment",
        name: `${signal.name}/${segment}`,
        title: `${signal.name} for ${label}=${segment}`,
        series: [{ name: `${label}=${segment}`, points: values }],
        thresholds,
        markers: markersOf(points, key, (p) => p.s[key], `${signal.name} ${label}=${segment}`),
        caption: `${esc(label)}=${esc(segment)}: now ${esc(fmt(status.signals.find((s) => s.name === signal.name && s.segment === segment)?.value))}`,
        small: true,
      });
    });
    const more = segments.length > MAX_SEGMENT_PLOTS ? `<p>${segments.length - MAX_SEGMENT_PLOTS} more segments are in the Markdown report's tables.</p>` : "";
    out.push(`<h3>${esc(signal.name)} by ${esc(label)}</h3><div class="multiples">${plots.join("")}</div>${more}`);
  }
  return out.length ? out.join("") : "<p>No segment values recorded.</p>";
}

function fairnessSection(spec: ModelMonitorSpec, details: ReportDetails | undefined): string {
  if (spec.fairness.length === 0) return "<p>No fairness checks configured.</p>";
  const groups: FairnessGroups[] = details?.fairness ?? [];
  return spec.fairness
    .map((f) => {
      const g = groups.find((x) => x.signal === f.signal && x.groupLabel === f.groupLabel);
      if (!g || g.groups.length === 0) return `<h3>${esc(f.signal)} by ${esc(f.groupLabel)}</h3><p>No group values in this evaluation.</p>`;
      const best = Math.max(...g.groups.map((x) => x.value));
      const worst = Math.min(...g.groups.map((x) => x.value));
      const ratio = best === 0 ? 1 : worst / best;
      const bar = barPlot({
        kind: "fairness",
        name: `${f.signal}/${f.groupLabel}`,
        title: `${f.signal} by ${f.groupLabel}: each group against ${fmt(f.minRatio)} of the best`,
        categories: g.groups.map((x) => x.group),
        series: [{ name: f.signal, values: g.groups.map((x) => x.value), color: COLORS.value }],
        thresholds: [
          { severity: f.severity === "critical" ? "critical" : "warning", label: `${fmt(f.minRatio)} × best (${fmt(best)})`, value: f.minRatio * best },
        ],
        caption: `${esc(f.signal)} by ${esc(f.groupLabel)}: worst/best ${esc(fmt(ratio))} against the ratio ${esc(fmt(f.minRatio))} (${ratio < f.minRatio ? "unfair" : "within"})`,
      });
      const rows = g.groups.map((x) => [esc(x.group), esc(fmt(x.value)), esc(fmt(best === 0 ? 1 : x.value / best)), esc(fmt(x.samples))]);
      return `<h3>${esc(f.signal)} by ${esc(f.groupLabel)}</h3>${bar}${table(["Group", "Value", "Of the best", "Samples"], rows, `${f.signal} by ${f.groupLabel}`)}`;
    })
    .join("");
}

function findingsSection(findings: Finding[]): string {
  if (findings.length === 0) return "<p>None.</p>";
  return table(
    ["Severity", "Type", "Source", "Segment", "Description", "Since"],
    findings.map((f) => [
      `<span class="sev ${esc(f.severity)}">${esc(f.severity)}</span>`,
      esc(f.type),
      esc(f.source),
      esc(f.segment ?? "—"),
      esc(f.description),
      esc(f.since),
    ]),
    "Findings",
  );
}

const VERSION_COLORS: Record<string, string> = {
  Stable: COLORS.ok,
  Previous: COLORS.baseline,
  Candidate: COLORS.value,
  Quarantined: COLORS.critical,
  Retired: "#8a8a8a",
};
const OUTCOME_MARK: Record<string, Marker["severity"]> = { Successful: "ok", Failed: "critical", Inconclusive: "info", Error: "warning" };

function versionsSection(status: ModelMonitorStatus, rollouts: RolloutSummary[]): string {
  const versions = status.versions ?? [];
  const out: string[] = [];
  if (versions.length) {
    const rows = [...new Set(versions.map((v) => v.version))].map((version) => ({
      label: version,
      events: versions
        .filter((v) => v.version === version)
        .map((v) => ({
          t: time(v.time),
          label: `${v.version}: ${v.state} since ${v.time}${v.reason ? ` (${v.reason})` : ""}`,
          color: VERSION_COLORS[v.state] ?? COLORS.baseline,
        })),
    }));
    out.push(
      timeline({
        kind: "versions",
        name: "versions",
        title: "Versions of the model: stable, candidates, quarantined",
        rows,
        caption: `${versions.length} versions; stable ${esc(status.stableVersion ?? "—")}`,
      }),
    );
    out.push(
      table(
        ["Version", "State", "Rollout", "Time", "Reason"],
        versions.map((v) => [esc(v.version), esc(v.state), esc(v.rollout ?? "—"), esc(v.time), esc(v.reason ?? "—")]),
        "Versions",
      ),
    );
  } else out.push("<p>No versions recorded (no rollout yet).</p>");
  for (const r of rollouts) {
    const weights: TimePoint[] = r.analyses.map((a) => ({ t: time(a.time), v: a.weight }));
    const markers: Marker[] = r.analyses.map((a) => ({
      t: time(a.time),
      v: a.weight,
      severity: OUTCOME_MARK[a.outcome] ?? "info",
      label: `step ${a.step} at ${a.weight}%: ${a.outcome}${a.message ? ` (${a.message})` : ""}`,
    }));
    const steps = r.steps?.length ? `steps ${r.steps.map((w) => `${w}%`).join(" → ")}` : "";
    const head = `<h3>Rollout ${esc(r.name)}</h3><p>Candidate ${esc(r.candidate)}${r.stable ? ` against stable ${esc(r.stable)}` : ""}; phase ${esc(r.phase ?? "—")}${r.stepIndex !== undefined ? `, step ${r.stepIndex}` : ""}${r.weight !== undefined ? `, weight ${r.weight}%` : ""}${steps ? `; ${esc(steps)}` : ""}${r.message ? `. ${esc(r.message)}` : ""}</p>`;
    const plot = timePlot({
      kind: "rollout",
      name: r.name,
      title: `Rollout ${r.name}: the candidate's weight at each analysis`,
      series: [{ name: `${r.candidate} weight (%)`, points: weights }],
      markers,
      yDomain: [0, 100],
      steps: true,
      caption: `${r.analyses.length} analyses (circled: green passed, red failed, grey inconclusive, orange error)`,
    });
    const rows = r.analyses.flatMap((a) =>
      a.comparisons.length
        ? a.comparisons.map((c) => [
            esc(a.time),
            esc(`${a.step} (${a.weight}%)`),
            esc(a.outcome),
            esc(c.signal),
            esc(`${c.check} ${fmt(c.limit)}`),
            esc(fmt(c.stable)),
            esc(fmt(c.candidate)),
            esc(c.outcome),
          ])
        : [[esc(a.time), esc(`${a.step} (${a.weight}%)`), esc(a.outcome), "—", "—", "—", "—", esc(a.message ?? "—")]],
    );
    out.push(
      head,
      plot,
      rows.length
        ? table(["Time", "Step", "Analysis", "Signal", "Limit", "Stable", "Candidate", "Comparison"], rows, `Analyses of ${r.name}`)
        : "<p>No analyses yet.</p>",
    );
  }
  return out.join("");
}

function actionsSection(status: ModelMonitorStatus, periodStart: number | undefined): string {
  const jobs = (status.remediation?.history ?? []).filter((a) => periodStart === undefined || time(a.time) >= periodStart);
  const held = status.remediation?.held ?? [];
  const out = [
    "<h3>Jobs</h3>",
    jobs.length
      ? table(
          ["Time", "Action", "Purpose", "Reason", "Job", "Outcome", "Version"],
          jobs.map((a) => [
            esc(a.time),
            esc(a.action),
            esc(a.purpose),
            esc(a.reason),
            esc(a.job),
            `<span class="outcome ${esc(a.outcome)}">${esc(a.outcome)}</span>${a.message ? `<br><small>${esc(a.message.slice(0, 300))}</small>` : ""}`,
            esc(a.version ?? "—"),
          ]),
          "Jobs",
        )
      : "<p>None in the period.</p>",
  ];
  if (held.length)
    out.push(
      "<h3>Held actions</h3>",
      table(
        ["Action", "Reason", "Message", "Until"],
        held.map((h) => [esc(h.action), esc(h.reason), esc(h.message), esc(h.until ?? "—")]),
        "Held actions",
      ),
    );
  return out.join("");
}

function healthStrip(points: SeriesPoint[]): string {
  if (points.length === 0) return "";
  const counts = HEALTH_STATES.map((h) => `${h} ${points.filter((p) => p.h === h).length}`).join(", ");
  const markers: Marker[] = points.map((p) => ({
    t: time(p.t),
    v: p.f,
    severity: p.h === "Critical" ? "critical" : p.h === "Warning" ? "warning" : p.h === "Healthy" ? "ok" : "info",
    label: `${p.t}: ${p.h}, ${p.f} findings`,
  }));
  return timePlot({
    kind: "health",
    name: "health",
    title: "Findings per evaluation, coloured by health",
    series: [{ name: "findings", points: points.map((p) => ({ t: time(p.t), v: p.f })) }],
    markers,
    yDomain: [0, Math.max(1, ...points.map((p) => p.f))],
    caption: `${points.length} evaluations kept (${counts})`,
  });
}

const STYLE = `
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;margin:0;line-height:1.45;overflow-wrap:break-word}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:2rem}h3{font-size:1.1rem}
a{color:#0b4f9c}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
figure.plot{margin:8px 0 16px;max-width:680px}figure.plot.small{max-width:320px;margin:4px}
figure.plot svg{display:block;width:100%;height:auto;background:#fcfcfc;border:1px solid #e0e0e0}
figcaption{font-size:.85rem;color:#444}
.pair{display:flex;flex-wrap:wrap;gap:8px 24px}.pair figure.plot{flex:1 1 320px}
.multiples{display:flex;flex-wrap:wrap;gap:8px}.multiples figure.plot{flex:0 1 300px}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f0f0}
caption{text-align:left;font-weight:600}
.sev.critical,.outcome.Failed,.outcome.CreateFailed{color:#b00020;font-weight:600}.sev.warning{color:#a15000;font-weight:600}
.health-Critical{color:#b00020}.health-Warning{color:#a15000}.health-Healthy{color:#2e7d32}
`;

/** The page, or (when it would not fit MAX_HTML_BYTES) the same with fewer points, then a short page saying so. */
export function renderHtmlReport(input: HtmlReportInput, maxBytes = MAX_HTML_BYTES): string {
  for (const keep of [MAX_SERIES_POINTS, 60, 12]) {
    const html = renderPage({ ...input, series: { points: input.series.points.slice(-keep) } });
    if (new TextEncoder().encode(html).length <= maxBytes) return html;
  }
  resetIds();
  return page(
    input,
    `<main><p>This monitor's report is too large for a page of ${maxBytes} bytes: read the Markdown report (key report.md) and the monitor's status.</p></main>`,
  );
}

function page(input: HtmlReportInput, body: string): string {
  const { spec, status } = input;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Model report: ${esc(spec.model.name)} (${esc(input.namespace)}/${esc(input.name)})</title><style>${STYLE}</style></head><body><header><h1>Model report: ${esc(spec.model.name)}</h1><dl class="facts"><dt>Monitor</dt><dd>${esc(input.namespace)}/${esc(input.name)}</dd><dt>Serving version</dt><dd>${esc(status.stableVersion ?? spec.model.version ?? "unknown")}</dd><dt>Health</dt><dd class="health-${esc(status.health ?? "Unknown")}">${esc(status.health ?? "Unknown")}${status.summary ? ` (${esc(status.summary)})` : ""}</dd><dt>Rules judged</dt><dd>${esc(status.judgedRules ?? "—")}</dd><dt>Period</dt><dd>${input.periodStart === undefined ? "first report" : esc(new Date(input.periodStart).toISOString())} to ${esc(new Date(input.now).toISOString())}</dd><dt>Last evaluation</dt><dd>${esc(status.lastEvaluationTime ?? "—")}</dd></dl></header>${body}</body></html>\n`;
}

function renderPage(input: HtmlReportInput): string {
  resetIds();
  const { spec, status } = input;
  const points = input.series.points;
  const sections: [string, string, string][] = [
    ["trend", "Trend", healthStrip(points) || "<p>No evaluations kept yet.</p>"],
    ["signals", "Signals", signalsSection(spec, status, points)],
    ["drift", "Drift", driftSection(spec, status, points, input.details)],
    ["segments", "Segments", segmentsSection(spec, status, points)],
    ["fairness", "Fairness", fairnessSection(spec, input.details)],
    ["findings", "Findings", findingsSection(status.findings)],
    ["versions", "Versions and rollouts", versionsSection(status, input.rollouts ?? [])],
    ["actions", "Actions taken", actionsSection(status, input.periodStart)],
    [
      "recommended",
      "Recommended actions",
      `<ul>${recommendedActions(spec, status, input.periodStart)
        .map((a) => `<li>${esc(a)}</li>`)
        .join("")}</ul>`,
    ],
  ];
  const nav = `<nav aria-label="Sections"><ul>${sections.map(([id, title]) => `<li><a href="#${id}">${esc(title)}</a></li>`).join("")}</ul></nav>`;
  const body = sections
    .map(([id, title, html]) => `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(title)}</h2>${html}</section>`)
    .join("");
  const footer = `<footer><p><small>Plots show the last ${points.length} evaluations the operator kept (at most ${MAX_SERIES_POINTS}, in the report's ConfigMap, key series.json). Generated ${esc(new Date(input.now).toISOString())} by model-guardian; the Markdown report (key report.md) has the same sections as tables.</small></p></footer>`;
  return page(input, `<main>${nav}${body}</main>${footer}`);
}
