// Which of a monitor's findings fire which of a policy's actions. Pure.
import type { Severity } from "../../api/v1alpha1/common.ts";
import type { Finding } from "../../api/v1alpha1/modelmonitor.ts";
import type { TriggerSpec } from "../../api/v1alpha1/retrainpolicy.ts";
import { severityRank, worseSeverity } from "../stats/severity.ts";

export function triggerMatches(t: TriggerSpec, f: Finding): boolean {
  if (!t.findings.includes(f.type)) return false;
  if (severityRank(f.severity) < severityRank(t.minSeverity)) return false;
  if (t.sources && !t.sources.includes(f.source)) return false;
  if (t.segments && !t.segments.includes(f.segment ?? "")) return false;
  if (t.features && !(f.features ?? []).some((x) => t.features?.includes(x))) return false;
  return true;
}

export interface ActionMatch {
  action: string;
  findings: Finding[];
  severity: Severity;
}

/** Matched findings grouped by action, in the order the triggers list them. */
export function matchTriggers(triggers: readonly TriggerSpec[], findings: readonly Finding[]): ActionMatch[] {
  const byAction = new Map<string, Finding[]>();
  for (const t of triggers) {
    const list = byAction.get(t.action) ?? [];
    for (const f of findings) if (triggerMatches(t, f) && !list.includes(f)) list.push(f);
    byAction.set(t.action, list);
  }
  return [...byAction]
    .filter(([, list]) => list.length > 0)
    .map(([action, list]) => ({
      action,
      findings: list,
      severity: list.reduce<Severity | undefined>((acc, f) => worseSeverity(acc, f.severity), undefined) as Severity,
    }));
}

/** A short reason naming the findings, for status, Events and the Job's annotations. */
export function describeFindings(findings: readonly Finding[]): string {
  const parts = findings.map((f) => `${f.type} ${f.severity} ${f.source}${f.segment ? `[${f.segment}]` : ""}`);
  const shown = parts.slice(0, 5).join(", ");
  return parts.length > 5 ? `${shown} and ${parts.length - 5} more` : shown;
}
