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
