// Per-monitor metrics sources: credentials and a CA bundle from a Secret.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { Limiter } from "../../src/adapters/prometheus/client.ts";
import { createSourceResolver, type SecretReader } from "../../src/adapters/prometheus/resolver.ts";

const success = JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } });
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const spec = (source: Record<string, unknown>) => modelMonitorSpecSchema.parse({ model: { name: "m" }, source });
const resolver = (secrets: Record<string, Record<string, string>>, reads: string[] = []) =>
  createSourceResolver({
    defaultUrl: "http://127.0.0.1:9",
    defaultTimeoutMs: 2_000,
    retries: 0,
    limiter: new Limiter(4),
    readSecret: (async (ns, name) => (reads.push(`${ns}/${name}`), secrets[`${ns}/${name}`])) as SecretReader,
  });

describe("metrics source resolver", () => {
  it("sends the token of the Secret, and reads the Secret once per TTL", async () => {
    const seen: (string | undefined)[] = [];
    const port = await listen(createServer((req, res) => (seen.push(req.headers.authorization), res.end(success))));
    const reads: string[] = [];
    const resolve = resolver({ "ml/prom": { token: "abc\n" } }, reads);
    const s = spec({ url: `http://127.0.0.1:${port}`, authSecretRef: { name: "prom" } });
    await (await resolve("ml", s)).query({ expr: "up", time: 0 });
    await (await resolve("ml", s)).query({ expr: "up", time: 0 });
    expect(seen).toEqual(["Bearer abc", "Bearer abc"]);
    expect(reads).toEqual(["ml/prom"]);
  });

  it("a missing Secret is an Unauthorized error naming it, not a crash", async () => {
    const resolve = resolver({});
    const r = await (await resolve("ml", spec({ url: "http://127.0.0.1:9", authSecretRef: { name: "gone" } }))).query({ expr: "up", time: 0 });
    expect(r).toEqual({ kind: "error", error: "Unauthorized", message: "Secret ml/gone named in spec.source.authSecretRef does not exist" });
  });

  it("trusts the ca.crt of the Secret for https", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-ca-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    const port = await listen(createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert }, (_, res) => res.end(success)) as unknown as Server);
    const url = `https://127.0.0.1:${port}`;
    const withCa = await (await resolver({ "ml/tls": { username: "u", password: "p", "ca.crt": cert } })("ml", spec({ url, authSecretRef: { name: "tls" } }))).query({ expr: "up", time: 0 });
    expect(withCa, JSON.stringify(withCa)).toEqual({ kind: "vector", samples: [] });
    const withoutCa = await (await resolver({})("ml", spec({ url }))).query({ expr: "up", time: 0 });
    expect(withoutCa).toMatchObject({ kind: "error", error: "Unreachable" });
  });
});

describe("one source's share", () => {
  const request = { expr: "up", time: Date.now() };
  const monitorOn = (port: number) => spec({ url: `http://127.0.0.1:${port}`, timeout: "1s" });

  it("a source that never answers holds at most its own share of the global limit: another source is answered at once", async () => {
    const dead = await listen(createServer(() => undefined)); // accepts, never answers
    const healthy = await listen(createServer((_req, res) => res.end(success)));
    const resolve = createSourceResolver({ defaultUrl: "http://127.0.0.1:9", defaultTimeoutMs: 2_000, retries: 0, limiter: new Limiter(4), perSourceConcurrency: 2, readSecret: async () => undefined });
    const deadSource = await resolve("ns", monitorOn(dead));
    const order: string[] = [];
    const stuck = Array.from({ length: 4 }, () => deadSource.query(request).then(() => order.push("dead")));
    await new Promise((r) => setTimeout(r, 100));
    const answer = await (await resolve("ns", monitorOn(healthy))).query(request);
    order.push("healthy");
    expect(answer.kind).toBe("vector");
    // the healthy answer came before any of the dead source's queries gave up
    expect(order[0]).toBe("healthy");
    await Promise.all(stuck);
  }, 30_000);

  it("after consecutive failures a source rests: its queries fail at once, naming why, then it is tried again", async () => {
    let connections = 0;
    const server = createServer((req) => req.socket.destroy());
    server.on("connection", () => connections++);
    const port = await listen(server);
    let clock = 1_000_000;
    const resolve = createSourceResolver({ defaultUrl: "http://127.0.0.1:9", defaultTimeoutMs: 2_000, retries: 0, limiter: new Limiter(4), breaker: { failures: 3, openMs: 30_000 }, now: () => clock, readSecret: async () => undefined });
    const source = await resolve("ns", monitorOn(port));
    for (let i = 0; i < 3; i++) expect((await source.query(request)).kind).toBe("error");
    const seen = connections;
    expect(seen).toBe(3);
    const resting = await source.query(request);
    expect(resting).toMatchObject({ kind: "error", error: "Unreachable" });
    expect((resting as { message: string }).message).toMatch(new RegExp(`^http://127.0.0.1:${port} is not queried for 30 s more after 3 consecutive failures; the last: `));
    expect(connections).toBe(seen);
    clock += 30_001;
    await source.query(request);
    expect(connections).toBe(seen + 1);
    // one more failure rests it again at once
    expect(((await source.query(request)) as { message: string }).message).toMatch(/is not queried for 30 s more after 4 consecutive failures/);
  });

  it("a source that answers again is trusted again; a query error (bad PromQL) is no failure of the source", async () => {
    let fail = true;
    const port = await listen(createServer((req, res) => (fail ? req.socket.destroy() : res.writeHead(400).end(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" })))));
    const resolve = createSourceResolver({ defaultUrl: "http://127.0.0.1:9", defaultTimeoutMs: 2_000, retries: 0, limiter: new Limiter(4), breaker: { failures: 2, openMs: 30_000 }, readSecret: async () => undefined });
    const source = await resolve("ns", monitorOn(port));
    await source.query(request);
    fail = false;
    for (let i = 0; i < 5; i++) expect((await source.query(request)) as { error?: string }).toMatchObject({ kind: "error", error: "BadQuery" });
  });

  it("drops clients unused for longer than idleMs", async () => {
    let clock = 0;
    const resolve = createSourceResolver({ defaultUrl: "http://127.0.0.1:9", defaultTimeoutMs: 2_000, retries: 0, limiter: new Limiter(4), idleMs: 120_000, now: () => clock, readSecret: async () => undefined });
    const a = await resolve("ns", spec({ url: "http://a.example:9090" }));
    expect(await resolve("ns", spec({ url: "http://a.example:9090" }))).toBe(a);
    clock += 200_000;
    await resolve("ns", spec({ url: "http://b.example:9090" }));
    expect(await resolve("ns", spec({ url: "http://a.example:9090" }))).not.toBe(a);
  });
});
