// The EventSink port: Kubernetes Events on the object they concern.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { MonitorEvent } from "../../domain/events.ts";
import type { EventSink, ObjectRef } from "../../ports.ts";
import { COMPONENT } from "./kube-config.ts";

export class KubernetesEventSink implements EventSink {
  private readonly api: CoreV1Api;
  private readonly instance: string;
  private readonly log: Logger;
  constructor(kc: KubeConfig, log: Logger, instance = process.env.HOSTNAME ?? COMPONENT) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.instance = instance;
    this.log = log;
  }
  async emit(ref: ObjectRef, event: MonitorEvent): Promise<void> {
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: ref.namespace,
        body: {
          metadata: { name: `${ref.name}.${now.getTime().toString(16)}${randomBytes(3).toString("hex")}`, namespace: ref.namespace },
          involvedObject: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace, uid: ref.uid },
          reason: event.reason,
          message: event.message,
          type: event.type,
          source: { component: COMPONENT },
          reportingComponent: COMPONENT,
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      // an Event is a notification: losing one must not fail the reconcile
      this.log.warn({ err: (err as Error).message, reason: event.reason, object: `${ref.namespace}/${ref.name}` }, "could not record event");
    }
  }
}
