// Kubernetes access: informers that survive watch errors, status writes, Events, Secrets and
// the Jobs the operator starts.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, makeInformer, setHeaderOptions, type KubernetesObject } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { MonitorEvent } from "../../domain/events.ts";
import type { CreateOutcome } from "../../domain/remediation/plan.ts";
import type { EventSink, FinalizerPort, JobsPort, ObjectRef, ResourceType, StatusWriter } from "../../ports.ts";
import { WatchBackoff, type WatchBackoffOptions } from "./watch-backoff.ts";

export const COMPONENT = "model-guardian";

export function loadKubeConfig(): KubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromDefault();
  return kc;
}

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = Parameters<RequestContext["setDispatcher"]>[0];

/**
 * A KubeConfig whose API requests share connections. client-node 2.0 makes a new undici Agent
 * for every request, so every status write, Event and create opened a new TLS connection to
 * the API server (a handshake on both sides each time: at scale, a large share of both CPUs).
 * This keeps one Agent per cluster and TLS material and hands it to every request: the
 * material is read at each request as before (a rotated certificate gets a new Agent), only
 * the pool is kept. Watches do not go through here.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Dispatcher>();
  /** Set by createDispatcherOptions and read by the setDispatcher that follows it synchronously. */
  private lastKey: string | undefined;
  /** At most this many pools (a rotated certificate leaves one behind): the oldest is closed. */
  static readonly MAX_POOLS = 4;

  override createDispatcherOptions(...args: Parameters<KubeConfig["createDispatcherOptions"]>): ReturnType<KubeConfig["createDispatcherOptions"]> {
    const [cluster, agentOptions] = args;
    this.lastKey = JSON.stringify([cluster?.name, cluster?.server, agentOptions], (_, v: unknown) =>
      v && typeof v === "object" && (v as { type?: unknown }).type === "Buffer" ? Buffer.from((v as { data: number[] }).data).toString("base64") : v,
    );
    return super.createDispatcherOptions(...args);
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const set = context.setDispatcher.bind(context);
    // createDispatcher (private upstream) calls createDispatcherOptions, makes an Agent and sets it, in one synchronous run
    context.setDispatcher = (fresh: Dispatcher) => {
      const key = this.lastKey;
      let pool = key === undefined ? undefined : this.pools.get(key);
      if (pool) void (fresh as { close?: () => Promise<void> }).close?.();
      else if (key !== undefined) {
        pool = fresh;
        this.pools.set(key, fresh);
        for (const [old, dispatcher] of this.pools)
          if (this.pools.size > PooledKubeConfig.MAX_POOLS) {
            this.pools.delete(old);
            void (dispatcher as { close?: () => Promise<void> }).close?.();
          }
      }
      set(pool ?? fresh);
    };
    try {
      await super.applySecurityAuthentication(context);
    } finally {
      delete (context as { setDispatcher?: unknown }).setDispatcher;
    }
  }
}

export interface WatchHandlers<T extends KubernetesObject> {
  upsert(obj: T): void;
  remove(obj: T): void;
  /** The watch is back after failing: what failed meanwhile can be retried now rather than after its backoff. */
  resumed?(): void;
}

/**
 * List + watch of one custom resource, in all namespaces or in the given ones. The informer
 * relists on 410 Gone by itself; on any other watch error it is restarted with backoff.
 */
export interface Watch {
  stop(): Promise<void>;
  /** Resolves once every namespace has been listed: the cache is complete. */
  synced: Promise<void>;
}

export function watchResource<T extends KubernetesObject>(
  kc: KubeConfig,
  type: ResourceType,
  namespaces: readonly string[],
  handlers: WatchHandlers<T>,
  log: Logger,
  labelSelector?: string,
  backoffOptions?: WatchBackoffOptions,
): Watch {
  // CustomObjectsApi works for any group (batch/v1 Jobs too) and keeps objects as plain JSON
  const api = kc.makeApiClient(CustomObjectsApi);
  const scopes = namespaces.length ? namespaces : [undefined];
  let stopped = false;
  const syncs: Promise<void>[] = [];
  const informers = scopes.map((namespace) => {
    const base = `/apis/${type.group}/${type.version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`;
    const selector = labelSelector ? { labelSelector } : {};
    const list = () =>
      (namespace ? api.listNamespacedCustomObject({ ...type, namespace, ...selector }) : api.listClusterCustomObject({ ...type, ...selector })) as Promise<{
        items: T[];
        metadata: { resourceVersion: string };
      }>;
    const informer = makeInformer<T>(kc, path, list as never, labelSelector);
    let resolveSynced: () => void = () => {};
    syncs.push(new Promise<void>((resolve) => (resolveSynced = resolve)));
    // start() also resolves when the list failed (it reports that as an error event): only a
    // resource version proves the list arrived
    const markSynced = () => {
      if ((informer as unknown as { latestResourceVersion(): string }).latestResourceVersion()) resolveSynced();
    };
    informer.on("add", (o) => handlers.upsert(withoutManagedFields(o)));
    informer.on("update", (o) => handlers.upsert(withoutManagedFields(o)));
    informer.on("delete", (o) => handlers.remove(o));
    const backoff = new WatchBackoff(backoffOptions);
    // start() resolves after the list and the watch's connection, and also after a failure it
    // reported as an error event: only an attempt with no error resets the backoff
    let attemptFailed = false;
    const attempt = () => {
      attemptFailed = false;
      informer.start().then(() => {
        if (attemptFailed || stopped) return;
        markSynced();
        const failures = backoff.succeeded();
        if (failures > 0) {
          log.info({ path, failures }, "watch resumed");
          handlers.resumed?.();
        }
      }, restart);
    };
    const restart = (err: unknown) => {
      attemptFailed = true;
      if (stopped) return;
      const delay = backoff.failed();
      // the first failure in a row is news; of the rest of an outage, every tenth
      const n = backoff.failuresInARow;
      (n % 10 === 1 ? log.warn.bind(log) : log.debug.bind(log))(
        { err: String((err as Error)?.message ?? err), path, retryInMs: delay, failures: n },
        "watch failed; restarting",
      );
      setTimeout(() => {
        if (!stopped) attempt();
      }, delay).unref();
    };
    informer.on("error", restart);
    attempt();
    return informer;
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(informers.map((i) => i.stop()));
    },
    synced: Promise.all(syncs).then(() => undefined),
  };
}

/**
 * Drops metadata.managedFields from a watched object, in place: the informer's cache holds the
 * same object, and managedFields (every field path of every manager, for server-side apply)
 * are often larger than the rest of it. Nothing in the operator reads them.
 */
function withoutManagedFields<T extends KubernetesObject>(o: T): T {
  if (o.metadata?.managedFields) delete o.metadata.managedFields;
  return o;
}

/**
 * Writes a controller's part of a status with server-side apply, under its own field manager:
 * fields it applied before and now leaves out are removed, fields other managers own (another
 * controller's conditions) are kept, and no resourceVersion is needed. `force` takes over a
 * field another manager last set, as a controller must for the fields it is responsible for.
 */
export class KubernetesStatusWriter implements StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly type: ResourceType;
  private readonly fieldManager: string;
  constructor(kc: KubeConfig, type: ResourceType, fieldManager: string = COMPONENT) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.type = type;
    this.fieldManager = fieldManager;
  }
  async writeStatus(ref: ObjectRef, status: unknown): Promise<void> {
    try {
      await this.api.patchNamespacedCustomObjectStatus(
        {
          ...this.type,
          namespace: ref.namespace,
          name: ref.name,
          body: { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, status },
          fieldManager: this.fieldManager,
          force: true,
        },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      // the API server's own sentence (e.g. "... is forbidden: User ... cannot patch ..."), not the client's dump
      throw new Error(`writing the status of ${ref.kind} ${ref.namespace}/${ref.name}: ${apiMessage(err)}`, { cause: err });
    }
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

/** A Secret's keys as strings, with the labels and annotations that say what it may be used for. */
export interface SecretContents {
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Reads a Secret; undefined when it does not exist. */
export async function readSecretContents(kc: KubeConfig, namespace: string, name: string): Promise<SecretContents | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    const secret = await api.readNamespacedSecret({ namespace, name });
    return {
      data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])),
      labels: secret.metadata?.labels ?? {},
      annotations: secret.metadata?.annotations ?? {},
    };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Reads the keys of a Secret as strings; undefined when it does not exist. */
export async function readSecret(kc: KubeConfig, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  return (await readSecretContents(kc, namespace, name))?.data;
}

const JOBS = { group: "batch", version: "v1", plural: "jobs" } as const;

/** The API server's own message from a failed request (its Status object), else the error's. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string } | undefined;
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON: fall through
  }
  // the client's own message repeats code, headers and body on several lines: keep it short
  const code = (err as { code?: number }).code;
  if (code !== undefined) return `HTTP ${code}${typeof body === "string" && body.trim() ? `: ${body.trim().slice(0, 200)}` : ""}`;
  return String((err as Error)?.message ?? err);
}

/** Creates, validates and inspects the Jobs the operator starts. */
export class KubernetesJobs implements JobsPort {
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;
  constructor(kc: KubeConfig) {
    // CustomObjectsApi sends the manifest as it is: the typed Job model would drop any field
    // it does not know, and a template may use fields newer than this client
    this.objects = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async create(manifest: Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } }): Promise<CreateOutcome> {
    try {
      await this.objects.createNamespacedCustomObject({ ...JOBS, namespace: String(manifest.metadata.namespace), body: manifest, fieldManager: COMPONENT });
      return { kind: "created" };
    } catch (err) {
      return classifyCreateError(err);
    }
  }

  async validate(manifest: Record<string, unknown> & { metadata: Record<string, unknown> }): Promise<string | undefined> {
    try {
      await this.objects.createNamespacedCustomObject({
        ...JOBS,
        namespace: String(manifest.metadata.namespace),
        body: manifest,
        dryRun: "All",
        fieldManager: COMPONENT,
      });
      return undefined;
    } catch (err) {
      const outcome = classifyCreateError(err);
      if (outcome.kind === "rejected") return outcome.message;
      if (outcome.kind === "exists") return undefined;
      throw new Error(`could not validate the Job template: ${outcome.kind === "error" ? outcome.message : outcome.kind}`);
    }
  }

  async delete(namespace: string, job: string): Promise<void> {
    try {
      // Background: the Job goes now, the garbage collector removes its pods after it
      await this.objects.deleteNamespacedCustomObject({ ...JOBS, namespace, name: job, propagationPolicy: "Background" });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw new Error(`deleting Job ${namespace}/${job}: ${apiMessage(err)}`, { cause: err });
    }
  }

  async terminationMessages(namespace: string, job: string): Promise<string[]> {
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` });
    // the pod that succeeded speaks for the Job; others (retried failures) only if none did
    const ordered = [...pods.items].sort((a, b) => Number(b.status?.phase === "Succeeded") - Number(a.status?.phase === "Succeeded"));
    return ordered.flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.message ?? "").filter((m) => m !== ""));
  }
}

export function classifyCreateError(err: unknown): CreateOutcome {
  const code = (err as { code?: number }).code;
  if (code === 409) return { kind: "exists" };
  // 4xx: the API server judged the Job itself (invalid, forbidden, namespace gone); retrying
  // the same request cannot succeed. 429 and 5xx are the server's trouble, not the Job's.
  if (code !== undefined && code >= 400 && code < 500 && code !== 429 && code !== 408) return { kind: "rejected", message: apiMessage(err) };
  return { kind: "error", message: apiMessage(err) };
}

/**
 * A custom resource's finalizers, changed by JSON patches whose `test` operations make them
 * fail (and the key retry) if the list changed since it was read; no resourceVersion is needed,
 * so a status write just before does not make them conflict.
 */
export class KubernetesFinalizers implements FinalizerPort {
  private readonly api: CustomObjectsApi;
  private readonly type: ResourceType;
  constructor(kc: KubeConfig, type: ResourceType) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.type = type;
  }
  add(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void> {
    if (current.includes(finalizer)) return Promise.resolve();
    const ops = current.length
      ? [
          { op: "test", path: "/metadata/finalizers", value: current },
          { op: "add", path: "/metadata/finalizers/-", value: finalizer },
        ]
      : [{ op: "add", path: "/metadata/finalizers", value: [finalizer] }];
    return this.patch(ref, ops);
  }
  remove(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void> {
    const i = current.indexOf(finalizer);
    if (i < 0) return Promise.resolve();
    // a failed `test` here means the finalizer is no longer where the cache saw it: most often
    // it is already gone (the watch delivered an object older than our last patch); the next
    // reconcile, on a fresh object, removes it if it is still there
    return this.patch(
      ref,
      [
        { op: "test", path: `/metadata/finalizers/${i}`, value: finalizer },
        { op: "remove", path: `/metadata/finalizers/${i}` },
      ],
      true,
    );
  }
  private async patch(ref: ObjectRef, ops: object[], staleIsDone = false): Promise<void> {
    try {
      await this.api.patchNamespacedCustomObject(
        { ...this.type, namespace: ref.namespace, name: ref.name, body: ops, fieldManager: COMPONENT },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404 || (staleIsDone && code === 422)) return;
      throw new Error(`changing the finalizers of ${ref.kind} ${ref.namespace}/${ref.name}: ${apiMessage(err)}`, { cause: err });
    }
  }
}

/** Creates custom resources the operator owns (a monitor's ModelRollouts); AlreadyExists is adoption, not an error. */
export class KubernetesCreator {
  private readonly api: CustomObjectsApi;
  private readonly type: ResourceType;
  constructor(kc: KubeConfig, type: ResourceType) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.type = type;
  }
  async create(manifest: Record<string, unknown> & { metadata: { name: string; namespace: string } }): Promise<CreateOutcome> {
    try {
      await this.api.createNamespacedCustomObject({ ...this.type, namespace: manifest.metadata.namespace, body: manifest, fieldManager: COMPONENT });
      return { kind: "created" };
    } catch (err) {
      return classifyCreateError(err);
    }
  }
}
