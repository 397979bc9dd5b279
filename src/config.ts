// Operator configuration from the environment, validated at start with a clear error.
import { z } from "zod";
import { durationMs, parseDuration } from "./domain/duration.ts";
import { formatIssues } from "./api/validation.ts";
import { DNS_SUBDOMAIN_PATTERN } from "./api/v1alpha1/common.ts";
import { imageEntryProblem } from "./domain/remediation/job-limits.ts";

const positiveInt = (name: string, def: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be at least 1`)
    .default(def);

/** A comma-separated list; unset or empty: undefined (no limit). Each entry is checked, and named when refused. */
const allowList = (name: string, problem: (entry: string) => string | undefined) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      const entries = (s ?? "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
      for (const entry of entries) {
        const why = problem(entry);
        if (why) ctx.addIssue({ code: "custom", message: `${name}: ${why}` });
      }
      return entries.length ? entries : undefined;
    });

const serviceAccountProblem = (name: string) =>
  name.length <= 253 && DNS_SUBDOMAIN_PATTERN.test(name) ? undefined : `"${name}" is not a ServiceAccount name (a lower-case DNS subdomain)`;

const duration = (name: string, def: string) =>
  z
    .string()
    .default(def)
    .refine((s) => parseDuration(s) !== undefined, `${name} must be a duration such as ${def}`);

export const configSchema = z
  .object({
    PROMETHEUS_URL: z.url({ protocol: /^https?$/, error: "PROMETHEUS_URL must be an http(s) URL" }).default("http://127.0.0.1:9090"),
    WATCH_NAMESPACES: z
      .string()
      .default("")
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
    WORKERS: positiveInt("WORKERS", 8),
    QUERY_CONCURRENCY: positiveInt("QUERY_CONCURRENCY", 16),
    /** One source's share of QUERY_CONCURRENCY (default: half of it). */
    QUERY_CONCURRENCY_PER_SOURCE: positiveInt("QUERY_CONCURRENCY_PER_SOURCE", 8),
    QUERY_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** Queries of many monitors that differ only in their selectors' values are sent as one (docs/operations/scale.md). */
    QUERY_BATCHING: z
      .enum(["true", "false"], { error: "QUERY_BATCHING must be true or false" })
      .default("true")
      .transform((s) => s === "true"),
    /** How long a batch waits for more queries after its first; an answer is of a moment at most this far from the one asked for. */
    QUERY_BATCH_WINDOW: duration("QUERY_BATCH_WINDOW", "100ms").refine((s) => (parseDuration(s) ?? 0) <= 5_000, "QUERY_BATCH_WINDOW must be at most 5s"),
    /** Distinct selectors in one batched query at most. */
    QUERY_BATCH_MAX: positiveInt("QUERY_BATCH_MAX", 100),
    QUERY_TIMEOUT: z
      .string()
      .default("10s")
      .refine((s) => parseDuration(s) !== undefined, "QUERY_TIMEOUT must be a duration such as 10s"),
    LEADER_ELECT: z
      .enum(["true", "false"], { error: "LEADER_ELECT must be true or false" })
      .default("false")
      .transform((s) => s === "true"),
    LEASE_NAME: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "LEASE_NAME must be a lower-case object name")
      .default("model-guardian"),
    LEASE_NAMESPACE: z.string().optional(),
    POD_NAMESPACE: z.string().optional(),
    POD_NAME: z.string().optional(),
    LEASE_DURATION: duration("LEASE_DURATION", "15s"),
    LEASE_RENEW_DEADLINE: duration("LEASE_RENEW_DEADLINE", "10s"),
    LEASE_RETRY_PERIOD: duration("LEASE_RETRY_PERIOD", "2s"),
    /**
     * How long a stop (SIGTERM) waits for the reconciles in flight before the process exits without
     * them; below the pod's terminationGracePeriodSeconds (30 s by default), which then kills it.
     */
    SHUTDOWN_GRACE: z
      .string()
      .default("20s")
      .refine((s) => (parseDuration(s) ?? 0) > 0, "SHUTDOWN_GRACE must be a duration longer than 0s, such as 20s"),
    /** How long a monitor's status may go unwritten while only its values move (0s: written every evaluation). */
    STATUS_VALUES_MAX_AGE: duration("STATUS_VALUES_MAX_AGE", "5m"),
    /** ServiceAccounts a retraining Job's pods may run as (unset: any); docs/operations/security.md. */
    JOB_ALLOWED_SERVICE_ACCOUNTS: allowList("JOB_ALLOWED_SERVICE_ACCOUNTS", serviceAccountProblem),
    /** Images (registry prefixes or repositories) a retraining Job's containers may run (unset: any); docs/operations/security.md. */
    JOB_ALLOWED_IMAGES: allowList("JOB_ALLOWED_IMAGES", imageEntryProblem),
    /** Rollouts change only objects labelled modelguardian.dev/rollout-target=true; docs/operations/security.md. */
    REQUIRE_TARGET_OPT_IN: z
      .enum(["true", "false"], { error: "REQUIRE_TARGET_OPT_IN must be true or false" })
      .default("false")
      .transform((s) => s === "true"),
    /** Added to every time the operator reads (e.g. -30s): for the fault campaign's clock-skew experiment. */
    CLOCK_OFFSET: z
      .string()
      .default("0s")
      .refine((s) => parseDuration(s.replace(/^-/, "")) !== undefined, "CLOCK_OFFSET must be a duration such as 30s or -30s")
      .transform((s) => (s.startsWith("-") ? -1 : 1) * (parseDuration(s.replace(/^-/, "")) as number)),
    METRICS_ADDR: z
      .string()
      .default("127.0.0.1:8080")
      .refine((s) => /^[^:]*:\d{1,5}$/.test(s), "METRICS_ADDR must be host:port"),
  })
  // a leader renews well before its lease runs out, and tries more often than it must renew
  .refine(
    (c) =>
      !c.LEADER_ELECT ||
      (durationOf(c.LEASE_RENEW_DEADLINE) < durationOf(c.LEASE_DURATION) && durationOf(c.LEASE_RETRY_PERIOD) < durationOf(c.LEASE_RENEW_DEADLINE)),
    {
      message: "leader election needs LEASE_RETRY_PERIOD < LEASE_RENEW_DEADLINE < LEASE_DURATION",
      path: ["LEASE_RENEW_DEADLINE"],
    },
  );
const durationOf = (s: string) => parseDuration(s) ?? Number.NaN;
export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  const relevant = Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]));
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) throw new Error(`invalid configuration: ${formatIssues(parsed.error, "env")}`);
  return parsed.data;
}

/** The Lease a replica competes for (LEADER_ELECT), and how: its own identity, the durations. */
export function leaseOf(c: Config, identity: string) {
  return {
    namespace: c.LEASE_NAMESPACE ?? c.POD_NAMESPACE ?? "default",
    name: c.LEASE_NAME,
    settings: {
      identity,
      durationMs: durationMs(c.LEASE_DURATION),
      renewDeadlineMs: durationMs(c.LEASE_RENEW_DEADLINE),
      retryMs: durationMs(c.LEASE_RETRY_PERIOD),
    },
  };
}

/** What the start log line says of the configuration. */
export const startupSummary = (c: Config) => ({
  prometheus: c.PROMETHEUS_URL,
  namespaces: c.WATCH_NAMESPACES,
  workers: c.WORKERS,
  metrics: c.METRICS_ADDR,
  jobAllowedServiceAccounts: c.JOB_ALLOWED_SERVICE_ACCOUNTS ?? "any",
  jobAllowedImages: c.JOB_ALLOWED_IMAGES ?? "any",
  requireTargetOptIn: c.REQUIRE_TARGET_OPT_IN,
});

/** The optional defences (docs/operations/security.md): the limits on retraining Jobs, which both controllers of retraining apply, and the rollouts' opt-in. */
/** How monitors' queries go to Prometheus: the default source, timeouts, retries, concurrency and batching. */
export const querySettingsOf = (c: Config) => ({
  defaultUrl: c.PROMETHEUS_URL,
  defaultTimeoutMs: durationMs(c.QUERY_TIMEOUT),
  retries: c.QUERY_RETRIES,
  perSourceConcurrency: c.QUERY_CONCURRENCY_PER_SOURCE,
  batching: c.QUERY_BATCHING ? { windowMs: durationMs(c.QUERY_BATCH_WINDOW), maxMembers: c.QUERY_BATCH_MAX } : undefined,
});

export const defencesOf = (c: Config) => ({
  jobLimits: { serviceAccounts: c.JOB_ALLOWED_SERVICE_ACCOUNTS, images: c.JOB_ALLOWED_IMAGES },
  requireTargetOptIn: c.REQUIRE_TARGET_OPT_IN,
});
