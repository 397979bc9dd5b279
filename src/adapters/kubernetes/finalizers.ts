// The FinalizerPort: one finalizer added or removed by a guarded JSON patch.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { FinalizerPort, ObjectRef, ResourceType } from "../../ports.ts";
import { apiMessage } from "./api-errors.ts";
import { COMPONENT } from "./kube-config.ts";

/**
 * A custom resource's finalizers, changed by JSON patches whose `test` operations make them
 * fail (and the key retry) if the list changed since it was read; no resourceVersion is needed,
 * so a status write just before does not make them conflict.
 */
export class KubernetesFinalizers implements FinalizerPort {
  private readonly api: CustomObjectsApi;
  private readonly type: ResourceType;
  constructor(kc: KubeConfig, type: ResourceType) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.type = type;
  }
  add(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void> {
    if (current.includes(finalizer)) return Promise.resolve();
    const ops = current.length
      ? [
          { op: "test", path: "/metadata/finalizers", value: current },
          { op: "add", path: "/metadata/finalizers/-", value: finalizer },
        ]
      : [{ op: "add", path: "/metadata/finalizers", value: [finalizer] }];
    return this.patch(ref, ops);
  }
  remove(ref: ObjectRef, finalizer: string, current: readonly string[]): Promise<void> {
    const i = current.indexOf(finalizer);
    if (i < 0) return Promise.resolve();
    // a failed `test` here means the finalizer is no longer where the cache saw it: most often
    // it is already gone (the watch delivered an object older than our last patch); the next
    // reconcile, on a fresh object, removes it if it is still there
    return this.patch(
      ref,
      [
        { op: "test", path: `/metadata/finalizers/${i}`, value: finalizer },
        { op: "remove", path: `/metadata/finalizers/${i}` },
      ],
      true,
    );
  }
  private async patch(ref: ObjectRef, ops: object[], staleIsDone = false): Promise<void> {
    try {
      await this.api.patchNamespacedCustomObject(
        { ...this.type, namespace: ref.namespace, name: ref.name, body: ops, fieldManager: COMPONENT },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404 || (staleIsDone && code === 422)) return;
      throw new Error(`changing the finalizers of ${ref.kind} ${ref.namespace}/${ref.name}: ${apiMessage(err)}`, { cause: err });
    }
  }
}
