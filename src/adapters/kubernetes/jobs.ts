// The JobsPort: the Jobs the operator starts, created as plain JSON.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import type { CreateOutcome } from "../../domain/remediation/plan.ts";
import type { JobsPort } from "../../ports.ts";
import { apiMessage, classifyCreateError } from "./api-errors.ts";
import { COMPONENT } from "./kube-config.ts";

const JOBS = { group: "batch", version: "v1", plural: "jobs" } as const;

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
