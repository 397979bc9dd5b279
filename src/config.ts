// Operator configuration from the environment, validated at start with a clear error.
import { z } from "zod";
import { parseDuration } from "./domain/duration.ts";
import { formatIssues } from "./api/validation.ts";

const positiveInt = (name: string, def: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(1, `${name} must be at least 1`).default(def);

export const configSchema = z.object({
  PROMETHEUS_URL: z.url({ protocol: /^https?$/, error: "PROMETHEUS_URL must be an http(s) URL" }).default("http://127.0.0.1:9090"),
  WATCH_NAMESPACES: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean)),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  WORKERS: positiveInt("WORKERS", 8),
  QUERY_CONCURRENCY: positiveInt("QUERY_CONCURRENCY", 16),
  QUERY_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  QUERY_TIMEOUT: z
    .string()
    .default("10s")
    .refine((s) => parseDuration(s) !== undefined, "QUERY_TIMEOUT must be a duration such as 10s"),
  METRICS_ADDR: z
    .string()
    .default("127.0.0.1:8080")
    .refine((s) => /^[^:]*:\d{1,5}$/.test(s), "METRICS_ADDR must be host:port"),
});
export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  const relevant = Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]));
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) throw new Error(`invalid configuration: ${formatIssues(parsed.error, "env")}`);
  return parsed.data;
}
