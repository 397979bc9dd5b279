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

/** What each reason for a missing value means, for docs/reference/events.md (`npm run docs:gen`); a test checks every reason has one. */
export const OBSERVATION_REASON_DOCS: { readonly [R in NoDataReason | ErrorReason]?: string } = {
  NoSeries: "The query matched no series; the message says whether the metric exists at all and which selector or field to check.",
  TooFewSamples: "Fewer samples than minSamples in the window: no verdict either way.",
  ZeroDenominator: "The denominator (a ratio's, or a classification's total) did not increase over the window.",
  PrometheusUnreachable: "The metrics source could not be reached (or, after 5 consecutive failures, is left alone for 30 s).",
  QueryTimeout: "The query took longer than spec.source.timeout.",
  QueryHttpError: "The metrics source answered with an HTTP error.",
  QueryUnauthorized: "The metrics source refused the credentials (HTTP 401 or 403).",
  CredentialsNotAllowed: "The Secret of spec.source.authSecretRef does not allow this URL (label and annotation): no query is sent.",
  SecretNotFound: "The Secret of spec.source.authSecretRef does not exist: no query is sent.",
  QueryRejected: "The metrics source refused the query (HTTP 400 or 422: a custom expression that is not valid PromQL, for example).",
  ResponseUnparsable: "The answer was not the Prometheus HTTP API's JSON.",
  MultipleSeries: "The query answered several series where the signal needs one.",
  NotFinite: "The value is NaN or infinite.",
  InvalidData: "The data cannot be used as it is (for example histogram buckets of different layouts); the message says why.",
};
