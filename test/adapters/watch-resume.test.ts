// A watch against an API server that fails and comes back (a stand-in HTTP server that answers
// the list with 503 a few times): the attempts back off instead of restarting at a flat pace,
// one warning says so, and the watch tells its handlers once that it is back.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { watchResource, type Watch } from "../../src/adapters/kubernetes/client.ts";

let server: Server | undefined;
let watch: Watch | undefined;
afterEach(async () => {
  await watch?.stop();
  const closed = new Promise((r) => (server ? server.close(r) : r(undefined)));
  server?.closeAllConnections();
  await closed;
});

describe("a watch whose API server goes away and comes back", () => {
  it("backs off between failed attempts, warns once for them, and reports that it resumed", async () => {
    const failuresFirst = 4;
    let lists = 0;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.searchParams.get("watch") === "true") {
        // the watch stays open, sending nothing
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      }
      lists++;
      if (lists <= failuresFirst) {
        res.writeHead(503, { "content-type": "application/json" });
        return res.end(JSON.stringify({ kind: "Status", code: 503, message: "etcd is away" }));
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "ModelMonitorList",
          metadata: { resourceVersion: "7" },
          items: [{ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", metadata: { namespace: "ml", name: "m", resourceVersion: "7" } }],
        }),
      );
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const lines: { level: number; msg: string; retryInMs?: number }[] = [];
    const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const upserted: string[] = [];
    let resumed = 0;
    const handlers = {
      upsert: (o: { metadata?: { name?: string } }) => void upserted.push(o.metadata?.name ?? ""),
      remove: () => undefined,
      resumed: () => void resumed++,
    };
    // every wait its full ceiling, 1 ms doubling: the test drives no clock and races nothing
    watch = watchResource(kc, { group: "modelguardian.dev", version: "v1alpha1", plural: "modelmonitors" }, [], handlers, log, undefined, {
      baseMs: 1,
      random: () => 0.999999,
    });
    await watch.synced;
    expect(lists).toBe(failuresFirst + 1);
    expect(upserted).toEqual(["m"]);
    expect(resumed).toBe(1);
    const failed = lines.filter((l) => l.msg === "watch failed; restarting");
    expect(failed.map((l) => l.retryInMs)).toEqual([1, 2, 4, 8]);
    expect(failed.filter((l) => l.level === 40)).toHaveLength(1); // one warning, the rest at debug
    expect(lines.filter((l) => l.msg === "watch resumed")).toHaveLength(1);
  });
});
