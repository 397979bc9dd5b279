// The operator's HTTP server: /metrics, /healthz and /readyz, and the read-only /reports and
// /ui/ web view (reports.ts). Any replica answers, a follower too: from its caches and the
// report ConfigMaps.
import { createServer, type Server } from "node:http";
import type { Clock } from "../ports.ts";
import { reportResponse, webViewResponse, type ReportAnswer, type ReportLookup } from "./reports.ts";

export interface HttpServerDeps {
  /** host:port */
  addr: string;
  /** The metrics exposition (a prom-client Registry). */
  metrics: { contentType: string; metrics(): Promise<string> };
  reports: ReportLookup;
  clock: Clock;
  /** Whether this replica reconciles, as /healthz and /readyz say it. */
  role(): string;
  /** Whether every cache has been listed once. */
  synced(): boolean;
}

const REPORT_PATH = /^\/ui(\/|\?|$)/;

export function startHttpServer(d: HttpServerDeps): Server {
  const [host, port] = d.addr.split(":") as [string, string];
  const server = createServer(async (req, res) => {
    const url = req.url;
    if (url === "/metrics") {
      res.setHeader("Content-Type", d.metrics.contentType);
      res.end(await d.metrics.metrics());
    } else if (url !== undefined && (url.startsWith("/reports") || REPORT_PATH.test(url))) {
      const answer = await (url.startsWith("/ui") ? webViewResponse(req.method, url, d.reports, d.clock.now()) : reportResponse(url, d.reports)).catch(
        (err: Error): ReportAnswer => ({ status: 502, type: "text/plain", body: `${err.message}\n` }),
      );
      res.writeHead(answer.status, { "Content-Type": `${answer.type}; charset=utf-8`, ...answer.headers }).end(req.method === "HEAD" ? undefined : answer.body);
    } else if (url === "/healthz") res.end(`ok: ${d.role()}\n`);
    // a follower is ready too: it serves /metrics and /reports, and takes over with warm caches
    else if (url === "/readyz") {
      if (d.synced()) res.end(`ok: ${d.role()}\n`);
      else res.writeHead(503).end(`caches not synced yet: ${d.role()}\n`);
    } else res.writeHead(404).end();
  });
  server.listen(Number(port), host);
  return server;
}
