// Persisting a controller's part of a status, shared by every reconciler: compare only the
// owned part (another writer's conditions are neither taken over nor removed), write it when it
// changed, and keep the cached object as fresh as what was just written.
import { isDeepStrictEqual } from "node:util";
import { ownedStatus, withOwnedStatus, type StatusOwnership } from "../domain/conditions.ts";
import type { ObjectRef, StatusWriter } from "../ports.ts";
import type { KubeObject } from "./reconciler.ts";

/** Writes the owned part of `next` unless it is unchanged; returns whether it wrote. */
export async function persistOwnedStatus(writer: StatusWriter, obj: KubeObject, ref: ObjectRef, next: unknown, owner: StatusOwnership): Promise<boolean> {
  const own = ownedStatus(JSON.parse(JSON.stringify(next)), owner);
  if (isDeepStrictEqual(ownedStatus(obj.status, owner), own)) return false;
  await writer.writeStatus(ref, own);
  // the watch brings the new status a moment later; until then the cached object must not
  // look older than what was just written, or a stale reconcile could act twice
  obj.status = withOwnedStatus(obj.status, own, owner);
  return true;
}
