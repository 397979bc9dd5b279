// Conditions per the Kubernetes API conventions: lastTransitionTime changes only on a flip.
import type { Condition } from "../api/v1alpha1/common.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

export function setCondition(existing: readonly Condition[], next: ConditionInput, now: string, observedGeneration: number | undefined): Condition[] {
  const previous = existing.find((c) => c.type === next.type);
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime : now;
  const updated: Condition = { ...next, lastTransitionTime };
  if (observedGeneration !== undefined) updated.observedGeneration = observedGeneration;
  const others = existing.filter((c) => c.type !== next.type);
  return [...others, updated].sort((a, b) => a.type.localeCompare(b.type));
}

export function setConditions(
  existing: readonly Condition[],
  next: readonly ConditionInput[],
  now: string,
  observedGeneration: number | undefined,
): Condition[] {
  return next.reduce<Condition[]>((acc, c) => setCondition(acc, c, now, observedGeneration), [...existing]);
}

/** What one controller writes of a status: these top-level fields, and these condition types. */
export interface StatusOwnership {
  fields: readonly string[];
  conditionTypes: readonly string[];
}

const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const conditionsOf = (v: Record<string, unknown>): { type?: unknown }[] => (Array.isArray(v.conditions) ? (v.conditions as { type?: unknown }[]) : []);

/**
 * The part of a status a controller owns. Other writers (another controller, a second replica's
 * successor) own the rest; comparing and applying only this part never touches theirs.
 */
export function ownedStatus(status: unknown, owner: StatusOwnership): Record<string, unknown> {
  const s = asRecord(status);
  const out: Record<string, unknown> = {};
  for (const field of owner.fields) if (field !== "conditions" && s[field] !== undefined) out[field] = s[field];
  if (owner.fields.includes("conditions") && s.conditions !== undefined)
    out.conditions = conditionsOf(s).filter((c) => owner.conditionTypes.includes(String(c.type)));
  return out;
}

/** The whole status after a controller applied its owned part: the others' parts are kept. */
export function withOwnedStatus(current: unknown, owned: Record<string, unknown>, owner: StatusOwnership): Record<string, unknown> {
  const s = asRecord(current);
  const foreign = Object.fromEntries(Object.entries(s).filter(([k]) => !owner.fields.includes(k)));
  const foreignConditions = conditionsOf(s).filter((c) => !owner.conditionTypes.includes(String(c.type)));
  const ownConditions = conditionsOf(owned);
  const all = [...foreignConditions, ...ownConditions].sort((a, b) => String(a.type).localeCompare(String(b.type)));
  return { ...foreign, ...owned, ...(all.length || owned.conditions !== undefined ? { conditions: all } : {}) };
}
