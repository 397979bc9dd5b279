// `npm run faults`: the fault campaign of issue 28 on a control plane of its own (.local/faults,
// ports shifted by MG_FAULTS_PORT_OFFSET, default +300), started here and stopped at the end.
// One line of figures per experiment; exit code 1 when an invariant broke.
//   npm run faults                       every experiment, outages as issue 28 states them
//   npm run faults -- --only apiserver-step,etcd-step
//   npm run faults -- --ci               the CI subset, shorter outages (see docs/operations/faults.md)
//   npm run faults -- --soak 1h          experiments at random for that long, RSS and lag sampled
//   npm run faults -- --keep-cluster     leave the control plane running afterwards
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { downFaultsCluster } from "../../test/stage/faults/control-plane.ts";
import { campaign, CI_DURATIONS, CI_EXPERIMENTS, experiments, FULL_DURATIONS } from "../../test/stage/faults/campaign.ts";
import type { Figures } from "../../test/stage/faults/experiments.ts";

function parseDurationArg(s: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(s);
  if (!m) throw new Error(`--soak ${s}: a duration such as 30m or 1h`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"] * 1000;
}

async function main() {
  const { values } = parseArgs({
    options: { only: { type: "string" }, ci: { type: "boolean" }, soak: { type: "string" }, "keep-cluster": { type: "boolean" } },
  });
  const durations = values.ci ? CI_DURATIONS : FULL_DURATIONS;
  let names = values.only ? values.only.split(",") : values.ci ? CI_EXPERIMENTS : experiments(durations).map((e) => e.name);
  let until = Infinity;
  if (values.soak) {
    // faults 1, 4 and 5 of issue 28 at random (a seeded draw), one after another, until the time is up
    until = Date.now() + parseDurationArg(values.soak);
    const pool = ["apiserver-step", "apiserver-pending", "apiserver-promoting", "prometheus-step", "etcd-step"];
    let seed = 28;
    names = Array.from({ length: 10_000 }, () => pool[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % pool.length] as string);
  }
  let results: Figures[] = [];
  try {
    results = await campaign(names, durations, until);
  } finally {
    if (!values["keep-cluster"]) await downFaultsCluster();
  }
  writeFileSync(join(import.meta.dirname, "..", "..", ".local", "faults-results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const failed = results.filter((r) => r.violations.length);
  console.log(`${results.length} experiments, ${failed.length} failed`);
  process.exitCode = failed.length ? 1 : 0;
}

if (import.meta.main) {
  // an interrupted run exits (its operators are killed on exit: stage.ts), and the stage's
  // timers and keep-alive connections must not keep a finished run alive
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
  await main().then(() => process.exit());
}
