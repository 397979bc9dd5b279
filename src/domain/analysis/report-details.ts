// What the HTML report draws that status does not keep (status stays small): each histogram
// drift check's binned distributions and each fairness check's group values, re-read from the
// evaluation's own query results, so the pictures show exactly what was compared. Pure.
import type { PinnedValue } from "../../api/v1alpha1/modelmonitor.ts";
import { observeSignal } from "../signals.ts";
import { driftDistributions, type FeatureDistribution } from "./drift-checks.ts";
import { resultsFor, type AnalysisPlan, type Results } from "./plan.ts";

export type { FeatureDistribution };

export interface FairnessGroups {
  signal: string;
  groupLabel: string;
  minRatio: number;
  /** Each group's value (groups without a value are left out), in label order. */
  groups: { group: string; value: number; samples?: number }[];
}

export interface ReportDetails {
  /** By drift check name. */
  distributions: Record<string, FeatureDistribution[]>;
  fairness: FairnessGroups[];
}

export function reportDetails(plan: AnalysisPlan, results: Results, pinned: Record<string, PinnedValue> | undefined): ReportDetails {
  const distributions: Record<string, FeatureDistribution[]> = {};
  for (const d of plan.drift) if (d.drift.histogram) distributions[d.drift.name] = driftDistributions(d, results, pinned);
  const fairness: FairnessGroups[] = [];
  for (const f of plan.spec.fairness) {
    const p = plan.signals.find((s) => s.signal.name === f.signal);
    const qs = p?.fairness.get(f.groupLabel);
    if (!p || !qs) continue;
    const groups = [...observeSignal(p.signal, resultsFor(qs, results), p.minSamples, f.groupLabel).groups]
      .flatMap(([group, o]) =>
        o.state === "Value" && Number.isFinite(o.value) ? [{ group, value: o.value, ...(o.samples !== undefined ? { samples: o.samples } : {}) }] : [],
      )
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
    fairness.push({ signal: f.signal, groupLabel: f.groupLabel, minRatio: f.minRatio, groups });
  }
  return { distributions, fairness };
}
