// The operator's KubeConfig: one connection pool per cluster for every API request, and the
// component name it writes with.
import { KubeConfig } from "@kubernetes/client-node";

export const COMPONENT = "model-guardian";

export function loadKubeConfig(): KubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromDefault();
  return kc;
}

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = Parameters<RequestContext["setDispatcher"]>[0];

/**
 * A KubeConfig whose API requests share connections. client-node 2.0 makes a new undici Agent
 * for every request, so every status write, Event and create opened a new TLS connection to
 * the API server (a handshake on both sides each time: at scale, a large share of both CPUs).
 * This keeps one Agent per cluster and TLS material and hands it to every request: the
 * material is read at each request as before (a rotated certificate gets a new Agent), only
 * the pool is kept. Watches do not go through here.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Dispatcher>();
  /** Set by createDispatcherOptions and read by the setDispatcher that follows it synchronously. */
  private lastKey: string | undefined;
  /** At most this many pools (a rotated certificate leaves one behind): the oldest is closed. */
  static readonly MAX_POOLS = 4;

  override createDispatcherOptions(...args: Parameters<KubeConfig["createDispatcherOptions"]>): ReturnType<KubeConfig["createDispatcherOptions"]> {
    const [cluster, agentOptions] = args;
    this.lastKey = JSON.stringify([cluster?.name, cluster?.server, agentOptions], (_, v: unknown) =>
      v && typeof v === "object" && (v as { type?: unknown }).type === "Buffer" ? Buffer.from((v as { data: number[] }).data).toString("base64") : v,
    );
    return super.createDispatcherOptions(...args);
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const set = context.setDispatcher.bind(context);
    // createDispatcher (private upstream) calls createDispatcherOptions, makes an Agent and sets it, in one synchronous run
    context.setDispatcher = (fresh: Dispatcher) => {
      const key = this.lastKey;
      let pool = key === undefined ? undefined : this.pools.get(key);
      if (pool) void (fresh as { close?: () => Promise<void> }).close?.();
      else if (key !== undefined) {
        pool = fresh;
        this.pools.set(key, fresh);
        for (const [old, dispatcher] of this.pools)
          if (this.pools.size > PooledKubeConfig.MAX_POOLS) {
            this.pools.delete(old);
            void (dispatcher as { close?: () => Promise<void> }).close?.();
          }
      }
      set(pool ?? fresh);
    };
    try {
      await super.applySecurityAuthentication(context);
    } finally {
      delete (context as { setDispatcher?: unknown }).setDispatcher;
    }
  }
}
