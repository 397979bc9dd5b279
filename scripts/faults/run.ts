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
import { downFaultsCluster, upFaultsCluster } from "./control-plane.ts";
import {
  apiserverDuringJobCreation,
  apiserverRolloutFaults,
  clockSkew,
  etcdRolloutFault,
  leaderPartition,
  prometheusRolloutFault,
  rssMiB,
  rolloutUnderFault,
  slowAnswers,
  type Context,
  type Figures,
} from "./experiments.ts";
import { operatorKubeconfig, setStage, startOperator } from "./stage.ts";

export interface Experiment {
  name: string;
  run(ctx: Context): Promise<Figures>;
}

export function experiments(durations: Context["durations"]): Experiment[] {
  const d = { durations };
  return [
    ...apiserverRolloutFaults(d).map((f) => ({ name: f.name, run: (c: Context) => rolloutUnderFault(c, f) })),
    { name: "apiserver-job", run: apiserverDuringJobCreation },
    { name: "etcd-step", run: (c: Context) => rolloutUnderFault(c, etcdRolloutFault(d)) },
    { name: "prometheus-step", run: (c: Context) => rolloutUnderFault(c, prometheusRolloutFault(d)) },
    { name: "leader-partition", run: leaderPartition },
    { name: "slow-answers", run: slowAnswers },
    { name: "clock-skew", run: (c: Context) => clockSkew(c, 30) },
  ];
}

/**
 * The CI subset (about 5 minutes): the API server away mid-step and at a Job's creation,
 * Prometheus away mid-step, the leader partitioned; outages shortened. etcd-step stays out
 * until its open finding is fixed (docs/operations/faults.md: evaluations late after etcd returns).
 */
export const CI_EXPERIMENTS = ["apiserver-step", "apiserver-job", "prometheus-step", "leader-partition"];
export const FULL_DURATIONS = { apiserver: 20, etcd: 30, prometheus: 300, partition: 30 };
export const CI_DURATIONS = { apiserver: 20, etcd: 20, prometheus: 30, partition: 20 };

export const figuresLine = (f: Figures) =>
  [
    f.experiment.padEnd(22),
    `${f.fault} at ${f.injectedAt}`,
    `away ${f.outageSeconds.toFixed(1)} s`,
    `recovery ${f.recoverySeconds.toFixed(1)} s`,
    `duplicates ${f.duplicateActions}`,
    `weights outside plan ${f.weightsOutsidePlan}`,
    `non-leader writes ${f.writesByNonLeader}`,
    `late evaluations ${f.lateEvaluations}`,
    `crashes ${f.crashes}`,
    f.violations.length ? `FAILED: ${f.violations.join("; ")}` : "ok",
    `(${f.outcome})`,
  ].join(" | ");

export interface Campaign {
  run(name: string): Promise<Figures>;
  close(): Promise<void>;
}

/** Starts (or finds) the control plane, sets the stage and starts the operator; run() one experiment at a time. */
export async function openCampaign(durations: Context["durations"], log: (line: string) => void = console.log): Promise<Campaign> {
  const cp = await upFaultsCluster();
  const stage = await setStage(cp, "faults");
  const kubeconfig = await operatorKubeconfig(cp, "model-guardian");
  const ctx: Context = {
    cp,
    stage,
    operator: await startOperator(cp, { name: `${stage.ns}-main`, namespaces: [stage.ns], kubeconfig }),
    durations,
    log: (l) => log(`  ${l}`),
  };
  const all = experiments(durations);
  return {
    async run(name) {
      const e = all.find((x) => x.name === name);
      if (!e) throw new Error(`no experiment ${name}; known: ${all.map((x) => x.name).join(", ")}`);
      // an experiment that could not finish (a wait that timed out) fails, and the next one runs
      const f = await e.run(ctx).catch((err: Error): Figures => ({
        experiment: name,
        fault: "?",
        injectedAt: "?",
        outageSeconds: Number.NaN,
        recoverySeconds: Number.NaN,
        duplicateActions: 0,
        weightsOutsidePlan: 0,
        writesByNonLeader: 0,
        lateEvaluations: 0,
        crashes: 0,
        outcome: "did not finish",
        violations: [`error: ${err.message}`],
      }));
      log(`${figuresLine(f)} | operator rss ${rssMiB(ctx.operator.process.pid)} MiB`);
      return f;
    },
    async close() {
      await ctx.operator.stop();
      await stage.close();
    },
  };
}

/** Runs the named experiments in order (until `until`, ms, when given) on one stage. */
export async function campaign(names: string[], durations: Context["durations"], until = Infinity): Promise<Figures[]> {
  const c = await openCampaign(durations);
  const results: Figures[] = [];
  try {
    for (const name of names) {
      if (Date.now() > until) break;
      results.push(await c.run(name));
    }
  } finally {
    await c.close();
  }
  return results;
}

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
