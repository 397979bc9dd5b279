// The monitor's side of the rollout: which version is stable (it follows promotions), when a
// candidate from a retraining Job becomes a ModelRollout, and the bounded record of the
// model's versions. Pure: the monitor reconciler creates what this plans.
import type { ModelMonitorSpec, ModelMonitorStatus, VersionRecord } from "../../api/v1alpha1/modelmonitor.ts";
import { API_VERSION } from "../../api/v1alpha1/common.ts";
import { MODEL_MONITOR } from "../../api/v1alpha1/modelmonitor.ts";
import { MODEL_ROLLOUT, type RolloutPhase } from "../../api/v1alpha1/rollout.ts";
import { EventReason, type MonitorEvent } from "../events.ts";
import { isTerminal } from "./machine.ts";
import { rolloutName } from "./names.ts";
import { LABEL, stableHash } from "../identifiers.ts";

/** What the monitor needs to know of one of its ModelRollouts. */
export interface MonitoredRollout {
  name: string;
  version: string;
  uri?: string | undefined;
  phase?: RolloutPhase | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  stepIndex?: number | undefined;
  /** The step as people count it (1/4), or shadow. */
  step?: string | undefined;
  weight?: number | undefined;
  lastAnalysis?: string | undefined;
  quarantined?: boolean | undefined;
  startTime?: string | undefined;
  finishTime?: string | undefined;
  /** When it became the stable version (a rollback after it restores `stableBefore`). */
  promotedTime?: string | undefined;
  stableBefore?: string | undefined;
}

export interface MonitorRolloutInput {
  monitor: { name: string; namespace: string; uid: string };
  spec: ModelMonitorSpec;
  status: ModelMonitorStatus;
  /** The monitor's policy has spec.rollout. */
  rolloutEnabled: boolean;
  rollouts: readonly MonitoredRollout[];
  now: number;
}

export interface MonitorRolloutPlan {
  stableVersion?: string | undefined;
  declaredVersion?: string | undefined;
  rollout?: ModelMonitorStatus["rollout"];
  versions?: VersionRecord[] | undefined;
  /** A ModelRollout to create (idempotent: its name is deterministic). */
  create?: Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace: string } };
  events: MonitorEvent[];
}

const VERSIONS_KEPT = 20;
const sameModel = (a: { version: string; uri?: string | undefined }, b: { version: string; uri?: string | undefined }) =>
  a.version === b.version && (a.uri ?? "") === (b.uri ?? "");

/** A rollout's name from the monitor and the candidate (its URI too: a changed URI is a new candidate). */
export const candidateRolloutName = (monitor: string, version: string, uri: string | undefined): string =>
  uri === undefined ? rolloutName(monitor, version) : `${rolloutName(monitor, version).slice(0, 242)}-${stableHash(uri).slice(0, 8)}`;

export function planMonitorRollout(i: MonitorRolloutInput): MonitorRolloutPlan {
  const events: MonitorEvent[] = [];
  const nowIso = new Date(i.now).toISOString();
  const declared = i.spec.model.version;
  const previous = i.status.versions ?? [];
  let stable = i.status.stableVersion ?? declared;
  // a person's change of spec.model.version: with serving wired, a rollout of the declared version
  // (never an instant switch); without, the version the monitor watches, at once
  let actedOn = i.status.declaredVersion ?? declared;
  let declaredRollout: { version: string; uri?: string | undefined } | undefined;
  if (declared !== undefined && declared !== actedOn) {
    if (declared === stable) actedOn = declared;
    else if (!i.spec.serving) {
      events.push({
        type: "Normal",
        reason: EventReason.StableVersionChanged,
        message: `spec.model.version changed to ${declared}: it is the version the monitor watches now`,
      });
      stable = declared;
      actedOn = declared;
    } else declaredRollout = { version: declared, uri: i.spec.model.uri };
  }
  // follow the newest promotion: taken in once (baking or done), undone when a bake rolled it back
  const promoted = i.rollouts.filter((r) => r.promotedTime !== undefined).sort((a, b) => (b.promotedTime ?? "").localeCompare(a.promotedTime ?? ""));
  const newest = promoted[0];
  const takenIn = (r: MonitoredRollout) => previous.some((v) => v.rollout === r.name && v.version === r.version && v.state !== "Candidate");
  if (newest && (newest.phase === "Baking" || newest.phase === "Succeeded") && newest.version !== stable && !takenIn(newest)) {
    events.push({
      type: "Normal",
      reason: EventReason.StableVersionChanged,
      message: `${newest.version} was promoted by ${newest.name}: the monitor now watches it and re-pins its baselines`,
    });
    stable = newest.version;
  } else if (
    newest &&
    (newest.phase === "RollingBack" || newest.phase === "RolledBack" || newest.phase === "Aborted") &&
    newest.version === stable &&
    newest.stableBefore
  ) {
    events.push({
      type: "Warning",
      reason: EventReason.StableVersionChanged,
      message: `${newest.version} was rolled back after its promotion by ${newest.name}: the monitor watches ${newest.stableBefore} again`,
    });
    stable = newest.stableBefore;
  }

  const versions = recordVersions(previous, i.rollouts, stable, i.status.stableVersion ?? declared, nowIso);
  const active = i.rollouts.find((r) => !isTerminal(r.phase));
  const latest = active ?? [...i.rollouts].sort((a, b) => (b.startTime ?? "").localeCompare(a.startTime ?? ""))[0];
  const rollout = latest
    ? {
        name: latest.name,
        candidate: latest.version,
        ...(latest.phase ? { phase: latest.phase } : {}),
        ...(latest.stepIndex !== undefined && !isTerminal(latest.phase) ? { stepIndex: latest.stepIndex } : {}),
        ...(latest.step !== undefined && !isTerminal(latest.phase) ? { step: latest.step } : {}),
        ...(latest.weight !== undefined ? { weight: latest.weight } : {}),
      }
    : undefined;

  let create: MonitorRolloutPlan["create"];
  const fromJob = i.status.remediation?.candidate;
  // a declared version goes first: it is a person's decision; a Job's candidate waits for it
  const candidate = declaredRollout ? { ...declaredRollout, job: undefined } : fromJob;
  if (declaredRollout && !active) {
    const name = candidateRolloutName(i.monitor.name, declaredRollout.version, declaredRollout.uri);
    const quarantined = versions.some((v) => v.state === "Quarantined" && sameModel(v, declaredRollout));
    if (quarantined) {
      events.push({
        type: "Warning",
        reason: EventReason.Quarantined,
        message: `spec.model.version ${declaredRollout.version} is quarantined: retry its rollout (modelguardian.dev/rollout-action=retry) to run it again`,
      });
      actedOn = declaredRollout.version;
    }
    // a finished rollout of the same version and URI keeps its name: the declared version waits
    // until a person deletes it (docs/rollouts/index.md), rather than reusing its history
    void name;
  }
  if (
    candidate &&
    (i.rolloutEnabled || declaredRollout) &&
    i.spec.serving &&
    candidate.version !== stable &&
    !active &&
    (!declaredRollout || actedOn !== declaredRollout.version)
  ) {
    const name = candidateRolloutName(i.monitor.name, candidate.version, candidate.uri);
    const quarantined = versions.some((v) => v.state === "Quarantined" && sameModel(v, candidate));
    const exists = i.rollouts.some((r) => r.name === name);
    // a person may declare an earlier version again (going back): only a Job's candidate is refused for having run before
    const done = !declaredRollout && versions.some((v) => sameModel(v, candidate) && (v.state === "Stable" || v.state === "Previous" || v.state === "Retired"));
    if (!quarantined && !exists && !done) {
      create = {
        apiVersion: API_VERSION,
        kind: MODEL_ROLLOUT.kind,
        metadata: {
          name,
          namespace: i.monitor.namespace,
          labels: { [LABEL.monitor]: i.monitor.name },
          ownerReferences: [
            { apiVersion: API_VERSION, kind: MODEL_MONITOR.kind, name: i.monitor.name, uid: i.monitor.uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          monitorRef: { name: i.monitor.name },
          candidate: { version: candidate.version, ...(candidate.uri !== undefined ? { uri: candidate.uri } : {}) },
        },
      };
      events.push({
        type: "Normal",
        reason: EventReason.RolloutCreated,
        message: candidate.job
          ? `candidate ${candidate.version} from Job ${candidate.job}: rollout ${name} created`
          : `spec.model.version changed to ${candidate.version}: rollout ${name} created`,
      });
      if (declaredRollout) actedOn = declaredRollout.version;
    }
  }
  return {
    ...(stable !== undefined ? { stableVersion: stable } : {}),
    ...(actedOn !== undefined ? { declaredVersion: actedOn } : {}),
    rollout,
    ...(versions.length ? { versions } : {}),
    ...(create ? { create } : {}),
    events,
  };
}

/** The record of versions: previous entries kept (a deleted rollout's verdict survives it), refreshed from the rollouts. */
function recordVersions(
  previous: readonly VersionRecord[],
  rollouts: readonly MonitoredRollout[],
  stable: string | undefined,
  stableBefore: string | undefined,
  nowIso: string,
): VersionRecord[] {
  const byKey = new Map<string, VersionRecord>();
  const key = (v: { version: string; uri?: string | undefined }) => `${v.version}\u0000${v.uri ?? ""}`;
  for (const v of previous) byKey.set(key(v), v);
  const put = (v: VersionRecord) => {
    const old = byKey.get(key(v));
    const same = old && old.state === v.state && old.rollout === v.rollout && old.lastAnalysis === v.lastAnalysis && old.reason === v.reason;
    byKey.set(key(v), same ? old : { ...v, time: old && old.state === v.state ? old.time : v.time });
  };
  for (const r of rollouts) {
    const state: VersionRecord["state"] =
      r.version === stable && (r.phase === "Baking" || r.phase === "Succeeded")
        ? "Stable"
        : !isTerminal(r.phase)
          ? "Candidate"
          : r.phase === "Succeeded"
            ? "Retired"
            : r.quarantined
              ? "Quarantined"
              : "Retired";
    put({
      version: r.version,
      ...(r.uri !== undefined ? { uri: r.uri } : {}),
      state,
      rollout: r.name,
      time: r.finishTime ?? r.startTime ?? nowIso,
      ...(r.lastAnalysis ? { lastAnalysis: r.lastAnalysis } : {}),
      ...(state === "Quarantined" && r.message ? { reason: r.message } : {}),
    });
  }
  // exactly one Stable; the one it replaced is Previous
  for (const [k, v] of byKey) {
    if (v.version === stable) continue;
    if (v.state === "Stable") byKey.set(k, { ...v, state: v.version === stableBefore && stableBefore !== stable ? "Previous" : "Retired", time: nowIso });
    else if (v.state === "Previous" && stableBefore !== stable) byKey.set(k, { ...v, state: "Retired", time: nowIso });
  }
  if (stableBefore !== undefined && stableBefore !== stable && ![...byKey.values()].some((v) => v.version === stableBefore))
    byKey.set(key({ version: stableBefore }), { version: stableBefore, state: "Previous", time: nowIso });
  if (stable !== undefined && ![...byKey.values()].some((v) => v.version === stable && v.state === "Stable")) {
    const existing = [...byKey.entries()].find(([, v]) => v.version === stable);
    if (existing) byKey.set(existing[0], { ...existing[1], state: "Stable", time: nowIso });
    else byKey.set(key({ version: stable }), { version: stable, state: "Stable", time: nowIso });
  }
  return [...byKey.values()].sort((a, b) => b.time.localeCompare(a.time) || a.version.localeCompare(b.version)).slice(0, VERSIONS_KEPT);
}

/** A ModelRollout as the monitor sees it, from the watch's JSON. */
export function monitoredRolloutOf(o: { metadata: { name: string }; spec?: unknown; status?: unknown }): MonitoredRollout | undefined {
  const spec = o.spec as { candidate?: { version?: unknown; uri?: unknown } } | undefined;
  const s = (o.status ?? {}) as Record<string, unknown>;
  const version = spec?.candidate?.version;
  if (typeof version !== "string") return undefined;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    name: o.metadata.name,
    version,
    uri: str(spec?.candidate?.uri),
    phase: str(s.phase) as RolloutPhase | undefined,
    reason: str(s.reason),
    message: str(s.message),
    stepIndex: num(s.stepIndex),
    step: str(s.step),
    weight: num((s.weights as { candidate?: unknown } | undefined)?.candidate),
    lastAnalysis: str(s.lastAnalysis),
    quarantined: s.quarantined === true,
    startTime: str(s.startTime),
    finishTime: str(s.finishTime),
    promotedTime: str(s.promotedTime),
    stableBefore: str((s.stable as { version?: unknown } | undefined)?.version),
  };
}
