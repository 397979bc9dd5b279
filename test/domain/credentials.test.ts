// Which endpoints a Secret's credentials may be sent to: only those the Secret allows.
import { describe, expect, it } from "vitest";
import { ALLOWED_URLS_ANNOTATION, credentialsAllowed, METRICS_CREDENTIALS_LABEL } from "../../src/domain/credentials.ts";

const optedIn = (urls: string) => ({ labels: { [METRICS_CREDENTIALS_LABEL]: "true" }, annotations: { [ALLOWED_URLS_ANNOTATION]: urls } });
const allowed = (urls: string, url: string) => credentialsAllowed("ml", "prom", optedIn(urls), url).allowed;

describe("credentials bound to their endpoints", () => {
  it("needs the opt-in label, whatever the annotation says", () => {
    for (const labels of [undefined, {} as Record<string, string>, { [METRICS_CREDENTIALS_LABEL]: "yes" }, { [METRICS_CREDENTIALS_LABEL]: "True" }]) {
      const v = credentialsAllowed("ml", "prom", { labels, annotations: { [ALLOWED_URLS_ANNOTATION]: "http://p:9090" } }, "http://p:9090");
      expect(v).toMatchObject({ allowed: false, reason: "SecretNotOptedIn" });
    }
  });

  it("allows the listed endpoints and the paths below them", () => {
    expect(allowed("http://p:9090", "http://p:9090")).toBe(true);
    expect(allowed("http://p:9090", "http://p:9090/")).toBe(true);
    expect(allowed("http://p:9090/", "http://p:9090/prometheus")).toBe(true);
    expect(allowed("https://thanos.example/api", "https://thanos.example/api/v1")).toBe(true);
    expect(allowed("https://thanos.example/api/", "https://thanos.example/api")).toBe(true);
    expect(allowed("https://a.example, https://b.example\nhttps://c.example", "https://c.example/x")).toBe(true);
    expect(allowed("HTTPS://Thanos.Example:443/api", "https://thanos.example/api")).toBe(true);
  });

  it("refuses look-alikes: another host, port, scheme, a sibling path or a parent folder", () => {
    const base = "https://thanos.example/api";
    for (const url of [
      "https://thanos.example.evil.test/api",
      "https://evil.test/thanos.example/api",
      "https://thanos.example:8443/api",
      "http://thanos.example/api",
      "https://thanos.example/apix",
      "https://thanos.example/",
      "https://thanos.example/api/../admin",
      "https://thanos.example/api/%2e%2e/admin",
    ])
      expect(allowed(base, url), url).toBe(false);
  });

  it("ignores entries that are not plain http(s) URLs, and names them", () => {
    const v = credentialsAllowed(
      "ml",
      "prom",
      optedIn("*, thanos.example, https://u:p@p.example, https://p.example/?x=1, ftp://p.example"),
      "https://p.example",
    );
    expect(v).toMatchObject({ allowed: false, reason: "UrlNotAllowed" });
    expect(v.allowed === false && v.message).toContain(`has no valid ${ALLOWED_URLS_ANNOTATION} annotation (ignored entries`);
  });

  it("names the field, the Secret, the URL and the command that fixes it", () => {
    const v = credentialsAllowed("ml", "prom", optedIn("https://p.example"), "https://q.example:9090");
    expect(v.allowed).toBe(false);
    if (v.allowed) return;
    expect(v.message).toMatch(
      /^spec\.source\.authSecretRef: Secret ml\/prom allows only https:\/\/p\.example\/, not https:\/\/q\.example:9090 \(spec\.source\.url\)/,
    );
    expect(v.message).toContain(
      `kubectl label secret prom -n ml ${METRICS_CREDENTIALS_LABEL}=true && kubectl annotate secret prom -n ml ${ALLOWED_URLS_ANNOTATION}=https://q.example:9090`,
    );
  });
});
