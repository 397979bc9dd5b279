// The coordination.k8s.io/v1 Lease that leader election holds: read it, create it, and update
// it only if nobody else changed it since it was read (resourceVersion precondition).
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { LeasePort, LeaseSpecWrite, StoredLease } from "../../ports.ts";
import { apiMessage } from "./api-errors.ts";

const LEASES = { group: "coordination.k8s.io", version: "v1", plural: "leases" } as const;

/** A Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export class KubernetesLease implements LeasePort {
  private readonly api: CustomObjectsApi;
  private readonly namespace: string;
  private readonly name: string;
  constructor(kc: KubeConfig, namespace: string, name: string) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
    this.name = name;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      const obj = (await this.api.getNamespacedCustomObject({ ...LEASES, namespace: this.namespace, name: this.name })) as {
        metadata: { resourceVersion: string };
        spec?: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; renewTime?: string; acquireTime?: string };
      };
      const spec = obj.spec ?? {};
      return {
        resourceVersion: obj.metadata.resourceVersion,
        ...(spec.acquireTime ? { acquireTime: spec.acquireTime } : {}),
        view: {
          holder: spec.holderIdentity,
          durationMs: (spec.leaseDurationSeconds ?? 15) * 1000,
          transitions: spec.leaseTransitions ?? 0,
          renewTime: spec.renewTime,
        },
      };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`reading Lease ${this.namespace}/${this.name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** false when another replica created it first. */
  async create(spec: LeaseSpecWrite): Promise<boolean> {
    try {
      await this.api.createNamespacedCustomObject({ ...LEASES, namespace: this.namespace, body: this.body(spec) });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw new Error(`creating Lease ${this.namespace}/${this.name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** false when the lease changed since `resourceVersion` (another replica wrote it). */
  async update(resourceVersion: string, spec: LeaseSpecWrite, acquireTime?: string): Promise<boolean> {
    try {
      const body = this.body(spec, acquireTime);
      (body.metadata as Record<string, unknown>).resourceVersion = resourceVersion;
      await this.api.replaceNamespacedCustomObject({ ...LEASES, namespace: this.namespace, name: this.name, body });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw new Error(`updating Lease ${this.namespace}/${this.name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  private body(spec: LeaseSpecWrite, keptAcquireTime?: string): Record<string, unknown> {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: spec.holder,
        leaseDurationSeconds: Math.max(1, Math.round(spec.durationMs / 1000)),
        leaseTransitions: spec.transitions,
        renewTime: microTime(spec.renewTime),
        ...(spec.acquireTime ? { acquireTime: microTime(spec.acquireTime) } : keptAcquireTime ? { acquireTime: keptAcquireTime } : {}),
      },
    };
  }
}
