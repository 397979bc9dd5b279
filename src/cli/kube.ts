// kubectl-modelguardian's access to the cluster: the kubeconfig as kubectl reads it (--kubeconfig,
// $KUBECONFIG, ~/.kube/config; --context; the context's namespace), reads of the objects a view
// shows, the one patch a verb writes, and a watch of one object. Reads of the route and the
// Deployments go through the operator's own adapters, so the plugin sees what the operator sees.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/v1alpha1/common.ts";
import { MODEL_MONITOR } from "../api/v1alpha1/modelmonitor.ts";
import { RETRAIN_POLICY } from "../api/v1alpha1/retrainpolicy.ts";
import { MODEL_ROLLOUT } from "../api/v1alpha1/rollout.ts";
import { apiMessage } from "../adapters/kubernetes/api-errors.ts";
import { KubernetesWorkloads } from "../adapters/kubernetes/deployments.ts";
import { servingFactory } from "../adapters/routers/index.ts";
import type { Connection } from "./args.ts";

/** The field manager of the plugin's writes (an annotation, spec.paused): a person's, not the operator's. */
export const FIELD_MANAGER = "kubectl-modelguardian";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export const PLURALS = { rollout: MODEL_ROLLOUT.plural, monitor: MODEL_MONITOR.plural, policy: RETRAIN_POLICY.plural } as const;
export type Plural = (typeof PLURALS)[keyof typeof PLURALS];

export class Cluster {
  readonly kc: KubeConfig;
  readonly namespace: string;
  private readonly api: CustomObjectsApi;

  constructor(connection: Connection) {
    const kc = new KubeConfig();
    if (connection.kubeconfig) kc.loadFromFile(connection.kubeconfig);
    else kc.loadFromDefault();
    if (connection.context) {
      if (!kc.getContextObject(connection.context)) throw new Error(`context "${connection.context}" is not in the kubeconfig`);
      kc.setCurrentContext(connection.context);
    }
    if (!kc.getCurrentCluster()) throw new Error("no cluster in the kubeconfig: give --kubeconfig, set KUBECONFIG, or write ~/.kube/config");
    this.kc = kc;
    this.namespace = connection.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** The object, or undefined when it does not exist; any other failure throws with the API server's reason. */
  async get(plural: Plural, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: this.namespace, name })) as KubeObject;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`reading ${plural} ${this.namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  async names(plural: Plural): Promise<string[]> {
    const list = (await this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: this.namespace })) as { items: KubeObject[] };
    return list.items.map((o) => o.metadata.name);
  }

  async namespaces(): Promise<string[]> {
    const list = await this.kc.makeApiClient(CoreV1Api).listNamespace();
    return list.items.map((n) => n.metadata?.name ?? "").filter(Boolean);
  }

  /**
   * A JSON merge patch guarded by the resourceVersion the decision was made on: when the object
   * changed since (409), the caller reads it again and decides again.
   */
  async patch(
    plural: Plural,
    name: string,
    resourceVersion: string | undefined,
    body: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> },
  ): Promise<"ok" | "conflict"> {
    try {
      await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural,
          namespace: this.namespace,
          name,
          body: { ...body, metadata: { ...body.metadata, resourceVersion } },
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      return "ok";
    } catch (err) {
      if ((err as { code?: number }).code === 409) return "conflict";
      throw new Error(`writing ${plural} ${this.namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** A ConfigMap's key, or undefined when the ConfigMap or the key does not exist. */
  async configMapKey(name: string, key: string): Promise<string | undefined> {
    try {
      return (await this.kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: this.namespace, name })).data?.[key];
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`reading ConfigMap ${this.namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** Reads the route's weights and both versions' workloads, as the operator's reconcile does (read only). */
  serving(...args: Parameters<ReturnType<typeof servingFactory>>) {
    return servingFactory(this.kc, FIELD_MANAGER, new KubernetesWorkloads(this.kc, FIELD_MANAGER))(...args);
  }

  /**
   * Watches one object: `changed` at every event of it (undefined once deleted), `failed` when the
   * watch ends with an error. A watch the API server closes (they time out) is started again.
   */
  watch(plural: Plural, name: string, changed: (obj: KubeObject | undefined) => void, failed: (err: unknown) => void): { stop(): void } {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${plural}`;
    const watcher = new Watch(this.kc);
    let stopped = false;
    let request: { abort(): void } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const start = async () => {
      try {
        request = await watcher.watch(
          path,
          { fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: false },
          (type: string, obj: KubeObject) => changed(type === "DELETED" ? undefined : obj),
          (err: unknown) => again(err),
        );
      } catch (err) {
        again(err);
      }
    };
    const again = (err: unknown) => {
      if (stopped) return;
      if (err && (err as { name?: string }).name !== "AbortError") failed(err);
      timer = setTimeout(() => void start(), err ? 2000 : 0);
    };
    void start();
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        request?.abort();
      },
    };
  }
}
