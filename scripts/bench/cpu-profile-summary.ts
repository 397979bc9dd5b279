// Benchmark helper (not a test): where a V8 CPU profile's time went, by area and by function.
// `node scripts/bench/cpu-profile-summary.ts FILE.cpuprofile [--from S] [--evaluations N]`
// (`npm run bench:scale -- --cpu-prof` writes the operator's profile into .local/logs).
//   --from S         skip the first S seconds of the profile (start-up, the initial lists)
//   --evaluations N  also print each area's milliseconds per evaluation (N evaluations in the profiled span)
// Self time is attributed to the function on top of the stack; an area is that function's
// package or source folder, so "zod" is every sample spent inside zod's own code.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: "string", default: "0" }, evaluations: { type: "string" }, top: { type: "string", default: "30" } },
});
const file = positionals[0];
if (!file) throw new Error("usage: cpu-profile-summary.ts FILE.cpuprofile [--from S] [--evaluations N]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** The area of a function: a package, a folder of our source, Node's internals, or V8's own work. */
export function areaOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith("(") ? functionName : `(native) ${functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const ours = /\/(src|scripts)\/(.*)\/[^/]+$/.exec(url) ?? /\/(src)\/([^/]+)$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  const internal = /^node:(internal\/)?([^/]+)/.exec(url);
  if (internal) return `node:${internal[2]}`;
  return url;
}

const fromUs = Number(args.from) * 1e6;
const selfUs = new Map<number, number>();
let t = profile.startTime;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t - profile.startTime < fromUs) continue;
  const id = profile.samples[i] as number;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  total += dt;
}
const areas = new Map<string, number>();
const functions = new Map<string, number>();
let idle = 0;
for (const [id, us] of selfUs) {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  if (frame.functionName === "(idle)") {
    idle += us;
    continue;
  }
  const area = areaOf(frame);
  areas.set(area, (areas.get(area) ?? 0) + us);
  const fn = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*\/(node_modules|src|scripts)\//, "$1/")}:${frame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
}
const busy = total - idle;
const evaluations = args.evaluations ? Number(args.evaluations) : undefined;
const top = Number(args.top);
const line = (name: string, us: number) =>
  console.log(
    `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / busy) * 100).toFixed(1).padStart(5)} %${evaluations ? ` ${(us / 1000 / evaluations).toFixed(3).padStart(7)} ms/eval` : ""}  ${name}`,
  );
console.log(`profiled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((busy / total) * 100).toFixed(0)} %)`);
console.log("\nby area (self time):");
for (const [k, v] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) line(k, v);
console.log("\nby function (self time):");
for (const [k, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) line(k, v);
