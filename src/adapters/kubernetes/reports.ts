// The governance reports' ConfigMaps: created for their monitor, then replaced by server-side
// apply under the operator's field manager (idempotent); a ConfigMap that is not the monitor's
// is never written. Read back for the HTTP endpoint.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { reportOverwriteRefusal, type ReportConfigMap } from "../../domain/monitor/report.ts";
import type { ReportPort } from "../../ports.ts";
import { apiMessage } from "./api-errors.ts";
import { COMPONENT } from "./kube-config.ts";

export class KubernetesReports implements ReportPort {
  private readonly api: CoreV1Api;
  private readonly fieldManager: string;
  constructor(kc: KubeConfig, fieldManager = `${COMPONENT}-report`) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.fieldManager = fieldManager;
  }

  async write(configMap: ReportConfigMap, part: "report" | "series" = "report"): Promise<void> {
    const { name, namespace } = configMap.metadata;
    // the series saved between reports has a field manager of its own: applying it leaves the report's keys alone
    const fieldManager = part === "series" ? `${this.fieldManager}-series` : this.fieldManager;
    const [owner] = configMap.metadata.ownerReferences;
    if (!owner) throw new Error(`the report ConfigMap ${namespace}/${name} names no monitor as its owner`);
    // only a ConfigMap created for this monitor is replaced: a missing one is created (and a
    // create that loses a race to someone else's fails), an existing one must be the monitor's
    let existing: V1ConfigMap | undefined;
    try {
      existing = await this.api.readNamespacedConfigMap({ namespace, name });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw new Error(`reading the report ConfigMap ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
    try {
      if (!existing) {
        await this.api.createNamespacedConfigMap({ namespace, body: configMap, fieldManager });
        return;
      }
      const refusal = reportOverwriteRefusal({ name, ownerReferences: existing.metadata?.ownerReferences ?? [] }, owner);
      if (refusal) throw new Error(refusal);
      await this.api.patchNamespacedConfigMap(
        { name, namespace, body: configMap, fieldManager, force: true },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      );
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
