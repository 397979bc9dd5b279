// Whether a Secret's credentials may be sent to a metrics endpoint. Creating a ModelMonitor
// must not let a person use a Secret they cannot read: the operator can read it, so without
// this check anyone who may create monitors could name any Secret of the namespace and a URL
// of their own, and receive the token (a confused deputy). The Secret itself says where its
// credentials may go; whoever may write the Secret decides, never whoever writes the monitor.
// Pure: the resolver reads the Secret and asks here before any request is made.

/** The opt-in: only Secrets carrying this label (value "true") are read as metrics credentials. */
export const METRICS_CREDENTIALS_LABEL = "modelguardian.dev/metrics-credentials";
/** The endpoints: URL prefixes, separated by commas, spaces or new lines. */
export const ALLOWED_URLS_ANNOTATION = "modelguardian.dev/allowed-urls";

export interface SecretMetadata {
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}

export type CredentialVerdict = { allowed: true } | { allowed: false; reason: "SecretNotOptedIn" | "UrlNotAllowed"; message: string };

/** The fix a person can run, named in every refusal. */
function fix(namespace: string, secret: string, url: string): string {
  return `kubectl label secret ${secret} -n ${namespace} ${METRICS_CREDENTIALS_LABEL}=true && kubectl annotate secret ${secret} -n ${namespace} ${ALLOWED_URLS_ANNOTATION}=${url}`;
}

/**
 * Decides whether the credentials of Secret `namespace/secret` may be sent to `url`.
 * A URL is allowed by an entry with the same scheme, host and port whose path is the URL's
 * path or one of its parent folders (`https://p.example/api` allows `https://p.example/api/v1`
 * but neither `https://p.example/apix` nor `https://p.example.evil.test/api`).
 */
export function credentialsAllowed(namespace: string, secret: string, meta: SecretMetadata, url: string): CredentialVerdict {
  const where = `spec.source.authSecretRef: Secret ${namespace}/${secret}`;
  if (meta.labels?.[METRICS_CREDENTIALS_LABEL] !== "true")
    return {
      allowed: false,
      reason: "SecretNotOptedIn",
      message: `${where} is not labelled ${METRICS_CREDENTIALS_LABEL}=true, so its credentials are not sent anywhere; whoever manages the Secret can allow ${url} with: ${fix(namespace, secret, url)}`,
    };
  const listed = allowedUrlsOf(meta);
  const target = parseEndpoint(url);
  if (target && listed.valid.some((prefix) => covers(prefix, target))) return { allowed: true };
  const declared = listed.valid.length > 0 ? `allows only ${listed.valid.map((u) => u.href).join(", ")}` : `has no valid ${ALLOWED_URLS_ANNOTATION} annotation`;
  const ignored =
    listed.invalid.length > 0
      ? ` (ignored entries that are not http(s) URLs without credentials, query or fragment: ${listed.invalid.map((s) => JSON.stringify(s.slice(0, 80))).join(", ")})`
      : "";
  return {
    allowed: false,
    reason: "UrlNotAllowed",
    message: `${where} ${declared}${ignored}, not ${url} (spec.source.url): its credentials are not sent there; to allow it, add the URL to the Secret's ${ALLOWED_URLS_ANNOTATION} annotation: ${fix(namespace, secret, url)}`,
  };
}

function allowedUrlsOf(meta: SecretMetadata): { valid: URL[]; invalid: string[] } {
  const raw = meta.annotations?.[ALLOWED_URLS_ANNOTATION] ?? "";
  const valid: URL[] = [];
  const invalid: string[] = [];
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const u = parseEndpoint(entry);
    if (u) valid.push(u);
    else invalid.push(entry);
  }
  return { valid, invalid };
}

/** An http(s) URL without user info, query or fragment; undefined otherwise. */
function parseEndpoint(s: string): URL | undefined {
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "" || u.hostname === "") return undefined;
  return u;
}

function covers(prefix: URL, target: URL): boolean {
  // URL normalises case, default ports and dot segments, so equal origins compare equal
  if (prefix.protocol !== target.protocol || prefix.hostname !== target.hostname || prefix.port !== target.port) return false;
  const folder = prefix.pathname.endsWith("/") ? prefix.pathname : `${prefix.pathname}/`;
  const path = target.pathname.endsWith("/") ? target.pathname : `${target.pathname}/`;
  return path.startsWith(folder);
}
