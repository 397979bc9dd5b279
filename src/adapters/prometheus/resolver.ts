// Picks the metrics source of a monitor: the operator's default Prometheus, or the monitor's
// own spec.source with credentials from a Secret. Clients are cached per (url, secret, timeout)
// and Secrets for a short time, so 10,000 monitors do not mean 10,000 Secret reads per interval.
// Each source (URL) has its own bound on concurrent queries inside the global one, and its own
// budget of failures: after `failures` consecutive unreachable or timed-out queries it is not
// queried for `openMs` (its monitors report the error at once), so one slow or dead tenant
// Prometheus cannot hold the slots every other monitor needs. Idle clients are dropped.
// A Secret's credentials go only to the endpoints the Secret itself allows (domain/credentials.ts):
// otherwise no request is made and every query answers CredentialsRefused.
// With `batching`, each client batches its own queries (batching.ts): queries are only ever
// batched with others sent to the same URL with the same credentials.
import type { ModelMonitorSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { credentialsAllowed, type SecretMetadata } from "../../domain/credentials.ts";
import { durationMs } from "../../domain/duration.ts";
import { CREDENTIALS_RETRY_MS } from "../../domain/monitor/lifecycle.ts";
import type { QueryRequest, QueryResult } from "../../domain/observation.ts";
import type { MetricsSource } from "../../ports.ts";
import { BatchingSource, type BatchingOptions } from "./batching.ts";
import { Limiter, PrometheusClient, type PrometheusAuth, type TaskLimiter } from "./client.ts";

export type SecretReader = (namespace: string, name: string) => Promise<(SecretMetadata & { data: Record<string, string> }) | undefined>;

export interface ResolverOptions {
  defaultUrl: string;
  defaultTimeoutMs: number;
  retries: number;
  limiter: Limiter;
  readSecret: SecretReader;
  secretTtlMs?: number;
  onResult?: (r: QueryResult) => void;
  /** Concurrent queries to one source at most (default: half the global limit, at least 1). */
  perSourceConcurrency?: number;
  /** Consecutive unreachable or timed-out queries after which a source rests (default 5, for 30 s). */
  breaker?: { failures: number; openMs: number };
  /** A client unused this long is dropped (default 10 min). */
  idleMs?: number;
  /** Coalesces and batches each client's queries (absent: every query is sent as it is). */
  batching?: BatchingOptions | undefined;
  now?: () => number;
}

/** One source's share: its own limiter inside the global one, and its failure budget. */
interface SourceGate {
  limiter: TaskLimiter;
  failures: number;
  openUntil: number;
  lastError: string;
}

const TRANSPORT_ERRORS = new Set(["Unreachable", "Timeout"]);

class GuardedSource implements MetricsSource {
  private readonly client: MetricsSource;
  private readonly gate: SourceGate;
  private readonly url: string;
  private readonly breaker: { failures: number; openMs: number };
  private readonly now: () => number;
  constructor(client: MetricsSource, gate: SourceGate, url: string, breaker: { failures: number; openMs: number }, now: () => number) {
    this.client = client;
    this.gate = gate;
    this.url = url;
    this.breaker = breaker;
    this.now = now;
  }
  async query(request: QueryRequest): Promise<QueryResult> {
    const g = this.gate;
    const wait = g.openUntil - this.now();
    if (wait > 0)
      return {
        kind: "error",
        error: "Unreachable",
        message: `${this.url} is not queried for ${Math.ceil(wait / 1000)} s more after ${g.failures} consecutive failures; the last: ${g.lastError}`,
      };
    const r = await this.client.query(request);
    if (r.kind === "error" && TRANSPORT_ERRORS.has(r.error)) {
      g.failures++;
      g.lastError = r.message;
      if (g.failures >= this.breaker.failures) g.openUntil = this.now() + this.breaker.openMs;
    } else g.failures = 0;
    return r;
  }
}

export function createSourceResolver(o: ResolverOptions) {
  const now = o.now ?? Date.now;
  const breaker = o.breaker ?? { failures: 5, openMs: 30_000 };
  const perSource = Math.max(1, o.perSourceConcurrency ?? Math.floor(o.limiter.limit / 2));
  const idleMs = o.idleMs ?? 10 * 60_000;
  const clients = new Map<string, { source: MetricsSource; usedAt: number }>();
  const gates = new Map<string, SourceGate & { usedAt: number }>();
  let sweptAt = now();
  const gateOf = (url: string) => {
    let g = gates.get(url);
    if (!g) {
      const own = new Limiter(perSource);
      g = { limiter: { run: (task) => own.run(() => o.limiter.run(task)) }, failures: 0, openUntil: 0, lastError: "", usedAt: now() };
      gates.set(url, g);
    }
    g.usedAt = now();
    return g;
  };
  const sweep = () => {
    const t = now();
    if (t - sweptAt < 60_000) return;
    sweptAt = t;
    for (const [k, c] of clients) if (t - c.usedAt > idleMs) clients.delete(k);
    for (const [k, g] of gates) if (t - g.usedAt > idleMs) gates.delete(k);
  };
  const secrets = new Map<string, { until: number; secret: Awaited<ReturnType<SecretReader>> }>();
  const ttl = o.secretTtlMs ?? 60_000;
  // a Secret that was missing, refused, or whose credentials the source rejected is read again
  // sooner: its owner is likely fixing or rotating it
  const refusedTtl = Math.min(ttl, CREDENTIALS_RETRY_MS);
  const failing = (message: string, error: "Unauthorized" | "CredentialsRefused" | "CredentialsMissing" = "Unauthorized"): MetricsSource => ({
    query: async () => ({ kind: "error", error, message }),
  });

  return async (namespace: string, spec: ModelMonitorSpec): Promise<MetricsSource> => {
    const url = spec.source?.url ?? o.defaultUrl;
    const timeoutMs = spec.source?.timeout ? durationMs(spec.source.timeout) : o.defaultTimeoutMs;
    let auth: PrometheusAuth | undefined;
    let ca: string | undefined;
    const secretName = spec.source?.authSecretRef?.name;
    let used: { until: number } | undefined;
    if (secretName) {
      const key = `${namespace}/${secretName}`;
      let cached = secrets.get(key);
      if (!cached || now() > cached.until) {
        try {
          cached = { until: now() + ttl, secret: await o.readSecret(namespace, secretName) };
          secrets.set(key, cached);
        } catch (err) {
          return failing(`cannot read Secret ${key}: ${(err as Error).message}`);
        }
      }
      const secret = cached.secret;
      if (!secret) {
        cached.until = Math.min(cached.until, now() + refusedTtl);
        return failing(
          `spec.source.authSecretRef: Secret ${key} does not exist; the monitor is evaluated again every ${CREDENTIALS_RETRY_MS / 1000} s until it does`,
          "CredentialsMissing",
        );
      }
      const verdict = credentialsAllowed(namespace, secretName, secret, url);
      if (!verdict.allowed) {
        cached.until = Math.min(cached.until, now() + refusedTtl);
        return failing(verdict.message, "CredentialsRefused");
      }
      used = cached;
      const data = secret.data;
      if (data.token) auth = { bearerToken: data.token.trim() };
      else if (data.username !== undefined && data.password !== undefined) auth = { username: data.username, password: data.password };
      ca = data["ca.crt"];
    }
    sweep();
    const cacheKey = JSON.stringify([url, timeoutMs, auth, ca]);
    let client = clients.get(cacheKey);
    if (!client) {
      const gate = gateOf(url);
      const guarded = new GuardedSource(
        new PrometheusClient({ url, timeoutMs, retries: o.retries, auth, caBundle: ca, limiter: gate.limiter }),
        gate,
        url,
        breaker,
        now,
      );
      client = { source: o.batching ? new BatchingSource(guarded, o.batching) : guarded, usedAt: now() };
      clients.set(cacheKey, client);
    } else gateOf(url); // keeps the source's gate from being swept while its client is in use
    client.usedAt = now();
    if (!used) return client.source;
    // credentials the source rejects (a rotated token) are read again soon, not after a minute
    const source = client.source;
    const entry = used;
    return {
      query: async (request) => {
        const answer = await source.query(request);
        if (answer.kind === "error" && answer.error === "Unauthorized") entry.until = Math.min(entry.until, now() + refusedTtl);
        return answer;
      },
    };
  };
}
