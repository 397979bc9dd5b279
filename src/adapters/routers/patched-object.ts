// What every router of a routing object shares: read the object, find the two versions' weights
// in it (pure, per router), and set both in one JSON patch whose `test` operations refuse it if
// the object changed in between, so a reordered route is never written at the wrong places and
// every field but the two weights is left as it is. With REQUIRE_TARGET_OPT_IN every patch also
// tests the opt-in label, so one removed after the read refuses the write.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Weights } from "../../api/v1alpha1/rollout.ts";
import type { LiveWeights } from "../../domain/rollout/machine.ts";
import { ROLLOUT_TARGET_LABEL } from "../../domain/rollout/names.ts";
import type { ServingTarget, ServingTargetKind } from "../../domain/rollout/targets.ts";
import { RouterError, type ResourceType, type TrafficRouter } from "../../ports.ts";
import { apiMessage } from "../kubernetes/api-errors.ts";

/** One kind of routing object: where its two weights are, and the patch that sets them. */
export interface RoutingObject<T, At> {
  resource: ResourceType;
  kind: ServingTargetKind;
  name: string;
  /** Throws RouterError when the object does not hold both versions. */
  locate(obj: T): { at: At; weights: Weights; mirror: number };
  patch(at: At, weights: Weights): object[];
  /** The patch that mirrors this share to the candidate (0: removes the mirror); [] when it already does. */
  mirrorPatch(obj: T, at: At, percent: number): object[];
}

/**
 * One instance serves one reconcile: a write right after a read reuses what was read (the
 * rollback's write then costs one request); the patch's `test` operations still refuse it if
 * the object changed in between.
 */
export class PatchedObjectRouter<T, At> implements TrafficRouter {
  private readonly api: CustomObjectsApi;
  private lastRead: T | undefined;
  private readTarget: ServingTarget | undefined;
  private readonly namespace: string;
  private readonly route: RoutingObject<T, At>;
  private readonly fieldManager: string;
  private readonly requireOptIn: boolean;
  constructor(kc: KubeConfig, namespace: string, route: RoutingObject<T, At>, fieldManager: string, requireOptIn = false) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
    this.route = route;
    this.fieldManager = fieldManager;
    this.requireOptIn = requireOptIn;
  }

  target(): ServingTarget | undefined {
    return this.readTarget;
  }

  private get what(): string {
    return `${this.route.kind} ${this.namespace}/${this.route.name}`;
  }

  private async get(): Promise<T> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...this.route.resource, namespace: this.namespace, name: this.route.name })) as T;
    } catch (err) {
      throw routerError(err, this.what);
    }
  }

  async read(): Promise<LiveWeights> {
    this.readTarget = undefined;
    try {
      this.lastRead = await this.get();
      this.readTarget = { kind: this.route.kind, name: this.route.name, labels: labelsOf(this.lastRead) };
      const { weights, mirror } = this.route.locate(this.lastRead);
      return { kind: "weights", weights, mirror };
    } catch (err) {
      const e = err instanceof RouterError ? err : new RouterError("RouterUnavailable", String((err as Error).message));
      return { kind: "error", reason: e.reason, message: e.message };
    }
  }

  async write(weights: Weights): Promise<void> {
    const obj = this.lastRead ?? (await this.get());
    this.lastRead = undefined;
    await this.send(obj, this.route.patch(this.route.locate(obj).at, weights));
  }

  async writeMirror(percent: number): Promise<void> {
    const obj = this.lastRead ?? (await this.get());
    this.lastRead = undefined;
    const body = this.route.mirrorPatch(obj, this.route.locate(obj).at, percent);
    if (body.length) await this.send(obj, body);
  }

  private async send(read: T, body: object[]): Promise<void> {
    const guarded = [...unchangedSince(read), ...(this.requireOptIn ? [optInTest, ...body] : body)];
    try {
      await this.api.patchNamespacedCustomObject(
        { ...this.route.resource, namespace: this.namespace, name: this.route.name, body: guarded, fieldManager: this.fieldManager },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    } catch (err) {
      throw routerError(err, this.what);
    }
  }
}

/**
 * A JSON patch operation that refuses the whole patch if the object was written since it was
 * read (its resourceVersion moved): a write decided on an old read never lands. The fault
 * campaign's leader-partition experiment caught one: a weight patch the cut-off leader sent
 * before it stepped down, held by the partition, landed after the new leader had moved to the
 * next step and set the weights back a step.
 */
export const unchangedSince = (read: unknown): object[] => {
  const rv = (read as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
  return rv ? [{ op: "test", path: "/metadata/resourceVersion", value: rv }] : [];
};

/** A JSON patch operation that refuses the whole patch unless the object carries the opt-in label. */
export const optInTest = { op: "test", path: `/metadata/labels/${ROLLOUT_TARGET_LABEL.replaceAll("~", "~0").replaceAll("/", "~1")}`, value: "true" } as const;

export const labelsOf = (obj: unknown): Record<string, string> =>
  (obj as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};

export function routerError(err: unknown, what: string): RouterError {
  if (err instanceof RouterError) return err;
  const code = (err as { code?: number }).code;
  const message = `${what}: ${apiMessage(err)}`;
  if (code === 404) return new RouterError("RouteNotFound", message);
  if (code === 403 || code === 401) return new RouterError("RouterForbidden", message);
  // a failed `test` operation: the object changed between the read and the write
  if (code === 422 || code === 409) return new RouterError("RouteChanged", message);
  return new RouterError("RouterUnavailable", message);
}
