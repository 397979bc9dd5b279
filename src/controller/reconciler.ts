// What every controller works on: a Kubernetes object as the watch delivers it (plain JSON),
// the key it is queued under, and what a reconcile answers.
import { API_VERSION } from "../api/v1alpha1/common.ts";
import type { ObjectRef } from "../ports.ts";
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    /** Set once deletion is requested. Typed as the client types it; in the watch's JSON it is a string: only test its presence. */
    deletionTimestamp?: Date;
    finalizers?: string[];
  };
  spec?: unknown;
  status?: unknown;
}

export interface ReconcileResult {
  /** Come back after this long even if nothing changes (never sooner than the controller's floor). */
  requeueAfterMs?: number;
}

export interface Reconciler<T extends KubeObject = KubeObject, R extends ReconcileResult = ReconcileResult> {
  reconcile(obj: T): Promise<R>;
}

/** namespace/name: the key of an object in caches and work queues. */
export const objectKey = (obj: { metadata: { namespace?: string; name?: string } }): string => `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;

/** The reference Events and status writes carry: the object's identity under its kind. */
export const objectRefOf = (obj: KubeObject, kind: string): ObjectRef => ({
  apiVersion: API_VERSION,
  kind,
  namespace: obj.metadata.namespace,
  name: obj.metadata.name,
  uid: obj.metadata.uid,
});

/** A result that comes back after `ms`, or only on the next change when undefined. */
export const requeueAfter = (ms: number | undefined): ReconcileResult => (ms !== undefined ? { requeueAfterMs: ms } : {});
