// Persisting a controller's part of a status, shared by every reconciler: compare only the
// owned part (another writer's conditions are neither taken over nor removed), write it when it
// changed, and keep the cached object as fresh as what was just written.
import { isDeepStrictEqual } from "node:util";
import { ownedStatus, withOwnedStatus, type StatusOwnership } from "../domain/conditions.ts";
import type { ObjectRef, StatusWriter } from "../ports.ts";
import type { KubeObject } from "./reconciler.ts";

export type PersistOutcome = "unchanged" | "written" | "deferred";

/**
 * Writes the owned part of `next` unless it is unchanged, or unless `defer` (given the owned
 * parts of the cached status and of `next`) says the write may wait: then only the cached
 * object takes it, for the next reconcile to start from.
 */
export async function persistOwnedStatus(
  writer: StatusWriter,
  obj: KubeObject,
  ref: ObjectRef,
  next: unknown,
  owner: StatusOwnership,
  defer?: (cached: Record<string, unknown>, next: Record<string, unknown>) => boolean,
): Promise<PersistOutcome> {
  const own = ownedStatus(JSON.parse(JSON.stringify(next)), owner);
  const cached = ownedStatus(obj.status, owner);
  if (isDeepStrictEqual(cached, own)) return "unchanged";
  const deferred = defer?.(cached, own) ?? false;
  if (!deferred) await writer.writeStatus(ref, own);
  // the watch brings the new status a moment later (or, deferred, not at all); until then the
  // cached object must not look older than what was decided, or a stale reconcile could act twice
  obj.status = withOwnedStatus(obj.status, own, owner);
  return deferred ? "deferred" : "written";
}
