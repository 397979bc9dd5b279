// When a monitor's status is written. A change of its state (health, findings and their
// severities, pending `for` breaches, pins, the status and reason of conditions, what the policy
// and the rollouts did, whether each rule could be judged) is written at once. When nothing but the values moved (the signals'
// numbers, scores, messages, the queries shown, the history, lastEvaluationTime), the write waits: values are
// written at least once per refresh window, so a steady fleet costs a fraction of a write per
// evaluation, and the values a reader sees are at most one window old. Pure.
import type { ModelMonitorStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { isDeepEqual } from "../json.ts";

/** Values are written at least every this many evaluations… */
export const VALUES_REFRESH_EVALUATIONS = 5;

/** …and at least this often by default (the operator's STATUS_VALUES_MAX_AGE). */
export const DEFAULT_VALUES_MAX_AGE_MS = 5 * 60_000;

/** The longest a status may go unwritten while only values move: 5 evaluations, capped by maxAge, never under one interval. */
export const valuesRefreshMs = (intervalMs: number, maxAgeMs: number): number =>
  Math.max(intervalMs, Math.min(VALUES_REFRESH_EVALUATIONS * intervalMs, maxAgeMs));

type Loose = Partial<ModelMonitorStatus>;

/** The status without its values: what must reach the API server as soon as it changes. */
export function monitorStateOf(status: Loose): unknown {
  const {
    summary: _summary,
    maxDriftScore: _max,
    lastEvaluationTime: _last,
    history: _history,
    report,
    conditions,
    signals,
    drift,
    findings,
    rules,
    ...rest
  } = status;
  return {
    ...rest,
    // a rule's coverage is state (judgedRules too); why it was not judged may carry numbers
    ...(rules ? { rules: rules.map(({ message: _m, baselineSamples: _b, ...r }) => r) } : {}),
    conditions: (conditions ?? []).map(({ message: _m, ...c }) => c),
    // the queries shown follow the spec (its generation is state) and their series counts are values
    signals: (signals ?? []).map(({ value: _v, baseline: _b, samples: _s, message: _m, queries: _q, ...s }) => s),
    drift: (drift ?? []).map(({ driftedShare: _d, features, queries: _q, ...d }) => ({
      ...d,
      features: (features ?? []).map(({ score: _s, pValue: _p, referenceSamples: _r, currentSamples: _c, ...f }) => f),
    })),
    findings: (findings ?? []).map(({ value: _v, baseline: _b, threshold: _t, description: _d, ...f }) => f),
    ...(report ? { report: { configMap: report.configMap, lastTime: report.lastTime } } : {}),
  };
}

export type StatusWrite = "write" | "defer";

/**
 * Whether an evaluation's status goes to the API server now. `writtenEvaluation` is the
 * lastEvaluationTime of the status last written (ms); `current` is the status as this process
 * holds it (the written one, or a later one whose write waits, with the same state).
 */
export function statusWrite(current: Loose, next: Loose, writtenEvaluation: number | undefined, now: number, refreshMs: number): StatusWrite {
  if (!isDeepEqual(monitorStateOf(current), monitorStateOf(next))) return "write";
  if (writtenEvaluation === undefined || !(now >= writtenEvaluation) || now - writtenEvaluation >= refreshMs) return "write";
  return "defer";
}

/**
 * The latest moment the monitor may have been evaluated, for a process that holds no memory of
 * it (after a start or a hand-over): evaluations whose write waited may have followed the
 * recorded one for up to a refresh window, but none after this process started reconciling.
 * Waiting an interval from here never evaluates early.
 */
export function latestPossibleEvaluation(recorded: number, intervalMs: number, refreshMs: number, startedAt: number): number {
  // with a window of one interval every evaluation was written: the record is the last one
  if (refreshMs <= intervalMs) return recorded;
  return Math.max(recorded, Math.min(recorded + refreshMs, startedAt));
}
