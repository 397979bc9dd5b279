// Kubernetes access, one file per port (kube-config, watch, status-writer, event-sink, secrets,
// jobs, finalizers, creator, api-errors); this module gathers them for callers that want them all.
export { COMPONENT, loadKubeConfig, PooledKubeConfig } from "./kube-config.ts";
export { apiMessage, classifyCreateError } from "./api-errors.ts";
export { watchResource, type Watch, type WatchHandlers } from "./watch.ts";
export { KubernetesStatusWriter } from "./status-writer.ts";
export { KubernetesEventSink } from "./event-sink.ts";
export { readSecret, readSecretContents, type SecretContents } from "./secrets.ts";
export { KubernetesJobs } from "./jobs.ts";
export { KubernetesFinalizers } from "./finalizers.ts";
export { KubernetesCreator } from "./creator.ts";
