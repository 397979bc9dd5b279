// Picks the metrics source of a monitor: the operator's default Prometheus, or the monitor's
// own spec.source with credentials from a Secret. Clients are cached per (url, secret, timeout)
// and Secrets for a short time, so 10,000 monitors do not mean 10,000 Secret reads per interval.
import type { ModelMonitorSpec } from "../../api/v1alpha1/modelmonitor.ts";
import { durationMs } from "../../domain/duration.ts";
import type { QueryResult } from "../../domain/observation.ts";
import type { MetricsSource } from "../../ports.ts";
import { Limiter, PrometheusClient, type PrometheusAuth } from "./client.ts";

export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export interface ResolverOptions {
  defaultUrl: string;
  defaultTimeoutMs: number;
  retries: number;
  limiter: Limiter;
  readSecret: SecretReader;
  secretTtlMs?: number;
  onResult?: (r: QueryResult) => void;
}

export function createSourceResolver(o: ResolverOptions) {
  const clients = new Map<string, PrometheusClient>();
  const secrets = new Map<string, { at: number; data: Record<string, string> | undefined }>();
  const ttl = o.secretTtlMs ?? 60_000;
  const failing = (message: string): MetricsSource => ({
    query: async () => ({ kind: "error", error: "Unauthorized", message }),
  });

  return async (namespace: string, spec: ModelMonitorSpec): Promise<MetricsSource> => {
    const url = spec.source?.url ?? o.defaultUrl;
    const timeoutMs = spec.source?.timeout ? durationMs(spec.source.timeout) : o.defaultTimeoutMs;
    let auth: PrometheusAuth | undefined;
    let ca: string | undefined;
    const secretName = spec.source?.authSecretRef?.name;
    if (secretName) {
      const key = `${namespace}/${secretName}`;
      let cached = secrets.get(key);
      if (!cached || Date.now() - cached.at > ttl) {
        try {
          cached = { at: Date.now(), data: await o.readSecret(namespace, secretName) };
          secrets.set(key, cached);
        } catch (err) {
          return failing(`cannot read Secret ${key}: ${(err as Error).message}`);
        }
      }
      const data = cached.data;
      if (!data) return failing(`Secret ${key} named in spec.source.authSecretRef does not exist`);
      if (data.token) auth = { bearerToken: data.token.trim() };
      else if (data.username !== undefined && data.password !== undefined) auth = { username: data.username, password: data.password };
      ca = data["ca.crt"];
    }
    const cacheKey = JSON.stringify([url, timeoutMs, auth, ca]);
    let client = clients.get(cacheKey);
    if (!client) {
      client = new PrometheusClient({ url, timeoutMs, retries: o.retries, auth, caBundle: ca, limiter: o.limiter });
      clients.set(cacheKey, client);
    }
    return client;
  };
}
