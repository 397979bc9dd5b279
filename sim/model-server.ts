// Simulated ML inference server.
//
// Exports, through a private prom-client Registry, the metrics a real inference
// service would (predictions by outcome, confidence, scores, latency, input
// features, query-embedding centroid, LLM-style refusals and safety flags, user
// feedback, regression error sums). Its behaviour (accuracy, latency, drift...)
// can be changed while it runs, from code or over HTTP. Used by the demo and by
// integration tests against a real Prometheus.
//
// The pieces: behaviour.ts (configuration and validation), random.ts and
// embedding.ts (generators), metrics.ts and generator.ts (the traffic and its
// metrics), targets.ts (Prometheus file SD); this file is the HTTP server.
//
// Traffic: "generated" (default) makes predictions by itself on a tick; "served" makes exactly
// one per request to /predict, so the metrics follow the traffic that reached this server
// (e.g. through a weighted HTTPRoute); sim/load.ts sends such requests.

import http from "node:http";
import { once } from "node:events";
import {
  behaviourRequestSchema,
  BehaviourValidationError,
  MAX_SERVE_WAIT_SECONDS,
  validateOptions,
  versionRequestSchema,
  zodIssues,
  type ModelServerOptions,
  type SegmentBehaviour,
} from "./behaviour.ts";
import { TrafficGenerator } from "./generator.ts";

const MAX_BODY_BYTES = 64 * 1024;

export interface ModelServer {
  url: string;
  port: number;
  /** "generated" or "served" (see ModelServerOptions.traffic) */
  traffic: "generated" | "served";
  /** Patch the behaviour of one segment, or of all segments when `segment` is omitted. Throws on invalid input. */
  setBehaviour(patch: Partial<SegmentBehaviour>, segment?: string): void;
  /** Patch the override of one fairness group (applies in every segment). Throws if groups are not configured. */
  setGroupBehaviour(group: string, patch: Partial<SegmentBehaviour>): void;
  /** Switch the `version` label; series of the previous version are dropped (as after a redeploy). */
  setVersion(version: string): void;
  /** Current behaviour per segment (copies). */
  behaviour(): Record<string, SegmentBehaviour>;
  close(): Promise<void>;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  validateOptions(options);
  const tickMs = options.tickMs ?? 100;
  const generator = new TrafficGenerator(options, performance.now());
  const serveLatencyScale = options.serveLatencyScale ?? 0;
  /** served responses waiting for their drawn latency; cleared on close */
  const waits = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    switch (pathname) {
      case "/metrics": {
        if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET");
        const body = await generator.registry.metrics();
        res.writeHead(200, { "content-type": generator.registry.contentType });
        res.end(method === "HEAD" ? undefined : body);
        return;
      }
      case "/predict": {
        if (method !== "GET" && method !== "POST") return methodNotAllowed(res, "GET, POST");
        req.resume(); // the body, if any, is not used
        if (generator.traffic !== "served") {
          return sendJson(res, 409, { error: 'traffic is "generated": /predict is served only with traffic "served" (--traffic served)' });
        }
        const query = new URL(req.url ?? "/", "http://localhost").searchParams;
        let answer;
        try {
          answer = generator.predict(
            { segment: header(req, "x-segment") ?? query.get("segment") ?? undefined, group: header(req, "x-group") ?? query.get("group") ?? undefined },
            performance.now(),
          );
        } catch (error) {
          if (error instanceof BehaviourValidationError) return sendValidationError(res, error);
          throw error;
        }
        const waitMs = Math.min(answer.prediction.latencySeconds * serveLatencyScale, MAX_SERVE_WAIT_SECONDS) * 1000;
        if (waitMs > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              waits.delete(timer);
              resolve();
            }, waitMs);
            waits.add(timer);
          });
        }
        return sendJson(res, 200, answer);
      }
      case "/healthz": {
        if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET");
        return sendJson(res, 200, { status: "ok" });
      }
      case "/behaviour": {
        if (method === "GET") return sendJson(res, 200, generator.document());
        if (method !== "POST") return methodNotAllowed(res, "GET, POST");
        const body = await readJson(req, res);
        if (body === undefined) return;
        const parsed = behaviourRequestSchema.safeParse(body);
        if (!parsed.success) return sendValidationError(res, new BehaviourValidationError(zodIssues(parsed.error, "")));
        const { segment, group, patch } = parsed.data;
        try {
          if (group !== undefined) {
            if (segment !== undefined) {
              throw new BehaviourValidationError([{ field: "group", message: "segment and group are exclusive (group overrides apply to every segment)" }]);
            }
            generator.setGroupBehaviour(group, patch as Partial<SegmentBehaviour>);
          } else {
            generator.setBehaviour(patch as Partial<SegmentBehaviour>, segment);
          }
        } catch (error) {
          if (error instanceof BehaviourValidationError) return sendValidationError(res, error);
          throw error;
        }
        return sendJson(res, 200, generator.document());
      }
      case "/version": {
        if (method !== "POST") return methodNotAllowed(res, "POST");
        const body = await readJson(req, res);
        if (body === undefined) return;
        const parsed = versionRequestSchema.safeParse(body);
        if (!parsed.success) return sendValidationError(res, new BehaviourValidationError(zodIssues(parsed.error, "")));
        generator.setVersion(parsed.data.version);
        return sendJson(res, 200, { model: generator.model, version: generator.version });
      }
      default:
        return sendJson(res, 404, { error: `not found: ${pathname}` });
    }
  }

  server.listen(options.port ?? 0, "127.0.0.1");
  try {
    await Promise.race([
      once(server, "listening"),
      once(server, "error").then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    server.close();
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("model-server: unexpected server address");
  const port = address.port;

  generator.restartClock(performance.now());
  // served mode: predictions come from requests only, so there is nothing to tick
  const timer = generator.traffic === "generated" ? setInterval(() => generator.tick(performance.now()), tickMs) : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve, reject) => {
      clearInterval(timer);
      // responses still waiting for their latency are dropped with their connections
      for (const wait of waits) clearTimeout(wait);
      waits.clear();
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    traffic: generator.traffic,
    setBehaviour: (patch, segment) => generator.setBehaviour(patch, segment),
    setGroupBehaviour: (group, patch) => generator.setGroupBehaviour(group, patch),
    setVersion: (version) => generator.setVersion(version),
    behaviour: () => generator.behaviour(),
    close,
  };
}

/** A request header's value (the first, if repeated), undefined when absent or empty. */
function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendValidationError(res: http.ServerResponse, error: BehaviourValidationError): void {
  sendJson(res, 400, { error: error.message, issues: error.issues });
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  sendJson(res, 405, { error: `method not allowed (allowed: ${allow})` });
}

/** Reads a JSON body; on failure answers 400/413 itself and returns undefined. */
async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      return undefined;
    }
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    sendJson(res, 400, { error: "body: invalid JSON" });
    return undefined;
  }
}
