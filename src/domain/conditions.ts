// Conditions per the Kubernetes API conventions: lastTransitionTime changes only on a flip.
import type { Condition } from "../api/v1alpha1/common.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

export function setCondition(
  existing: readonly Condition[],
  next: ConditionInput,
  now: string,
  observedGeneration: number | undefined,
): Condition[] {
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
