// The simulated model servers stand in for the Deployments' pods: each plays the model version its
// Deployment was last told (the env var a rollout sets), as a pod restarted with it would. Polls
// the Deployments; used by the rollout tests and the demo.
import type { ModelServer } from "../../sim/model-server.ts";

export interface FollowedServer {
  server: ModelServer;
  deployment: string;
  /** The version it plays at the start, when known. */
  version?: string;
}

export interface FollowOptions {
  servers: FollowedServer[];
  /** The version the Deployment's pods are told now (undefined while unknown). */
  readVersion(deployment: string): Promise<string | undefined>;
  /** Called once a server plays a new version, e.g. to give it that version's behaviour. */
  onVersion?(server: ModelServer, version: string, previous: string | undefined, deployment: string): void;
  everyMs?: number;
}

export function followDeployments(o: FollowOptions): { stop(): void } {
  const playing = new Map<ModelServer, string>(o.servers.filter((s) => s.version !== undefined).map((s) => [s.server, s.version as string]));
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const { server, deployment } of o.servers) {
        const version = await o.readVersion(deployment).catch(() => undefined);
        const previous = playing.get(server);
        if (!version || previous === version) continue;
        server.setVersion(version);
        playing.set(server, version);
        o.onVersion?.(server, version, previous, deployment);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), o.everyMs ?? 300);
  void tick();
  return { stop: () => clearInterval(timer) };
}
