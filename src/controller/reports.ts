// The operator's HTTP answer for governance reports: GET /reports lists the monitors that have
// one, GET /reports/<namespace>/<monitor> returns its latest report as Markdown, read from the
// ConfigMap the monitor's status names (the text written on schedule, never re-rendered).
// The read-only web view: GET /ui/ is an index of every watched monitor, GET /ui/<namespace>/<monitor>
// its latest HTML report from the same ConfigMap. Nothing here writes; no Secret is read.
import { HTML_REPORT_KEY, REPORT_KEY } from "../domain/monitor/report.ts";
import { monitorRowOf, renderReportIndex } from "../domain/monitor/report-index.ts";
import type { KubeObject } from "./reconciler.ts";

export interface ReportLookup {
  /** The monitor as the cache holds it, by namespace/name. */
  monitor(key: string): KubeObject | undefined;
  /** Every monitor the cache holds. */
  list(): KubeObject[];
  read(namespace: string, configMap: string, key: string): Promise<string | undefined>;
}
export interface ReportAnswer {
  status: number;
  type: "text/markdown" | "text/plain" | "text/html";
  body: string;
  headers?: Record<string, string>;
}

/**
 * Headers of every web-view answer: the pages need no script, no request elsewhere and no
 * framing, so the browser is told to allow none (a value that escaped escaping still could not run).
 */
export const WEB_VIEW_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const reportOf = (m: KubeObject | undefined) => (m?.status as { report?: { configMap?: string; lastTime?: string } } | undefined)?.report;

export async function reportResponse(url: string, lookup: ReportLookup): Promise<ReportAnswer> {
  const path = new URL(url, "http://localhost").pathname.replace(/\/+$/, "");
  if (path === "/reports") {
    const rows = lookup
      .list()
      .filter((m) => reportOf(m)?.configMap)
      .map((m) => `- [${m.metadata.namespace}/${m.metadata.name}](/reports/${m.metadata.namespace}/${m.metadata.name}) (${reportOf(m)?.lastTime ?? "?"})`)
      .sort();
    return {
      status: 200,
      type: "text/markdown",
      body: `# Governance reports\n\n${rows.length ? rows.join("\n") : "None yet: set spec.report on a ModelMonitor."}\n`,
    };
  }
  return stored(
    path,
    lookup,
    REPORT_KEY,
    "text/markdown",
    "use /reports/<namespace>/<monitor>",
    (ns, cm) => `ConfigMap ${ns}/${cm} (key ${REPORT_KEY}) does not exist`,
  );
}

/** A monitor's stored report under `key`, from `/<prefix>/<namespace>/<monitor>`, or why there is none. */
async function stored(
  path: string,
  lookup: ReportLookup,
  key: string,
  type: ReportAnswer["type"],
  usage: string,
  missing: (namespace: string, configMap: string) => string,
): Promise<ReportAnswer> {
  const parts = path.split("/").slice(2).map(decoded);
  const [namespace, name] = parts;
  if (parts.length !== 2 || !namespace || !name || !NAME.test(namespace) || !NAME.test(name)) return plain(404, usage);
  const monitor = lookup.monitor(`${namespace}/${name}`);
  if (!monitor) return plain(404, `no ModelMonitor ${namespace}/${name} is watched by this operator`);
  const report = reportOf(monitor);
  if (!report?.configMap) {
    const asked = (monitor.spec as { report?: unknown } | undefined)?.report !== undefined;
    return plain(
      404,
      asked ? `ModelMonitor ${namespace}/${name} has not written its first report yet` : `ModelMonitor ${namespace}/${name} has no spec.report`,
    );
  }
  const text = await lookup.read(namespace, report.configMap, key);
  return text === undefined ? plain(404, missing(namespace, report.configMap)) : { status: 200, type, body: text };
}

/** A path segment decoded; a malformed escape is no name (undefined), never a thrown error. */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const plain = (status: number, message: string): ReportAnswer => ({ status, type: "text/plain", body: `${message}\n` });

/** GET /ui/ and /ui/<namespace>/<monitor>; any other method is refused: the view is read-only. */
export async function webViewResponse(method: string | undefined, url: string, lookup: ReportLookup, now: number): Promise<ReportAnswer> {
  const answer = await webView(method, url, lookup, now);
  return { ...answer, headers: { ...WEB_VIEW_HEADERS, ...answer.headers } };
}

async function webView(method: string | undefined, url: string, lookup: ReportLookup, now: number): Promise<ReportAnswer> {
  if (method !== "GET" && method !== "HEAD") return { ...plain(405, "the web view is read-only: GET only"), headers: { Allow: "GET, HEAD" } };
  const path = new URL(url, "http://localhost").pathname.replace(/\/+$/, "");
  if (path === "/ui") return { status: 200, type: "text/html", body: renderReportIndex(lookup.list().map(monitorRowOf), now) };
  return stored(
    path,
    lookup,
    HTML_REPORT_KEY,
    "text/html",
    "use /ui/ or /ui/<namespace>/<monitor>",
    (ns, cm) => `ConfigMap ${ns}/${cm} has no ${HTML_REPORT_KEY} yet (written with the next report)`,
  );
}
