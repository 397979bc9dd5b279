// The fault campaign of issue 28 as a library: the experiments by name, the CI subset and its
// durations, one line of figures each; run by scripts/faults/run.ts (npm run faults) and by
// test/faults/campaign.test.ts.
import { upFaultsCluster } from "./control-plane.ts";
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
