import { describe, expect, it } from "vitest";
import {
  nextDeliveryStep,
  noticeOf,
  notificationRoute,
  redact,
  retryAfterMs,
  topicOf,
  wants,
  webhookBody,
  webhookUrlProblem,
  type Notice,
  type NotificationRoute,
  type RouteLookup,
} from "../../src/domain/notifications.ts";
import { retrainPolicySpecSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";

const NOW = Date.parse("2026-12-01T10:00:00Z");
const hook = (extra: Record<string, unknown> = {}) =>
  retrainPolicySpecSchema.parse({ notifications: [{ name: "oncall", urlSecretRef: { name: "hook" }, ...extra }] }).notifications[0]!;

describe("topicOf", () => {
  it("files each Event under findings, Jobs or rollouts, and routine ones under none", () => {
    expect(topicOf("ModelMonitor", "AccuracyDriftDetected")).toBe("Findings");
    expect(topicOf("ModelMonitor", "DataDriftCleared")).toBe("Findings");
    expect(topicOf("ModelMonitor", "HealthCritical")).toBe("Findings");
    expect(topicOf("ModelMonitor", "HealthRecovered")).toBe("Findings");
    expect(topicOf("ModelMonitor", "RetrainTriggered")).toBe("Jobs");
    expect(topicOf("ModelMonitor", "JobFailed")).toBe("Jobs");
    expect(topicOf("ModelMonitor", "BudgetExhausted")).toBe("Jobs");
    // a Job's approval on the monitor, a rollout's on the ModelRollout
    expect(topicOf("ModelMonitor", "ApprovalRequired")).toBe("Jobs");
    expect(topicOf("ModelRollout", "ApprovalRequired")).toBe("Rollouts");
    expect(topicOf("ModelRollout", "RolledBack")).toBe("Rollouts");
    expect(topicOf("ModelMonitor", "StableVersionChanged")).toBe("Rollouts");
    for (const routine of ["CooldownActive", "SpecAccepted", "AnalysisSuccessful", "NotificationFailed", "JobAdopted"])
      expect(topicOf("ModelMonitor", routine), routine).toBeUndefined();
    expect(topicOf("ModelRollout", "AnalysisSuccessful")).toBeUndefined();
  });
});

const objects: Record<string, { metadata: { name: string; uid?: string }; spec?: unknown }> = {
  "monitor/fraud": { metadata: { name: "fraud", uid: "m-1" }, spec: { model: { name: "fraud-model" }, policyRef: { name: "p" } } },
  "monitor/lonely": { metadata: { name: "lonely" }, spec: { model: { name: "x" } } },
  "rollout/fraud-v2": { metadata: { name: "fraud-v2" }, spec: { monitorRef: { name: "fraud" } } },
  "policy/p": { metadata: { name: "p", uid: "p-1" }, spec: { notifications: [{ name: "oncall", urlSecretRef: { name: "hook" } }] } },
  "policy/quiet": { metadata: { name: "quiet", uid: "p-2" }, spec: {} },
  "policy/broken": { metadata: { name: "broken", uid: "p-3" }, spec: { notifications: [{ name: "Bad Name", urlSecretRef: { name: "hook" } }] } },
};
const lookup: RouteLookup = {
  monitor: (_ns, name) => objects[`monitor/${name}`],
  rollout: (_ns, name) => objects[`rollout/${name}`],
  policy: (_ns, name) => objects[`policy/${name}`],
};
const obj = (kind: string, name: string) => ({ kind, namespace: "ml", name, uid: `${name}-uid` });

describe("notificationRoute", () => {
  it("follows a rollout to its monitor and the monitor to its policy", () => {
    const r = notificationRoute(obj("ModelRollout", "fraud-v2"), lookup);
    expect(r?.policy).toEqual({ kind: "RetrainPolicy", namespace: "ml", name: "p", uid: "p-1" });
    expect(r?.monitor).toBe("fraud");
    expect(r?.model).toBe("fraud-model");
    expect(r?.notifications.map((n) => [n.name, n.format, n.urlSecretRef.key, n.topics, n.minSeverity])).toEqual([
      ["oncall", "json", "url", ["Findings", "Jobs", "Rollouts"], "warning"],
    ]);
    expect(notificationRoute(obj("ModelMonitor", "fraud"), lookup)?.policy.name).toBe("p");
    expect(notificationRoute(obj("RetrainPolicy", "p"), lookup)?.monitor).toBeUndefined();
  });
  it("is none without a policy, without webhooks, for an invalid policy, and for unknown objects", () => {
    expect(notificationRoute(obj("ModelMonitor", "lonely"), lookup)).toBeUndefined();
    expect(notificationRoute(obj("RetrainPolicy", "quiet"), lookup)).toBeUndefined();
    expect(notificationRoute(obj("RetrainPolicy", "broken"), lookup)).toBeUndefined();
    expect(notificationRoute(obj("RetrainPolicy", "gone"), lookup)).toBeUndefined();
    expect(notificationRoute(obj("ModelRollout", "gone"), lookup)).toBeUndefined();
    expect(notificationRoute(obj("Job", "j"), lookup)).toBeUndefined();
  });
});

const route = notificationRoute(obj("ModelMonitor", "fraud"), lookup) as NotificationRoute;
const notice = (reason: string, extra: Partial<Parameters<typeof noticeOf>[1]> = {}) =>
  noticeOf(
    obj("ModelMonitor", "fraud"),
    { type: "Warning", reason: reason as never, message: "critical: accuracy 0.71 < 0.8 <segment a>", ...extra },
    route,
    NOW,
  ) as Notice;

describe("notices and what each webhook wants", () => {
  it("carries the object, its monitor, model and policy, and an id unique to the Event", () => {
    const n = notice("AccuracyDriftDetected", { severity: "critical" });
    expect(n).toEqual({
      id: `fraud-uid.AccuracyDriftDetected.${NOW.toString(36)}`,
      time: "2026-12-01T10:00:00.000Z",
      topic: "Findings",
      type: "Warning",
      reason: "AccuracyDriftDetected",
      message: "critical: accuracy 0.71 < 0.8 <segment a>",
      severity: "critical",
      object: { kind: "ModelMonitor", namespace: "ml", name: "fraud" },
      monitor: "fraud",
      model: "fraud-model",
      policy: "p",
    });
    expect(noticeOf(obj("ModelMonitor", "fraud"), { type: "Normal", reason: "CooldownActive", message: "" }, route, NOW)).toBeUndefined();
  });
  it("filters by topic, and findings by severity; recoveries carry none and always pass", () => {
    const critical = notice("HealthCritical", { severity: "critical" });
    const warning = notice("DataDriftDetected", { severity: "warning" });
    const recovered = notice("HealthRecovered", { type: "Normal" });
    const job = notice("JobFailed");
    expect([critical, warning, recovered, job].map((n) => wants(hook(), n))).toEqual([true, true, true, true]);
    expect([critical, warning, recovered, job].map((n) => wants(hook({ minSeverity: "critical" }), n))).toEqual([true, false, true, true]);
    expect([critical, warning, recovered, job].map((n) => wants(hook({ topics: ["Jobs"] }), n))).toEqual([false, false, false, true]);
  });
});

describe("webhookBody", () => {
  it("json: the notice itself, with its source", () => {
    const n = notice("JobFailed");
    expect(webhookBody("json", n)).toEqual({ source: "model-guardian", ...n });
  });
  it("slack: a text every Slack-compatible receiver shows, markup escaped, and a coloured attachment", () => {
    const body = webhookBody("slack", notice("AccuracyDriftDetected", { severity: "critical" })) as {
      text: string;
      attachments: { color: string; fields: { title: string; value: string }[]; ts: number }[];
    };
    expect(body.text).toBe(":warning: *AccuracyDriftDetected* on ModelMonitor ml/fraud: critical: accuracy 0.71 &lt; 0.8 &lt;segment a&gt;");
    expect(body.attachments[0]?.color).toBe("danger");
    expect(body.attachments[0]?.fields.find((f) => f.title === "Model")?.value).toBe("fraud-model");
    expect(body.attachments[0]?.ts).toBe(NOW / 1000);
    expect((webhookBody("slack", notice("HealthRecovered", { type: "Normal" })) as typeof body).attachments[0]?.color).toBe("good");
    expect((webhookBody("slack", notice("JobFailed")) as typeof body).attachments[0]?.color).toBe("warning");
  });
});

describe("nextDeliveryStep", () => {
  it("2xx is delivered; 4xx other than 408, 425 and 429 is final", () => {
    expect(nextDeliveryStep(1, { status: 204 }, NOW)).toEqual({ kind: "delivered" });
    expect(nextDeliveryStep(1, { status: 404 }, NOW)).toEqual({ kind: "failed", why: "HTTP 404" });
    expect(nextDeliveryStep(1, { status: 400 }, NOW).kind).toBe("failed");
    expect(nextDeliveryStep(1, { status: 302 }, NOW).kind).toBe("failed");
  });
  it("network errors, 5xx, 408, 425 and 429 are tried again with doubling waits, up to the attempts", () => {
    expect([1, 2, 3, 4].map((a) => nextDeliveryStep(a, { status: 503 }, NOW))).toEqual(
      [1000, 2000, 4000, 8000].map((afterMs) => ({ kind: "retry", afterMs, why: "HTTP 503" })),
    );
    expect(nextDeliveryStep(5, { status: 503 }, NOW)).toEqual({ kind: "failed", why: "HTTP 503 (after 5 attempts)" });
    expect(nextDeliveryStep(1, { error: "ECONNREFUSED" }, NOW)).toEqual({ kind: "retry", afterMs: 1000, why: "ECONNREFUSED" });
    for (const status of [408, 425, 429, 500, 502]) expect(nextDeliveryStep(1, { status }, NOW).kind, String(status)).toBe("retry");
    expect(nextDeliveryStep(9, { status: 500 }, NOW, { attempts: 10, initialBackoffMs: 1000, maxBackoffMs: 30_000, maxRetryAfterMs: 60_000 })).toEqual({
      kind: "retry",
      afterMs: 30_000,
      why: "HTTP 500",
    });
  });
  it("follows a receiver's Retry-After, never shorter than the backoff nor longer than a minute", () => {
    expect(nextDeliveryStep(1, { status: 429, retryAfter: "7" }, NOW)).toMatchObject({ afterMs: 7000 });
    expect(nextDeliveryStep(3, { status: 429, retryAfter: "1" }, NOW)).toMatchObject({ afterMs: 4000 });
    expect(nextDeliveryStep(1, { status: 429, retryAfter: "3600" }, NOW)).toMatchObject({ afterMs: 60_000 });
    expect(nextDeliveryStep(1, { status: 503, retryAfter: new Date(NOW + 12_000).toUTCString() }, NOW)).toMatchObject({ afterMs: 12_000 });
    expect(retryAfterMs("soon", NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });
});

describe("the webhook URL is a secret", () => {
  it("is checked without being quoted", () => {
    expect(webhookUrlProblem("https://hooks.slack.com/services/T0/B0/XYZ")).toBeUndefined();
    expect(webhookUrlProblem(" http://10.0.0.1:8080/hook \n")).toBeUndefined();
    expect(webhookUrlProblem(undefined)).toBe("is empty");
    expect(webhookUrlProblem("   ")).toBe("is empty");
    expect(webhookUrlProblem("hooks.slack.com/services/SECRET")).toBe("is not a URL");
    expect(webhookUrlProblem("ftp://host/SECRET")).toBe("has scheme ftp, not http or https");
  });
  it("is removed from any text, whole or by its path, query or credentials", () => {
    const url = "https://user:pw@hooks.example.com/services/T0/B0/SECRET?token=abc";
    expect(redact(`POST ${url} failed`, url)).toBe("POST <redacted> failed");
    expect(redact("GET /services/T0/B0/SECRET: 404", url)).toBe("GET <redacted>: 404");
    expect(redact("query ?token=abc refused", url)).toBe("query <redacted> refused");
    expect(redact("auth user:pw refused", url)).toBe("auth <redacted> refused");
    expect(redact("connect ECONNREFUSED 127.0.0.1:9", url)).toBe("connect ECONNREFUSED 127.0.0.1:9");
  });
});
