// The load generator against real HTTP servers on 127.0.0.1: served model servers, a small
// weighted proxy in front of two of them (as the data plane will be), and failing targets.
import http from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad, type LoadSummary } from "../../sim/load.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { scrape, total } from "./support.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function modelServer(version: string): Promise<ModelServer> {
  const server = await startModelServer({ model: "churn", version, segments: { "plant-a": {}, "plant-b": {} }, traffic: "served", seed: 1 });
  cleanups.push(() => server.close());
  return server;
}

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A reverse proxy sending request i to upstreams[i % upstreams.length] (so weights by repetition). */
async function proxy(upstreams: string[]): Promise<string> {
  const agent = new http.Agent({ keepAlive: true });
  cleanups.push(async () => agent.destroy());
  let i = 0;
  const { url } = await listen((req, res) => {
    const target = new URL(req.url ?? "/", upstreams[i++ % upstreams.length]);
    const upstream = http.request(target, { method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("bad gateway");
    });
    req.pipe(upstream);
  });
  return url;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function consistent(s: LoadSummary): void {
  expect(s.inFlight).toBe(0);
  expect(s.waiting).toBe(0);
  expect(s.completed).toBe(sum(s.byStatus));
  expect(s.failed).toBe(sum(s.errors));
  expect(s.completed + s.failed).toBe(s.sent);
}

describe("load generator", () => {
  it("through a 4:1 proxy over two model servers, counts by version what each server saw", async () => {
    const stable = await modelServer("v1");
    const candidate = await modelServer("v2");
    const url = await proxy([stable.url, stable.url, stable.url, stable.url, candidate.url]);
    const load = startLoad({ url: `${url}/predict`, requestsPerSecond: 100, segments: ["plant-a", "plant-b"], concurrency: 8 });
    await sleep(1500);
    expect(load.summary().sent).toBeGreaterThan(0);
    const s = await load.stop();
    consistent(s);
    expect(s.errors).toEqual({});
    expect(s.byStatus).toEqual({ "200": s.sent });
    const [m1, m2] = await Promise.all([scrape(stable.url), scrape(candidate.url)]);
    const v1 = total(m1, "model_predictions_total", { version: "v1" });
    const v2 = total(m2, "model_predictions_total", { version: "v2" });
    expect(s.byVersion).toEqual({ v1, v2 });
    expect(v1 + v2).toBe(s.sent);
    expect(v2).toBe(Math.floor(s.sent / 5));
    // x-segment alternates over the requests sent
    const a = total(m1, "model_predictions_total", { plant: "plant-a" }) + total(m2, "model_predictions_total", { plant: "plant-a" });
    expect(a).toBe(Math.ceil(s.sent / 2));
  });

  it("paces by the wall clock: about rps x duration", async () => {
    const server = await modelServer("v1");
    const started = performance.now();
    const load = startLoad({ url: `${server.url}/predict`, requestsPerSecond: 40, headers: { "x-segment": "plant-b" } });
    await sleep(2000);
    const s = await load.stop();
    const elapsed = (performance.now() - started) / 1000;
    consistent(s);
    // every request due by stop() was sent or skipped, none more
    // (a slot that came due in the instant before stop() may not have been pumped yet)
    expect(s.sent + s.skipped).toBeLessThanOrEqual(Math.floor(s.elapsedSeconds * 40));
    expect(s.sent + s.skipped).toBeGreaterThanOrEqual(Math.floor(s.elapsedSeconds * 40) - 1);
    expect(s.elapsedSeconds).toBeLessThanOrEqual(elapsed);
    expect(s.sent).toBeGreaterThanOrEqual(72); // 80 nominal
    expect(s.sent).toBeLessThanOrEqual(81);
    expect(total(await scrape(server.url), "model_predictions_total", { plant: "plant-b" })).toBe(s.sent);
  });

  it("never has more than `concurrency` requests in flight and skips what it cannot send", async () => {
    let inFlight = 0;
    let peak = 0;
    const { url } = await listen((req, res) => {
      req.resume();
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("overloaded");
      }, 200);
    });
    const load = startLoad({ url, requestsPerSecond: 50, concurrency: 2 });
    await sleep(1000);
    const s = await load.stop();
    consistent(s);
    expect(peak).toBe(2);
    expect(s.skipped).toBeGreaterThan(20); // ~50 due, ~10 can be sent
    expect(s.sent).toBeLessThanOrEqual(14);
    expect(s.byStatus).toEqual({ "503": s.sent });
    expect(s.byVersion).toEqual({}); // not a model's answer
  });

  it("counts a dead target's refused connections and a silent target's timeouts as errors", async () => {
    const { url: deadUrl, server: dead } = await listen(() => undefined);
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const refused = startLoad({ url: `${deadUrl}/predict`, requestsPerSecond: 50 });

    const { url: silentUrl } = await listen((req) => req.resume()); // never answers
    const silent = startLoad({ url: `${silentUrl}/predict`, requestsPerSecond: 20, timeoutMs: 150 });

    await sleep(600);
    const [r, t] = await Promise.all([refused.stop(), silent.stop()]);
    consistent(r);
    expect(r.sent).toBeGreaterThan(15);
    expect(r.errors).toEqual({ connection_refused: r.sent });
    expect(r.completed).toBe(0);
    consistent(t);
    expect(t.errors.timeout).toBeGreaterThan(3);
    expect(t.errors).toEqual({ timeout: t.sent });
    expect(await refused.stop()).toEqual(r); // idempotent
  });

  it("rejects invalid options at once", () => {
    expect(() => startLoad({ url: "ftp://x/predict", requestsPerSecond: 1 })).toThrow(/url/);
    expect(() => startLoad({ url: "not a url", requestsPerSecond: 1 })).toThrow();
    expect(() => startLoad({ url: "http://127.0.0.1:1/", requestsPerSecond: 0 })).toThrow(/requestsPerSecond/);
    expect(() => startLoad({ url: "http://127.0.0.1:1/", requestsPerSecond: 1, concurrency: 0 })).toThrow(/concurrency/);
  });
});
