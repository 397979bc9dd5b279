// Command line for the load generator (sim/load.ts), a stand-in for the clients of a model.
//
//   node sim/load-cli.ts --url http://127.0.0.1:8080/predict --rps 50 --duration 30s \
//     --segments plant-a,plant-b --concurrency 8
//
// Logs one JSON line when it starts and one with the summary when it ends (after --duration,
// or on SIGINT/SIGTERM); with --report, one with the counts so far every interval.

import { parseArgs } from "node:util";
import { pino } from "pino";
import { startLoad, type LoadOptions } from "./load.ts";

const USAGE = `Usage: node sim/load-cli.ts --url <url> [options]

  --url <url>               where to send, e.g. http://127.0.0.1:8080/predict (required)
  --rps <n>                 requests per second over all segments (default 10)
  --duration <d>            stop after d (e.g. 500ms, 30s, 5m, 1h; a bare number is seconds);
                            default: until SIGINT/SIGTERM
  --segments <a,b,...>      send these round-robin in the x-segment header (default: none)
  --concurrency <n>         requests in flight at most (default 8); a request due while all
                            are in flight is skipped and counted, never sent late
  --timeout <d>             per-request deadline (default 5s)
  --header <k=v>            extra request header (repeatable)
  --method <GET|POST>       default POST
  --report <d>              log the counts so far every d (default: only at the end)
  -h, --help                show this help
`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** "500ms", "30s", "5m", "1h" or a bare number of seconds, in ms. */
function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m?.[2] ?? "s"] ?? 1000;
  const ms = m ? Number(m[1]) * factor : NaN;
  if (!(ms > 0) || !Number.isFinite(ms) || ms > 2 ** 31 - 1) fail(`--${flag}: invalid duration "${value}"`);
  return ms;
}

function number(flag: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) fail(`--${flag}: invalid value "${value}"`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      url: { type: "string" },
      rps: { type: "string" },
      duration: { type: "string" },
      segments: { type: "string" },
      concurrency: { type: "string" },
      timeout: { type: "string" },
      header: { type: "string", multiple: true },
      method: { type: "string" },
      report: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const args = parsed.values;
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (args.url === undefined) fail("--url is required");
try {
  const u = new URL(args.url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http");
} catch {
  fail(`--url: expected an http(s) URL, got "${args.url}"`);
}
const rps = number("rps", args.rps, (n) => n > 0 && n <= 100_000) ?? 10;
const concurrency = number("concurrency", args.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000);
const durationMs = duration("duration", args.duration);
const timeoutMs = duration("timeout", args.timeout);
const reportMs = duration("report", args.report);
const method = args.method?.toUpperCase();
if (method !== undefined && method !== "GET" && method !== "POST") fail(`--method: expected GET or POST, got "${args.method}"`);
let segments: string[] | undefined;
if (args.segments !== undefined) {
  segments = args.segments.split(",").map((s) => s.trim());
  if (segments.some((s) => s === "")) fail(`--segments: empty item in "${args.segments}"`);
}
const headers: Record<string, string> = {};
for (const item of args.header ?? []) {
  const eq = item.indexOf("=");
  if (eq <= 0) fail(`--header: expected key=value, got "${item}"`);
  headers[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1);
}

const log = pino({ base: { component: "load-sim" } }, pino.destination({ dest: 1, sync: true }));

const options: LoadOptions = {
  url: args.url,
  requestsPerSecond: rps,
  headers,
  ...(segments !== undefined ? { segments } : {}),
  ...(concurrency !== undefined ? { concurrency } : {}),
  ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  ...(method !== undefined ? { method: method as "GET" | "POST" } : {}),
};
const load = startLoad(options);
log.info({ url: args.url, rps, segments: segments ?? null, concurrency: concurrency ?? 8, durationMs: durationMs ?? null }, "load started");

const reporter = reportMs !== undefined ? setInterval(() => log.info({ summary: load.summary() }, "load progress"), reportMs) : undefined;

let stopping = false;
async function finish(reason: string): Promise<void> {
  if (stopping) process.exit(1); // second signal: give up immediately
  stopping = true;
  clearInterval(reporter);
  clearTimeout(deadline);
  const summary = await load.stop();
  log.info({ reason, summary }, "load finished");
  process.exit(0);
}
const deadline = durationMs !== undefined ? setTimeout(() => void finish("duration"), durationMs) : undefined;
process.on("SIGINT", (signal) => void finish(signal));
process.on("SIGTERM", (signal) => void finish(signal));
