// A weighted HTTP splitter on 127.0.0.1. It STANDS IN for the data plane of a traffic router that
// cannot run on these machines (Envoy for Istio, KServe's own), so that a rollout's requests really
// split between a stable and a candidate server. It follows the routing object's weights as read
// through the API server (the caller's readWeights, re-read every pollMs), nothing more: no retries,
// no health checks, no outlier ejection; mirroring only when the caller's mirror() names a target.
//
// Split: smooth weighted round-robin (as nginx's), not random, so over N requests each backend gets
// N·w/sum within 1; the round-robin state restarts when the weights change. Both weights 0 = no
// backend: 503. An upstream that fails (refused, reset, 5 s timeout) gives a 502.
// Mirroring is deterministic too: with p %, request k (counted since the mirror target last changed)
// is also sent to the mirror when floor(k·p/100) > floor((k-1)·p/100); its answer is discarded.
// Bodies are buffered in both directions (requests up to 16 MiB) so that a copy can be mirrored.

import http from "node:http";
import { once } from "node:events";
import { Agent, request } from "undici";
import { errorKind } from "./load.ts";

/** Non-negative integers; both 0 = no backend (answer 503). */
export interface SplitWeights {
  stable: number;
  candidate: number;
}

export interface SplitterOptions {
  stableUrl: string; // e.g. http://127.0.0.1:8081
  candidateUrl: string;
  /** Called every pollMs; an error or a rejected promise keeps the last weights (and counts readErrors). */
  readWeights: () => Promise<SplitWeights>;
  pollMs?: number; // default 200
  /** Optional mirroring (for shadow tests): this share (0..100) of requests is ALSO sent to url, its answer discarded. Re-read with the weights. */
  mirror?: () => Promise<{ url: string; percent: number } | undefined>;
  port?: number; // default 0 (any free port)
}

export interface Splitter {
  url: string; // http://127.0.0.1:<port>
  weights(): SplitWeights | undefined; // the weights last read
  counts(): { stable: number; candidate: number; mirrored: number; readErrors: number; upstreamErrors: number };
  /** Closes the server and its keep-alive connections, stops polling (after a poll in flight); idempotent. */
  stop(): Promise<void>;
}

type Headers = Record<string, string | string[] | undefined>;

const DEFAULT_POLL_MS = 200;
const UPSTREAM_TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
// RFC 9110 §7.6.1 hop-by-hop headers (plus proxy-connection); `expect` is answered by node:http and refused by undici
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/** Resolves once listening and the first weights (and mirror, if any) were read; throws if that first read fails. */
export async function startSplitter(options: SplitterOptions): Promise<Splitter> {
  const stableUrl = baseUrl(options.stableUrl, "stableUrl");
  const candidateUrl = baseUrl(options.candidateUrl, "candidateUrl");
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  if (!Number.isFinite(pollMs) || pollMs <= 0) throw new Error("pollMs: must be a positive number");

  const counters = { stable: 0, candidate: 0, mirrored: 0, readErrors: 0, upstreamErrors: 0 };
  let weights: SplitWeights | undefined;
  let current = { stable: 0, candidate: 0 }; // smooth weighted round-robin state
  let mirror: { url: string; percent: number } | undefined;
  let mirrorSeen = 0; // requests forwarded since the mirror target last changed

  async function updateWeights(): Promise<void> {
    const next = checkWeights(await options.readWeights());
    if (weights?.stable === next.stable && weights.candidate === next.candidate) return;
    weights = next;
    current = { stable: 0, candidate: 0 };
  }
  async function updateMirror(): Promise<void> {
    if (options.mirror === undefined) return;
    const next = checkMirror(await options.mirror());
    if (next?.url === mirror?.url && next?.percent === mirror?.percent) return;
    mirror = next;
    mirrorSeen = 0;
  }

  function pick(): "stable" | "candidate" | undefined {
    const w = weights ?? { stable: 0, candidate: 0 };
    const total = w.stable + w.candidate;
    if (total === 0) return undefined;
    current.stable += w.stable;
    current.candidate += w.candidate;
    const chosen = current.stable >= current.candidate ? "stable" : "candidate";
    current[chosen] -= total;
    return chosen;
  }
  function mirrorUrl(): string | undefined {
    if (mirror === undefined) return undefined;
    const k = ++mirrorSeen;
    return Math.floor((k * mirror.percent) / 100) > Math.floor(((k - 1) * mirror.percent) / 100) ? mirror.url : undefined;
  }

  const agent = new Agent({ keepAliveTimeout: 10_000, connect: { timeout: UPSTREAM_TIMEOUT_MS } });
  function send(base: string, method: string, path: string, headers: Headers, body: Buffer, signal: AbortSignal) {
    return request(base + path, { method, headers, body: body.length > 0 ? body : undefined, dispatcher: agent, signal });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return sendText(res, 413, `request body larger than ${MAX_BODY_BYTES} bytes\n`);
    const backend = pick();
    if (backend === undefined) return sendText(res, 503, "no backend: both weights are 0\n");
    counters[backend]++;
    const method = req.method ?? "GET";
    const { pathname, search } = new URL(req.url ?? "/", "http://splitter");
    const path = pathname + search;
    const headers = endToEnd(req.headers, "content-length"); // undici sets it from the buffered body
    const copyTo = mirrorUrl();
    if (copyTo !== undefined) {
      counters.mirrored++;
      send(copyTo, method, path, headers, body, AbortSignal.timeout(UPSTREAM_TIMEOUT_MS))
        .then((answer) => answer.body.dump())
        .catch(() => undefined); // fire and forget
    }
    const signal = AbortSignal.timeout(UPSTREAM_TIMEOUT_MS);
    try {
      const up = await send(backend === "stable" ? stableUrl : candidateUrl, method, path, headers, body, signal);
      const answer = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, endToEnd(up.headers)).end(answer);
    } catch (error) {
      counters.upstreamErrors++;
      sendText(res, 502, `bad gateway: ${backend} upstream failed (${signal.aborted ? "timeout" : errorKind(error)})\n`);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `splitter: ${error instanceof Error ? error.message : String(error)}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  try {
    await updateWeights();
    await updateMirror();
    server.listen(options.port ?? 0, "127.0.0.1");
    await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error as Error))]);
  } catch (error) {
    server.close();
    await agent.destroy().catch(() => undefined);
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("splitter: unexpected server address");

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  async function poll(): Promise<void> {
    for (const update of [updateWeights, updateMirror]) await update().catch(() => counters.readErrors++);
  }
  function schedule(): void {
    timer = setTimeout(() => {
      polling = poll().finally(() => {
        polling = undefined;
        if (!stopped) schedule();
      });
    }, pollMs);
    timer.unref();
  }
  schedule();

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      stopped = true;
      clearTimeout(timer);
      await polling;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.destroy().catch(() => undefined);
    })();
    return stopping;
  }
  return {
    url: `http://127.0.0.1:${address.port}`,
    weights: () => (weights === undefined ? undefined : { ...weights }),
    counts: () => ({ ...counters }),
    stop,
  };
}

function baseUrl(value: string, name: string): string {
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`${name}: expected http or https, got "${value}"`);
  return url.href.replace(/\/+$/, ""); // the request's path is appended
}

function checkWeights(value: unknown): SplitWeights {
  const { stable, candidate } = (value ?? {}) as Partial<SplitWeights>;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!ok(stable) || !ok(candidate)) throw new Error(`weights: expected non-negative integers, got ${JSON.stringify(value)}`);
  return { stable, candidate };
}

function checkMirror(value: { url: string; percent: number } | undefined): { url: string; percent: number } | undefined {
  if (value === undefined || value.percent === 0) return undefined;
  if (typeof value.percent !== "number" || !(value.percent >= 0 && value.percent <= 100)) throw new Error("mirror: percent must be in 0..100");
  return { url: baseUrl(value.url, "mirror url"), percent: value.percent };
}

/** The headers without hop-by-hop ones (those named in `connection` too) and without `drop`. */
function endToEnd(headers: Headers, drop?: string): Headers {
  const listed = String(headers.connection ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase());
  const kept: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !listed.includes(name) && name !== drop) kept[name] = value;
  }
  return kept;
}

/** The whole request body, or undefined when larger than MAX_BODY_BYTES. */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer); // past it: drained, so the 413 can be sent
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
