// The webhook notifier against a real local HTTP receiver: order, retries, the idempotency key,
// giving up with an Event, and no webhook URL in any log line or Event.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NotifyingEventSink, WebhookNotifier, postJson, type WebhookNotifierDeps } from "../../../src/adapters/notifications/webhook.ts";
import { retrainPolicySpecSchema } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import type { MonitorEvent } from "../../../src/domain/events.ts";
import type { NotificationRoute } from "../../../src/domain/notifications.ts";
import type { ObjectRef } from "../../../src/ports.ts";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}
let server: Server;
let base: string;
let received: Received[] = [];
// answers for the next requests, in order; then 200
let answers: { status: number; headers?: Record<string, string> }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(data) as Record<string, unknown> });
      const a = answers.shift() ?? { status: 200 };
      res.writeHead(a.status, a.headers).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received = [];
  answers = [];
});

const SECRET_PATH = "/services/T000/B000/s3cr3t-t0ken";
const monitorRef: ObjectRef = { apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", namespace: "ml", name: "fraud", uid: "uid-1" };

function harness(opts: { notifications?: unknown[]; secret?: Record<string, string> | undefined; limits?: WebhookNotifierDeps["limits"] } = {}) {
  const notifications = retrainPolicySpecSchema.parse({
    notifications: opts.notifications ?? [{ name: "oncall", urlSecretRef: { name: "hook" } }],
  }).notifications;
  const route: NotificationRoute = {
    policy: { kind: "RetrainPolicy", namespace: "ml", name: "p", uid: "p-uid" },
    monitor: "fraud",
    model: "fraud-model",
    notifications,
  };
  const events: { ref: ObjectRef; event: MonitorEvent }[] = [];
  const logs: string[] = [];
  const counts: string[] = [];
  const sleeps: number[] = [];
  let now = Date.parse("2026-12-01T10:00:00Z");
  const secret = "secret" in opts ? opts.secret : { url: `${base}${SECRET_PATH}` };
  const notifier = new WebhookNotifier({
    route: (ref) => (ref.kind === "ModelMonitor" ? route : undefined),
    readSecret: async (ns, name) => (ns === "ml" && name === "hook" ? secret : undefined),
    events: { emit: async (ref, event) => void events.push({ ref, event }) },
    clock: { now: () => now++ },
    log: pino({ level: "debug" }, { write: (line: string) => void logs.push(line) }),
    telemetry: { notified: (_ns, _p, n, outcome) => void counts.push(`${n}:${outcome}`) },
    sleep: async (ms) => void sleeps.push(ms),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  return { notifier, events, logs, counts, sleeps };
}
const settle = (n: WebhookNotifier) => n.idle();
const event = (reason: string, message = "critical: accuracy 0.71 < 0.8", extra: Partial<MonitorEvent> = {}): MonitorEvent => ({
  type: "Warning",
  reason: reason as never,
  message,
  ...extra,
});

describe("WebhookNotifier", () => {
  it("posts each wanted Event in order, with its id as the idempotency key; routine Events are not sent", async () => {
    const h = harness();
    h.notifier.notify(monitorRef, event("AccuracyDriftDetected", "critical: accuracy 0.71 < 0.8", { severity: "critical" }));
    h.notifier.notify(monitorRef, event("CooldownActive", "held"));
    h.notifier.notify(monitorRef, event("RetrainTriggered", "created Job fraud-retrain-1"));
    h.notifier.notify(monitorRef, event("AccuracyDriftCleared", "cleared", { type: "Normal" }));
    await settle(h.notifier);
    expect(received.map((r) => r.body.reason)).toEqual(["AccuracyDriftDetected", "RetrainTriggered", "AccuracyDriftCleared"]);
    expect(received.every((r) => r.path === SECRET_PATH)).toBe(true);
    const first = received[0] as Received;
    expect(first.headers["content-type"]).toBe("application/json");
    expect(first.headers["idempotency-key"]).toBe(first.body.id);
    expect(first.body).toMatchObject({
      source: "model-guardian",
      topic: "Findings",
      severity: "critical",
      monitor: "fraud",
      model: "fraud-model",
      policy: "p",
      object: { kind: "ModelMonitor", namespace: "ml", name: "fraud" },
    });
    expect(h.counts).toEqual(["oncall:delivered", "oncall:delivered", "oncall:delivered"]);
    expect(h.events).toEqual([]);
  });

  it("retries 503 and 429 (following Retry-After) with the same id, then delivers", async () => {
    answers = [{ status: 503 }, { status: 429, headers: { "retry-after": "7" } }];
    const h = harness();
    h.notifier.notify(monitorRef, event("JobFailed", "Job fraud-retrain-1 failed"));
    await settle(h.notifier);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    expect(h.sleeps).toEqual([1000, 7000]);
    expect(h.counts).toEqual(["oncall:retried", "oncall:retried", "oncall:delivered"]);
  });

  it("keeps the order behind a retried delivery", async () => {
    answers = [{ status: 500 }];
    const h = harness();
    h.notifier.notify(monitorRef, event("RetrainTriggered", "one"));
    h.notifier.notify(monitorRef, event("JobSucceeded", "two", { type: "Normal" }));
    await settle(h.notifier);
    expect(received.map((r) => r.body.message)).toEqual(["one", "one", "two"]);
  });

  it("gives up on a final answer or after the attempts, with a Warning Event on the policy that never quotes the URL", async () => {
    answers = [{ status: 404 }, ...Array.from({ length: 5 }, () => ({ status: 502 }))];
    const h = harness();
    h.notifier.notify(monitorRef, event("JobFailed", "first"));
    h.notifier.notify(monitorRef, event("JobFailed", "second"));
    await settle(h.notifier);
    expect(received).toHaveLength(6);
    expect(h.events.map((e) => [e.ref.kind, e.ref.name, e.ref.uid, e.event.type, e.event.reason])).toEqual([
      ["RetrainPolicy", "p", "p-uid", "Warning", "NotificationFailed"],
      ["RetrainPolicy", "p", "p-uid", "Warning", "NotificationFailed"],
    ]);
    expect(h.events[0]?.event.message).toBe("notification oncall of JobFailed on ModelMonitor fraud not delivered: HTTP 404");
    expect(h.events[1]?.event.message).toBe("notification oncall of JobFailed on ModelMonitor fraud not delivered: HTTP 502 (after 5 attempts)");
    expect(h.counts.filter((c) => c === "oncall:failed")).toHaveLength(2);
    for (const text of [...h.logs, ...h.events.map((e) => e.event.message)]) expect(text).not.toContain("s3cr3t");
  });

  it("an unreachable receiver is retried and named without its URL", async () => {
    // a port nothing listens on (fetch refuses well-known ports such as 9 outright)
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const h = harness({ secret: { url: `http://127.0.0.1:${port}${SECRET_PATH}` }, limits: { attempts: 2 } });
    h.notifier.notify(monitorRef, event("RolledBack", "v2 rolled back"));
    await settle(h.notifier);
    expect(h.counts).toEqual(["oncall:retried", "oncall:failed"]);
    expect(h.events[0]?.event.message).toMatch(/not delivered: ECONNREFUSED \(after 2 attempts\)$/);
    for (const text of [...h.logs, ...h.events.map((e) => e.event.message)]) expect(text).not.toContain("s3cr3t");
  });

  it("a missing Secret, key or bad URL fails at once, naming the Secret and key", async () => {
    for (const [secret, want] of [
      [undefined, "Secret ml/hook named in urlSecretRef does not exist"],
      [{ other: "x" }, "the key url of Secret ml/hook is empty"],
      [{ url: "hooks.example.com/s3cr3t" }, "the key url of Secret ml/hook is not a URL"],
    ] as const) {
      const h = harness({ secret });
      h.notifier.notify(monitorRef, event("JobFailed"));
      await settle(h.notifier);
      expect(h.events.map((e) => e.event.message)).toEqual([`notification oncall of JobFailed on ModelMonitor fraud not delivered: ${want}`]);
      for (const text of h.logs) expect(text).not.toContain("s3cr3t");
    }
    expect(received).toEqual([]);
  });

  it("each webhook gets what it asked for, in its format", async () => {
    const h = harness({
      notifications: [
        { name: "slack", format: "slack", urlSecretRef: { name: "hook" }, topics: ["Findings"], minSeverity: "critical" },
        { name: "jobs", urlSecretRef: { name: "hook" }, topics: ["Jobs"] },
      ],
    });
    h.notifier.notify(monitorRef, event("DataDriftDetected", "warning: psi 0.12", { severity: "warning" }));
    h.notifier.notify(monitorRef, event("HealthCritical", "health Healthy -> Critical", { severity: "critical" }));
    h.notifier.notify(monitorRef, event("RetrainTriggered", "created Job"));
    await settle(h.notifier);
    const slack = received.filter((r) => "text" in r.body);
    const json = received.filter((r) => "reason" in r.body);
    expect(slack.map((r) => r.body.text)).toEqual([":warning: *HealthCritical* on ModelMonitor ml/fraud: health Healthy -&gt; Critical"]);
    expect(json.map((r) => r.body.reason)).toEqual(["RetrainTriggered"]);
  });

  it("a full queue drops its oldest notice and counts it", async () => {
    const h = harness({ limits: { queueLength: 2 } });
    // the first is in flight; the queue holds two behind it, so the second is dropped
    for (const m of ["a", "b", "c", "d"]) h.notifier.notify(monitorRef, event("JobFailed", m));
    await settle(h.notifier);
    expect(h.counts.filter((c) => c === "oncall:dropped")).toHaveLength(1);
    expect(received.map((r) => r.body.message)).toEqual(["a", "c", "d"]);
  });

  it("NotifyingEventSink records the Event first, then offers it", async () => {
    const order: string[] = [];
    const h = harness();
    const sink = new NotifyingEventSink({ emit: async (_r, e) => void order.push(`recorded ${e.reason}`) }, h.notifier);
    await sink.emit(monitorRef, event("JobFailed"));
    await settle(h.notifier);
    order.push(...received.map((r) => `delivered ${String(r.body.reason)}`));
    expect(order).toEqual(["recorded JobFailed", "delivered JobFailed"]);
  });

  it("a stop abandons retries: what a stopping replica cannot deliver is reported, not retried for ever", async () => {
    answers = [{ status: 503 }, { status: 503 }];
    const h = harness();
    h.notifier.notify(monitorRef, event("JobFailed", "one"));
    await h.notifier.stop(5000);
    h.notifier.notify(monitorRef, event("JobFailed", "after the stop"));
    await settle(h.notifier);
    expect(received.map((r) => r.body.message)).toEqual(["one"]);
    expect(h.events[0]?.event.message).toBe("notification oncall of JobFailed on ModelMonitor fraud not delivered: HTTP 503 (the operator is stopping)");
  });

  it("postJson reports a timeout as an error, not a throw", async () => {
    const slow = createServer(() => undefined);
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/x`;
    expect(await postJson(url, "{}", {}, 200)).toEqual({ error: "no answer within 200 ms" });
    slow.closeAllConnections();
    await new Promise<void>((r) => slow.close(() => r()));
  });
});
