// The simulated model server (sim/) as the container of a model Deployment on the kind cluster
// (scripts/kind/). NOT RUN ON OUR MACHINES: no container engine runs there; only typechecked.
//
// The local demo's servers stand in for pods on kwok's node and follow their Deployment's
// MODEL_VERSION from outside. Here the pod is the server: it plays the version its Deployment
// says (MODEL_VERSION, which the operator sets during a rollout, so a new pod starts with the new
// version), with that version's behaviour from SIM_BEHAVIOURS. sim/ binds 127.0.0.1 only, so
// this process forwards the pod's port (PORT, on 0.0.0.0) to it: Traefik, Prometheus and the
// kubelet's probes reach /predict, /metrics and /healthz through it.
//
//   node scripts/kind/sim-pod.ts                              serve, configured by the env below
//   node scripts/kind/sim-pod.ts patch '{"accuracy": 0.78}'   change the running server's behaviour
//                                                             (every segment; kubectl exec)
// Env: MODEL_NAME (required), MODEL_VERSION (required), SIM_SEGMENTS (default plant-a,plant-b),
// SIM_BEHAVIOURS (JSON, version -> behaviour patch, e.g. {"v5": {"latencyMeanSeconds": 0.24}};
// default {}), SIM_SEED (optional integer), PORT (default 8080).
import net from "node:net";
import { parsePatch } from "../../sim/behaviour.ts";
import { startModelServer } from "../../sim/model-server.ts";

const log = (msg: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));
const fail = (message: string): never => {
  console.error(`sim-pod: ${message}`);
  process.exit(2);
};
const port = Number(process.env.PORT ?? "8080");
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`PORT: not a port: ${process.env.PORT}`);

if (process.argv[2] === "patch") {
  // kubectl exec -n demo deploy/model-stable -- node scripts/kind/sim-pod.ts patch '{"accuracy": 0.78}'
  const body = JSON.stringify({ patch: JSON.parse(process.argv[3] ?? "{}") });
  const res = await fetch(`http://127.0.0.1:${port}/behaviour`, { method: "POST", headers: { "content-type": "application/json" }, body });
  console.log(res.status, await res.text());
  process.exit(res.ok ? 0 : 1);
}

const model = process.env.MODEL_NAME || fail("MODEL_NAME is required");
const version = process.env.MODEL_VERSION || fail("MODEL_VERSION is required (the Deployment's env var the operator sets)");
const segments = (process.env.SIM_SEGMENTS ?? "plant-a,plant-b")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(`SIM_BEHAVIOURS is not JSON: ${(err as Error).message}`);
  }
};
const behaviours = parseJson(process.env.SIM_BEHAVIOURS ?? "{}") as Record<string, unknown>;
// this version's behaviour, validated as POST /behaviour validates a patch; other versions' entries are only checked
for (const [v, patch] of Object.entries(behaviours)) parsePatch(patch, `SIM_BEHAVIOURS.${v}`);
const behaviour = parsePatch(behaviours[version] ?? {}, `SIM_BEHAVIOURS.${version}`);
const seed = process.env.SIM_SEED ? Number(process.env.SIM_SEED) : undefined;

const sim = await startModelServer({
  model,
  version,
  segments: Object.fromEntries(segments.map((s) => [s, { ...behaviour }])),
  traffic: "served",
  ...(seed !== undefined && Number.isInteger(seed) ? { seed } : {}),
});

// the forwarder: every connection to the pod's port is piped to the server on 127.0.0.1
const sockets = new Set<net.Socket>();
const forwarder = net.createServer((client) => {
  const upstream = net.connect(sim.port, "127.0.0.1");
  sockets.add(client).add(upstream);
  const end = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.on("error", end).on("close", end);
  upstream.on("error", end).on("close", end);
  client.pipe(upstream);
  upstream.pipe(client);
});
await new Promise<void>((resolve, reject) => forwarder.once("error", reject).listen(port, "0.0.0.0", () => resolve()));
log("model server listening", { model, version, segments, behaviour, port, upstream: sim.url });

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  // keep answering for a moment: the endpoint leaves Traefik's and Prometheus' lists first
  log("stopping in 3 s", { signal });
  await new Promise((r) => setTimeout(r, 3000));
  forwarder.close();
  for (const s of sockets) s.destroy();
  await sim.close();
  log("stopped", { signal });
  process.exit(0);
};
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
