// What kubectl-modelguardian prints: a rollout as a tree (its steps, analyses, both versions'
// workloads and the route) and a monitor at a glance. Pure: objects in, text out, tested on
// objects. Times are printed as the API holds them (UTC), so the same state prints the same text
// and the watch view prints again only when something changed.
import type { ModelMonitorStatus } from "../api/v1alpha1/modelmonitor.ts";
import type { AnalysisRecord, ComparisonRecord, ModelRolloutSpec, ModelRolloutStatus, RolloutStrategy } from "../api/v1alpha1/rollout.ts";
import type { LiveWeights, WorkloadState } from "../domain/rollout/builder.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../domain/rollout/names.ts";

/** A number for people: at most 4 significant digits, no exponent for everyday magnitudes. */
export function num(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "?";
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return String(x);
  const rounded = Number(x.toPrecision(4));
  return Math.abs(rounded) >= 1e-4 && Math.abs(rounded) < 1e7 ? String(rounded) : rounded.toExponential();
}

const signed = (x: number | undefined) => (x !== undefined && x > 0 ? `+${num(x)}` : num(x));
/** 2026-12-06T21:50:00.123Z -> 2026-12-06T21:50:00Z */
const time = (iso: string | undefined) => (iso ? iso.replace(/\.\d+Z$/, "Z") : "?");

export interface ServingView {
  /** e.g. "HTTPRoute fraud (rule canary)", "InferenceService fraud". */
  router: string;
  /** Deployment names, when two Deployments serve the versions. */
  stableDeployment?: string | undefined;
  candidateDeployment?: string | undefined;
  /** What was read now; an error says why nothing could be. */
  live: { weights: LiveWeights; stable: WorkloadState; candidate: WorkloadState } | { error: string };
}

export interface RolloutTreeInput {
  name: string;
  namespace: string;
  spec: ModelRolloutSpec;
  status: ModelRolloutStatus;
  annotations: Readonly<Record<string, string>>;
  deleting?: boolean;
  /** The steps it follows, and where they come from (a RetrainPolicy, or the defaults). */
  strategy: RolloutStrategy;
  strategySource: string;
  /** Set when the serving objects could not be found (no monitor, no spec.serving). */
  serving: ServingView | { error: string };
}

const PHASE_MARK: Record<string, string> = {
  Pending: "◌",
  Shadowing: "◐",
  Progressing: "▶",
  Paused: "॥",
  Promoting: "▲",
  Baking: "◍",
  RollingBack: "↩",
  Succeeded: "✔",
  RolledBack: "✖",
  Aborted: "✖",
};
const OUTCOME_MARK: Record<string, string> = { Successful: "✔", Passed: "✔", Failed: "✖", Inconclusive: "?", Error: "⚠" };

/** Lines as a tree: each node's text and its children, drawn with box characters. */
interface Node {
  text: string;
  children?: Node[];
}
function drawTree(nodes: Node[], prefix = ""): string[] {
  return nodes.flatMap((n, i) => {
    const last = i === nodes.length - 1;
    return [`${prefix}${last ? "└── " : "├── "}${n.text}`, ...drawTree(n.children ?? [], `${prefix}${last ? "    " : "│   "}`)];
  });
}

/** Label: value lines, the labels aligned. */
const table = (rows: [string, string | undefined][]) => {
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== "");
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
};

export function comparisonLine(c: ComparisonRecord): string {
  const parts = [`${OUTCOME_MARK[c.outcome] ?? ""} ${c.outcome} ${c.signal} ${c.check} ${num(c.limit)}:`];
  const numbers: string[] = [];
  if (c.stable !== undefined) numbers.push(`stable ${num(c.stable)}`);
  if (c.candidate !== undefined) numbers.push(`candidate ${num(c.candidate)}`);
  if (c.difference !== undefined) numbers.push(`difference ${signed(c.difference)}`);
  if (c.lowerBound !== undefined || c.upperBound !== undefined) numbers.push(`interval [${num(c.lowerBound)}, ${num(c.upperBound)}]`);
  if (c.pValue !== undefined) numbers.push(`p ${num(c.pValue)}`);
  if (numbers.length) parts.push(numbers.join(", "));
  const how: string[] = [];
  if (c.test && c.test !== "none") how.push(c.test);
  const samples = [
    c.stableSamples !== undefined ? `${num(c.stableSamples)} stable` : "",
    c.candidateSamples !== undefined ? `${num(c.candidateSamples)} candidate` : "",
  ].filter(Boolean);
  if (samples.length) how.push(`samples: ${samples.join(", ")}`);
  if (how.length) parts.push(`(${how.join("; ")})`);
  if (c.message) parts.push(`- ${c.message}`);
  return parts.join(" ");
}

function analysisNode(a: AnalysisRecord, total: number): Node {
  const stage = a.shadow ? "shadow" : `step ${a.step + 1}/${total} (${a.weight} %)`;
  const kind = a.interim ? " interim check" : "";
  return {
    text: `${OUTCOME_MARK[a.outcome] ?? ""} ${stage}${kind} ${a.outcome} at ${time(a.time)} over ${a.window}${a.message ? `: ${a.message}` : ""}`,
    children: a.comparisons.map((c) => ({ text: comparisonLine(c) })),
  };
}

function stepsNode(s: ModelRolloutStatus, strategy: RolloutStrategy): Node {
  const analyses = s.analyses ?? [];
  const live = s.phase === "Progressing" || s.phase === "Paused";
  const finished = (i: number, outcome: string) => analyses.some((a) => !a.shadow && !a.interim && a.step === i && a.outcome === outcome);
  const current = (detail: string[]) => {
    if (s.stepStartTime) detail.push(`since ${time(s.stepStartTime)}`);
    if (s.phase !== "Paused" && s.holdEndTime) detail.push(`hold ends ${time(s.holdEndTime)}`);
    if (s.phase !== "Paused" && s.nextAnalysisTime) detail.push(`${s.holdEndTime ? "next check" : "analysis"} ${time(s.nextAnalysisTime)}`);
    if (s.stepChecks !== undefined) detail.push(`${s.stepChecks} checks`);
    return detail;
  };
  const children: Node[] = [];
  if (strategy.shadow) {
    const now = s.phase === "Shadowing";
    const passed = analyses.some((a) => a.shadow && a.outcome === "Successful");
    const failed = analyses.some((a) => a.shadow && a.outcome === "Failed");
    const mark = now ? "▶" : passed ? "✔" : failed ? "✖" : "○";
    const detail = now ? current([]) : [];
    children.push({
      text: `${mark} shadow  ${strategy.shadow.percent} % mirrored, hold ${strategy.shadow.hold}${detail.length ? `  (${detail.join(", ")})` : ""}`,
    });
  }
  const width = String(strategy.steps.length).length;
  strategy.steps.forEach((step, i) => {
    const here = live && s.stepIndex === i;
    const mark = here ? (s.phase === "Paused" ? "॥" : "▶") : finished(i, "Successful") ? "✔" : finished(i, "Failed") ? "✖" : "○";
    const detail = here ? current([]) : [];
    if (here && s.stepWeight !== undefined && s.stepWeight !== step.weight) detail.unshift(`at ${s.stepWeight} %`);
    children.push({
      text: `${mark} ${String(i + 1).padStart(width)}  ${String(step.weight).padStart(3)} %  hold ${step.hold}${detail.length ? `  (${detail.join(", ")})` : ""}`,
    });
  });
  if (s.phase === "RollingBack" && strategy.rollback.mode === "gradual" && strategy.rollback.steps)
    children.push({
      text: `↩ rolling back: ${strategy.rollback.steps.map((r, i) => `${i === s.rollbackStepIndex ? "▶" : ""}${r.weight} % for ${r.hold}`).join(", ")}, then 0 %`,
    });
  return {
    text: `Steps (${strategy.steps.length}${strategy.shadow ? " after a shadow" : ""}; analysis ${strategy.analysis.interval ? `every ${strategy.analysis.interval} and ` : ""}at each hold's end)`,
    children,
  };
}

const workloadText = (role: string, deployment: string | undefined, w: WorkloadState) =>
  [role.padEnd(9), deployment ? `Deployment ${deployment}` : "", w.found ? (w.version ?? "(no version)") : "", w.ready ? "✔ ready" : `✖ ${w.message}`]
    .filter(Boolean)
    .join("  ");

function servingNodes(serving: RolloutTreeInput["serving"], s: ModelRolloutStatus): Node[] {
  if ("error" in serving && !("router" in serving)) return [{ text: `Serving  ✖ ${serving.error}` }];
  const v = serving as ServingView;
  if ("error" in v.live) return [{ text: `Serving  ${v.router}: ✖ ${v.live.error}` }];
  const { weights, stable, candidate } = v.live;
  const workloads: Node = {
    text: "Workloads",
    children: [{ text: workloadText("stable", v.stableDeployment, stable) }, { text: workloadText("candidate", v.candidateDeployment, candidate) }],
  };
  const intended = s.desiredWeights ? ` (intended ${s.desiredWeights.stable} / ${s.desiredWeights.candidate})` : "";
  const route: Node =
    weights.kind === "weights"
      ? {
          text: `Route  ${v.router}${intended}`,
          children: [
            { text: `stable     ${String(weights.weights.stable).padStart(3)} %` },
            {
              text: `candidate  ${String(weights.weights.candidate).padStart(3)} %${weights.mirror ? `  (+ ${weights.mirror} % mirrored, answers discarded)` : ""}`,
            },
          ],
        }
      : { text: `Route  ${v.router}: ✖ ${weights.reason}: ${weights.message}` };
  return [workloads, route];
}

export function renderRolloutTree(r: RolloutTreeInput): string {
  const s = r.status;
  // no phase: blocked before it could start (the Ready condition says why), or not reconciled yet
  const phase = s.phase ?? (s.conditions?.length ? "(none: blocked)" : "(none: the operator has not reconciled it yet)");
  const pendingAction = r.annotations[ROLLOUT_ACTION_ANNOTATION];
  const ready = s.conditions?.find((c) => c.type === "Ready");
  const c = s.counters;
  const header = table([
    ["Name", `${r.namespace}/${r.name}${r.deleting ? "  (being deleted: restoring stable)" : ""}`],
    ["Monitor", r.spec.monitorRef.name],
    ["Candidate", `${r.spec.candidate.version}${r.spec.candidate.uri ? `  ${r.spec.candidate.uri}` : ""}`],
    ["Stable", s.stable ? `${s.stable.version}${s.stable.uri ? `  ${s.stable.uri}` : ""}` : undefined],
    ["Phase", `${PHASE_MARK[s.phase ?? ""] ?? "◌"} ${phase}${s.reason ? `  (${s.reason})` : ""}${r.spec.paused ? "  [spec.paused]" : ""}`],
    ["Message", s.message],
    ["Ready", ready && ready.status !== "True" ? `✖ ${ready.reason}: ${ready.message}` : undefined],
    ["Attempt", s.attempt !== undefined ? `${s.attempt}, started ${time(s.startTime)}${s.finishTime ? `, finished ${time(s.finishTime)}` : ""}` : undefined],
    ["Strategy", r.strategySource],
    ["Analyses", c ? `${c.successful} successful, ${c.failed} failed, ${c.inconclusive} inconclusive, ${c.errors} errors` : undefined],
    ["Exposure", s.exposure ? `${num(s.exposure.samples)} samples of ${s.exposure.signal} served by the candidate` : undefined],
    ["Quarantined", s.quarantined ? "yes: retry to roll it out again" : undefined],
    [
      "Action",
      pendingAction !== undefined && pendingAction !== s.handledAction ? `${ROLLOUT_ACTION_ANNOTATION}=${pendingAction} requested, not handled yet` : undefined,
    ],
  ]);
  const analyses = s.analyses ?? [];
  const nodes: Node[] = [
    stepsNode(s, r.strategy),
    {
      text: `Analyses (${analyses.length}${analyses.length ? ", oldest first" : ""})`,
      children: analyses.map((a) => analysisNode(a, r.strategy.steps.length)),
    },
    ...servingNodes(r.serving, s),
  ];
  return [...header, "", `${PHASE_MARK[s.phase ?? ""] ?? "◌"} ${r.name}`, ...drawTree(nodes)].join("\n") + "\n";
}

export interface MonitorViewInput {
  name: string;
  namespace: string;
  spec: { model?: { name?: string; version?: string }; policyRef?: { name: string }; suspend?: boolean };
  status: Partial<ModelMonitorStatus>;
}

const HEALTH_MARK: Record<string, string> = { Healthy: "✔", Warning: "⚠", Critical: "✖", Unknown: "?" };

export function renderMonitor(m: MonitorViewInput): string {
  const s = m.status;
  const ready = s.conditions?.find((c) => c.type === "Ready");
  const rules = s.rules ?? [];
  const unjudged = rules.filter((r) => r.coverage !== "Judged");
  const rollout = s.rollout;
  const header = table([
    ["Name", `${m.namespace}/${m.name}${m.spec.suspend ? "  (suspended)" : ""}`],
    ["Model", `${m.spec.model?.name ?? "?"} ${m.spec.model?.version ?? ""}`.trim()],
    ["Serving", s.stableVersion],
    ["Health", s.health ? `${HEALTH_MARK[s.health] ?? ""} ${s.health}${s.summary ? `  ${s.summary}` : ""}` : "(not evaluated yet)"],
    ["Ready", ready && ready.status !== "True" ? `✖ ${ready.reason}: ${ready.message}` : undefined],
    ["Evaluated", s.lastEvaluationTime ? `${time(s.lastEvaluationTime)}${s.observedVersion ? ` (version ${s.observedVersion})` : ""}` : undefined],
    [
      "Coverage",
      s.judgedRules !== undefined
        ? `${s.judgedRules} rules judged`
        : rules.length
          ? `${rules.length - unjudged.length}/${rules.length} rules judged`
          : undefined,
    ],
    ["Policy", m.spec.policyRef?.name],
    [
      "Rollout",
      rollout
        ? `${rollout.name}: ${rollout.candidate} ${rollout.phase ?? "Pending"}${rollout.stepIndex !== undefined ? `, step ${rollout.stepIndex + 1}` : ""}${rollout.weight !== undefined ? `, ${rollout.weight} % to the candidate` : ""}`
        : undefined,
    ],
    [
      "Report",
      s.report?.configMap
        ? `ConfigMap ${s.report.configMap}${s.report.lastTime ? `, written ${time(s.report.lastTime)}` : ""}: kubectl modelguardian report ${m.name} -n ${m.namespace}`
        : undefined,
    ],
  ]);
  const findings = s.findings ?? [];
  const nodes: Node[] = [];
  if (unjudged.length)
    nodes.push({
      text: `Not judged (${unjudged.length})`,
      children: unjudged.map((r) => ({ text: `${r.name} ${r.rule}: ${r.coverage}${r.message ? ` - ${r.message}` : ""}` })),
    });
  nodes.push({
    text: `Findings (${findings.length})`,
    children: findings.map((f) => {
      const numbers = [
        f.value !== undefined ? `value ${num(f.value)}` : "",
        f.baseline !== undefined ? `baseline ${num(f.baseline)}` : "",
        f.threshold !== undefined ? `threshold ${num(f.threshold)}` : "",
      ].filter(Boolean);
      return {
        text: `${f.severity} ${f.type} on ${f.source}${f.segment ? ` [${f.segment}]` : ""}: ${f.description}${numbers.length ? ` (${numbers.join(", ")})` : ""}, since ${time(f.since)}`,
      };
    }),
  });
  const signals = (s.signals ?? []).filter((x) => x.segment === undefined);
  if (signals.length)
    nodes.push({
      text: `Signals (${signals.length})`,
      children: signals.map((x) => ({
        text: `${x.name}: ${x.state === "Value" ? num(x.value) : x.state}${x.baseline !== undefined ? ` (baseline ${num(x.baseline)})` : ""}${x.samples !== undefined ? `, ${num(x.samples)} samples` : ""}${x.state !== "Value" && x.message ? ` - ${x.message}` : ""}`,
      })),
    });
  const versions = s.versions ?? [];
  if (versions.length)
    nodes.push({
      text: `Versions (${versions.length}, newest first)`,
      children: versions.map((v) => ({
        text: `${v.version}  ${v.state} since ${time(v.time)}${v.rollout ? `  rollout ${v.rollout}` : ""}${v.lastAnalysis ? `  ${v.lastAnalysis}` : ""}${v.reason ? `  (${v.reason})` : ""}`,
      })),
    });
  return [...header, "", `${HEALTH_MARK[s.health ?? ""] ?? "◌"} ${m.name}`, ...drawTree(nodes)].join("\n") + "\n";
}
