// What an analysis carries from one run to the next, and what each check contributes. Each
// check returns its own contribution; nothing writes into shared state.
import type { Finding, PinnedValue } from "../../api/v1alpha1/modelmonitor.ts";
import type { MonitorEvent } from "../events.ts";

/** State from earlier analyses that the caller keeps (a monitor keeps it in status). */
export interface AnalysisMemory {
  /** Rule breaches waiting for their `for`: key -> since (ISO). */
  pending: ReadonlyMap<string, string>;
  /** Pinned baselines and reference distributions, by signal or drift key. */
  pinned: Readonly<Record<string, PinnedValue>>;
  /** The model version being analysed: a pin `when: VersionChange` is re-taken when it differs. */
  version?: string | undefined;
  /** A re-pin was asked for (the caller has already dropped the old pins). */
  repinRequested: boolean;
}

/** One check's contribution to an analysis. */
export interface CheckOutcome {
  findings: Finding[];
  /** Pins this check took (new or re-taken). */
  pins: Record<string, PinnedValue>;
  /** Its breaches still waiting for their `for`: key -> since. */
  pending: Map<string, string>;
  events: MonitorEvent[];
}

export const emptyOutcome = (): CheckOutcome => ({ findings: [], pins: {}, pending: new Map(), events: [] });

/** The pin a check sees: the one it took in this analysis, else the remembered one. */
export const pinOf = (outcome: CheckOutcome, memory: AnalysisMemory, key: string): PinnedValue | undefined => outcome.pins[key] ?? memory.pinned[key];
