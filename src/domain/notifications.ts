// Notification webhooks: which Events a policy's webhooks are told of, the bodies they receive,
// and when a failed delivery is tried again. Pure: the adapter does the HTTP and the waiting.
import { severityRank } from "./stats/severity.ts";
import { EventReason, type MonitorEvent } from "./events.ts";
import { RETRAIN_POLICY, retrainPolicySpecSchema, type NotificationSpec, type NotificationTopic } from "../api/v1alpha1/retrainpolicy.ts";
import { MODEL_MONITOR } from "../api/v1alpha1/modelmonitor.ts";
import { MODEL_ROLLOUT } from "../api/v1alpha1/rollout.ts";

const R = EventReason;
const JOB_REASONS = new Set<string>([
  R.RetrainTriggered,
  R.ReindexTriggered,
  R.JobCreateFailed,
  R.JobSucceeded,
  R.JobFailed,
  R.JobDisappeared,
  R.CandidateRecorded,
  R.NoVersionReported,
  R.InvalidJobTemplate,
  R.JobTemplateNotAllowed,
  R.BudgetExhausted,
  R.BackoffActive,
  R.ApprovalRequired,
  R.Rejected,
  R.PolicyInvalid,
]);
const ROLLOUT_REASONS = new Set<string>([
  R.RolloutCreated,
  R.RolloutStarted,
  R.StepStarted,
  R.AnalysisFailed,
  R.AnalysisInconclusive,
  R.AnalysisError,
  R.RolloutPaused,
  R.RolloutResumed,
  R.Promoted,
  R.BakeFailed,
  R.RollbackStarted,
  R.RollbackStep,
  R.RollbackAccelerated,
  R.RolledBack,
  R.Aborted,
  R.Quarantined,
  R.RetryStarted,
  R.ApprovalRequired,
  R.Approved,
  R.Rejected,
  R.ManualWeightChange,
  R.InvalidStrategy,
  R.RouterError,
  R.RolloutBlocked,
  R.TargetNotOptedIn,
  R.StableVersionChanged,
]);
const HEALTH_REASONS = new Set<string>([
  R.HealthCritical,
  R.HealthWarning,
  R.HealthRecovered,
  R.HealthUnknown,
  R.MetricsSourceFailing,
  R.MetricsSourceRecovered,
]);

/**
 * The topic of an Event, or undefined for Events no webhook is told of (the routine ones:
 * cooldowns, accepted specs, analyses that passed). The object's kind decides between a Job's
 * and a rollout's approval.
 */
export function topicOf(kind: string, reason: string): NotificationTopic | undefined {
  if (kind === MODEL_ROLLOUT.kind) return ROLLOUT_REASONS.has(reason) ? "Rollouts" : undefined;
  if (HEALTH_REASONS.has(reason) || reason.endsWith("Detected") || reason.endsWith("Cleared")) return "Findings";
  if (JOB_REASONS.has(reason)) return "Jobs";
  if (ROLLOUT_REASONS.has(reason)) return "Rollouts";
  return undefined;
}

export interface NoticeObject {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** One thing that happened, as every webhook of the policy receives it. */
export interface Notice {
  /** Unique per Event; every retry of a delivery carries the same id, so a receiver can drop repeats. */
  id: string;
  time: string;
  topic: NotificationTopic;
  type: MonitorEvent["type"];
  reason: string;
  message: string;
  severity?: MonitorEvent["severity"];
  object: Omit<NoticeObject, "uid">;
  monitor?: string;
  model?: string;
  policy: string;
}

/** Whether a webhook wants a notice: its topic, and for findings their severity. */
export function wants(spec: NotificationSpec, notice: Notice): boolean {
  if (!spec.topics.includes(notice.topic)) return false;
  return notice.severity === undefined || severityRank(notice.severity) >= severityRank(spec.minSeverity);
}

/** Where the Events of one object are reported: its monitor's policy and that policy's webhooks. */
export interface NotificationRoute {
  policy: NoticeObject;
  monitor?: string;
  model?: string;
  notifications: NotificationSpec[];
}

interface Stored {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: unknown;
}
export interface RouteLookup {
  monitor(namespace: string, name: string): Stored | undefined;
  rollout(namespace: string, name: string): Stored | undefined;
  policy(namespace: string, name: string): Stored | undefined;
}

/** Follows a rollout to its monitor and a monitor to its policy; undefined when no webhook applies. */
export function notificationRoute(object: NoticeObject, lookup: RouteLookup): NotificationRoute | undefined {
  const ns = object.namespace;
  let policyName: string | undefined;
  let monitorName: string | undefined;
  if (object.kind === RETRAIN_POLICY.kind) policyName = object.name;
  else {
    monitorName =
      object.kind === MODEL_MONITOR.kind
        ? object.name
        : object.kind === MODEL_ROLLOUT.kind
          ? specOf<{ monitorRef?: { name?: string } }>(lookup.rollout(ns, object.name))?.monitorRef?.name
          : undefined;
    if (monitorName === undefined) return undefined;
    policyName = specOf<{ policyRef?: { name?: string } }>(lookup.monitor(ns, monitorName))?.policyRef?.name;
  }
  if (policyName === undefined) return undefined;
  const policy = lookup.policy(ns, policyName);
  // an invalid policy notifies nobody: its own status says why
  const parsed = retrainPolicySpecSchema.safeParse(policy?.spec ?? {});
  if (!policy || !parsed.success || parsed.data.notifications.length === 0) return undefined;
  const model = monitorName === undefined ? undefined : specOf<{ model?: { name?: string } }>(lookup.monitor(ns, monitorName))?.model?.name;
  return {
    policy: { kind: RETRAIN_POLICY.kind, namespace: ns, name: policyName, uid: policy.metadata.uid ?? "" },
    ...(monitorName !== undefined ? { monitor: monitorName } : {}),
    ...(model !== undefined ? { model } : {}),
    notifications: parsed.data.notifications,
  };
}

const specOf = <T>(o: Stored | undefined): T | undefined => o?.spec as T | undefined;

/** The notice of an Event, or undefined when its topic is none a webhook is told of. */
export function noticeOf(object: NoticeObject, event: MonitorEvent, route: NotificationRoute, now: number): Notice | undefined {
  const topic = topicOf(object.kind, event.reason);
  if (topic === undefined) return undefined;
  return {
    id: `${object.uid || object.name}.${event.reason}.${now.toString(36)}`,
    time: new Date(now).toISOString(),
    topic,
    type: event.type,
    reason: event.reason,
    message: event.message,
    ...(event.severity !== undefined ? { severity: event.severity } : {}),
    object: { kind: object.kind, namespace: object.namespace, name: object.name },
    ...(route.monitor !== undefined ? { monitor: route.monitor } : {}),
    ...(route.model !== undefined ? { model: route.model } : {}),
    policy: route.policy.name,
  };
}

/** The request body for a webhook of the given format. */
export function webhookBody(format: NotificationSpec["format"], notice: Notice): unknown {
  if (format === "json") return { source: "model-guardian", ...notice };
  const bad = notice.type === "Warning";
  const what = `${notice.object.kind} ${notice.object.namespace}/${notice.object.name}`;
  const fields = [
    { title: "Model", value: notice.model ?? "—", short: true },
    { title: "Severity", value: notice.severity ?? (bad ? "warning" : "info"), short: true },
    { title: "Policy", value: notice.policy, short: true },
    { title: "Topic", value: notice.topic, short: true },
  ];
  return {
    // text alone is what every Slack-compatible receiver shows; the attachment adds a colour
    text: `${bad ? ":warning:" : ":information_source:"} *${notice.reason}* on ${what}: ${escapeSlack(notice.message)}`,
    attachments: [
      {
        color: notice.severity === "critical" ? "danger" : bad ? "warning" : "good",
        fields,
        footer: `model-guardian · ${notice.id}`,
        ts: Math.floor(Date.parse(notice.time) / 1000),
      },
    ],
  };
}

// Slack reads <, > and & as markup: a message naming `<none>` must show as written
const escapeSlack = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export interface DeliveryLimits {
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A receiver's Retry-After is followed up to this. */
  maxRetryAfterMs: number;
}
export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { attempts: 5, initialBackoffMs: 1000, maxBackoffMs: 30_000, maxRetryAfterMs: 60_000 };

export type AttemptResult = { status: number; retryAfter?: string | undefined } | { error: string };
export type DeliveryStep = { kind: "delivered" } | { kind: "retry"; afterMs: number; why: string } | { kind: "failed"; why: string };

/**
 * After attempt number `attempt` (1-based): done, try again after a wait, or give up. Network
 * failures, timeouts, 408, 425, 429 and 5xx are worth another try; any other answer is final.
 */
export function nextDeliveryStep(attempt: number, result: AttemptResult, now: number, limits: DeliveryLimits = DEFAULT_DELIVERY_LIMITS): DeliveryStep {
  if ("status" in result && result.status >= 200 && result.status < 300) return { kind: "delivered" };
  const why = "error" in result ? result.error : `HTTP ${result.status}`;
  const retryable = "error" in result || [408, 425, 429].includes(result.status) || result.status >= 500;
  if (!retryable) return { kind: "failed", why };
  if (attempt >= limits.attempts) return { kind: "failed", why: `${why} (after ${attempt} attempts)` };
  const backoff = Math.min(limits.maxBackoffMs, limits.initialBackoffMs * 2 ** (attempt - 1));
  const asked = "status" in result ? retryAfterMs(result.retryAfter, now) : undefined;
  return { kind: "retry", afterMs: asked === undefined ? backoff : Math.min(limits.maxRetryAfterMs, Math.max(backoff, asked)), why };
}

/** Retry-After as seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A URL read from a Secret, checked before use; the problem never quotes the URL. */
export function webhookUrlProblem(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === "") return "is empty";
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `has scheme ${url.protocol.slice(0, -1).slice(0, 16)}, not http or https`;
  return undefined;
}

/** Removes every appearance of a secret (the URL, and its path and query alone) from a text bound for logs or Events. */
export function redact(text: string, secret: string): string {
  const parts = [secret];
  try {
    const url = new URL(secret);
    if (url.pathname.length > 1) parts.push(url.pathname);
    if (url.search.length > 1) parts.push(url.search);
    if (url.username || url.password) parts.push(`${url.username}:${url.password}`);
  } catch {
    // not a URL: the whole value is what is hidden
  }
  let out = text;
  for (const p of parts.sort((a, b) => b.length - a.length)) if (p) out = out.split(p).join("<redacted>");
  return out;
}
