// The Deployments serving a model's versions: their model version and URI are two env vars of
// one container (the fields the operator owns on them), and ready means what `kubectl rollout
// status` means: the newest spec observed, every replica updated and available. With
// REQUIRE_TARGET_OPT_IN a Deployment's model is set only while it carries the opt-in label, as
// the read just before the patch finds it.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { WorkloadState } from "../../domain/rollout/machine.ts";
import { PARKED_REPLICAS_ANNOTATION, ROLLOUT_TARGET_LABEL } from "../../domain/rollout/names.ts";
import { optedIn, type ServingTarget } from "../../domain/rollout/targets.ts";
import type { ModelEnv, WorkloadPort } from "../../ports.ts";
import { apiMessage } from "./api-errors.ts";

const DEPLOYMENTS = { group: "apps", version: "v1", plural: "deployments" } as const;

interface EnvVar {
  name: string;
  value?: string;
}
interface Deployment {
  metadata?: { generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; env?: EnvVar[] }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** The model a Deployment serves and whether it is ready. Pure, tested on objects. */
export function workloadStateOf(d: Deployment, env: ModelEnv, name: string): WorkloadState {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const container = env.container !== undefined ? containers.find((c) => c.name === env.container) : containers[0];
  if (!container) return { found: false, ready: false, message: `Deployment ${name} has no container ${env.container ?? ""}`.trim() };
  const value = (k: string) => container.env?.find((e) => e.name === k)?.value;
  const want = d.spec?.replicas ?? 1;
  const parked = want === 0 && d.metadata?.annotations?.[PARKED_REPLICAS_ANNOTATION] !== undefined;
  if (parked)
    return {
      found: true,
      version: value(env.version),
      uri: value(env.uri),
      ready: false,
      parked,
      message: `Deployment ${name} is scaled to zero between rollouts`,
    };
  const s = d.status ?? {};
  const available = s.conditions?.find((c) => c.type === "Available");
  let message: string;
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) message = `Deployment ${name}: the new spec is not observed yet`;
  else if ((s.updatedReplicas ?? 0) < want) message = `Deployment ${name}: ${s.updatedReplicas ?? 0} of ${want} replicas updated`;
  else if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0))
    message = `Deployment ${name}: ${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas still running`;
  else if ((s.availableReplicas ?? 0) < want) message = `Deployment ${name}: ${s.availableReplicas ?? 0} of ${want} replicas available`;
  else if (available && available.status !== "True") message = `Deployment ${name} is not Available: ${available.message ?? available.reason ?? ""}`;
  else message = `Deployment ${name} is ready`;
  return { found: true, version: value(env.version), uri: value(env.uri), ready: message.endsWith("is ready"), parked, message };
}

export class KubernetesWorkloads implements WorkloadPort {
  private readonly api: CustomObjectsApi;
  private readonly fieldManager: string;
  private readonly requireOptIn: boolean;
  constructor(kc: KubeConfig, fieldManager: string, requireOptIn = false) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.fieldManager = fieldManager;
    this.requireOptIn = requireOptIn;
  }

  async read(namespace: string, deployment: string, env: ModelEnv): Promise<WorkloadState & { target?: ServingTarget }> {
    try {
      const d = (await this.api.getNamespacedCustomObject({ ...DEPLOYMENTS, namespace, name: deployment })) as Deployment;
      return { ...workloadStateOf(d, env, deployment), target: { kind: "Deployment", name: deployment, labels: d.metadata?.labels ?? {} } };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return { found: false, ready: false, message: `Deployment ${namespace}/${deployment} not found` };
      throw new Error(`reading Deployment ${namespace}/${deployment}: ${apiMessage(err)}`, { cause: err });
    }
  }

  async setModel(namespace: string, deployment: string, env: ModelEnv, version: string, uri: string | undefined): Promise<void> {
    const current = (await this.api.getNamespacedCustomObject({ ...DEPLOYMENTS, namespace, name: deployment })) as Deployment;
    if (this.requireOptIn && !optedIn({ kind: "Deployment", name: deployment, labels: current.metadata?.labels ?? {} }))
      throw new Error(`Deployment ${namespace}/${deployment} no longer carries ${ROLLOUT_TARGET_LABEL}=true (REQUIRE_TARGET_OPT_IN): left as it is`);
    const containers = current.spec?.template?.spec?.containers ?? [];
    const container = env.container ?? containers[0]?.name;
    if (!container) throw new Error(`Deployment ${namespace}/${deployment} has no container`);
    // strategic merge: env entries are merged by name, every other variable and field stays
    const vars: EnvVar[] = [{ name: env.version, value: version }, ...(uri !== undefined ? [{ name: env.uri, value: uri }] : [])];
    const body = { spec: { template: { spec: { containers: [{ name: container, env: vars }] } } } };
    try {
      await this.api.patchNamespacedCustomObject(
        { ...DEPLOYMENTS, namespace, name: deployment, body, fieldManager: this.fieldManager },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
    } catch (err) {
      throw new Error(`setting the model of Deployment ${namespace}/${deployment}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /**
   * Scales a Deployment to zero, keeping its replicas in an annotation, or back to them. One merge
   * patch writes both, so a restart between them cannot lose the count; repeated, it changes nothing.
   */
  async park(namespace: string, deployment: string, parked: boolean): Promise<void> {
    const current = (await this.api.getNamespacedCustomObject({ ...DEPLOYMENTS, namespace, name: deployment })) as Deployment;
    if (this.requireOptIn && !optedIn({ kind: "Deployment", name: deployment, labels: current.metadata?.labels ?? {} }))
      throw new Error(`Deployment ${namespace}/${deployment} no longer carries ${ROLLOUT_TARGET_LABEL}=true (REQUIRE_TARGET_OPT_IN): left as it is`);
    const body = parkPatch(current, parked);
    if (!body) return;
    try {
      await this.api.patchNamespacedCustomObject(
        { ...DEPLOYMENTS, namespace, name: deployment, body, fieldManager: this.fieldManager },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw new Error(`scaling Deployment ${namespace}/${deployment} ${parked ? "to zero" : "back up"}: ${apiMessage(err)}`, { cause: err });
    }
  }
}

/**
 * The merge patch that parks (replicas 0, the count kept in the annotation) or unparks (the count
 * back, the annotation gone) a Deployment, or undefined when it already is so. A Deployment a
 * person scaled up meanwhile keeps their count; only the annotation goes.
 */
export function parkPatch(d: Deployment, parked: boolean): object | undefined {
  const replicas = d.spec?.replicas ?? 1;
  const kept = d.metadata?.annotations?.[PARKED_REPLICAS_ANNOTATION];
  if (parked) {
    if (replicas === 0 && kept !== undefined) return undefined;
    return {
      metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: String(kept !== undefined && replicas === 0 ? kept : replicas) } },
      spec: { replicas: 0 },
    };
  }
  if (kept === undefined) return undefined;
  const restored = Number.parseInt(kept, 10);
  return {
    metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: null } },
    ...(replicas === 0 ? { spec: { replicas: Number.isInteger(restored) && restored > 0 ? restored : 1 } } : {}),
  };
}
