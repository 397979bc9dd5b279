// The client's HTTP behaviour against a scripted local HTTP server (the real Prometheus is
// exercised by the integration tests): auth headers, retries, timeouts, classification.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Limiter, PrometheusClient, parseRangeResponse } from "../../src/adapters/prometheus/client.ts";

type Handler = (req: IncomingMessage, body: string) => { status: number; body: string; delayMs?: number };
let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const r = handler(req, body);
      setTimeout(() => res.writeHead(r.status, { "Content-Type": "application/json" }).end(r.body), r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
}
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const success = JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "0.5"] }] } });

describe("PrometheusClient", () => {
  it("posts the query with its evaluation time and a bearer token", async () => {
    let seen: { auth?: string; body: string } | undefined;
    const url = await serve((req, body) => {
      seen = { auth: req.headers.authorization, body };
      return { status: 200, body: success };
    });
    const r = await new PrometheusClient({ url, auth: { bearerToken: "s3cret" } }).query({ expr: 'up{a="b"}', time: 1_700_000_000_500 });
    expect(r).toEqual({ kind: "vector", samples: [{ labels: {}, value: 0.5 }] });
    expect(seen?.auth).toBe("Bearer s3cret");
    const params = new URLSearchParams(seen?.body);
    expect(params.get("query")).toBe('up{a="b"}');
    expect(params.get("time")).toBe("1700000000.500");
  });

  it("sends basic auth", async () => {
    let auth: string | undefined;
    const url = await serve((req) => ((auth = req.headers.authorization), { status: 200, body: success }));
    await new PrometheusClient({ url, auth: { username: "u", password: "p:w" } }).query({ expr: "up", time: 0 });
    expect(auth).toBe(`Basic ${Buffer.from("u:p:w").toString("base64")}`);
  });

  it("retries 503 with backoff, then succeeds", async () => {
    let calls = 0;
    const url = await serve(() => (++calls < 3 ? { status: 503, body: "unavailable" } : { status: 200, body: success }));
    const r = await new PrometheusClient({ url, retries: 2, retryBaseMs: 5 }).query({ expr: "up", time: 0 });
    expect(r.kind).toBe("vector");
    expect(calls).toBe(3);
  });

  it("does not retry a rejected query", async () => {
    let calls = 0;
    const url = await serve(() => (calls++, { status: 400, body: JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error at char 3" }) }));
    const r = await new PrometheusClient({ url, retries: 3, retryBaseMs: 1 }).query({ expr: "up{", time: 0 });
    expect(r).toMatchObject({ kind: "error", error: "BadQuery" });
    expect(calls).toBe(1);
  });

  it("classifies a slow answer as Timeout", async () => {
    const url = await serve(() => ({ status: 200, body: success, delayMs: 500 }));
    const r = await new PrometheusClient({ url, timeoutMs: 100, retries: 0 }).query({ expr: "up", time: 0 });
    expect(r).toMatchObject({ kind: "error", error: "Timeout" });
  });

  it("classifies a closed port as Unreachable", async () => {
    const r = await new PrometheusClient({ url: `http://127.0.0.1:${await closedPort()}`, retries: 0 }).query({ expr: "up", time: 0 });
    expect(r).toMatchObject({ kind: "error", error: "Unreachable" });
    expect(r.kind === "error" && r.message).toMatch(/ECONNREFUSED/);
  });

  it("bounds concurrent requests with a shared limiter", async () => {
    let inFlight = 0;
    let peak = 0;
    const url = await serve(() => {
      peak = Math.max(peak, ++inFlight);
      setTimeout(() => inFlight--, 20);
      return { status: 200, body: success, delayMs: 20 };
    });
    const client = new PrometheusClient({ url, limiter: new Limiter(3) });
    await Promise.all(Array.from({ length: 12 }, () => client.query({ expr: "up", time: 0 })));
    expect(peak).toBeLessThanOrEqual(3);
  });

  it("parses range answers into points in epoch ms", () => {
    const r = parseRangeResponse(
      200,
      JSON.stringify({
        status: "success",
        data: {
          resultType: "matrix",
          result: [
            {
              metric: { a: "1" },
              values: [
                [10, "1"],
                [11, "NaN"],
              ],
            },
          ],
        },
      }),
    );
    expect(r).toEqual({
      kind: "matrix",
      series: [
        {
          labels: { a: "1" },
          points: [
            [10_000, 1],
            [11_000, NaN],
          ],
        },
      ],
    });
  });
});
