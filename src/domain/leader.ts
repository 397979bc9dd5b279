// Leader election over a coordination.k8s.io Lease, decided by pure code (the elector in
// src/controller/leader-elector.ts does the I/O). Like client-go, expiry is judged by this process's
// own clock from the moment it last saw the lease change, never by comparing its clock with
// the times another replica wrote: clock skew between nodes cannot make two leaders.

/** What matters of a Lease's spec. */
export interface LeaseView {
  holder?: string | undefined;
  durationMs: number;
  transitions: number;
  /** renewTime as written; only compared for change, never with this process's clock. */
  renewTime?: string | undefined;
}

/** When this process last saw the lease change (its holder or its renew time). */
export interface Observation {
  holder: string | undefined;
  renewTime: string | undefined;
  at: number;
}

export type LeaseDecision =
  { kind: "create" } | { kind: "renew" } | { kind: "takeOver"; transitions: number } | { kind: "follow"; holder: string; expiresInMs: number };

export function observe(previous: Observation | undefined, lease: LeaseView | undefined, now: number): Observation {
  const holder = lease?.holder || undefined;
  const renewTime = lease?.renewTime;
  if (previous && previous.holder === holder && previous.renewTime === renewTime) return previous;
  return { holder, renewTime, at: now };
}

export function decideLease(lease: LeaseView | undefined, observed: Observation, identity: string, now: number): LeaseDecision {
  if (!lease) return { kind: "create" };
  if (lease.holder === identity) return { kind: "renew" };
  // released (no holder), or unchanged for a whole lease duration by our own clock
  const expiresInMs = observed.at + lease.durationMs - now;
  if (!lease.holder || expiresInMs <= 0) return { kind: "takeOver", transitions: lease.transitions + 1 };
  return { kind: "follow", holder: lease.holder, expiresInMs };
}

/** A leader that could not renew for this long must stop acting: another may take over soon. */
export function leadershipLost(lastRenewedAt: number, renewDeadlineMs: number, now: number): boolean {
  return now - lastRenewedAt > renewDeadlineMs;
}
