// The operator's KubeConfig shares connections across API requests: counted on a real local
// HTTPS server standing in for the API server's TLS endpoint (what is measured is how many TLS
// connections the client opens, not what the API answers).
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { CoreV1Api, HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PooledKubeConfig } from "../../src/adapters/kubernetes/client.ts";
import { selfSignedLocalhost } from "../support/tls.ts";

let url: string;
let ca: string;
let connections = 0;
let close: () => void;

beforeAll(async () => {
  const tls = selfSignedLocalhost("mg-kube-");
  ca = tls.cert;
  const server = createServer({ key: tls.key, cert: ca }, (_, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Namespace", apiVersion: "v1", metadata: { name: "ml" } }));
  });
  server.on("secureConnection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => {
    server.closeAllConnections();
    server.close();
  };
});
afterAll(() => close());

function configured<T extends KubeConfig>(kc: T, token: () => string): T {
  kc.loadFromOptions({
    clusters: [{ name: "local", server: url, caData: Buffer.from(ca).toString("base64"), skipTLSVerify: false }],
    users: [
      {
        name: "op",
        get token() {
          return token();
        },
      },
    ],
    contexts: [{ name: "ctx", cluster: "local", user: "op" }],
    currentContext: "ctx",
  });
  return kc;
}

async function connectionsFor(kc: KubeConfig, requests: number): Promise<number> {
  const before = connections;
  const api = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < requests; i++) expect((await api.readNamespace({ name: "ml" })).metadata?.name).toBe("ml");
  return connections - before;
}

describe("PooledKubeConfig", () => {
  it("keeps its connections for later requests, where client-node's own opens one per request", async () => {
    expect(
      await connectionsFor(
        configured(new KubeConfig(), () => "t"),
        10,
      ),
    ).toBe(10);
    // undici may open a second one while the first is being handed back; never more
    const pooled = await connectionsFor(
      configured(new PooledKubeConfig(), () => "t"),
      10,
    );
    expect(pooled).toBeGreaterThanOrEqual(1);
    expect(pooled).toBeLessThanOrEqual(2);
  });

  it("still reads the credentials at every request (a refreshed token is sent at once)", async () => {
    let token = "first";
    const kc = configured(new PooledKubeConfig(), () => token);
    const seen: string[] = [];
    const api = kc.makeApiClient(CoreV1Api);
    for (const t of ["first", "second"]) {
      token = t;
      const ctx = new RequestContext(`${url}/api/v1/namespaces/ml`, HttpMethod.GET);
      await kc.applySecurityAuthentication(ctx);
      seen.push(ctx.getHeaders().Authorization ?? "");
    }
    expect(seen).toEqual(["Bearer first", "Bearer second"]);
    expect((await api.readNamespace({ name: "ml" })).metadata?.name).toBe("ml");
  });
});
