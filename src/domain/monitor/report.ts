// The governance report of one model (the weekly "monitoring pack" for its stakeholders), in
// Markdown: KPIs per signal and segment, drift, findings, the trend of the period, what the
// operator did and what people should do next. Pure and deterministic: the same input renders
// the same text, so reports can be diffed and stored as evidence.
import type { DriftSpec, DriftStatus, Finding, Health, ModelMonitorSpec, ModelMonitorStatus, SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { HEALTH_STATES } from "../../api/v1alpha1/modelmonitor.ts";
import { TERMINAL_PHASES } from "../../api/v1alpha1/rollout.ts";
import { API_VERSION } from "../../api/v1alpha1/common.ts";
import { durationMs } from "../duration.ts";
import { human } from "../format.ts";
import { LABEL, MANAGED_BY, stableHash } from "../identifiers.ts";
import { SERIES_KEY, serializeSeries, type ReportSeries } from "./report-series.ts";

export interface ReportInput {
  namespace: string;
  /** The ModelMonitor's name. */
  name: string;
  /** The parsed spec (zod output, defaults filled). */
  spec: ModelMonitorSpec;
  /** The status the same evaluation just produced. */
  status: ModelMonitorStatus;
  /** Milliseconds since the epoch: the report's generation time. */
  now: number;
  /** Milliseconds: the previous report's time (absent for the first report). */
  periodStart?: number;
  /** The period's evaluations as counted in status; without it the trend is read from status.history. */
  period?: ReportPeriod;
}

export type ReportPeriod = NonNullable<NonNullable<ModelMonitorStatus["report"]>["period"]>;

/** Adds one evaluation to the period's counts (a period starts with the first evaluation counted). */
export function countEvaluation(period: ReportPeriod | undefined, health: Health, findings: number, nowIso: string): ReportPeriod {
  const p = period ?? { since: nowIso, evaluations: {}, withFindings: 0 };
  return {
    since: p.since,
    evaluations: { ...p.evaluations, [health]: (p.evaluations[health] ?? 0) + 1 },
    withFindings: p.withFindings + (findings > 0 ? 1 : 0),
  };
}

const NONE = "—";
const PERFORMANCE_TYPES: ReadonlySet<string> = new Set(["AccuracyDrift", "ConfidenceDrop", "Latency", "BehaviourDrift", "Threshold"]);
const DRIFT_TYPES: ReadonlySet<string> = new Set(["DataDrift", "EmbeddingDrift"]);
const FAILED_OUTCOMES: ReadonlySet<string> = new Set(["Failed", "CreateFailed"]);
const NOTHING_TO_DO = "No action needed: all signals are within their rules.";

// ---------------------------------------------------------------- formatting

/** Up to 4 significant digits, float noise as 0; "—" when missing or NaN, so "undefined" and "NaN" never reach a reader. */
const num = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? NONE : Number.isFinite(n) ? human(n) : n > 0 ? "∞" : "-∞");
/** A p-value: tiny ones as "< 0.0001", never as an exponent nor rounded to 0. */
const pValue = (p: number | undefined): string => (p !== undefined && p < 1e-4 ? "< 0.0001" : num(p));
const count = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? num(n) : String(Math.round(n)));
const iso = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? NONE : new Date(ms).toISOString());

/** Relative change from the baseline; undefined (—) without both numbers or against a zero baseline. */
function change(value: number | undefined, baseline: number | undefined): string {
  if (value === undefined || baseline === undefined || baseline === 0 || !Number.isFinite(value) || !Number.isFinite(baseline)) return NONE;
  const pct = Number(((100 * (value - baseline)) / Math.abs(baseline)).toFixed(1)); // Number() turns -0.0 into 0
  return `${pct > 0 ? "+" : ""}${pct.toFixed(1)}%`;
}

/** Free text on one line: a newline would end a list item or a table row. */
const inline = (s: string): string => s.replace(/\s*[\r\n]+\s*/g, " ").trim();
/** A table cell: one line, backslashes and pipes escaped (an unescaped | would split the cell). */
const cell = (s: string | undefined): string => (s === undefined || s.trim() === "" ? NONE : inline(s).replace(/\\/g, "\\\\").replace(/\|/g, "\\|"));
/** Free text ending a sentence, without doubling its full stop. */
const clause = (s: string): string => inline(s).replace(/\.+$/, "");

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

/** Whether an ISO time falls in the period (everything does for the first report). */
const inPeriod = (time: string, start: number | undefined): boolean => start === undefined || Date.parse(time) >= start;
const tiers = (t: { warning?: number | undefined; critical?: number | undefined }): string =>
  [t.warning !== undefined ? `warning ${num(t.warning)}` : "", t.critical !== undefined ? `critical ${num(t.critical)}` : ""].filter(Boolean).join(", ");
const observed = (state: string, reason: string | undefined, message?: string): string =>
  state === "Value" || reason === undefined ? state : `${state} (${message ? `${reason}: ${message}` : reason})`;
/** A segment as `label=value`; fairness findings already name their group that way. */
const segmentName = (spec: ModelMonitorSpec, segment: string | undefined, named = false): string | undefined =>
  segment === undefined || named || !spec.segments ? segment : `${spec.segments.label}=${segment}`;
const findingSegment = (spec: ModelMonitorSpec, f: Finding): string | undefined => segmentName(spec, f.segment, f.type === "Fairness");
const withSegment = (name: string, segment: string | undefined): string => (segment === undefined ? name : `${name} [${segment}]`);

// ---------------------------------------------------------------- sections

/** What a signal measures, in words, from whichever kind the spec holds. */
function signalKind(s: SignalSpec): string {
  if (s.classification) return `classification ${s.classification.measure}`;
  if (s.regression) return `regression ${s.regression.measure}`;
  if (s.histogram) {
    const h = s.histogram;
    if (h.measure === "quantile") return `histogram quantile ${num(h.quantile)}`;
    if (h.measure === "shareBelow" || h.measure === "shareAbove")
      return `histogram share ${h.measure === "shareBelow" ? "below" : "above"} ${num(h.threshold)}`;
    return `histogram ${h.measure}`;
  }
  if (s.ratio) return `ratio ${s.ratio.numerator.metric} / ${s.ratio.denominator.metric}`;
  return "PromQL query";
}

/** Spec order first; a signal only the status knows (the spec changed since) comes after, in status order. */
function namesInOrder(specNames: string[], statusNames: string[]): string[] {
  return [...new Set([...specNames, ...statusNames])];
}

/** The baseline cell of a signal's overall row: the value, or the rules that had none. */
function baselineCell(status: ModelMonitorStatus, name: string, baseline: number | undefined): string {
  if (baseline !== undefined) return num(baseline);
  const missing = (status.rules ?? []).filter((r) => r.coverage === "NoBaseline" && r.rule.startsWith(`${name} `));
  return missing.length ? cell(`none yet: ${missing.map((r) => r.name).join(", ")} not judged (NoBaseline)`) : NONE;
}

function kpis(spec: ModelMonitorSpec, status: ModelMonitorStatus): string[] {
  const names = namesInOrder(
    spec.signals.map((s) => s.name),
    status.signals.map((s) => s.name),
  );
  if (names.length === 0) return ["No signals configured."];
  return names.flatMap((name) => {
    const signal = spec.signals.find((s) => s.name === name);
    const rows = status.signals.filter((s) => s.name === name);
    // the overall value first, then the segments in the order the evaluation gave them
    const ordered = [...rows.filter((s) => s.segment === undefined), ...rows.filter((s) => s.segment !== undefined)];
    const body =
      ordered.length === 0
        ? ["No value recorded."]
        : table(
            ["Segment", "Value", "Baseline", "Change", "Samples", "State"],
            ordered.map((s) => [
              cell(segmentName(spec, s.segment) ?? "overall"),
              num(s.value),
              s.segment === undefined ? baselineCell(status, name, s.baseline) : num(s.baseline),
              change(s.value, s.baseline),
              count(s.samples),
              cell(observed(s.state, s.reason, s.message)),
            ]),
          );
    return [`### ${name}${signal ? ` (${signalKind(signal)})` : ""}`, "", ...body, ""];
  });
}

/** Each rule and whether the last evaluation could judge it: a rule not judged protects nothing. */
function rulesSection(spec: ModelMonitorSpec, status: ModelMonitorStatus): string[] {
  const rules = status.rules;
  if (!rules) return spec.rules.length || spec.presets.length ? ["No rule results recorded."] : ["No rules configured."];
  if (rules.length === 0) return ["No rules configured."];
  const unjudged = rules.filter((r) => r.coverage !== "Judged").length;
  const why = (r: (typeof rules)[number]) =>
    [r.message, r.unjudgedSegments ? `${r.unjudgedSegments} segments not judged` : undefined].filter((x) => x !== undefined).join("; ");
  return [
    `${rules.length - unjudged} of ${rules.length} rules judged in the last evaluation.`,
    "",
    ...table(
      ["Rule", "Checks", "Coverage", "Why not"],
      rules.map((r) => [cell(r.name), cell(r.rule), r.coverage, cell(why(r))]),
    ),
  ];
}

function driftSection(spec: ModelMonitorSpec, status: ModelMonitorStatus): string[] {
  const names = namesInOrder(
    spec.drift.map((d) => d.name),
    status.drift.map((d) => d.name),
  );
  if (names.length === 0) return ["No drift checks configured."];
  return names.flatMap((name) => {
    const d: DriftSpec | undefined = spec.drift.find((x) => x.name === name);
    const s: DriftStatus | undefined = status.drift.find((x) => x.name === name);
    const reference =
      d?.reference.offset !== undefined ? `window ending ${d.reference.offset} ago` : d?.reference.pinned ? `pinned (${d.reference.pinned.when})` : NONE;
    const facts = [
      `- Method: ${d?.method ?? s?.method ?? NONE}`,
      `- Thresholds: ${d ? `${tiers(d.threshold)}; alpha ${num(d.alpha)} (${d.correction} correction); dataset drift from ${num(d.datasetDriftShare * 100)}% of features` : NONE}`,
      `- Reference: ${reference}`,
      `- State: ${s ? inline(observed(s.state, s.reason)) : "not evaluated"}`,
      `- Dataset drift: ${s?.datasetDrift === undefined ? NONE : s.datasetDrift ? "yes" : "no"}`,
      `- Drifted share: ${s?.driftedShare === undefined ? NONE : `${num(s.driftedShare * 100)}%`}${s?.driftedFeatures?.length ? ` (${s.driftedFeatures.map(inline).join(", ")})` : ""}`,
    ];
    const features = s?.features ?? [];
    const rows = features.map((f) => [
      cell(f.feature),
      num(f.score),
      pValue(f.pValue),
      f.severity ?? NONE,
      cell(observed(f.state, f.reason)),
      count(f.referenceSamples),
      count(f.currentSamples),
    ]);
    const body = rows.length ? ["", ...table(["Feature", "Score", "p-value", "Severity", "State", "Reference samples", "Current samples"], rows)] : [];
    return [`### ${name}`, "", ...facts, ...body, ""];
  });
}

function findingsSection(spec: ModelMonitorSpec, findings: Finding[]): string[] {
  if (findings.length === 0) return ["None."];
  return table(
    ["Severity", "Type", "Source", "Segment", "Description", "Since"],
    findings.map((f) => [f.severity, f.type, cell(f.source), cell(findingSegment(spec, f)), cell(f.description), cell(f.since)]),
  );
}

function trend(status: ModelMonitorStatus, periodStart: number | undefined, period: ReportPeriod | undefined, now: number): string[] {
  if (period) {
    const total = HEALTH_STATES.reduce((n, h) => n + (period.evaluations[h] ?? 0), 0);
    const byHealth = HEALTH_STATES.filter((h) => (period.evaluations[h] ?? 0) > 0).map((h) => `${h} ${period.evaluations[h]}`);
    return [
      `- Evaluations: ${total}${byHealth.length ? ` (${byHealth.join(", ")})` : ""}`,
      `- Counted from: ${iso(Date.parse(period.since))}`,
      `- To: ${iso(now)}`,
      `- With findings: ${period.withFindings} of ${total}`,
    ];
  }
  const entries = status.history.filter((h) => inPeriod(h.time, periodStart));
  if (entries.length === 0) return ["No evaluations recorded in the period."];
  // by parsed time, not by text: times may carry different offsets
  const times = entries.map((h) => Date.parse(h.time)).filter(Number.isFinite);
  const byHealth = HEALTH_STATES.map((health) => [health, entries.filter((h) => h.health === health).length] as const).filter(([, n]) => n > 0);
  return [
    `- Evaluations: ${entries.length} (${byHealth.map(([health, n]) => `${health} ${n}`).join(", ")})`,
    `- First: ${iso(times.length ? Math.min(...times) : undefined)}`,
    `- Last: ${iso(times.length ? Math.max(...times) : undefined)}`,
    `- With findings: ${entries.filter((h) => h.findings > 0).length} of ${entries.length}`,
  ];
}

function actionsTaken(status: ModelMonitorStatus, periodStart: number | undefined): string[] {
  const jobs = (status.remediation?.history ?? []).filter((a) => inPeriod(a.time, periodStart));
  const held = status.remediation?.held ?? [];
  const versions = status.versions ?? [];
  const out = ["### Jobs", ""];
  out.push(
    ...(jobs.length === 0
      ? ["None in the period."]
      : table(
          ["Time", "Action", "Purpose", "Reason", "Job", "Outcome", "Version"],
          jobs.map((a) => [cell(a.time), cell(a.action), a.purpose, cell(a.reason), cell(a.job), a.outcome, cell(a.version)]),
        )),
  );
  if (held.length)
    out.push(
      "",
      "### Held actions",
      "",
      ...table(
        ["Action", "Reason", "Message", "Until"],
        held.map((h) => [cell(h.action), cell(h.reason), cell(h.message), cell(h.until)]),
      ),
    );
  if (versions.length)
    out.push(
      "",
      "### Versions",
      "",
      ...table(
        ["Version", "State", "Rollout", "Time", "Reason"],
        versions.map((v) => [cell(v.version), v.state, cell(v.rollout), cell(v.time), cell(v.reason)]),
      ),
    );
  const r = status.rollout;
  if (r) {
    const done = r.phase !== undefined && TERMINAL_PHASES.includes(r.phase);
    const details = [
      `candidate ${inline(r.candidate)}`,
      `phase ${r.phase ?? NONE}`,
      ...(r.stepIndex !== undefined ? [`step ${r.stepIndex}`] : []),
      ...(r.weight !== undefined ? [`weight ${r.weight}%`] : []),
    ];
    out.push("", done ? "### Last rollout" : "### Rollout in progress", "", `- ${inline(r.name)}: ${details.join(", ")}`);
  }
  return out;
}

// ---------------------------------------------------------------- recommendations

/**
 * What people should do, as plain sentences, derived from spec and status only (fixed rule
 * order, status order within a rule). `periodStart` limits the failed Jobs to the period.
 */
export function recommendedActions(spec: ModelMonitorSpec, status: ModelMonitorStatus, periodStart?: number): string[] {
  const out: string[] = [];
  const findings = status.findings;
  const performance = [
    ...new Set(findings.filter((f) => PERFORMANCE_TYPES.has(f.type)).map((f) => `${withSegment(f.source, findingSegment(spec, f))} (${f.severity})`)),
  ];
  if (performance.length) {
    const previous = status.versions?.find((v) => v.state === "Previous")?.version;
    out.push(`Retrain the model or roll back to the previous version${previous ? ` ${previous}` : ""}: performance findings on ${performance.join(", ")}.`);
  }
  for (const f of findings.filter((x) => x.type === "Fairness"))
    out.push(`Review the fairness of ${withSegment(f.source, findingSegment(spec, f))} (${f.severity}) and consider retraining on more representative data.`);
  const driftSources = [...new Set(findings.filter((f) => DRIFT_TYPES.has(f.type)).map((f) => f.source))];
  for (const source of driftSources) {
    const named = findings.filter((f) => f.source === source && DRIFT_TYPES.has(f.type)).flatMap((f) => f.features ?? []);
    // embedding findings name no feature: the drift status does (the centroid)
    const features = [...new Set(named.length ? named : (status.drift.find((d) => d.name === source)?.driftedFeatures ?? []))].sort();
    out.push(`Investigate the drifted features of ${source}${features.length ? ` (${features.join(", ")})` : ""} and consider retraining on recent data.`);
  }
  const broken = [
    ...status.signals
      .filter((s) => s.state !== "Value")
      .map((s) => `${withSegment(s.name, segmentName(spec, s.segment))} (${s.state}: ${s.reason ?? "no reason given"})`),
    ...status.drift.filter((d) => d.state !== "Value").map((d) => `drift ${d.name} (${d.state}: ${d.reason ?? "no reason given"})`),
  ];
  if (broken.length) out.push(`Fix the metrics pipeline: ${broken.map(clause).join(", ")}.`);
  // a rule whose signal has no value is in the line above; a missing baseline is the rule's own
  const noBaseline = (status.rules ?? []).filter((r) => r.coverage === "NoBaseline");
  if (noBaseline.length)
    out.push(
      `Rules not judged protect nothing until their baseline has a value: ${noBaseline.map((r) => `${r.name} (${r.rule}${r.message ? `: ${clause(r.message)}` : ""})`).join(", ")}.`,
    );
  const unevaluated = spec.signals.filter((s) => !status.signals.some((x) => x.name === s.name)).map((s) => s.name);
  if (unevaluated.length) out.push(`Check that the monitor is evaluated: no result is recorded for ${unevaluated.join(", ")}.`);
  if (spec.suspend) out.push("Resume the monitor (spec.suspend is true) to get current results.");
  for (const h of status.remediation?.held ?? [])
    out.push(`Action ${h.action} is held by ${h.reason}${h.until ? ` until ${h.until}` : ""}${h.message.trim() ? `: ${clause(h.message)}` : ""}.`);
  for (const v of (status.versions ?? []).filter((x) => x.state === "Quarantined"))
    out.push(`Version ${v.version} is quarantined${v.reason ? ` (${clause(v.reason)})` : ""}: it must not be redeployed without a fix.`);
  for (const a of (status.remediation?.history ?? []).filter((x) => FAILED_OUTCOMES.has(x.outcome) && inPeriod(x.time, periodStart)))
    out.push(`Inspect Job ${a.job} (action ${a.action}, ${a.outcome} at ${a.time})${a.message ? `: ${clause(a.message).slice(0, 300)}` : ""}.`);
  return out.length ? out : [NOTHING_TO_DO];
}

// ---------------------------------------------------------------- the report

export function renderGovernanceReport(input: ReportInput): string {
  const { spec, status, periodStart, now } = input;
  const header = [
    `# Model report: ${inline(spec.model.name)}`,
    "",
    `- Monitor: \`${input.namespace}/${input.name}\``,
    `- Serving version: ${inline(status.stableVersion ?? spec.model.version ?? "unknown")}`,
    `- Health: ${status.health ?? "Unknown"}${status.summary ? ` (${inline(status.summary)})` : ""}`,
    `- Period: ${periodStart === undefined ? "first report" : iso(periodStart)} to ${iso(now)}`,
    `- Last evaluation: ${status.lastEvaluationTime ?? NONE}`,
    `- Generated: ${iso(now)}`,
  ];
  const sections: [string, string[]][] = [
    ["KPIs", kpis(spec, status)],
    ["Rules", rulesSection(spec, status)],
    ["Drift", driftSection(spec, status)],
    ["Findings", findingsSection(spec, status.findings)],
    ["Trend", trend(status, periodStart, input.period, now)],
    ["Actions taken", actionsTaken(status, periodStart)],
    ["Recommended actions", recommendedActions(spec, status, periodStart).map((a) => `- ${a}`)],
  ];
  const body = sections.flatMap(([title, lines]) => ["", `## ${title}`, "", ...lines]);
  // one blank line between blocks, one newline at the end
  return `${[...header, ...body]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

// ---------------------------------------------------------------- the schedule and the ConfigMap

/** The ConfigMap key the report is written under: `kubectl get cm <name> -o jsonpath='{.data.report\.md}'`. */
export const REPORT_KEY = "report.md";
/** The key of the same report as an HTML page (report-html.ts): `kubectl get cm <name> -o jsonpath='{.data.report\.html}'`. */
export const HTML_REPORT_KEY = "report.html";
/**
 * A ConfigMap holds at most 1 MiB: the Markdown (320 KiB), the HTML page (report-html.ts, 480 KiB)
 * and the plots' series (report-series.ts, 192 KiB) stay inside, with room for the metadata.
 */
export const MAX_REPORT_BYTES = 320 * 1024;
const MAX_NAME = 253;

/** `<monitor>-report`, or the spec's name; a monitor name too long for the suffix is cut and hashed. */
export function reportConfigMapName(monitor: string, spec: ModelMonitorSpec): string {
  if (spec.report?.configMapName) return spec.report.configMapName;
  const name = `${monitor}-report`;
  if (name.length <= MAX_NAME) return name;
  const tail = `-${stableHash(monitor).slice(0, 10)}-report`;
  return `${monitor.slice(0, MAX_NAME - tail.length).replace(/[.-]+$/g, "")}${tail}`;
}

/**
 * Whether this evaluation writes a report, and the period it covers: the first at the first
 * evaluation, then once `every` has passed since the last one (kept in status, so a restart
 * neither repeats nor skips one). A changed ConfigMap name writes at once.
 */
export function reportDue(
  spec: ModelMonitorSpec,
  monitor: string,
  status: Pick<ModelMonitorStatus, "report">,
  now: number,
): { due: false } | { due: true; configMap: string; periodStart?: number } {
  if (!spec.report) return { due: false };
  const configMap = reportConfigMapName(monitor, spec);
  const last = status.report?.lastTime ? Date.parse(status.report.lastTime) : Number.NaN;
  if (status.report?.configMap !== configMap || !Number.isFinite(last)) return { due: true, configMap };
  return now - last >= durationMs(spec.report.every) ? { due: true, configMap, periodStart: last } : { due: false };
}

/** Cuts a report that would not fit a ConfigMap at a line, and says so. */
export function boundedReport(markdown: string, maxBytes = MAX_REPORT_BYTES): string {
  const bytes = new TextEncoder().encode(markdown);
  if (bytes.length <= maxBytes) return markdown;
  const note = `\n\n_The report was cut at ${maxBytes} bytes of ${bytes.length}: the full figures are in the monitor's status._\n`;
  const head = new TextDecoder().decode(bytes.slice(0, maxBytes - 256)).replace(/\uFFFD$/, "");
  return `${head.slice(0, Math.max(0, head.lastIndexOf("\n")))}${note}`;
}

/** The ConfigMap holding a monitor's report: owned by the monitor, so it goes with it. With `extra`, the HTML page and the plots' series beside the Markdown. */
export function reportConfigMap(
  monitor: { namespace: string; name: string; uid: string },
  configMap: string,
  markdown: string,
  now: number,
  extra?: { html: string; series: ReportSeries },
) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: configMap,
      namespace: monitor.namespace,
      labels: { [LABEL.managedBy]: MANAGED_BY, [LABEL.monitor]: monitor.name.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "") },
      annotations: { "modelguardian.dev/report-time": new Date(now).toISOString() } as Record<string, string>,
      ownerReferences: [{ apiVersion: API_VERSION, kind: "ModelMonitor", name: monitor.name, uid: monitor.uid, controller: true, blockOwnerDeletion: false }],
    },
    data: {
      [REPORT_KEY]: boundedReport(markdown),
      ...(extra ? { [HTML_REPORT_KEY]: extra.html, [SERIES_KEY]: serializeSeries(extra.series) } : {}),
    } as Record<string, string>,
  };
}
export type ReportConfigMap = ReturnType<typeof reportConfigMap>;

/**
 * The report's ConfigMap with the plots' series alone, saved between reports under its own
 * field manager (ReportPort.write with "series"), so the report's keys and time stay as they are.
 */
export function seriesConfigMap(monitor: { namespace: string; name: string; uid: string }, configMap: string, series: ReportSeries): ReportConfigMap {
  const full = reportConfigMap(monitor, configMap, "", 0);
  const { annotations: _time, ...metadata } = full.metadata;
  return { ...full, metadata: { ...metadata, annotations: {} }, data: { [SERIES_KEY]: serializeSeries(series) } };
}

/**
 * Why an existing ConfigMap must not receive a monitor's report: it is not one the operator
 * created for this monitor. Otherwise spec.report.configMapName would let whoever writes a
 * monitor add a key to any ConfigMap of the namespace and make it the monitor's, so that
 * deleting the monitor deletes it (owner references): rights the person may not have.
 */
export function reportOverwriteRefusal(
  existing: { name: string; ownerReferences?: readonly { uid?: string }[] },
  monitor: { name: string; uid: string },
): string | undefined {
  if (existing.ownerReferences?.some((o) => o.uid === monitor.uid)) return undefined;
  return `spec.report.configMapName: ConfigMap ${existing.name} exists and is not the report of ModelMonitor ${monitor.name} (no owner reference to it), so the operator does not write to it; name another ConfigMap, or delete this one to let the operator create it`;
}
