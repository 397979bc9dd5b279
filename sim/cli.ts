// Command line for the simulated model server.
//
//   node sim/cli.ts --model churn --version v1 --segments plant-a,plant-b --rps 50 \
//     --targets-dir /tmp/prom-targets
//
// Prints one JSON log line with the URL once listening. With --targets-dir it
// registers itself as a Prometheus file-SD target and removes the file again on
// SIGINT/SIGTERM. Behaviour is changed at runtime over HTTP (see sim/README.md).
// With --traffic served it makes one prediction per request to /predict instead of
// generating its own traffic (see sim/load.ts for a client).

import { parseArgs } from "node:util";
import { pino } from "pino";
import { TRAFFIC_MODES, type SegmentBehaviour, type TrafficMode } from "./behaviour.ts";
import { startModelServer, type ModelServer } from "./model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "./targets.ts";

const USAGE = `Usage: node sim/cli.ts [options]

  --model <name>            model label (default "demo-model")
  --version <version>       version label (default "v1")
  --segments <a,b,...>      segment label values (default "plant-a,plant-b,plant-c")
  --segment-label <label>   name of the segment label (default "plant")
  --groups <a,b,...>        fairness groups (label "group"; default none -> group="all")
  --port <n>                port on 127.0.0.1 (default 0 = ephemeral)
  --rps <n>                 predictions per second per segment (default 10)
  --accuracy <p>            probability a prediction is correct (default 0.92)
  --seed <n>                PRNG seed (default random)
  --tick-ms <n>             generation tick in ms (default 100)
  --traffic <mode>          "generated" (default): make --rps predictions by itself;
                            "served": one prediction per request to /predict, nothing on ticks
  --serve-latency-scale <x> served mode: a response waits for its drawn latency times x
                            (default 0 = answer at once)
  --targets-dir <dir>       write <dir>/<target-name>.json (Prometheus file_sd) while running
  --target-name <name>      file name without .json (default "model-server-<model>-<port>")
  --target-label <k=v>      label added to the file_sd target (repeatable)
  -h, --help                show this help
`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function number(flag: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) fail(`--${flag}: invalid value "${value}"`);
  return n;
}

function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) fail(`--${flag}: empty item in "${value}"`);
  if (new Set(items).size !== items.length) fail(`--${flag}: duplicate item in "${value}"`);
  return items;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      model: { type: "string", default: "demo-model" },
      version: { type: "string", default: "v1" },
      segments: { type: "string", default: "plant-a,plant-b,plant-c" },
      "segment-label": { type: "string" },
      groups: { type: "string" },
      port: { type: "string" },
      rps: { type: "string" },
      accuracy: { type: "string" },
      seed: { type: "string" },
      "tick-ms": { type: "string" },
      traffic: { type: "string" },
      "serve-latency-scale": { type: "string" },
      "targets-dir": { type: "string" },
      "target-name": { type: "string" },
      "target-label": { type: "string", multiple: true },
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

const port = number("port", args.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535) ?? 0;
const rps = number("rps", args.rps, (n) => n >= 0);
const accuracy = number("accuracy", args.accuracy, (n) => n >= 0 && n <= 1);
const seed = number("seed", args.seed, Number.isInteger);
const tickMs = number("tick-ms", args["tick-ms"], (n) => n >= 10);
const serveLatencyScale = number("serve-latency-scale", args["serve-latency-scale"], (n) => n >= 0 && n <= 100);
const traffic = args.traffic;
if (traffic !== undefined && !(TRAFFIC_MODES as readonly string[]).includes(traffic)) {
  fail(`--traffic: expected one of ${TRAFFIC_MODES.join(", ")}, got "${traffic}"`);
}
const segmentNames = list("segments", args.segments) ?? [];
const groupNames = list("groups", args.groups);

const targetLabels: Record<string, string> = {};
for (const item of args["target-label"] ?? []) {
  const eq = item.indexOf("=");
  const key = item.slice(0, eq);
  if (eq <= 0 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) fail(`--target-label: expected key=value, got "${item}"`);
  targetLabels[key] = item.slice(eq + 1);
}

const defaults: Partial<SegmentBehaviour> = {};
if (rps !== undefined) defaults.requestsPerSecond = rps;
if (accuracy !== undefined) defaults.accuracy = accuracy;

const log = pino({ base: { component: "model-server-sim" } }, pino.destination({ dest: 1, sync: true }));

let server: ModelServer;
try {
  server = await startModelServer({
    model: args.model,
    version: args.version,
    segments: Object.fromEntries(segmentNames.map((name) => [name, { ...defaults }])),
    ...(args["segment-label"] !== undefined ? { segmentLabel: args["segment-label"] } : {}),
    ...(groupNames ? { groups: Object.fromEntries(groupNames.map((name) => [name, {}])) } : {}),
    port,
    ...(seed !== undefined ? { seed } : {}),
    ...(tickMs !== undefined ? { tickMs } : {}),
    ...(traffic !== undefined ? { traffic: traffic as TrafficMode } : {}),
    ...(serveLatencyScale !== undefined ? { serveLatencyScale } : {}),
  });
} catch (error) {
  log.error({ err: error }, "model server failed to start");
  process.exit(1);
}

const targetsDir = args["targets-dir"];
const targetName = args["target-name"] ?? `model-server-${args.model}-${server.port}`.replace(/[^A-Za-z0-9._-]/g, "_");
let targetFile: string | undefined;
if (targetsDir !== undefined) {
  try {
    targetFile = await writePrometheusTarget(targetsDir, targetName, server.port, targetLabels);
  } catch (error) {
    log.error({ err: error }, "could not write Prometheus target");
    await server.close();
    process.exit(1);
  }
}

log.info(
  {
    url: server.url,
    port: server.port,
    model: args.model,
    version: args.version,
    segments: segmentNames,
    traffic: server.traffic,
    ...(targetFile !== undefined ? { target: targetFile } : {}),
  },
  "model server listening",
);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) process.exit(1); // second signal: give up immediately
  stopping = true;
  let code = 0;
  try {
    if (targetsDir !== undefined) await removePrometheusTarget(targetsDir, targetName);
    await server.close();
  } catch (error) {
    log.error({ err: error }, "error during shutdown");
    code = 1;
  }
  log.info({ signal }, "model server stopped");
  process.exit(code);
}
process.on("SIGINT", (signal) => void stop(signal));
process.on("SIGTERM", (signal) => void stop(signal));
