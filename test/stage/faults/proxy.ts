// A TCP proxy between one operator replica and the API server, to partition that replica alone.
// cut() makes a partition as a network makes one: bytes already sent and those sent during it
// are held, not refused (a paused socket stops reading, so they wait in the kernel's buffers as
// in TCP retransmission), and new connections are accepted but get nothing through. heal()
// lets the held bytes through: a request the cut-off replica sent before it knew it had lost
// its Lease reaches the API server only now, which is exactly the write a partition can sneak in.
// drop() instead closes every connection (a reset), for a replica whose requests must not land.
import net from "node:net";
import { once } from "node:events";

export interface PartitionProxy {
  /** http(s)://127.0.0.1:<port>, to put in the replica's kubeconfig. */
  url: string;
  cut(): void;
  heal(): void;
  /** Closes every connection now (both sides), partitioned or not. */
  drop(): void;
  /** Connections open now (held ones included). */
  connections(): number;
  close(): Promise<void>;
}

/** Slow and flaky answers: each chunk is held `delayMs()` (order kept), a connection is reset with `resetChance` at its first chunk. */
export interface Impairment {
  delayMs?: () => number;
  resetChance?: number;
  random?: () => number;
}

export async function startPartitionProxy(target: { host: string; port: number }, scheme = "https", impairment: Impairment = {}): Promise<PartitionProxy> {
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>();
  let partitioned = false;
  const proxy = net.createServer((client) => {
    const server = net.connect(target.port, target.host);
    const pair = { client, server };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", end).on("close", end);
    server.on("error", end).on("close", end);
    if (impairment.delayMs || impairment.resetChance) {
      const random = impairment.random ?? Math.random;
      const reset = random() < (impairment.resetChance ?? 0);
      const relay = (from: net.Socket, to: net.Socket) => {
        let due = 0;
        from.on("data", (d) => {
          if (reset) return end();
          due = Math.max(due, Date.now() + (impairment.delayMs?.() ?? 0));
          setTimeout(() => to.writable && to.write(d), due - Date.now());
        });
      };
      relay(client, server);
      relay(server, client);
    } else {
      client.pipe(server);
      server.pipe(client);
    }
    if (partitioned) {
      client.pause();
      server.pause();
    }
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  const port = (proxy.address() as net.AddressInfo).port;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    cut() {
      partitioned = true;
      for (const { client, server } of pairs) {
        client.pause();
        server.pause();
      }
    },
    heal() {
      partitioned = false;
      for (const { client, server } of pairs) {
        client.resume();
        server.resume();
      }
    },
    drop() {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      pairs.clear();
    },
    connections: () => pairs.size,
    async close() {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
