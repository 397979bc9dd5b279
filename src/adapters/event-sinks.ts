// The operator's Event sink, assembled: every Event is recorded on its object, written as a log
// line (domain/log-lines.ts: the log tells what the operator decided), and offered to the
// webhooks of the policy it concerns.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { notificationRoute, type RouteLookup } from "../domain/notifications.ts";
import type { Clock, EventSink } from "../ports.ts";
import { KubernetesEventSink } from "./kubernetes/event-sink.ts";
import { readSecret } from "./kubernetes/secrets.ts";
import { LoggingEventSink } from "./logging-events.ts";
import { NotifyingEventSink, WebhookNotifier, type NotificationTelemetry } from "./notifications/webhook.ts";

/** `lookup` reads the controllers' caches: a rollout's Event reaches its monitor's policy's webhooks. */
export function operatorEventSink(
  kc: KubeConfig,
  o: { log: Logger; clock: Clock; telemetry: NotificationTelemetry; lookup: RouteLookup },
): { events: EventSink; notifier: WebhookNotifier } {
  const recorded = () => new LoggingEventSink(new KubernetesEventSink(kc, o.log), o.log, o.clock);
  const notifier = new WebhookNotifier({
    route: (ref) => notificationRoute(ref, o.lookup),
    readSecret: (ns, name) => readSecret(kc, ns, name),
    // a delivery that gave up is a Warning Event on the policy
    events: recorded(),
    clock: o.clock,
    log: o.log,
    telemetry: o.telemetry,
  });
  return { events: new NotifyingEventSink(recorded(), notifier), notifier };
}
