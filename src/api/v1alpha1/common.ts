// Building blocks shared by both resources. Every constraint here ends up in the CRD's
// OpenAPI schema (scripts/gen-crds.ts), so the API server rejects bad objects at apply time.
import { z } from "zod";

export const GROUP = "modelguardian.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** CEL rules the API server evaluates; passed through to the CRD unchanged. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden" | "FieldValueDuplicate";
}
export const cel = (...rules: CelRule[]) => ({ "x-kubernetes-validations": rules });

/**
 * A cross-field rule said twice, in CEL for the API server and as a predicate for zod, so the
 * operator and the API server refuse the same objects (a differential test holds them to it).
 */
export interface Rule<T> extends CelRule {
  message: string;
  holds(value: T): boolean;
}

/** Attaches rules to a schema: CEL in the CRD, refinements in zod, each at the rule's field. */
export function withRules<S extends z.ZodType>(schema: S, ...rules: Rule<z.output<S>>[]): S {
  let out = schema;
  for (const r of rules) {
    const path = r.fieldPath ? r.fieldPath.replace(/^\./, "").split(".") : [];
    out = out.refine((v) => r.holds(v as z.output<S>), { message: r.message, path }) as S;
  }
  return out.meta(cel(...rules.map(({ holds: _holds, ...c }) => c))) as S;
}

const present = (v: unknown, field: string) => (v as Record<string, unknown>)[field] !== undefined;

/** "exactly one of these optional fields" as a rule. */
export function exactlyOneOf<T>(fields: string[], message?: string): Rule<T> {
  const has = fields.map((f) => `has(self.${f})`).join(", ");
  return {
    rule: `[${has}].filter(x, x).size() == 1`,
    message: message ?? `exactly one of ${fields.join(", ")} must be set`,
    holds: (v) => fields.filter((f) => present(v, f)).length === 1,
  };
}

/** Length in code points, as the API server counts maxLength and CEL's size() (not UTF-16 units). */
export const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Free text of at most `max` characters, counted like the API server counts them. */
export const text = (max: number) =>
  z
    .string()
    .refine((s) => codePoints(s) <= max, { message: `must be at most ${max} characters` })
    .meta({ maxLength: max });

/** A list that the API server treats as a map keyed by `key`: entries must have distinct keys. */
export function listMap<S extends z.ZodArray>(schema: S, key: string): S {
  return schema
    .superRefine((items, ctx) => {
      const seen = new Set<unknown>();
      (items as Record<string, unknown>[]).forEach((item, index) => {
        // like the API server, name the entry that repeats a key
        if (seen.has(item[key])) ctx.addIssue({ code: "custom", path: [index], message: `Duplicate value: ${key} ${JSON.stringify(item[key])}` });
        seen.add(item[key]);
      });
    })
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [key] }) as S;
}

/** A map of at most `max` entries (maxProperties, which zod would not check by itself). */
export function boundedRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V, max: number) {
  return z
    .record(key, value)
    .refine((r) => Object.keys(r).length <= max, { message: `must have at most ${max} entries` })
    .meta({ maxProperties: max });
}

// ---------------------------------------------------------------- durations

export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds of a duration, summed part by part exactly as the CEL rule below sums them. */
export function durationToMs(value: string): number | undefined {
  if (!DURATION_PATTERN.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

/** The same sum in CEL (Kubernetes' regex and lists libraries), in milliseconds. */
const CEL_DURATION_MS =
  "self.findAll('[0-9]+(\\\\.[0-9]+)?(ms|s|m|h|d|w)').map(p, double(p.find('^[0-9]+(\\\\.[0-9]+)?')) * " +
  "(p.endsWith('ms') ? 1.0 : p.endsWith('s') ? 1000.0 : p.endsWith('m') ? 60000.0 : p.endsWith('h') ? 3600000.0 : p.endsWith('d') ? 86400000.0 : 604800000.0)).sum()";

/** Writes a bound back as the shortest duration text, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const [unit, size] of [
    ["d", UNIT_MS.d],
    ["h", UNIT_MS.h],
    ["m", UNIT_MS.m],
    ["s", UNIT_MS.s],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export interface DurationBounds {
  /** Smallest allowed value, in milliseconds (0 allows "0s"). */
  min: number;
  /** Largest allowed value, in milliseconds. */
  max: number;
}

/**
 * A duration such as 30s, 1h30m or 7d, between bounds that both the API server (CEL) and zod
 * check: a zero interval would make a busy loop, a zero window an empty query.
 */
export const duration = (bounds: DurationBounds) => {
  const range = `between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)}`;
  const inRange = (ms: number) => ms >= bounds.min && ms <= bounds.max;
  return z
    .string()
    .max(32)
    .regex(DURATION_PATTERN, { message: "must be a duration such as 30s, 15m, 1h or 7d" })
    .refine(
      (s) => {
        const ms = durationToMs(s);
        return ms === undefined || inRange(ms);
      },
      { message: `must be ${range}` },
    )
    .meta(cel({ rule: `[${CEL_DURATION_MS}].all(ms, ms >= ${bounds.min}.0 && ms <= ${bounds.max}.0)`, message: `must be ${range}` }))
    .describe(`A duration ${range}: a sequence of number+unit (ms, s, m, h, d, w), for example 90s, 1h30m, 7d.`);
};

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9_]{0,61}[a-z0-9])?$/;
export const identifier = (what: string) =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(NAME_PATTERN, { message: `${what} must be lower-case alphanumerics, '-' or '_'` });

export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const metricName = () => z.string().min(1).max(200).regex(METRIC_NAME_PATTERN, { message: "must be a Prometheus metric name" });

export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const labelName = () => z.string().min(1).max(100).regex(LABEL_NAME_PATTERN, { message: "must be a Prometheus label name" });

/** Label name -> exact value. Values may contain anything: the operator escapes them. */
export const labelMatchers = () =>
  boundedRecord(labelName(), text(1024), 16).describe("Label matchers (name: exact value) added to every query; values are escaped by the operator.");

/** Severity thresholds of one rule: at least one tier must be given. */
export const tiers = (what: string) =>
  withRules(
    z.strictObject({
      warning: z.number().min(0).optional().describe(`${what} at which the finding is a warning.`),
      critical: z.number().min(0).optional().describe(`${what} at which the finding is critical.`),
    }),
    {
      rule: "has(self.warning) || has(self.critical)",
      message: "at least one of warning or critical must be set",
      holds: (t) => t.warning !== undefined || t.critical !== undefined,
    },
  );
export type Tiers = z.infer<ReturnType<typeof tiers>>;

export const SEVERITIES = ["warning", "critical"] as const;
export const severity = () => z.enum(SEVERITIES);
export type Severity = (typeof SEVERITIES)[number];

/** metadata.name of a Kubernetes object (RFC 1123 subdomain). */
export const DNS_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const localObjectReference = () =>
  z.strictObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(DNS_SUBDOMAIN_PATTERN, { message: "must be a lower-case DNS subdomain name" })
      .describe("The object's name, in the same namespace."),
  });

export const time = () => z.iso.datetime({ offset: true });

/** Kubernetes API conventions for conditions. */
export const condition = () =>
  z.object({
    type: z.string().min(1).max(316).describe("The condition's type, e.g. Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("Whether the condition holds."),
    reason: z.string().min(1).max(1024).describe("Why, as one UpperCamelCase word."),
    message: z.string().max(32768).describe("Why, in a sentence for people."),
    lastTransitionTime: time().describe("When the status last changed."),
    observedGeneration: z.int32().min(0).optional().describe("The metadata.generation the condition was written for."),
  });
export type Condition = z.infer<ReturnType<typeof condition>>;

/**
 * A status's conditions, a list keyed by type: with server-side apply each controller owns
 * the condition types it writes, so a second writer's conditions survive its applies.
 */
export const conditions = () =>
  listMap(z.array(condition()).max(32), "type")
    .default([])
    .describe("The latest observations of the object's state, one per type (Kubernetes API conventions).");

export const FINDING_TYPES = ["AccuracyDrift", "DataDrift", "EmbeddingDrift", "BehaviourDrift", "ConfidenceDrop", "Latency", "Fairness", "Threshold"] as const;
export type FindingType = (typeof FINDING_TYPES)[number];
