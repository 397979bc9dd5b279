// Leader election: only the replica holding the Lease runs workers. Every retry period it reads
// the Lease, lets the pure core decide (domain/leader.ts), and writes with a precondition. A
// leader that cannot renew within the renew deadline stops leading (the process exits and is
// restarted: nothing that matters lives only in memory). On shutdown it releases the Lease, so
// the other replica takes over at once instead of after a lease duration.
import type { Logger } from "pino";
import { decideLease, leadershipLost, observe, type Observation } from "../domain/leader.ts";
import type { Clock, LeasePort } from "../ports.ts";

export interface LeaderElectionSettings {
  identity: string;
  durationMs: number;
  renewDeadlineMs: number;
  retryMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export class LeaderElector {
  private observed: Observation | undefined;
  private lastRenewedAt = 0;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Fires at the renew deadline: a renewal that hangs (a partition holds it) must not keep this replica leading. */
  private deadline: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  private readonly lease: LeasePort;
  private readonly settings: LeaderElectionSettings;
  private readonly callbacks: LeaderCallbacks;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(lease: LeasePort, settings: LeaderElectionSettings, callbacks: LeaderCallbacks, clock: Clock, log: Logger) {
    this.lease = lease;
    this.settings = settings;
    this.callbacks = callbacks;
    this.clock = clock;
    this.log = log;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The Lease's holder as last read: another replica's identity, this one's, or undefined. */
  get holder(): string | undefined {
    return this.leading ? this.settings.identity : this.observed?.holder || undefined;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease (empty holder) so a successor need not wait. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadline) clearTimeout(this.deadline);
    await this.running;
    if (!this.leading) return;
    this.leading = false;
    try {
      const current = await this.lease.get();
      if (current?.view.holder === this.settings.identity)
        await this.lease.update(current.resourceVersion, {
          holder: "",
          durationMs: 1000,
          transitions: current.view.transitions,
          renewTime: new Date(this.clock.now()),
        });
      this.log.info({ identity: this.settings.identity }, "released the leader Lease");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "could not release the leader Lease; the other replica takes over when it expires");
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.attempt().finally(() => this.schedule(this.settings.retryMs));
    }, delayMs);
    this.timer.unref?.();
  }

  private async attempt(): Promise<void> {
    const { identity, durationMs } = this.settings;
    const now = this.clock.now();
    try {
      const current = await this.lease.get();
      this.observed = observe(this.observed, current?.view, now);
      const decision = decideLease(current?.view, this.observed, identity, now);
      const spec = { holder: identity, durationMs, renewTime: new Date(now) };
      let holding = false;
      if (decision.kind === "create") holding = await this.lease.create({ ...spec, transitions: 0, acquireTime: new Date(now) });
      else if (decision.kind === "renew" && current)
        holding = await this.lease.update(current.resourceVersion, { ...spec, transitions: current.view.transitions }, current.acquireTime);
      else if (decision.kind === "takeOver" && current)
        holding = await this.lease.update(current.resourceVersion, { ...spec, transitions: decision.transitions, acquireTime: new Date(now) });
      else if (decision.kind === "follow" && this.leading) return this.lose(`the Lease is held by ${decision.holder}`);
      if (holding) {
        this.lastRenewedAt = now;
        this.armDeadline();
        if (!this.leading && !this.stopped) {
          this.leading = true;
          this.log.info({ identity, transition: decision.kind }, "became the leader");
          this.callbacks.onStartedLeading();
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message, leading: this.leading }, "leader election: could not read or write the Lease");
    }
    if (this.leading && leadershipLost(this.lastRenewedAt, this.settings.renewDeadlineMs, this.clock.now()))
      this.lose("could not renew the Lease within the renew deadline");
  }

  /**
   * The attempt above checks the deadline only once its requests answer; a partition that holds
   * them (no error, no timeout) would keep this replica leading until it heals, long after the
   * other took over. This timer steps down at the deadline whatever the requests do.
   */
  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    const { renewDeadlineMs } = this.settings;
    this.deadline = setTimeout(
      () => {
        if (this.leading && leadershipLost(this.lastRenewedAt, renewDeadlineMs, this.clock.now()))
          this.lose("could not renew the Lease within the renew deadline (a request to the API server did not answer)");
      },
      Math.max(0, this.lastRenewedAt + renewDeadlineMs - this.clock.now()) + 1,
    );
    this.deadline.unref?.();
  }

  private lose(why: string): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.leading = false;
    this.stopped = true;
    this.log.error({ identity: this.settings.identity, why }, "lost leadership");
    this.callbacks.onStoppedLeading();
  }
}

/**
 * With a Lease, only its holder runs `lead`; another replica may take over any moment, so losing
 * it calls `lost` (the process stops at once and restarts clean). Without a Lease (leader
 * election off), `lead` runs now and no elector is returned.
 */
export function leadWhenElected(
  lease: { port: LeasePort; settings: LeaderElectionSettings } | undefined,
  o: { lead(): void; lost(): void },
  clock: Clock,
  log: Logger,
): LeaderElector | undefined {
  if (!lease) {
    o.lead();
    return undefined;
  }
  const elector = new LeaderElector(lease.port, lease.settings, { onStartedLeading: o.lead, onStoppedLeading: o.lost }, clock, log);
  elector.start();
  return elector;
}

/** Whether this replica reconciles, as /healthz and /readyz say it. */
export function roleOf(elector: LeaderElector | undefined, leaseName: string): string {
  if (elector === undefined) return "leading (leader election off)";
  return elector.isLeader ? `leading (Lease ${leaseName})` : `standby (Lease ${leaseName} held by ${elector.holder ?? "nobody yet"})`;
}
