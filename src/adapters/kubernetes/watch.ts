// Informers that survive watch errors: list + watch of one resource, restarted with backoff.
import { CustomObjectsApi, KubeConfig, makeInformer, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { ResourceType } from "../../ports.ts";
import { WatchBackoff, type WatchBackoffOptions } from "./watch-backoff.ts";

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
