// Per-monitor metrics sources: credentials and a CA bundle from a Secret.
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { Limiter } from "../../src/adapters/prometheus/client.ts";
import { createSourceResolver, type SecretReader } from "../../src/adapters/prometheus/resolver.ts";
import { ALLOWED_URLS_ANNOTATION, METRICS_CREDENTIALS_LABEL } from "../../src/domain/credentials.ts";
import { selfSignedLocalhost } from "../support/tls.ts";

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
/** A Secret meant for the given endpoints (the opt-in label and the allowed-urls annotation). */
const boundTo = (urls: string, data: Record<string, string>) => ({
  data,
  labels: { [METRICS_CREDENTIALS_LABEL]: "true" },
  annotations: { [ALLOWED_URLS_ANNOTATION]: urls },
});
/** A resolver with the settings every test shares (no retries, a limit of 4, no Secrets), changed by `options`. */
const resolverWith = (options: Partial<Parameters<typeof createSourceResolver>[0]>) =>
  createSourceResolver({
    defaultUrl: "http://127.0.0.1:9",
    defaultTimeoutMs: 2_000,
    retries: 0,
    limiter: new Limiter(4),
    readSecret: async () => undefined,
    ...options,
  });
const resolver = (secrets: Record<string, Awaited<ReturnType<SecretReader>>>, reads: string[] = []) =>
  resolverWith({ readSecret: (async (ns, name) => (reads.push(`${ns}/${name}`), secrets[`${ns}/${name}`])) as SecretReader });

/** Secret ml/prom for a monitor of `url`, read through a resolver on a clock the test sets: the monitor's answer, the reads of the Secret. */
function onClock(url: string, secret: Awaited<ReturnType<SecretReader>>) {
  const clock = { now: 0 };
  const reads: string[] = [];
  const secrets: Record<string, Awaited<ReturnType<SecretReader>>> = { "ml/prom": secret };
  const resolve = resolverWith({ defaultUrl: url, now: () => clock.now, readSecret: async (ns, name) => (reads.push(name), secrets[`${ns}/${name}`]) });
  const s = spec({ url, authSecretRef: { name: "prom" } });
  const answer = async () => (await resolve("ml", s)).query({ expr: "up", time: 0 });
  return { clock, reads, secrets, answer };
}

describe("metrics source resolver", () => {
  it("sends the token of the Secret, and reads the Secret once per TTL", async () => {
    const seen: (string | undefined)[] = [];
    const port = await listen(createServer((req, res) => (seen.push(req.headers.authorization), res.end(success))));
    const reads: string[] = [];
    const resolve = resolver({ "ml/prom": boundTo(`http://127.0.0.1:${port}/`, { token: "abc\n" }) }, reads);
    const s = spec({ url: `http://127.0.0.1:${port}`, authSecretRef: { name: "prom" } });
    await (await resolve("ml", s)).query({ expr: "up", time: 0 });
    await (await resolve("ml", s)).query({ expr: "up", time: 0 });
    expect(seen).toEqual(["Bearer abc", "Bearer abc"]);
    expect(reads).toEqual(["ml/prom"]);
  });

  it("a missing Secret is its own error naming the field and the Secret, not a crash", async () => {
    const resolve = resolver({});
    const r = await (await resolve("ml", spec({ url: "http://127.0.0.1:9", authSecretRef: { name: "gone" } }))).query({ expr: "up", time: 0 });
    expect(r).toEqual({
      kind: "error",
      error: "CredentialsMissing",
      message: "spec.source.authSecretRef: Secret ml/gone does not exist; the monitor is evaluated again every 10 s until it does",
    });
  });

  it("sends no request at all when the Secret does not allow the URL, and says why with the fix", async () => {
    const seen: (string | undefined)[] = [];
    const port = await listen(createServer((req, res) => (seen.push(req.headers.authorization), res.end(success))));
    const url = `http://127.0.0.1:${port}`;
    const secrets = {
      "ml/elsewhere": boundTo("https://prometheus.ml.svc:9090", { token: "t1" }),
      "ml/unlabelled": { data: { token: "t2" }, labels: {}, annotations: { [ALLOWED_URLS_ANNOTATION]: url } },
      "ml/lookalike": boundTo(`http://127.0.0.1:${port}/api`, { token: "t3" }),
    };
    const resolve = resolver(secrets);
    const answers = await Promise.all(
      ["elsewhere", "unlabelled"].map(async (name) => (await resolve("ml", spec({ url, authSecretRef: { name } }))).query({ expr: "up", time: 0 })),
    );
    const apix = await (await resolve("ml", spec({ url: `${url}/apix`, authSecretRef: { name: "lookalike" } }))).query({ expr: "up", time: 0 });
    expect(seen).toEqual([]);
    expect(answers[0]).toMatchObject({
      kind: "error",
      error: "CredentialsRefused",
      message: expect.stringContaining("Secret ml/elsewhere allows only https://prometheus.ml.svc:9090/, not"),
    });
    expect(answers[1]).toMatchObject({
      kind: "error",
      error: "CredentialsRefused",
      message: expect.stringContaining(`is not labelled ${METRICS_CREDENTIALS_LABEL}=true`),
    });
    expect(apix).toMatchObject({ kind: "error", error: "CredentialsRefused" });
    for (const a of [...answers, apix]) expect(JSON.stringify(a)).not.toMatch(/t1|t2|t3/);
    // the same Secret, at an allowed path below its prefix: sent
    await (await resolve("ml", spec({ url: `${url}/api/prom`, authSecretRef: { name: "lookalike" } }))).query({ expr: "up", time: 0 });
    expect(seen).toEqual(["Bearer t3"]);
  });

  it("reads a refused Secret again after 10 s, an accepted one after a minute", async () => {
    const port = await listen(createServer((_, res) => res.end(success)));
    const url = `http://127.0.0.1:${port}`;
    const { clock, reads, secrets, answer } = onClock(url, { data: { token: "t5" }, labels: {}, annotations: {} });
    expect(await answer()).toMatchObject({ error: "CredentialsRefused" });
    secrets["ml/prom"] = boundTo(url, { token: "t5" });
    clock.now = 9_000;
    expect(await answer()).toMatchObject({ error: "CredentialsRefused" });
    clock.now = 10_001;
    expect(await answer()).toEqual({ kind: "vector", samples: [] });
    secrets["ml/prom"] = { data: { token: "t5" }, labels: {}, annotations: {} };
    clock.now = 60_000;
    expect(await answer()).toEqual({ kind: "vector", samples: [] });
    clock.now = 70_002;
    expect(await answer()).toMatchObject({ error: "CredentialsRefused" });
    expect(reads).toEqual(["prom", "prom", "prom"]);
  });

  it("a token the source rejects is read again after 10 s: a rotated Secret is used at the next evaluation", async () => {
    const seen: (string | undefined)[] = [];
    const port = await listen(
      createServer(
        (req, res) => (seen.push(req.headers.authorization), req.headers.authorization === "Bearer new" ? res.end(success) : res.writeHead(401).end()),
      ),
    );
    const url = `http://127.0.0.1:${port}`;
    const { clock, reads, secrets, answer } = onClock(url, boundTo(url, { token: "old" }));
    expect(await answer()).toMatchObject({ error: "Unauthorized" });
    secrets["ml/prom"] = boundTo(url, { token: "new" });
    clock.now = 10_001;
    expect(await answer()).toEqual({ kind: "vector", samples: [] });
    expect(seen).toEqual(["Bearer old", "Bearer new"]);
    expect(reads).toEqual(["prom", "prom"]);
  });

  it("follows no redirect: an allowed server cannot forward the credentials elsewhere", async () => {
    const seen: (string | undefined)[] = [];
    const elsewhere = await listen(createServer((req, res) => (seen.push(req.headers.authorization), res.end(success))));
    const allowed = await listen(createServer((_, res) => res.writeHead(307, { location: `http://127.0.0.1:${elsewhere}/api/v1/query` }).end()));
    const url = `http://127.0.0.1:${allowed}`;
    const r = await (
      await resolver({ "ml/prom": boundTo(url, { token: "t4" }) })("ml", spec({ url, authSecretRef: { name: "prom" } }))
    ).query({ expr: "up", time: 0 });
    expect(r).toMatchObject({ kind: "error" });
    expect(seen).toEqual([]);
  });

  it("trusts the ca.crt of the Secret for https", async () => {
    const { key, cert } = selfSignedLocalhost("mg-ca-");
    const port = await listen(createHttpsServer({ key, cert }, (_, res) => res.end(success)) as unknown as Server);
    const url = `https://127.0.0.1:${port}`;
    const withCa = await (
      await resolver({ "ml/tls": boundTo(url, { username: "u", password: "p", "ca.crt": cert }) })("ml", spec({ url, authSecretRef: { name: "tls" } }))
    ).query({ expr: "up", time: 0 });
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
    const resolve = resolverWith({ perSourceConcurrency: 2 });
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
    const resolve = resolverWith({
      breaker: { failures: 3, openMs: 30_000 },
      now: () => clock,
    });
    const source = await resolve("ns", monitorOn(port));
    for (let i = 0; i < 3; i++) expect((await source.query(request)).kind).toBe("error");
    const seen = connections;
    expect(seen).toBe(3);
    const resting = await source.query(request);
    expect(resting).toMatchObject({ kind: "error", error: "Unreachable" });
    expect((resting as { message: string }).message).toMatch(
      new RegExp(`^http://127.0.0.1:${port} is not queried for 30 s more after 3 consecutive failures; the last: `),
    );
    expect(connections).toBe(seen);
    clock += 30_001;
    await source.query(request);
    expect(connections).toBe(seen + 1);
    // one more failure rests it again at once
    expect(((await source.query(request)) as { message: string }).message).toMatch(/is not queried for 30 s more after 4 consecutive failures/);
  });

  it("a source that answers again is trusted again; a query error (bad PromQL) is no failure of the source", async () => {
    let fail = true;
    const port = await listen(
      createServer((req, res) =>
        fail ? req.socket.destroy() : res.writeHead(400).end(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" })),
      ),
    );
    const resolve = resolverWith({ breaker: { failures: 2, openMs: 30_000 } });
    const source = await resolve("ns", monitorOn(port));
    await source.query(request);
    fail = false;
    for (let i = 0; i < 5; i++) expect((await source.query(request)) as { error?: string }).toMatchObject({ kind: "error", error: "BadQuery" });
  });

  it("drops clients unused for longer than idleMs", async () => {
    let clock = 0;
    const resolve = resolverWith({
      idleMs: 120_000,
      now: () => clock,
    });
    const a = await resolve("ns", spec({ url: "http://a.example:9090" }));
    expect(await resolve("ns", spec({ url: "http://a.example:9090" }))).toBe(a);
    clock += 200_000;
    await resolve("ns", spec({ url: "http://b.example:9090" }));
    expect(await resolve("ns", spec({ url: "http://a.example:9090" }))).not.toBe(a);
  });
});

describe("metrics source resolver with query batching", () => {
  it("batches queries only with others to the same URL with the same credentials", async () => {
    const seen: { auth: string | undefined; query: string }[] = [];
    const port = await listen(
      createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => (seen.push({ auth: req.headers.authorization, query: new URLSearchParams(body).get("query") ?? "" }), res.end(success)));
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    const secrets = {
      "ml/a": boundTo(`${url}/`, { token: "token-a" }),
      "ml/b": boundTo(`${url}/`, { token: "token-b" }),
    };
    const resolve = resolverWith({
      defaultUrl: url,
      readSecret: (async (ns, name) => secrets[`${ns}/${name}` as keyof typeof secrets]) as SecretReader,
      batching: { windowMs: 20, maxMembers: 100 },
    });
    const q = (model: string) => ({ expr: `sum by (outcome) (increase(p_total{model="${model}"}[3600s]))`, time: 0 });
    const sources = await Promise.all([
      resolve("ml", spec({ url, authSecretRef: { name: "a" } })),
      resolve("ml", spec({ url, authSecretRef: { name: "a" } })),
      resolve("ml", spec({ url, authSecretRef: { name: "b" } })),
      resolve("ml", spec({})),
    ]);
    await Promise.all([sources[0]!.query(q("m1")), sources[1]!.query(q("m2")), sources[2]!.query(q("m3")), sources[3]!.query(q("m4"))]);
    expect(seen.sort((x, y) => (x.auth ?? "").localeCompare(y.auth ?? ""))).toEqual([
      { auth: undefined, query: q("m4").expr },
      { auth: "Bearer token-a", query: 'sum by (outcome, model) (increase(p_total{model=~"m1|m2"}[3600s]))' },
      { auth: "Bearer token-b", query: q("m3").expr },
    ]);
  });
});
