// A ModelMonitor's spec parsed once per spec object. The watch hands over a new object with
// every change of the monitor, and the cache keeps that object between evaluations (our own
// deferred status writes replace only its status), so a spec object seen before holds the same
// text and parses to the same result: the zod parse of every evaluation becomes one per change.
// Keyed by the object itself (a WeakMap): nothing to forget when a monitor goes.
import { modelMonitorSpecSchema } from "../../api/v1alpha1/modelmonitor.ts";

type SpecParse = ReturnType<typeof modelMonitorSpecSchema.safeParse>;
const parsed = new WeakMap<object, SpecParse>();

/** Frozen all the way down: a caller that would change a shared result fails at once instead. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** modelMonitorSpecSchema.safeParse(spec ?? {}), remembered per spec object; the parsed spec is frozen. */
export function parseMonitorSpec(spec: unknown): SpecParse {
  if (typeof spec !== "object" || spec === null) return modelMonitorSpecSchema.safeParse(spec ?? {});
  let result = parsed.get(spec);
  if (!result) {
    result = modelMonitorSpecSchema.safeParse(spec);
    if (result.success) deepFreeze(result.data);
    parsed.set(spec, result);
  }
  return result;
}
