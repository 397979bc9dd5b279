// The read-only web view's index: every watched monitor with its health, rule coverage, current
// rollout and a link to its HTML report. One self-contained page, no script, no form; every
// value escaped. Pure.
import { esc } from "./report-svg.ts";

export interface MonitorRow {
  namespace: string;
  name: string;
  model?: string | undefined;
  health?: string | undefined;
  summary?: string | undefined;
  judgedRules?: string | undefined;
  worstFinding?: string | undefined;
  stableVersion?: string | undefined;
  rollout?: { name: string; candidate: string; phase?: string | undefined; weight?: number | undefined } | undefined;
  lastEvaluationTime?: string | undefined;
  report?: { configMap?: string | undefined; lastTime?: string | undefined } | undefined;
  /** Whether spec.report asks for reports. */
  reportAsked: boolean;
}

/** Rows shown at most: the page stays readable and small at 10,000 monitors (the rest are counted). */
export const MAX_INDEX_ROWS = 2000;

/** A monitor's row read loosely from the cached object: a view, anything malformed shows as "—". */
export function monitorRowOf(o: { metadata: { namespace: string; name: string }; spec?: unknown; status?: unknown }): MonitorRow {
  const spec = (o.spec ?? {}) as { model?: { name?: unknown }; report?: unknown };
  const s = (o.status ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const r = s.rollout as { name?: unknown; candidate?: unknown; phase?: unknown; weight?: unknown } | undefined;
  const report = s.report as { configMap?: unknown; lastTime?: unknown } | undefined;
  return {
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    model: str(spec.model?.name),
    health: str(s.health),
    summary: str(s.summary),
    judgedRules: str(s.judgedRules),
    worstFinding: str(s.worstFinding),
    stableVersion: str(s.stableVersion),
    rollout:
      r && typeof r.name === "string" && typeof r.candidate === "string"
        ? { name: r.name, candidate: r.candidate, phase: str(r.phase), weight: typeof r.weight === "number" ? r.weight : undefined }
        : undefined,
    lastEvaluationTime: str(s.lastEvaluationTime),
    report: report ? { configMap: str(report.configMap), lastTime: str(report.lastTime) } : undefined,
    reportAsked: spec.report !== undefined,
  };
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;margin:0;line-height:1.45;overflow-wrap:break-word}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}
a{color:#0b4f9c}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.Critical{color:#b00020;font-weight:600}.Warning{color:#a15000;font-weight:600}.Healthy{color:#2e7d32}.Unknown{color:#555}
`;

const path = (row: { namespace: string; name: string }) => `${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}`;

export function renderReportIndex(rows: MonitorRow[], now: number): string {
  const sorted = [...rows].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const shown = sorted.slice(0, MAX_INDEX_ROWS);
  const byHealth = new Map<string, number>();
  for (const r of sorted) byHealth.set(r.health ?? "Unknown", (byHealth.get(r.health ?? "Unknown") ?? 0) + 1);
  const counts = [...byHealth]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([h, n]) => `${esc(h)} ${n}`)
    .join(", ");
  const cells = (r: MonitorRow): string[] => [
    // the first column links to the report: on a phone the last columns are a scroll away
    r.report?.configMap ? `<a href="/ui/${esc(path(r))}">${esc(r.namespace)}/${esc(r.name)}</a>` : `${esc(r.namespace)}/${esc(r.name)}`,
    esc(r.model ?? "—"),
    esc(r.stableVersion ?? "—"),
    `<span class="${esc(r.health ?? "Unknown")}">${esc(r.health ?? "Unknown")}</span>${r.summary ? ` <small>${esc(r.summary)}</small>` : ""}`,
    esc(r.judgedRules ?? "—"),
    esc(r.worstFinding ?? "—"),
    r.rollout
      ? esc(`${r.rollout.name}: ${r.rollout.candidate}, ${r.rollout.phase ?? "—"}${r.rollout.weight !== undefined ? `, ${r.rollout.weight}%` : ""}`)
      : "—",
    esc(r.lastEvaluationTime ?? "—"),
    r.report?.configMap
      ? `<a href="/ui/${esc(path(r))}">report</a> (<a href="/reports/${esc(path(r))}">Markdown</a>)<br><small>${esc(r.report.lastTime ?? "")}</small>`
      : r.reportAsked
        ? "not written yet"
        : "no spec.report",
  ];
  const head = ["Monitor", "Model", "Serving", "Health", "Rules judged", "Worst finding", "Rollout", "Last evaluation", "Report"]
    .map((h) => `<th scope="col">${h}</th>`)
    .join("");
  const body = shown
    .map(
      (r) =>
        `<tr>${cells(r)
          .map((c) => `<td>${c}</td>`)
          .join("")}</tr>`,
    )
    .join("");
  const more =
    sorted.length > shown.length
      ? `<p>${sorted.length - shown.length} more monitors are not listed (at most ${MAX_INDEX_ROWS}); their reports are at /ui/&lt;namespace&gt;/&lt;monitor&gt;.</p>`
      : "";
  const table = sorted.length
    ? `<div class="table-wrap" tabindex="0" role="region" aria-label="Monitors"><table><caption>Monitors</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${more}`
    : "<p>No ModelMonitor is watched by this operator.</p>";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>model-guardian: monitors</title><style>${STYLE}</style></head><body><header><h1>Monitors</h1><p>${sorted.length} monitors${counts ? ` (${counts})` : ""}, as this operator's cache held them at ${esc(new Date(now).toISOString())}. Read-only.</p></header><main>${table}</main><footer><p><small>model-guardian web view: this index, each monitor's latest HTML report at /ui/&lt;namespace&gt;/&lt;monitor&gt;, its Markdown at /reports/&lt;namespace&gt;/&lt;monitor&gt;.</small></p></footer></body></html>\n`;
}
