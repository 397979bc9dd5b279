// Kubernetes access: informers that survive watch errors, status writes, Events and Secrets.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { MonitorEvent } from "../../domain/events.ts";
import type { EventSink, ObjectRef, StatusWriter } from "../../ports.ts";

export const COMPONENT = "model-guardian";

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export interface WatchHandlers<T extends KubernetesObject> {
  upsert(obj: T): void;
  remove(obj: T): void;
}

/**
 * List + watch of one custom resource, in all namespaces or in the given ones. The informer
 * relists on 410 Gone by itself; on any other watch error it is restarted with backoff.
 */
export function watchResource<T extends KubernetesObject>(
  kc: KubeConfig,
  type: ResourceType,
  namespaces: readonly string[],
  handlers: WatchHandlers<T>,
  log: Logger,
): { stop(): Promise<void> } {
  const api = kc.makeApiClient(CustomObjectsApi);
  const scopes = namespaces.length ? namespaces : [undefined];
  let stopped = false;
  const informers = scopes.map((namespace) => {
    const base = `/apis/${type.group}/${type.version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`;
    const list = () =>
      (namespace
        ? api.listNamespacedCustomObject({ ...type, namespace })
        : api.listClusterCustomObject(type)) as Promise<{ items: T[]; metadata: { resourceVersion: string } }>;
    const informer = makeInformer<T>(kc, path, list as never);
    informer.on("add", (o) => handlers.upsert(o));
    informer.on("update", (o) => handlers.upsert(o));
    informer.on("delete", (o) => handlers.remove(o));
    let failures = 0;
    informer.on("connect", () => {
      failures = 0;
    });
    const restart = (err: unknown) => {
      if (stopped) return;
      const delay = Math.min(30_000, 500 * 2 ** failures++);
      log.warn({ err: String((err as Error)?.message ?? err), path, retryInMs: delay }, "watch failed; restarting");
      setTimeout(() => {
        if (!stopped) informer.start().catch(restart);
      }, delay).unref();
    };
    informer.on("error", restart);
    informer.start().catch(restart);
    return informer;
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

export class KubernetesStatusWriter implements StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly type: ResourceType;
  constructor(kc: KubeConfig, type: ResourceType) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.type = type;
  }
  async writeStatus(ref: ObjectRef, status: unknown): Promise<void> {
    // a JSON patch that sets /status whole: fields the new status leaves out are removed (a
    // merge patch would keep them), and no resourceVersion is needed (one writer per object)
    await this.api.patchNamespacedCustomObjectStatus(
      { ...this.type, namespace: ref.namespace, name: ref.name, body: [{ op: "add", path: "/status", value: status }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
  }
}

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

/** Reads the keys of a Secret as strings; undefined when it does not exist. */
export async function readSecret(kc: KubeConfig, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    const secret = await api.readNamespacedSecret({ namespace, name });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
