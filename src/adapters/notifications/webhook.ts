// Delivers notices to a policy's webhooks: one ordered queue per webhook, retries with backoff
// (the pure nextDeliveryStep decides), the URL read from its Secret at each attempt so a rotated
// Secret applies at once, and never a URL in a log line, a metric or an Event.
//
// Delivery is at least once while the operator runs: a notice still queued when the process
// stops is lost (Alertmanager routing the alert rules is the durable path; see docs/retraining/notifications.md).
import type { Logger } from "pino";
import type { Clock, EventSink, ObjectRef } from "../../ports.ts";
import { API_VERSION } from "../../api/v1alpha1/common.ts";
import type { NotificationSpec } from "../../api/v1alpha1/retrainpolicy.ts";
import { EventReason, type MonitorEvent } from "../../domain/events.ts";
import {
  DEFAULT_DELIVERY_LIMITS,
  nextDeliveryStep,
  noticeOf,
  redact,
  wants,
  webhookBody,
  webhookUrlProblem,
  type AttemptResult,
  type DeliveryLimits,
  type Notice,
  type NotificationRoute,
} from "../../domain/notifications.ts";

export type PostJson = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<AttemptResult>;

/** POST with the global fetch; a failure to connect or a timeout is an error result, never a throw. */
export const postJson: PostJson = async (url, body, headers, timeoutMs) => {
  try {
    const res = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, retryAfter: res.headers.get("retry-after") ?? undefined };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError") return { error: `no answer within ${timeoutMs} ms` };
    return { error: e.cause?.code ?? e.cause?.message ?? e.message };
  }
};

export interface NotificationTelemetry {
  notified(namespace: string, policy: string, notification: string, outcome: "delivered" | "retried" | "failed" | "dropped"): void;
}

export interface WebhookNotifierDeps {
  route(ref: ObjectRef): NotificationRoute | undefined;
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Where a delivery that gave up is recorded (a Warning Event on the policy). */
  events: EventSink;
  clock: Clock;
  log: Logger;
  telemetry?: NotificationTelemetry;
  post?: PostJson;
  sleep?: (ms: number) => Promise<void>;
  limits?: Partial<DeliveryLimits & { timeoutMs: number; queueLength: number }>;
}

interface Queued {
  notice: Notice;
  spec: NotificationSpec;
  policy: NotificationRoute["policy"];
}

const USER_AGENT = "model-guardian/0.1";

export class WebhookNotifier {
  private readonly deps: WebhookNotifierDeps;
  private readonly limits: DeliveryLimits & { timeoutMs: number; queueLength: number };
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(deps: WebhookNotifierDeps) {
    this.deps = deps;
    this.limits = { ...DEFAULT_DELIVERY_LIMITS, timeoutMs: 5000, queueLength: 100, ...deps.limits };
  }

  /** Queues the Event for every webhook that wants it; returns at once. */
  notify(ref: ObjectRef, event: MonitorEvent): void {
    if (this.stopping) return;
    const route = this.deps.route(ref);
    if (!route) return;
    const notice = noticeOf(ref, event, route, this.deps.clock.now());
    if (!notice) return;
    for (const spec of route.notifications) {
      if (!wants(spec, notice)) continue;
      const key = `${route.policy.namespace}/${route.policy.name}/${spec.name}`;
      const queue = this.queues.get(key) ?? [];
      if (queue.length >= this.limits.queueLength) {
        // a receiver down for long must not grow memory without bound: the oldest goes
        const dropped = queue.shift() as Queued;
        this.deps.telemetry?.notified(route.policy.namespace, route.policy.name, spec.name, "dropped");
        this.deps.log.warn({ policy: key, notification: spec.name, reason: dropped.notice.reason }, "notification queue full: oldest notice dropped");
      }
      queue.push({ notice, spec, policy: route.policy });
      this.queues.set(key, queue);
      if (!this.running.has(key))
        this.running.set(
          key,
          this.drain(key).finally(() => this.running.delete(key)),
        );
    }
  }

  /** Resolves once every queue is empty (tests, and a stop's grace period). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops taking notices and waits (up to `graceMs`) for those queued to be delivered. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key) as Queued[];
    // the one in flight leaves the queue, so a full queue drops only notices still waiting
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await this.deliver(item);
    this.queues.delete(key);
  }

  private async deliver(item: Queued): Promise<void> {
    const { notice, spec, policy } = item;
    const log = this.deps.log.child({ policy: `${policy.namespace}/${policy.name}`, notification: spec.name, reason: notice.reason, id: notice.id });
    const count = (outcome: "delivered" | "retried" | "failed") => this.deps.telemetry?.notified(policy.namespace, policy.name, spec.name, outcome);
    const body = JSON.stringify(webhookBody(spec.format, notice));
    const headers = { "content-type": "application/json", "user-agent": USER_AGENT, "idempotency-key": notice.id, "x-model-guardian-reason": notice.reason };
    for (let attempt = 1; ; attempt++) {
      const url = await this.url(policy.namespace, spec);
      if ("problem" in url) return this.giveUp(policy, spec, notice, url.problem, log, count);
      const result = await (this.deps.post ?? postJson)(url.value, body, headers, this.limits.timeoutMs);
      const step = nextDeliveryStep(attempt, result, this.deps.clock.now(), this.limits);
      if (step.kind === "delivered") {
        count("delivered");
        log.debug({ attempt }, "notification delivered");
        return;
      }
      const why = redact(step.why, url.value);
      if (step.kind === "failed") return this.giveUp(policy, spec, notice, why, log, count);
      count("retried");
      log.info({ attempt, retryInMs: step.afterMs, why }, "notification not delivered; retrying");
      if (this.stopping) return this.giveUp(policy, spec, notice, `${why} (the operator is stopping)`, log, count);
      await (this.deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(step.afterMs);
    }
  }

  private async url(namespace: string, spec: NotificationSpec): Promise<{ value: string } | { problem: string }> {
    const where = `key ${spec.urlSecretRef.key} of Secret ${namespace}/${spec.urlSecretRef.name}`;
    let data: Record<string, string> | undefined;
    try {
      data = await this.deps.readSecret(namespace, spec.urlSecretRef.name);
    } catch (err) {
      return { problem: `could not read Secret ${namespace}/${spec.urlSecretRef.name}: ${(err as { code?: number }).code ?? (err as Error).message}` };
    }
    if (!data) return { problem: `Secret ${namespace}/${spec.urlSecretRef.name} named in urlSecretRef does not exist` };
    const value = data[spec.urlSecretRef.key];
    const problem = webhookUrlProblem(value);
    return problem ? { problem: `the ${where} ${problem}` } : { value: (value as string).trim() };
  }

  private async giveUp(
    policy: NotificationRoute["policy"],
    spec: NotificationSpec,
    notice: Notice,
    why: string,
    log: Logger,
    count: (o: "failed") => void,
  ): Promise<void> {
    count("failed");
    log.warn({ why }, "notification not delivered");
    const ref: ObjectRef = { apiVersion: API_VERSION, kind: policy.kind, namespace: policy.namespace, name: policy.name, uid: policy.uid };
    await this.deps.events.emit(ref, {
      type: "Warning",
      reason: EventReason.NotificationFailed,
      message: `notification ${spec.name} of ${notice.reason} on ${notice.object.kind} ${notice.object.name} not delivered: ${why}`.slice(0, 1000),
    });
  }
}

/** An EventSink that records the Event, then tells the webhooks of it. */
export class NotifyingEventSink implements EventSink {
  private readonly inner: EventSink;
  private readonly notifier: WebhookNotifier;
  constructor(inner: EventSink, notifier: WebhookNotifier) {
    this.inner = inner;
    this.notifier = notifier;
  }
  async emit(ref: ObjectRef, event: MonitorEvent): Promise<void> {
    await this.inner.emit(ref, event);
    this.notifier.notify(ref, event);
  }
}
