import net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { startPartitionProxy, type PartitionProxy } from "../stage/faults/proxy.ts";
import { waitFor } from "../stage/wait.ts";

let echo: net.Server | undefined;
let proxy: PartitionProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  echo?.close();
});

async function echoServer(): Promise<{ port: number; received: () => string }> {
  let received = "";
  echo = net.createServer((s) => s.on("data", (d) => ((received += d.toString()), s.write(d))));
  echo.listen(0, "127.0.0.1");
  await once(echo, "listening");
  return { port: (echo.address() as net.AddressInfo).port, received: () => received };
}

describe("the partition proxy", () => {
  it("holds the bytes sent during a cut and delivers them at the heal, as a healed network does", async () => {
    const target = await echoServer();
    proxy = await startPartitionProxy({ host: "127.0.0.1", port: target.port }, "tcp");
    const client = net.connect(Number(new URL(proxy.url).port), "127.0.0.1");
    await once(client, "connect");
    let answers = "";
    client.on("data", (d) => (answers += d.toString()));
    client.write("before;");
    await waitFor("the first answer", async () => answers === "before;", 5000, 10);
    proxy.cut();
    await new Promise((r) => client.write("during;", r));
    // a round trip straight to the server after the write left the client: had the proxy
    // forwarded the bytes, they would be there by now
    const direct = net.connect(target.port, "127.0.0.1");
    direct.write("ping;");
    await once(direct, "data");
    direct.destroy();
    expect(target.received()).toBe("before;ping;");
    proxy.heal();
    await waitFor("the held bytes to land", async () => answers === "before;during;", 5000, 10);
    expect(target.received()).toBe("before;ping;during;");
    client.destroy();
  });
});
