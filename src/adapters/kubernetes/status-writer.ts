// The StatusWriter port: a controller's part of a status, by server-side apply.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { ObjectRef, ResourceType, StatusWriter } from "../../ports.ts";
import { apiMessage } from "./api-errors.ts";
import { COMPONENT } from "./kube-config.ts";

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
