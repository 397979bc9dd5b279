// The splitter against real HTTP servers on 127.0.0.1: two upstreams answering their version, a
// dead one, an echo server, and a mirror that records what it is sent.
import http from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startSplitter, type SplitWeights, type Splitter, type SplitterOptions } from "../../sim/splitter.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()));
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A server on port 0 recording each request; `answer` answers it (default: 200 `{version}`). */
async function upstream(
  version: string,
  answer?: (res: http.ServerResponse, seen: Seen) => void,
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      if (answer) return answer(res, s);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ version }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  cleanups.push(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close };
}

/** Weights a test can change; `reads` counts the calls, `fail` makes them throw. */
function routeObject(initial: SplitWeights) {
  const route = { weights: initial, reads: 0, fail: false as false | "throw" | "reject" };
  const readWeights = (): Promise<SplitWeights> => {
    route.reads++;
    if (route.fail === "throw") throw new Error("apiserver: connection refused");
    if (route.fail === "reject") return Promise.reject(new Error("apiserver: 503"));
    return Promise.resolve({ ...route.weights });
  };
  return { route, readWeights };
}

async function splitter(options: SplitterOptions): Promise<Splitter> {
  const s = await startSplitter(options);
  cleanups.push(() => s.stop());
  return s;
}

async function versions(url: string, n: number): Promise<Record<string, number>> {
  const byVersion: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/predict`, { method: "POST" });
    const key = res.status === 200 ? ((await res.json()) as { version: string }).version : String(res.status);
    if (res.status !== 200) await res.text();
    byVersion[key] = (byVersion[key] ?? 0) + 1;
  }
  return byVersion;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("splitter", () => {
  it("splits 90/10 exactly over 100 requests, by smooth weighted round-robin", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const { readWeights } = routeObject({ stable: 90, candidate: 10 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.weights()).toEqual({ stable: 90, candidate: 10 });
    // interleaved, not 90 then 10: every run of 10 requests has exactly one candidate
    for (let run = 0; run < 10; run++) expect(await versions(s.url, 10)).toEqual({ v1: 9, v2: 1 });
    expect(s.counts()).toEqual({ stable: 90, candidate: 10, mirrored: 0, readErrors: 0, upstreamErrors: 0 });
    expect([v1.seen.length, v2.seen.length]).toEqual([90, 10]);
  });

  it("within 1 of N·w/sum after any number of requests, even concurrent ones", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const { readWeights } = routeObject({ stable: 3, candidate: 7 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights });
    for (let n = 1; n <= 23; n++) {
      await versions(s.url, 1);
      expect(Math.abs(s.counts().candidate - (n * 7) / 10)).toBeLessThan(1);
    }
    await Promise.all(Array.from({ length: 27 }, () => versions(s.url, 1)));
    expect(s.counts()).toMatchObject({ stable: 15, candidate: 35 });
  });

  it("follows a weight change within a poll or two, and restarts the round-robin", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const { route, readWeights } = routeObject({ stable: 1, candidate: 1 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights, pollMs: 20 });
    expect(route.reads).toBe(1); // the first read happened before startSplitter resolved
    expect(await versions(s.url, 3)).toEqual({ v1: 2, v2: 1 });

    async function change(weights: SplitWeights): Promise<void> {
      route.weights = weights;
      const reads = route.reads;
      // two reads later, the first of them has completed (the next one is scheduled after it)
      await until(() => route.reads >= reads + 2);
      expect(s.weights()).toEqual(weights);
    }
    await change({ stable: 0, candidate: 100 });
    expect(await versions(s.url, 10)).toEqual({ v2: 10 });
    await change({ stable: 100, candidate: 0 });
    expect(await versions(s.url, 10)).toEqual({ v1: 10 });
    // back to 1/1 from a fresh state: stable first (never reset, the state carried since the start would pick candidate)
    await change({ stable: 1, candidate: 1 });
    expect(await versions(s.url, 1)).toEqual({ v1: 1 });
    expect(await versions(s.url, 9)).toEqual({ v1: 4, v2: 5 });
    expect(s.counts()).toMatchObject({ stable: 17, candidate: 16, readErrors: 0 });
  });

  it("answers 503 when both weights are 0", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const { readWeights } = routeObject({ stable: 0, candidate: 0 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights });
    const res = await fetch(`${s.url}/predict`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("both weights are 0");
    expect(v1.seen.length + v2.seen.length).toBe(0);
    expect(s.counts()).toMatchObject({ stable: 0, candidate: 0, upstreamErrors: 0 });
  });

  it("keeps the last weights when readWeights starts failing (throwing, rejecting or returning nonsense), and counts readErrors", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const { route, readWeights } = routeObject({ stable: 0, candidate: 1 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights, pollMs: 10 });
    route.fail = "throw";
    await until(() => s.counts().readErrors >= 3);
    route.fail = "reject";
    const errors = s.counts().readErrors;
    await until(() => s.counts().readErrors >= errors + 3);
    route.fail = false;
    route.weights = { stable: -1, candidate: 1.5 };
    const more = s.counts().readErrors;
    await until(() => s.counts().readErrors >= more + 3);
    expect(s.weights()).toEqual({ stable: 0, candidate: 1 });
    expect(await versions(s.url, 5)).toEqual({ v2: 5 });
    expect(s.counts().readErrors).toBe(route.reads - 1); // every read after the first failed, each counted once
  });

  it("throws when the first read fails, and on bad options", async () => {
    const v1 = await upstream("v1");
    const failing = () => Promise.reject(new Error("apiserver down"));
    await expect(startSplitter({ stableUrl: v1.url, candidateUrl: v1.url, readWeights: failing })).rejects.toThrow("apiserver down");
    const nonsense = () => Promise.resolve({ stable: 1 } as SplitWeights);
    await expect(startSplitter({ stableUrl: v1.url, candidateUrl: v1.url, readWeights: nonsense })).rejects.toThrow(/weights/);
    const ok = () => Promise.resolve({ stable: 1, candidate: 0 });
    await expect(startSplitter({ stableUrl: "ftp://x", candidateUrl: v1.url, readWeights: ok })).rejects.toThrow(/stableUrl/);
    await expect(startSplitter({ stableUrl: v1.url, candidateUrl: v1.url, readWeights: ok, pollMs: 0 })).rejects.toThrow(/pollMs/);
  });

  it("answers 502 for a dead upstream and counts it", async () => {
    const v1 = await upstream("v1");
    const dead = await upstream("dead");
    await dead.close();
    const { readWeights } = routeObject({ stable: 1, candidate: 1 });
    const s = await splitter({ stableUrl: v1.url, candidateUrl: dead.url, readWeights });
    expect(await versions(s.url, 4)).toEqual({ v1: 2, "502": 2 });
    expect(s.counts()).toEqual({ stable: 2, candidate: 2, mirrored: 0, readErrors: 0, upstreamErrors: 2 });
    await (await fetch(`${s.url}/predict`)).text(); // stable
    const bad = await fetch(`${s.url}/predict`);
    expect(bad.status).toBe(502);
    expect(bad.headers.get("content-type")).toContain("text/plain");
    expect(await bad.text()).toBe("bad gateway: candidate upstream failed (connection_refused)\n");
  });

  it("forwards method, path, query, headers and body, but not hop-by-hop headers; returns status, headers and body", async () => {
    const echo = await upstream("echo", (res, seen) => {
      res.writeHead(201, { "content-type": "application/json", "x-upstream": "echo", "keep-alive": "timeout=5" });
      res.end(JSON.stringify({ got: seen.body === "" ? null : (JSON.parse(seen.body) as unknown) }));
    });
    const { readWeights } = routeObject({ stable: 1, candidate: 0 });
    const s = await splitter({ stableUrl: echo.url, candidateUrl: echo.url, readWeights });
    const port = new URL(s.url).port;
    const body = JSON.stringify({ features: { age: 41, income: 2.5 } });
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(
        `${s.url}/predict?x=1&y=two`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-segment": "plant-b",
            connection: "keep-alive, x-hop",
            "x-hop": "dropped",
            "proxy-authorization": "secret",
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(echo.seen).toHaveLength(1);
    const seen = echo.seen[0]!;
    expect(seen).toMatchObject({ method: "POST", url: "/predict?x=1&y=two", body });
    expect(seen.headers).toMatchObject({
      "content-type": "application/json",
      "x-segment": "plant-b",
      "content-length": String(Buffer.byteLength(body)),
      host: `127.0.0.1:${port}`,
    });
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(answer.status).toBe(201);
    expect(answer.headers["x-upstream"]).toBe("echo");
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.body)).toEqual({ got: { features: { age: 41, income: 2.5 } } });

    const get = await fetch(`${s.url}/healthz?deep=true`, { headers: { "x-segment": "plant-a" } });
    expect(get.status).toBe(201);
    expect(await get.json()).toEqual({ got: null });
    expect(echo.seen[1]).toMatchObject({ method: "GET", url: "/healthz?deep=true", body: "" });
    expect(echo.seen[1]!.headers["x-segment"]).toBe("plant-a");
  });

  it("mirrors exactly 25 of 100 requests, fire-and-forget, and the mirror's answers never reach the client", async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    const held: http.ServerResponse[] = [];
    const shadow = await upstream("shadow", (res) => held.push(res)); // never answers while the test runs
    const { readWeights } = routeObject({ stable: 50, candidate: 50 });
    let mirror: { url: string; percent: number } | undefined = { url: shadow.url, percent: 25 };
    let mirrorReads = 0;
    const readMirror = () => {
      mirrorReads++;
      return Promise.resolve(mirror);
    };
    const s = await splitter({ stableUrl: v1.url, candidateUrl: v2.url, readWeights, pollMs: 20, mirror: readMirror });
    const headers = { "content-type": "application/json", "x-segment": "plant-a" };
    const byVersion: Record<string, number> = {};
    for (let k = 1; k <= 100; k++) {
      const res = await fetch(`${s.url}/predict?k=${k}`, { method: "POST", headers, body: JSON.stringify({ k }) });
      const { version } = (await res.json()) as { version: string };
      byVersion[version] = (byVersion[version] ?? 0) + 1;
    }
    expect(byVersion).toEqual({ v1: 50, v2: 50 });
    expect(s.counts()).toMatchObject({ stable: 50, candidate: 50, mirrored: 25 });
    await until(() => shadow.seen.length >= 25);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shadow.seen).toHaveLength(25);
    // requests 4, 8, ..., 100, each an exact copy
    expect(shadow.seen.map((r) => r.url).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `/predict?k=${4 * (i + 1)}`).sort());
    for (const r of shadow.seen) {
      expect(r.method).toBe("POST");
      expect(r.headers["x-segment"]).toBe("plant-a");
      expect(JSON.parse(r.body)).toEqual({ k: Number(r.url.split("=")[1]) });
    }
    expect(held).toHaveLength(25); // still unanswered: the clients did not wait for them

    mirror = undefined; // mirroring off from the next poll on
    const reads = mirrorReads;
    await until(() => mirrorReads >= reads + 2);
    await versions(s.url, 8);
    expect(s.counts()).toMatchObject({ mirrored: 25, readErrors: 0 });
  });

  it("stop() is idempotent, waits for an in-flight poll, stops polling and frees the port", async () => {
    const v1 = await upstream("v1");
    let reads = 0;
    let release: (() => void) | undefined;
    const readWeights = async (): Promise<SplitWeights> => {
      reads++;
      if (reads === 2) await new Promise<void>((resolve) => (release = resolve));
      return { stable: 1, candidate: 0 };
    };
    const s = await startSplitter({ stableUrl: v1.url, candidateUrl: v1.url, readWeights, pollMs: 10 });
    cleanups.push(async () => {
      release?.();
      await s.stop();
    });
    expect(await versions(s.url, 3)).toEqual({ v1: 3 }); // keep-alive connections open
    await until(() => release !== undefined);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    expect(s.stop()).toBe(s.stop());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false); // the second read is still in flight
    release!();
    await stopping;
    await s.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(2);
    await expect(fetch(`${s.url}/predict`)).rejects.toThrow();
    const port = Number(new URL(s.url).port);
    const again = await splitter({ stableUrl: v1.url, candidateUrl: v1.url, readWeights: () => Promise.resolve({ stable: 1, candidate: 0 }), port });
    expect(again.url).toBe(s.url);
    expect(await versions(again.url, 1)).toEqual({ v1: 1 });
  });
});
