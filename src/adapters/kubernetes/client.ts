// The operator's ports on one cluster, handed out by one KubernetesClient sharing one KubeConfig
// (and its connection pools). Each port lives in its own file: kube-config, watch,
// status-writer, event-sink, secrets, jobs, finalizers, creator, api-errors; this module also
// gathers them for callers that want them all.
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { ResourceType, ResourceWatchHandlers } from "../../ports.ts";
import { COMPONENT, loadKubeConfig, PooledKubeConfig } from "./kube-config.ts";
import { apiMessage, classifyCreateError } from "./api-errors.ts";
import { watchResource, type Watch, type WatchHandlers } from "./watch.ts";
import { KubernetesStatusWriter } from "./status-writer.ts";
import { KubernetesEventSink } from "./event-sink.ts";
import { readSecret, readSecretContents, type SecretContents } from "./secrets.ts";
import { KubernetesJobs } from "./jobs.ts";
import { KubernetesFinalizers } from "./finalizers.ts";
import { KubernetesCreator } from "./creator.ts";
import { KubernetesWorkloads } from "./deployments.ts";
import { KubernetesLease } from "./lease.ts";
import { KubernetesReports } from "./reports.ts";
import { servingFactory } from "../routers/index.ts";
import type { ServingFactory } from "../../ports.ts";

export {
  apiMessage,
  classifyCreateError,
  COMPONENT,
  KubernetesCreator,
  KubernetesEventSink,
  KubernetesFinalizers,
  KubernetesJobs,
  KubernetesStatusWriter,
  loadKubeConfig,
  PooledKubeConfig,
  readSecret,
  readSecretContents,
  watchResource,
  type SecretContents,
  type Watch,
  type WatchHandlers,
};

/** Every port the operator has on one cluster. */
export class KubernetesClient {
  readonly kc: KubeConfig;
  constructor(kc: KubeConfig = loadKubeConfig()) {
    this.kc = kc;
  }
  /** A controller's status writer, under its own field manager (model-guardian-<controller>). */
  statusWriter(type: ResourceType, controller: string): KubernetesStatusWriter {
    return new KubernetesStatusWriter(this.kc, type, `${COMPONENT}-${controller}`);
  }
  finalizers(type: ResourceType): KubernetesFinalizers {
    return new KubernetesFinalizers(this.kc, type);
  }
  creator(type: ResourceType): KubernetesCreator {
    return new KubernetesCreator(this.kc, type);
  }
  jobs(): KubernetesJobs {
    return new KubernetesJobs(this.kc);
  }
  reports(): KubernetesReports {
    return new KubernetesReports(this.kc);
  }
  /** The Deployments a controller changes, under its own field manager. */
  workloads(controller: string, requireTargetOptIn: boolean): KubernetesWorkloads {
    return new KubernetesWorkloads(this.kc, `${COMPONENT}-${controller}`, requireTargetOptIn);
  }
  /** Where a model's versions are served (the router the monitor's spec.serving names), changed under the controller's field manager. */
  serving(controller: string, requireTargetOptIn: boolean): ServingFactory {
    return servingFactory(this.kc, `${COMPONENT}-${controller}`, this.workloads(controller, requireTargetOptIn), requireTargetOptIn);
  }
  lease(namespace: string, name: string): KubernetesLease {
    return new KubernetesLease(this.kc, namespace, name);
  }
  events(log: Logger): KubernetesEventSink {
    return new KubernetesEventSink(this.kc, log);
  }
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    return readSecret(this.kc, namespace, name);
  }
  readSecretContents(namespace: string, name: string): Promise<SecretContents | undefined> {
    return readSecretContents(this.kc, namespace, name);
  }
  watch<T extends KubernetesObject>(
    type: ResourceType,
    namespaces: readonly string[],
    handlers: ResourceWatchHandlers<T>,
    log: Logger,
    labelSelector?: string,
  ): Watch {
    return watchResource(this.kc, type, namespaces, handlers, log, labelSelector);
  }
}
