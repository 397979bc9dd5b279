// Creates the custom resources the operator owns (a monitor's ModelRollouts).
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import type { CreateOutcome } from "../../domain/remediation/plan.ts";
import type { ResourceType } from "../../ports.ts";
import { classifyCreateError } from "./api-errors.ts";
import { COMPONENT } from "./kube-config.ts";

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
