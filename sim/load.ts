// A load generator standing in for the clients of a model: it sends prediction requests to a
// URL (a model server in served mode, or the data plane in front of several of them) at a
// steady rate and counts the answers by the version that gave them, by status code, and the
// failures by kind. It never throws on a failing target: a refused connection or a timeout is
// one more count.
//
// Pacing follows the wall clock: request k is due at start + k/rps (k = 1, 2, ...). At most
// `concurrency` requests are in flight. A request that comes due while they all are waits
// for one to finish; at most `concurrency` requests wait, and any further due request is not
// sent but counted as skipped. So a stall (of the target or of this process) is followed by
// at most `concurrency` late requests, never by a catch-up burst.

import { Agent, request } from "undici";

export interface LoadOptions {
  /** where to send, e.g. http://127.0.0.1:8080/predict */
  url: string;
  /** requests per second over all segments, > 0 */
  requestsPerSecond: number;
  /** sent round-robin in the `x-segment` header; when omitted the server picks (round-robin too) */
  segments?: string[];
  /** requests in flight at most, also the number of keep-alive connections (default 8) */
  concurrency?: number;
  /** extra request headers (e.g. `host` for a route's hostname) */
  headers?: Record<string, string>;
  /** per-request deadline, connection included (default 5000) */
  timeoutMs?: number;
  /** default "POST" */
  method?: "GET" | "POST";
}

export interface LoadSummary {
  /** wall-clock seconds since start (until stop() once stopped) */
  elapsedSeconds: number;
  /** requests sent */
  sent: number;
  /** requests that got an HTTP response, whatever its status (= sum of byStatus) */
  completed: number;
  /** requests that failed without a response (= sum of errors) */
  failed: number;
  /** requests sent and not yet answered or failed */
  inFlight: number;
  /** requests due but waiting for one of the `concurrency` requests in flight to finish (at most `concurrency`) */
  waiting: number;
  /** requests that came due while `concurrency` were in flight and `concurrency` more were waiting, and were never sent (waiting ones dropped by stop() count here too) */
  skipped: number;
  /** responses whose JSON body names a `version` (what a model server in served mode answers), by that version */
  byVersion: Record<string, number>;
  /** responses by HTTP status code */
  byStatus: Record<string, number>;
  /** failed requests by kind: connection_refused, timeout, connection_reset, dns, unreachable, or the error's code */
  errors: Record<string, number>;
}

export interface Load {
  /** Stops sending, waits for the requests in flight (each ends by its timeout at the latest), and returns the final counts. Idempotent. */
  stop(): Promise<LoadSummary>;
  /** The counts so far (a copy). */
  summary(): LoadSummary;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Starts sending at once. Throws on invalid options, never because of the target. */
export function startLoad(options: LoadOptions): Load {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`url: expected http or https, got "${options.url}"`);
  const rps = options.requestsPerSecond;
  if (typeof rps !== "number" || !Number.isFinite(rps) || rps <= 0 || rps > 100_000) {
    throw new Error("requestsPerSecond: must be a number in (0, 100000]");
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) throw new Error("concurrency: must be an integer in 1..10000");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error("timeoutMs: must be a positive number");
  const segments = options.segments ?? [];
  if (segments.some((s) => typeof s !== "string" || s === "")) throw new Error("segments: names must be non-empty strings");
  const method = options.method ?? "POST";
  if (method !== "GET" && method !== "POST") throw new Error('method: must be "GET" or "POST"');
  const baseHeaders: Record<string, string> = { ...options.headers };

  const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 10_000 });
  const counts = { sent: 0, completed: 0, failed: 0, skipped: 0 };
  const byVersion: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let inFlight = 0;
  let waiting = 0;
  let slots = 0; // requests come due so far (sent + waiting + skipped)
  let stoppedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let idle: (() => void) | undefined;
  const started = performance.now();
  const intervalMs = 1000 / rps;

  function add(record: Record<string, number>, key: string): void {
    record[key] = (record[key] ?? 0) + 1;
  }

  async function send(segment: string | undefined): Promise<void> {
    const headers = segment === undefined ? baseHeaders : { ...baseHeaders, "x-segment": segment };
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, { method, headers, dispatcher: agent, signal });
      const text = await readCapped(res.body);
      add(byStatus, String(res.statusCode));
      counts.completed++;
      const version = versionOf(text);
      if (version !== undefined) add(byVersion, version);
    } catch (error) {
      add(errors, signal.aborted ? "timeout" : errorKind(error));
      counts.failed++;
    }
  }

  function dispatch(): void {
    const segment = segments.length > 0 ? segments[counts.sent % segments.length] : undefined;
    inFlight++;
    counts.sent++;
    void send(segment).finally(() => {
      inFlight--;
      if (waiting > 0 && stoppedAt === undefined) {
        waiting--;
        dispatch();
      } else if (inFlight === 0) idle?.();
    });
  }

  function pump(): void {
    timer = undefined;
    if (stoppedAt !== undefined) return;
    const due = Math.floor((performance.now() - started) / intervalMs);
    while (slots < due) {
      slots++;
      if (inFlight < concurrency) dispatch();
      else if (waiting < concurrency) waiting++;
      else counts.skipped++;
    }
    const wait = started + (slots + 1) * intervalMs - performance.now();
    timer = setTimeout(pump, Math.max(0, Math.ceil(wait)));
  }
  timer = setTimeout(pump, Math.ceil(intervalMs));

  function summary(): LoadSummary {
    return {
      elapsedSeconds: ((stoppedAt ?? performance.now()) - started) / 1000,
      ...counts,
      inFlight,
      waiting,
      byVersion: { ...byVersion },
      byStatus: { ...byStatus },
      errors: { ...errors },
    };
  }

  let stopping: Promise<LoadSummary> | undefined;
  function stop(): Promise<LoadSummary> {
    stopping ??= (async () => {
      stoppedAt = performance.now();
      clearTimeout(timer);
      counts.skipped += waiting;
      waiting = 0;
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await agent.close().catch(() => undefined);
      return summary();
    })();
    return stopping;
  }

  return { stop, summary };
}

/** Reads a response body as text, up to MAX_RESPONSE_BYTES (the rest is discarded). */
async function readCapped(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size < MAX_RESPONSE_BYTES) chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function versionOf(text: string): string | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const body = JSON.parse(text) as { version?: unknown };
    return typeof body.version === "string" && body.version !== "" ? body.version : undefined;
  } catch {
    return undefined;
  }
}

/** A short, stable name for why a request got no response. */
export function errorKind(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  switch (code) {
    case "ECONNREFUSED":
      return "connection_refused";
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "ETIMEDOUT":
      return "timeout";
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return "connection_reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "dns";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "unreachable";
    case undefined:
      return typeof e?.name === "string" && e.name !== "" ? e.name : "unknown";
    default:
      return code;
  }
}
