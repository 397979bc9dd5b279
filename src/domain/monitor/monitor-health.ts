// A monitor's verdict from one analysis: its health, its conditions and the Events of what
// changed since the previous evaluation. Pure.
import type { Severity } from "../../api/v1alpha1/common.ts";
import type { DriftStatus, Finding, Health, ModelMonitorStatus, RuleStatus, SignalStatus } from "../../api/v1alpha1/modelmonitor.ts";
import type { ConditionInput } from "../conditions.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import { findingKey } from "../findings.ts";
import { ERROR_REASONS, type ErrorReason } from "../observation.ts";
import { severityRank, worseSeverity } from "../stats/severity.ts";

const DRIFT_TYPES = new Set(["DataDrift", "EmbeddingDrift"]);

/**
 * Critical or Warning by the worst finding (a finding wins whatever else could not be judged);
 * otherwise Unknown when a signal or drift check has no value, when a rule could not be judged
 * (it protects nothing yet), or when nothing is checked; else Healthy.
 */
export function healthOf(findings: readonly Finding[], unknownReasons: readonly string[], nothingToJudge: boolean, unjudgedRules = 0): Health {
  const worst = findings.reduce<Severity | undefined>((acc, f) => worseSeverity(acc, f.severity), undefined);
  return worst === "critical"
    ? "Critical"
    : worst === "warning"
      ? "Warning"
      : unknownReasons.length > 0 || unjudgedRules > 0 || nothingToJudge
        ? "Unknown"
        : "Healthy";
}

/** The rules that could not be judged on their signal's overall value. */
export const unjudgedRules = (rules: readonly RuleStatus[]): RuleStatus[] => rules.filter((r) => r.coverage !== "Judged");

/** "spec.rules[1] (feedback maxDrop, baseline 24h ago): NoBaseline: why", one line per rule. */
export const unjudgedLine = (r: RuleStatus): string => `${r.name} (${r.rule}): ${r.coverage}${r.message ? `: ${r.message}` : ""}`;

export function monitorConditions(
  health: Health,
  findings: Finding[],
  unknownReasons: string[],
  signals: SignalStatus[],
  drift: DriftStatus[],
  rules: RuleStatus[] = [],
): ConditionInput[] {
  const missing = signals.filter((s) => s.segment === undefined && s.state !== "Value");
  const firstReason = missing[0]?.reason ?? (drift.find((d) => d.state !== "Value") ? "DriftUnavailable" : undefined);
  const unjudged = unjudgedRules(rules);
  const metrics: ConditionInput =
    unknownReasons.length > 0
      ? { type: "MetricsAvailable", status: "False", reason: firstReason ?? "NoData", message: unknownSummary(unknownReasons).slice(0, 2000) }
      : unjudged.length === 0
        ? { type: "MetricsAvailable", status: "True", reason: "AllSignalsHaveValues", message: "every signal and drift check has a value" }
        : {
            type: "MetricsAvailable",
            status: "True",
            reason: "AllSignalsHaveValues",
            message: `every signal and drift check has a current value; ${unjudged.length} of ${rules.length} rules could not be judged (condition RulesJudged)`,
          };
  const judged: ConditionInput =
    rules.length === 0
      ? { type: "RulesJudged", status: "True", reason: "NoRules", message: "the monitor has no rules" }
      : unjudged[0]
        ? {
            type: "RulesJudged",
            status: "False",
            reason: unjudged[0].coverage,
            message: `${unjudged.length} of ${rules.length} rules not judged: ${unjudged.map(unjudgedLine).join("; ")}`.slice(0, 2000),
          }
        : { type: "RulesJudged", status: "True", reason: "Judged", message: `all ${rules.length} rules judged` };
  const degraded = findings.filter((f) => !DRIFT_TYPES.has(f.type));
  const drifted = findings.filter((f) => DRIFT_TYPES.has(f.type));
  // Unknown because of missing values (or nothing checked) leaves both open; unjudged rules only Degraded
  const metricsUnknown = health === "Unknown" && (unknownReasons.length > 0 || unjudged.length === 0);
  const flag = (type: string, list: Finding[], okReason: string, rulesMatter: boolean): ConditionInput =>
    list[0]
      ? {
          type,
          status: "True",
          reason: list[0].type,
          message: list
            .map((f) => f.description)
            .join("; ")
            .slice(0, 2000),
        }
      : metricsUnknown
        ? { type, status: "Unknown", reason: "MetricsUnavailable", message: "not every signal has a value" }
        : rulesMatter && unjudged.length > 0
          ? {
              type,
              status: "Unknown",
              reason: "RulesNotJudged",
              message: `${unjudged.length} of ${rules.length} rules could not be judged (condition RulesJudged)`,
            }
          : { type, status: "False", reason: okReason, message: "no finding" };
  return [
    { type: "Ready", status: "True", reason: "Evaluated", message: `health ${health}` },
    metrics,
    judged,
    flag("Degraded", degraded, "WithinThresholds", true),
    flag("Drifted", drifted, "NoDrift", false),
  ];
}

/**
 * "name: why" per signal or drift check without a value, the names that share a why joined:
 * one cause behind every check (an unreachable source, refused credentials) is said once.
 */
export function unknownSummary(unknownReasons: readonly string[]): string {
  const byWhy = new Map<string, string[]>();
  for (const r of unknownReasons) {
    const at = r.indexOf(": ");
    const [name, why] = at < 0 ? ["", r] : [r.slice(0, at), r.slice(at + 2)];
    byWhy.set(why, [...(byWhy.get(why) ?? []), name]);
  }
  return [...byWhy].map(([why, names]) => (names.some((n) => n !== "") ? `${names.filter((n) => n !== "").join(", ")}: ${why}` : why)).join("; ");
}

export function transitionEvents(previous: ModelMonitorStatus, next: ModelMonitorStatus, unknownReasons: string[]): MonitorEvent[] {
  const events: MonitorEvent[] = [];
  // the first evaluation recovers from nothing: a Healthy one is no news, another says "first evaluation"
  const first = previous.health === undefined;
  const change = (to: string) => (first ? `first evaluation: ${to}` : `health ${previous.health} -> ${to}`);
  if (previous.health !== next.health && !(first && next.health === "Healthy")) {
    if (next.health === "Healthy") events.push({ type: "Normal", reason: EventReason.HealthRecovered, message: change("Healthy") });
    else if (next.health === "Unknown")
      events.push({ type: "Warning", reason: EventReason.HealthUnknown, message: `${change("Unknown")}: ${unknownSummary(unknownReasons)}`.slice(0, 1000) });
    else
      events.push({
        type: "Warning",
        reason: next.health === "Critical" ? EventReason.HealthCritical : EventReason.HealthWarning,
        message: `${change(next.health as string)}: ${next.findings[0]?.description ?? ""}`.slice(0, 1000),
        severity: next.health === "Critical" ? "critical" : "warning",
      });
  }
  events.push(...sourceEvents(previous, next));
  const before = new Map(previous.findings.map((f) => [findingKey(f), f]));
  const after = new Map(next.findings.map((f) => [findingKey(f), f]));
  for (const [k, f] of after) {
    const old = before.get(k);
    if (!old || severityRank(f.severity) > severityRank(old.severity))
      events.push({ type: "Warning", reason: `${f.type}Detected`, message: `${f.severity}: ${f.description}`.slice(0, 1000), severity: f.severity });
  }
  for (const [k, f] of before)
    if (!after.has(k)) events.push({ type: "Normal", reason: `${f.type}Cleared`, message: `cleared: ${f.description}`.slice(0, 1000) });
  return events;
}

/** Error reasons about the query or its answer's content, not the source: every other error reason says the source failed. */
const QUERY_OR_DATA_ERRORS: readonly ErrorReason[] = ["QueryRejected", "MultipleSeries", "NotFinite", "InvalidData"];

/** MetricsAvailable reasons that say the source failed (not that the model's metrics are missing, few or odd). */
export const SOURCE_FAILURE_REASONS: ReadonlySet<string> = new Set(ERROR_REASONS.filter((r) => !QUERY_OR_DATA_ERRORS.includes(r)));

/**
 * The metrics source failing, failing otherwise, or answering again: said once at each change,
 * whatever the health does meanwhile (a monitor already Unknown for lack of samples still says so).
 */
export function sourceEvents(previous: ModelMonitorStatus, next: ModelMonitorStatus): MonitorEvent[] {
  const metrics = (s: ModelMonitorStatus) => s.conditions.find((c) => c.type === "MetricsAvailable");
  const was = metrics(previous);
  const now = metrics(next);
  const failedBefore = was !== undefined && SOURCE_FAILURE_REASONS.has(was.reason);
  const failingNow = now !== undefined && SOURCE_FAILURE_REASONS.has(now.reason);
  if (failingNow && (!failedBefore || was?.reason !== now.reason))
    return [{ type: "Warning", reason: EventReason.MetricsSourceFailing, message: `${now.reason}: ${now.message}`.slice(0, 1000) }];
  if (failedBefore && !failingNow && now !== undefined)
    return [{ type: "Normal", reason: EventReason.MetricsSourceRecovered, message: `the metrics source answers again (it failed with ${was.reason})` }];
  return [];
}
