// Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics): instant queries
// with timeout, retries with backoff, bearer or basic auth and a CA bundle. Every failure is
// classified into a QueryResult error kind; nothing is thrown to the caller.
// undici itself: its Agent (for a CA bundle) does not plug into Node's bundled fetch
import { Agent, request, type Dispatcher } from "undici";
import type { QueryErrorKind, QueryRequest, QueryResult, Sample } from "../../domain/observation.ts";
import type { MetricsSource } from "../../ports.ts";

export type PrometheusAuth = { bearerToken: string } | { username: string; password: string };

export interface PrometheusClientOptions {
  url: string;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  auth?: PrometheusAuth | undefined;
  caBundle?: string | undefined;
  /** Bounds concurrent HTTP requests across every client sharing it. */
  limiter?: TaskLimiter;
}

export class PrometheusClient implements MetricsSource {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly options: Required<Pick<PrometheusClientOptions, "timeoutMs" | "retries" | "retryBaseMs">>;
  private readonly limiter: TaskLimiter | undefined;

  constructor(o: PrometheusClientOptions) {
    this.base = o.url.replace(/\/+$/, "");
    this.options = { timeoutMs: o.timeoutMs ?? 10_000, retries: o.retries ?? 2, retryBaseMs: o.retryBaseMs ?? 200 };
    this.headers = { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" };
    if (o.auth && "bearerToken" in o.auth) this.headers.Authorization = `Bearer ${o.auth.bearerToken}`;
    else if (o.auth) this.headers.Authorization = `Basic ${Buffer.from(`${o.auth.username}:${o.auth.password}`).toString("base64")}`;
    this.dispatcher = o.caBundle ? new Agent({ connect: { ca: o.caBundle } }) : undefined;
    this.limiter = o.limiter;
  }

  async query(request: QueryRequest): Promise<QueryResult> {
    let last: QueryResult = { kind: "error", error: "Unreachable", message: "not attempted" };
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await sleep(this.options.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      last = this.limiter ? await this.limiter.run(() => this.once(request)) : await this.once(request);
      if (last.kind === "vector" || !retryable(last)) return last;
    }
    return last;
  }

  /** A range query: one vector per step (epoch ms), as samples with their timestamps. */
  async queryRange(expr: string, startMs: number, endMs: number, stepMs: number): Promise<RangeResult> {
    const params = { query: expr, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${Math.max(1, stepMs / 1000)}s` };
    const run = () => this.post<RangeResult>("/api/v1/query_range", params, parseRangeResponse);
    return this.limiter ? this.limiter.run(run) : run();
  }

  private once(request: QueryRequest): Promise<QueryResult> {
    return this.post<QueryResult>("/api/v1/query", { query: request.expr, time: (request.time / 1000).toFixed(3) }, parseQueryResponse);
  }

  private async post<R>(path: string, params: Record<string, string>, parse: (status: number, text: string) => R): Promise<R | QueryError> {
    const body = new URLSearchParams(params);
    body.set("timeout", `${Math.max(1, Math.floor(this.options.timeoutMs / 1000))}s`);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    // undici's request rather than fetch: the same pool, without the WHATWG streams and
    // objects fetch builds per call (a measurable share of an evaluation's CPU at scale)
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${this.base}${path}`, {
        method: "POST",
        headers: this.headers,
        body: body.toString(),
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
      if (signal.aborted || e.name === "TimeoutError" || e.name === "AbortError")
        return fail("Timeout", `no answer from ${this.base} within ${this.options.timeoutMs} ms`);
      return fail("Unreachable", `${this.base}: ${e.code ?? e.cause?.code ?? ""} ${e.cause?.message ?? e.message}`.trim());
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      if (signal.aborted) return fail("Timeout", `no complete answer from ${this.base} within ${this.options.timeoutMs} ms`);
      return fail("Unreachable", `reading the answer of ${this.base}: ${(err as Error).message}`);
    }
    return parse(response.statusCode, text);
  }
}

type QueryError = Extract<QueryResult, { kind: "error" }>;
export type RangeResult = { kind: "matrix"; series: { labels: Record<string, string>; points: [number, number][] }[] } | QueryError;

export function parseRangeResponse(httpStatus: number, text: string): RangeResult {
  const envelope = parseEnvelope(httpStatus, text);
  if ("kind" in envelope) return envelope;
  if (envelope.resultType !== "matrix" || !Array.isArray(envelope.result))
    return fail("ParseError", `expected a matrix, got ${envelope.resultType}`) as RangeResult;
  const series: { labels: Record<string, string>; points: [number, number][] }[] = [];
  for (const item of envelope.result as { metric?: Record<string, string>; values?: unknown[] }[]) {
    if (typeof item?.metric !== "object" || !Array.isArray(item.values)) return fail("ParseError", "malformed series in data.result") as RangeResult;
    const points: [number, number][] = [];
    for (const v of item.values) {
      const value = Array.isArray(v) && typeof v[1] === "string" ? parseSampleValue(v[1]) : undefined;
      if (value === undefined || typeof (v as unknown[])[0] !== "number") return fail("ParseError", "malformed point in data.result") as RangeResult;
      points.push([((v as unknown[])[0] as number) * 1000, value]);
    }
    series.push({ labels: item.metric ?? {}, points });
  }
  return { kind: "matrix", series };
}

/** The `data` of a successful answer, or the classified error. */
function parseEnvelope(httpStatus: number, text: string): { resultType: string; result: unknown } | Extract<QueryResult, { kind: "error" }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    if (httpStatus === 401 || httpStatus === 403) return fail("Unauthorized", `HTTP ${httpStatus}`);
    if (httpStatus >= 300) return fail("HttpError", `HTTP ${httpStatus}: ${text.slice(0, 200)}`);
    return fail("ParseError", `answer is not JSON: ${text.slice(0, 200)}`);
  }
  const body = json as { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  if (httpStatus === 401 || httpStatus === 403) return fail("Unauthorized", `HTTP ${httpStatus}: ${body.error ?? ""}`);
  if (body.status !== "success") {
    // Prometheus answers 400 for bad queries and 422 for queries it cannot execute
    if (httpStatus === 400 || httpStatus === 422 || body.errorType === "bad_data")
      return fail("BadQuery", `${body.errorType ?? "error"}: ${body.error ?? "query rejected"}`);
    if (body.errorType === "timeout") return fail("Timeout", body.error ?? "query timed out");
    return fail("HttpError", `HTTP ${httpStatus}: ${body.errorType ?? ""} ${body.error ?? ""}`.trim());
  }
  const data = body.data;
  if (!data || typeof data.resultType !== "string") return fail("ParseError", "answer has no data.resultType");
  return { resultType: data.resultType, result: data.result };
}

export function parseQueryResponse(httpStatus: number, text: string): QueryResult {
  const data = parseEnvelope(httpStatus, text);
  if ("kind" in data) return data;
  const point = (v: unknown): number | undefined => (Array.isArray(v) && v.length === 2 && typeof v[1] === "string" ? parseSampleValue(v[1]) : undefined);
  if (data.resultType === "scalar") {
    const value = point(data.result);
    return value === undefined ? fail("ParseError", "malformed scalar") : { kind: "vector", samples: [{ labels: {}, value }] };
  }
  if (data.resultType !== "vector") return fail("ParseError", `expected an instant vector, got ${data.resultType}`);
  if (!Array.isArray(data.result)) return fail("ParseError", "data.result is not a list");
  const samples: Sample[] = [];
  for (const item of data.result as { metric?: Record<string, string>; value?: unknown }[]) {
    const value = point(item?.value);
    if (value === undefined || typeof item.metric !== "object") return fail("ParseError", "malformed sample in data.result");
    samples.push({ labels: item.metric ?? {}, value });
  }
  return { kind: "vector", samples };
}

/** Prometheus writes NaN, +Inf and -Inf as strings; everything else is a decimal. */
function parseSampleValue(text: string): number | undefined {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  const v = Number(text);
  return text.trim() === "" || Number.isNaN(v) ? undefined : v;
}

const fail = (error: QueryErrorKind, message: string): Extract<QueryResult, { kind: "error" }> => ({ kind: "error", error, message });
const retryable = (r: QueryResult) =>
  r.kind === "error" && (r.error === "Unreachable" || r.error === "Timeout" || (r.error === "HttpError" && /HTTP (5\d\d|429)/.test(r.message)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order. */
/** Runs tasks under a bound on how many run at once. */
export interface TaskLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export class Limiter implements TaskLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
  get inFlight() {
    return this.active;
  }
}
