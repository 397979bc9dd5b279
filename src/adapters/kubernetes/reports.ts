// The governance reports' ConfigMaps: written by server-side apply under the operator's field
// manager (create or replace in one request, idempotent), read back for the HTTP endpoint.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { ReportPort } from "../../ports.ts";
import { apiMessage, COMPONENT } from "./client.ts";

export class KubernetesReports implements ReportPort {
  private readonly api: CoreV1Api;
  private readonly fieldManager: string;
  constructor(kc: KubeConfig, fieldManager = `${COMPONENT}-report`) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.fieldManager = fieldManager;
  }

  async write(configMap: { metadata: { name: string; namespace: string } } & Record<string, unknown>): Promise<void> {
    const { name, namespace } = configMap.metadata;
    try {
      await this.api.patchNamespacedConfigMap({ name, namespace, body: configMap, fieldManager: this.fieldManager, force: true }, setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply));
    } catch (err) {
      throw new Error(`writing the report ConfigMap ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    try {
      return (await this.api.readNamespacedConfigMap({ namespace, name })).data?.[key];
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`reading the report ConfigMap ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }
}
