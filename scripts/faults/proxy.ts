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
  /** Bytes forwarded towards the API server while the partition held them (counted at heal). */
  held(): number;
  close(): Promise<void>;
}

export async function startPartitionProxy(target: { host: string; port: number }, scheme = "https"): Promise<PartitionProxy> {
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>();
  let partitioned = false;
  let heldBytes = 0;
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
    client.on("data", (d) => {
      if (partitioned) heldBytes += d.length;
    });
    client.pipe(server);
    server.pipe(client);
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
    held: () => heldBytes,
    async close() {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
