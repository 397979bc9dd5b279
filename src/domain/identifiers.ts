// What every part of the operator names things by: the labels it puts on the objects it makes
// (Jobs, report ConfigMaps, rollouts) and the stable hash behind its deterministic names.

export const MANAGED_BY = "model-guardian";
export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  monitor: "modelguardian.dev/monitor",
  policy: "modelguardian.dev/policy",
  model: "modelguardian.dev/model",
  action: "modelguardian.dev/action",
  purpose: "modelguardian.dev/purpose",
  trigger: "modelguardian.dev/trigger",
  attempt: "modelguardian.dev/attempt",
} as const;

/** FNV-1a, 64 bit: a stable, dependency-free hash for names (not for security). */
export function stableHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(36).padStart(13, "0");
}
