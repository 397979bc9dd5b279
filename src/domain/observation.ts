// What a metrics query can answer, and what a signal observation is. Three outcomes, never
// confused: a value; no data; an error. Only a value can make a model Healthy or raise a finding.

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

// CredentialsRefused: the operator refused to send a Secret's credentials to the source;
// CredentialsMissing: the Secret named does not exist. No request is made in either case.
export const QUERY_ERROR_KINDS = [
  "Unreachable",
  "Timeout",
  "HttpError",
  "Unauthorized",
  "BadQuery",
  "ParseError",
  "CredentialsRefused",
  "CredentialsMissing",
] as const;
export type QueryErrorKind = (typeof QUERY_ERROR_KINDS)[number];

export type QueryResult = { kind: "vector"; samples: Sample[] } | { kind: "error"; error: QueryErrorKind; message: string };

/** An instant query at a point in time (epoch ms). */
export interface QueryRequest {
  expr: string;
  time: number;
}

export const queryKey = (q: QueryRequest): string => `${q.time}|${q.expr}`;

/** Reasons an observation has no value. UpperCamelCase: they end up in conditions. */
export const NO_DATA_REASONS = ["NoSeries", "TooFewSamples", "ZeroDenominator"] as const;
export const ERROR_REASONS = [
  "PrometheusUnreachable",
  "QueryTimeout",
  "QueryHttpError",
  "QueryUnauthorized",
  "CredentialsNotAllowed",
  "SecretNotFound",
  "QueryRejected",
  "ResponseUnparsable",
  "MultipleSeries",
  "NotFinite",
  "InvalidData",
] as const;
export type NoDataReason = (typeof NO_DATA_REASONS)[number];
export type ErrorReason = (typeof ERROR_REASONS)[number];

export type Observation =
  | { state: "Value"; value: number; samples?: number }
  | { state: "NoData"; reason: NoDataReason; message: string; samples?: number }
  | { state: "Error"; reason: ErrorReason; message: string };

export const errorReasonOf = (kind: QueryErrorKind): ErrorReason =>
  (
    ({
      Unreachable: "PrometheusUnreachable",
      Timeout: "QueryTimeout",
      HttpError: "QueryHttpError",
      Unauthorized: "QueryUnauthorized",
      BadQuery: "QueryRejected",
      ParseError: "ResponseUnparsable",
      CredentialsRefused: "CredentialsNotAllowed",
      CredentialsMissing: "SecretNotFound",
    }) as const
  )[kind];

/** Significant digits for status and messages: enough to compare, short enough to read. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}
