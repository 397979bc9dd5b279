// The Jobs the operator starts: deterministic names, the manifest built from a policy's
// template, and how a Job object read back from the API server is understood. Pure.
import { API_VERSION, type Severity } from "../../api/v1alpha1/common.ts";
import type { Finding, RemediationStatus } from "../../api/v1alpha1/modelmonitor.ts";
import type { ActionPurpose, ActionSpec } from "../../api/v1alpha1/retrainpolicy.ts";
import { MODEL_URI_PATTERN, MODEL_URI_SCHEMES, VERSION_PATTERN } from "../../api/v1alpha1/rollout.ts";
import { LABEL, MANAGED_BY } from "../identifiers.ts";

export const ANNOTATION = {
  model: "modelguardian.dev/model",
  modelVersion: "modelguardian.dev/model-version",
  reason: "modelguardian.dev/reason",
  severity: "modelguardian.dev/severity",
  findings: "modelguardian.dev/findings",
  config: "modelguardian.dev/config",
  episodes: "modelguardian.dev/episodes",
} as const;

const MAX_NAME = 63; // a Job's name is copied into its pods' job-name label

/** `<monitor>-<action>-<trigger>-<attempt>`, cut to a valid DNS label of at most 63 chars. */
export function jobName(monitor: string, action: string, trigger: string, attempt: number): string {
  const tail = `-${trigger}-${attempt}`;
  const base = `${monitor}-${action}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, MAX_NAME - tail.length)
    .replace(/^-+|-+$/g, "");
  return `${base || "job"}${tail}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** Only values Kubernetes accepts as label values are set as labels (all are annotations). */
const labelValue = (v: string | undefined): string | undefined => (v !== undefined && v.length <= 63 && LABEL_VALUE.test(v) ? v : undefined);

/** Identifies one finding episode: a finding of a type on a source, since it first appeared. */

export interface JobRequest {
  namespace: string;
  monitor: { name: string; uid: string };
  policy: string;
  model: { name: string; version?: string };
  action: ActionSpec;
  purpose: ActionPurpose;
  trigger: string;
  attempt: number;
  reason: string;
  severity: Severity;
  findings: Finding[];
  episodes: string[];
}

const MAX_FINDINGS_HANDED = 20;

/** KEY_NAMES for configuration keys: batchSize -> BATCH_SIZE. */
export function envName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});

/** The Job manifest for one action: the policy's template plus what the run needs to know. */
export function renderJob(req: JobRequest): Obj & { metadata: Obj & { name: string } } {
  const name = jobName(req.monitor.name, req.action.name, req.trigger, req.attempt);
  const findings = req.findings.slice(0, MAX_FINDINGS_HANDED);
  const config = req.action.config ?? {};
  const labels: Record<string, string> = { [LABEL.managedBy]: MANAGED_BY };
  const maybe = (key: string, v: string | undefined) => {
    const ok = labelValue(v);
    if (ok !== undefined) labels[key] = ok;
  };
  maybe(LABEL.monitor, req.monitor.name);
  maybe(LABEL.policy, req.policy);
  maybe(LABEL.model, req.model.name);
  labels[LABEL.action] = req.action.name;
  labels[LABEL.purpose] = req.purpose;
  labels[LABEL.trigger] = req.trigger;
  labels[LABEL.attempt] = String(req.attempt);
  const annotations: Record<string, string> = {
    [ANNOTATION.model]: req.model.name,
    ...(req.model.version !== undefined ? { [ANNOTATION.modelVersion]: req.model.version } : {}),
    [ANNOTATION.reason]: req.reason,
    [ANNOTATION.severity]: req.severity,
    [ANNOTATION.findings]: JSON.stringify(findings),
    [ANNOTATION.config]: JSON.stringify(config),
    [ANNOTATION.episodes]: JSON.stringify(req.episodes),
  };
  const env = [
    { name: "MG_MODEL_NAME", value: req.model.name },
    { name: "MG_MODEL_VERSION", value: req.model.version ?? "" },
    { name: "MG_MONITOR", value: req.monitor.name },
    { name: "MG_ACTION", value: req.action.name },
    { name: "MG_PURPOSE", value: req.purpose },
    { name: "MG_TRIGGER", value: req.trigger },
    { name: "MG_ATTEMPT", value: String(req.attempt) },
    { name: "MG_TRIGGER_REASON", value: req.reason },
    { name: "MG_TRIGGER_SEVERITY", value: req.severity },
    { name: "MG_FINDINGS", value: JSON.stringify(findings) },
    { name: "MG_CONFIG", value: JSON.stringify(config) },
    ...Object.entries(config).map(([k, value]) => ({ name: `MG_CONFIG_${envName(k)}`, value })),
  ];

  const template = req.action.jobTemplate as Obj;
  const meta = asObj(template.metadata);
  const spec = asObj(template.spec);
  const pod = asObj(spec.template);
  const podMeta = asObj(pod.metadata);
  const podSpec = asObj(pod.spec);
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as unknown[]) : [];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      ...meta,
      name,
      namespace: req.namespace,
      // ours last: a template cannot forge the labels the operator finds its Jobs by
      labels: { ...asObj(meta.labels), ...labels },
      annotations: { ...asObj(meta.annotations), ...annotations },
      ownerReferences: [
        { apiVersion: API_VERSION, kind: "ModelMonitor", name: req.monitor.name, uid: req.monitor.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...spec,
      template: {
        ...pod,
        metadata: { ...podMeta, labels: { ...asObj(podMeta.labels), ...labels }, annotations: { ...asObj(podMeta.annotations), ...annotations } },
        spec: {
          ...podSpec,
          // ours first, so a variable the template sets itself wins
          containers: containers.map((c) => {
            const container = asObj(c);
            return { ...container, env: [...env, ...(Array.isArray(container.env) ? container.env : [])] };
          }),
        },
      },
    },
  };
}

// ---------------------------------------------------------------- reading Jobs back

export type JobPhase = "Active" | "Succeeded" | "Failed";

/** A model version reported by a retraining Job in its termination message. */
export type JobResult = { ok: true; version: string; uri?: string } | { ok: false; reason: string };

export interface JobView {
  name: string;
  monitor: string;
  monitorUid: string;
  policy?: string;
  action: string;
  purpose: ActionPurpose;
  trigger: string;
  attempt: number;
  createdAt: number;
  phase: JobPhase;
  finishedAt?: number;
  message?: string;
  reason: string;
  severity: Severity;
  episodes: string[];
  /** Gathered by the reconciler for succeeded Jobs whose outcome is not yet recorded. */
  result?: JobResult;
}

interface JobCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string | Date;
}

const time = (v: unknown): number | undefined => {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
};

/** Understands a Job the operator created; undefined for anything it did not create. */
export function jobViewOf(job: unknown): JobView | undefined {
  const j = asObj(job);
  const meta = asObj(j.metadata);
  const labels = asObj(meta.labels) as Record<string, string>;
  const annotations = asObj(meta.annotations) as Record<string, string>;
  if (labels[LABEL.managedBy] !== MANAGED_BY) return undefined;
  const owner = (Array.isArray(meta.ownerReferences) ? meta.ownerReferences : []).map(asObj).find((o) => o.kind === "ModelMonitor" && o.controller === true);
  const purpose = labels[LABEL.purpose];
  const name = meta.name;
  const createdAt = time(meta.creationTimestamp);
  if (!owner || typeof name !== "string" || createdAt === undefined || (purpose !== "retrain" && purpose !== "reindex")) return undefined;
  const status = asObj(j.status);
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as JobCondition[];
  const done = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const complete = done("Complete");
  const failed = done("Failed");
  const phase: JobPhase = complete ? "Succeeded" : failed ? "Failed" : "Active";
  const finishedAt = complete ? (time(status.completionTime) ?? time(complete.lastTransitionTime)) : failed ? time(failed.lastTransitionTime) : undefined;
  let episodes: string[] = [];
  try {
    const parsed = JSON.parse(annotations[ANNOTATION.episodes] ?? "[]") as unknown;
    if (Array.isArray(parsed)) episodes = parsed.filter((e): e is string => typeof e === "string");
  } catch {
    // a hand-edited annotation: the Job is still followed, it only marks no episode handled
  }
  const severity = annotations[ANNOTATION.severity] === "critical" ? "critical" : "warning";
  return {
    name,
    monitor: String(owner.name ?? ""),
    monitorUid: String(owner.uid ?? ""),
    ...(labels[LABEL.policy] ? { policy: labels[LABEL.policy] } : {}),
    action: labels[LABEL.action] ?? "",
    purpose,
    trigger: labels[LABEL.trigger] ?? "",
    attempt: Math.max(1, Number.parseInt(labels[LABEL.attempt] ?? "1", 10) || 1),
    createdAt,
    phase,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(failed ? { message: [failed.reason, failed.message].filter(Boolean).join(": ") } : {}),
    reason: annotations[ANNOTATION.reason] ?? "",
    severity,
    episodes,
  };
}

const MAX_MESSAGE = 4096; // Kubernetes keeps at most 4096 bytes of a termination message

/**
 * The succeeded retraining Jobs whose outcome status does not yet record: their pods' messages
 * (the version they produced) are read once, then the record speaks for them. Returns the same
 * objects, so a caller can attach each result.
 */
export function jobsAwaitingResult<J extends Pick<JobView, "name" | "phase" | "purpose">>(
  jobs: J[],
  remediation: Pick<RemediationStatus, "history"> | undefined,
): J[] {
  return jobs.filter((job) => {
    const recorded = remediation?.history.find((r) => r.job === job.name);
    return job.phase === "Succeeded" && job.purpose === "retrain" && (!recorded || recorded.outcome === "Active");
  });
}

/**
 * Reads `{"version": "...", "uri": "..."}` from the termination messages of a succeeded Job's
 * containers: the first message that is such an object wins.
 */
export function parseJobResult(messages: readonly string[]): JobResult {
  const present = messages.map((m) => m.trim()).filter((m) => m.length > 0);
  if (present.length === 0) return { ok: false, reason: "the Job reported no version (no termination message)" };
  for (const m of present) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(m.slice(0, MAX_MESSAGE));
    } catch {
      continue;
    }
    const o = asObj(parsed);
    if (typeof o.version === "string" && o.version.trim() !== "" && o.version.length <= 128) {
      const version = o.version.trim();
      const uri = typeof o.uri === "string" && o.uri !== "" ? o.uri : undefined;
      // what a ModelRollout's schema would refuse is refused here, with the reason, rather than by the API server later
      if (!VERSION_PATTERN.test(version))
        return { ok: false, reason: `the Job reported the version ${JSON.stringify(version)}, which has a control character` };
      if (uri !== undefined && (uri.length > 2048 || !MODEL_URI_PATTERN.test(uri)))
        return {
          ok: false,
          reason: `the Job reported the URI ${JSON.stringify(uri.slice(0, 200))}, which is no model URI (${MODEL_URI_SCHEMES.join(", ")} or an absolute path, without spaces or control characters)`,
        };
      return { ok: true, version, ...(uri !== undefined ? { uri } : {}) };
    }
  }
  return { ok: false, reason: `the termination message is not {"version": "...", "uri": "..."}: ${JSON.stringify(present[0]?.slice(0, 200))}` };
}
