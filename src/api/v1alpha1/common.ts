// Building blocks shared by both resources. Every constraint here ends up in the CRD's
// OpenAPI schema (scripts/gen-crds.ts), so the API server rejects bad objects at apply time.
import { z } from "zod";

export const GROUP = "modelguardian.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** CEL rules the API server evaluates; passed through to the CRD unchanged. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden" | "FieldValueDuplicate";
}
export const cel = (...rules: CelRule[]) => ({ "x-kubernetes-validations": rules });

/** "exactly one of these optional fields" as a CEL rule. */
export function exactlyOneOf(fields: string[], message?: string): CelRule {
  const has = fields.map((f) => `has(self.${f})`).join(", ");
  return {
    rule: `[${has}].filter(x, x).size() == 1`,
    message: message ?? `exactly one of ${fields.join(", ")} must be set`,
  };
}

export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$/;
export const duration = () =>
  z
    .string()
    .max(32)
    .regex(DURATION_PATTERN, { message: "must be a duration such as 30s, 15m, 1h or 7d" })
    .describe("A duration: a sequence of number+unit (ms, s, m, h, d, w), for example 90s, 1h30m, 7d.");

export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9_]{0,61}[a-z0-9])?$/;
export const identifier = (what: string) =>
  z.string().min(1).max(63).regex(NAME_PATTERN, { message: `${what} must be lower-case alphanumerics, '-' or '_'` });

export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const metricName = () =>
  z.string().min(1).max(200).regex(METRIC_NAME_PATTERN, { message: "must be a Prometheus metric name" });

export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const labelName = () =>
  z.string().min(1).max(100).regex(LABEL_NAME_PATTERN, { message: "must be a Prometheus label name" });

/** Label name -> exact value. Values may contain anything: the operator escapes them. */
export const labelMatchers = () =>
  z
    .record(labelName(), z.string().max(1024))
    .meta({ maxProperties: 16 })
    .describe("Label matchers (name: exact value) added to every query; values are escaped by the operator.");

/** Severity thresholds of one rule: at least one tier must be given. */
export const tiers = (what: string) =>
  z
    .object({
      warning: z.number().min(0).optional().describe(`${what} at which the finding is a warning.`),
      critical: z.number().min(0).optional().describe(`${what} at which the finding is critical.`),
    })
    .meta(cel({ rule: "has(self.warning) || has(self.critical)", message: "at least one of warning or critical must be set" }));
export type Tiers = z.infer<ReturnType<typeof tiers>>;

export const SEVERITIES = ["warning", "critical"] as const;
export const severity = () => z.enum(SEVERITIES);
export type Severity = (typeof SEVERITIES)[number];

export const localObjectReference = () => z.object({ name: z.string().min(1).max(253) });

export const time = () => z.iso.datetime({ offset: true });

/** Kubernetes API conventions for conditions. */
export const condition = () =>
  z.object({
    type: z.string().min(1).max(316),
    status: z.enum(["True", "False", "Unknown"]),
    reason: z.string().min(1).max(1024),
    message: z.string().max(32768),
    lastTransitionTime: time(),
    observedGeneration: z.int32().min(0).optional(),
  });
export type Condition = z.infer<ReturnType<typeof condition>>;

export const FINDING_TYPES = [
  "AccuracyDrift",
  "DataDrift",
  "EmbeddingDrift",
  "BehaviourDrift",
  "ConfidenceDrop",
  "Latency",
  "Fairness",
  "Threshold",
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];
