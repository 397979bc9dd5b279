// The fault experiments: each starts from the stage's known state (no rollout in progress, the
// VirtualService at 100/0, the operator running), injects one fault at a moment chosen by the
// operator's own status (a rollout phase or step, a Job's creation), never by a timer, and then
// checks the invariants and measures the recovery. One Figures record per experiment.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { retrainOnDriftSpec } from "../objects.ts";
import { waitFor } from "../wait.ts";
import type { Component, ControlPlane } from "./control-plane.ts";
import { startPartitionProxy } from "./proxy.ts";
import { auditWrites, writesByNonLeader } from "./audit.ts";
import { INTERVAL_SECONDS, operatorKubeconfig, STEPS, startOperator, type OperatorProcess, type Rollout, type Stage } from "./stage.ts";

export interface Figures {
  experiment: string;
  fault: string;
  /** Where the fault fell: the rollout's phase and step (or the Job) when it was injected. */
  injectedAt: string;
  /** Seconds the component was away. */
  outageSeconds: number;
  /** Seconds from the component's return to the monitor's next evaluation written. */
  recoverySeconds: number;
  duplicateActions: number;
  weightsOutsidePlan: number;
  writesByNonLeader: number;
  /** Evaluations written later than one interval after the return (0 or 1 per experiment). */
  lateEvaluations: number;
  /** Operator exits that nobody asked for (a crash). */
  crashes: number;
  outcome: string;
  /** Invariants broken, in words; empty when the experiment passed. */
  violations: string[];
}

export interface Context {
  cp: ControlPlane;
  stage: Stage;
  operator: OperatorProcess;
  /** Seconds to keep the API server / etcd / Prometheus away (scaled down in CI). */
  durations: { apiserver: number; etcd: number; prometheus: number; partition: number };
  log(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(["Succeeded", "RolledBack", "Aborted"]);
let versionCounter = 1;
const nextVersion = () => `v${++versionCounter}-${Date.now().toString(36).slice(-4)}`;

/** Samples the VirtualService's weights every 200 ms: every pair seen, in order, and when it was first seen. */
function sampleWeights(stage: Stage): { stop(): Promise<string[]>; changes: [string, number][] } {
  const seen: string[] = [];
  const changes: [string, number][] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const w = await stage.weights().catch(() => undefined);
      if (w && seen.at(-1) !== `${w.stable}/${w.candidate}`) {
        seen.push(`${w.stable}/${w.candidate}`);
        changes.push([`${w.stable}/${w.candidate}`, Date.now()]);
      }
      await sleep(200);
    }
  })();
  return {
    changes,
    async stop() {
      on = false;
      await loop;
      return seen;
    },
  };
}

const describeRollout = (r: Rollout | undefined) =>
  `${r?.status?.phase ?? "no status"}${r?.status?.stepIndex !== undefined ? ` step ${r.status.stepIndex}` : ""}`;

/**
 * Waits for the monitor's first evaluation made after `since` (lastEvaluationTime, allowing for a
 * time written in whole seconds): the seconds from `since` until it was seen written.
 */
async function nextEvaluation(stage: Stage, since: number): Promise<number> {
  await waitFor(
    "the monitor's next evaluation",
    async () => Date.parse((await stage.monitor().catch(() => undefined))?.status?.lastEvaluationTime ?? "") >= since - 1000,
    300_000,
    250,
  );
  return Math.max(0, (Date.now() - since) / 1000);
}

/** The stage at rest before an experiment: no rollout in flight, weights 100/0. */
async function atRest(stage: Stage): Promise<void> {
  await waitFor(
    "no rollout in progress",
    async () => {
      const rollouts = await stage.rollouts();
      const w = await stage.weights();
      return rollouts.every((r) => TERMINAL.has(r.status?.phase ?? "")) && w?.candidate === 0;
    },
    300_000,
    500,
  );
}

/** Takes a component away for `seconds` and back; the wall-clock time it came back. */
async function outage(ctx: Context, component: Component, seconds: number): Promise<{ returned: number; away: number }> {
  const t0 = Date.now();
  await ctx.cp.stop(component);
  await sleep(seconds * 1000);
  await ctx.cp.start(component);
  // etcd is back when the API server can serve again (its /readyz checks etcd)
  if (component === "etcd") await waitFor("the API server ready again", () => ctx.cp.healthy("kube-apiserver"), 120_000, 100);
  const returned = Date.now();
  return { returned, away: (returned - t0) / 1000 };
}

export interface RolloutFault {
  name: string;
  fault: string;
  /** The moment: reached or passed (the rollout may move on while the test polls). */
  moment: (r: Rollout | undefined) => boolean;
  /** A candidate that fails its analysis (for RollingBack). */
  bad?: boolean;
  /** Extra spec.rollout of the policy (e.g. a bake). */
  rollout?: Record<string, unknown>;
  inject(ctx: Context): Promise<{ returned: number; away: number }>;
  /** What the rollout must end as. */
  expect: "Succeeded" | "RolledBack";
  /** A pause is the documented answer to this fault: resume it as a person would. */
  resumeWhenPaused?: boolean;
  /** Evaluations may come late under this fault (slow answers): counted, not a violation. */
  lateAllowed?: boolean;
}

/** Applies ModelRollout `name`, candidate `version` of the monitor canary. */
async function applyRollout(ctx: Pick<Context, "cp" | "stage">, name: string, version: string): Promise<void> {
  await ctx.cp.kubectlOk(
    ["apply", "-f", "-"],
    stringify({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelRollout",
      metadata: { name, namespace: ctx.stage.ns },
      spec: { monitorRef: { name: "canary" }, candidate: { version } },
    }),
  );
}

/** Polls rollout `name` every 100 ms (240 s at the most) until `moment` holds: the rollout then. */
async function rolloutAt(stage: Stage, name: string, what: string, moment: (r: Rollout | undefined) => boolean): Promise<{ r: Rollout | undefined }> {
  return waitFor(
    what,
    async () => {
      const r = await stage.rollout(name);
      return moment(r) && { r };
    },
    240_000,
    100,
  );
}

/** Polls rollout `name` every 500 ms (300 s at the most) until it ends, `onPoll` seeing each state first: the rollout at its end. */
async function rolloutEnd(stage: Stage, name: string, what: string, onPoll?: (r: Rollout | undefined) => Promise<void>): Promise<Rollout> {
  return waitFor(
    what,
    async () => {
      const r = await stage.rollout(name);
      await onPoll?.(r);
      return TERMINAL.has(r?.status?.phase ?? "") && r;
    },
    300_000,
    500,
  );
}

/** A rollout meant to pass steps 0 and 1 and succeed, checked: the weights seen outside the plan, the steps passed, and what went wrong. */
function checkSucceeded(stage: Stage, seen: string[], done: Rollout) {
  const problems: string[] = [];
  const plan = stage.plan();
  const outside = seen.filter((w) => !plan.has(w));
  if (outside.length) problems.push(`weights outside the plan: ${outside.join(", ")}`);
  if (done.status?.phase !== "Succeeded") problems.push(`ended ${done.status?.phase}`);
  const passed = (done.status?.analyses ?? []).filter((a) => a.outcome === "Successful" && !a.interim && !a.shadow).map((a) => a.step);
  if (passed.join(",") !== "0,1") problems.push(`steps passed ${passed.join(",")}, expected 0,1`);
  return { outside, passed, problems };
}

/** A rollout with one fault at a moment of its own progress; the invariants of issue 28. */
export async function rolloutUnderFault(ctx: Context, f: RolloutFault): Promise<Figures> {
  const { stage, cp } = ctx;
  await atRest(stage);
  await stage.policy(f.rollout ?? {});
  const version = nextVersion();
  if (f.bad) stage.bad.add(version);
  const name = `canary-${version}`;
  const crashesBefore = ctx.operator.exits.length;
  const sampler = sampleWeights(stage);
  await applyRollout(ctx, name, version);
  const at = await rolloutAt(stage, name, `${f.name}: the moment`, f.moment);
  const injectedAt = describeRollout(at.r);
  ctx.log(`${f.name}: ${f.fault} at ${injectedAt}`);
  const { returned, away } = await f.inject(ctx);
  const recoverySeconds = await nextEvaluation(stage, returned);
  let resumed = 0;
  const done = await rolloutEnd(stage, name, `${f.name}: the rollout to end`, async (r) => {
    // a rollout paused by its error limit waits for a person: resume it as one would
    if (r?.status?.phase === "Paused" && f.resumeWhenPaused && resumed < 3) {
      resumed++;
      ctx.log(`${f.name}: ${name} paused (${describeRollout(r)}); resuming it as a person would`);
      await cp.kubectlOk(["annotate", "modelrollout", name, "-n", stage.ns, "--overwrite", `modelguardian.dev/rollout-action=resume-${resumed}`]);
    }
  });
  await atRest(stage);
  const seen = await sampler.stop();
  const plan = stage.plan();
  const violations: string[] = [];
  const outside = seen.filter((w) => !plan.has(w));
  if (outside.length) violations.push(`weights outside the plan: ${outside.join(", ")}`);
  if (done.status?.phase !== f.expect) violations.push(`ended ${done.status?.phase}, expected ${f.expect}`);
  // each step analysed successfully at most once, in order; a healthy candidate passes every step
  const passed = (done.status?.analyses ?? []).filter((a) => a.outcome === "Successful" && !a.interim && !a.shadow).map((a) => a.step);
  const repeated = passed.length - new Set(passed).size;
  if (repeated) violations.push(`steps passed twice: ${passed.join(",")}`);
  if (f.expect === "Succeeded" && passed.join(",") !== "0,1") violations.push(`steps passed ${passed.join(",")}, expected 0,1`);
  const failedHealthy = !f.bad && (done.status?.analyses ?? []).some((a) => a.outcome === "Failed");
  if (failedHealthy) violations.push("a healthy candidate failed an analysis");
  const sameVersion = (await stage.rollouts()).filter((r) => r.metadata.name.includes(version)).length;
  const duplicateActions = repeated + (sameVersion - 1);
  if (sameVersion !== 1) violations.push(`${sameVersion} rollouts of ${version}`);
  const crashes = ctx.operator.exits.length - crashesBefore;
  if (crashes) violations.push(`the operator exited: ${ctx.operator.exits.join(", ")}`);
  const late = recoverySeconds > INTERVAL_SECONDS ? 1 : 0;
  if (late && !f.lateAllowed) violations.push(`first evaluation ${recoverySeconds.toFixed(1)} s after the return (interval ${INTERVAL_SECONDS} s)`);
  return {
    experiment: f.name,
    fault: f.fault,
    injectedAt,
    outageSeconds: away,
    recoverySeconds,
    duplicateActions,
    weightsOutsidePlan: outside.length,
    writesByNonLeader: 0,
    lateEvaluations: late,
    crashes,
    outcome: `${done.status?.phase}${resumed ? ` (paused, resumed ${resumed}×)` : ""}; weights ${seen.join(" → ")}`,
    violations,
  };
}

const phaseOrLater =
  (...phases: string[]) =>
  (r: Rollout | undefined) =>
    phases.includes(r?.status?.phase ?? "");
const stepOrLater = (step: number) => (r: Rollout | undefined) =>
  ((r?.status?.stepIndex ?? -1) >= step && r?.status?.phase === "Progressing") || ["Promoting", "Baking", "Succeeded"].includes(r?.status?.phase ?? "");

/** kube-apiserver away for `durations.apiserver` s during each rollout phase. */
export function apiserverRolloutFaults(ctx: Pick<Context, "durations">): RolloutFault[] {
  const fault = `kube-apiserver stopped ${ctx.durations.apiserver} s`;
  const inject = (c: Context) => outage(c, "kube-apiserver", c.durations.apiserver);
  return [
    { name: "apiserver-pending", fault, moment: (r) => r !== undefined, inject, expect: "Succeeded" },
    { name: "apiserver-step", fault, moment: stepOrLater(1), inject, expect: "Succeeded" },
    { name: "apiserver-promoting", fault, moment: phaseOrLater("Promoting", "Baking", "Succeeded"), inject, expect: "Succeeded" },
    {
      name: "apiserver-baking",
      fault,
      moment: phaseOrLater("Baking", "Succeeded"),
      rollout: { bake: { duration: "30s", minSeverity: "critical" } },
      inject,
      expect: "Succeeded",
    },
    { name: "apiserver-rollingback", fault, moment: phaseOrLater("RollingBack", "RolledBack"), bad: true, inject, expect: "RolledBack" },
  ];
}

/** etcd away for `durations.etcd` s (the API server up but failing) in the middle of a step. */
export function etcdRolloutFault(ctx: Pick<Context, "durations">): RolloutFault {
  return {
    name: "etcd-step",
    fault: `etcd stopped ${ctx.durations.etcd} s`,
    moment: stepOrLater(0),
    inject: (c) => outage(c, "etcd", c.durations.etcd),
    expect: "Succeeded",
  };
}

/**
 * Prometheus away for `durations.prometheus` s in the middle of a step: analyses meet errors, so
 * the rollout must neither promote nor roll back on missing data; past the error limit it pauses
 * and waits for a person, who resumes it once Prometheus is back (as docs/rollouts.md says).
 */
export function prometheusRolloutFault(ctx: Pick<Context, "durations">): RolloutFault {
  return {
    name: "prometheus-step",
    fault: `Prometheus stopped ${ctx.durations.prometheus} s`,
    moment: stepOrLater(0),
    rollout: { analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }], minSamples: 60, inconclusiveLimit: 3, interval: "10s", errorLimit: 2 } },
    inject: (c) => outage(c, "prometheus", c.durations.prometheus),
    resumeWhenPaused: true,
    expect: "Succeeded",
  };
}

/** kube-apiserver away the moment a retraining Job exists (its status record may not be written). */
export async function apiserverDuringJobCreation(ctx: Context): Promise<Figures> {
  const { stage } = ctx;
  await atRest(stage);
  const crashesBefore = ctx.operator.exits.length;
  await stage.policy(
    {},
    {
      ...retrainOnDriftSpec({ "sim.modelguardian.dev/termination-message": "{}", "sim.modelguardian.dev/run-duration": "20s" }),
      cooldown: "1h",
    },
  );
  stage.setStableBehaviour({ accuracy: 0.55, latencyMeanSeconds: 0.05 });
  try {
    await waitFor("the retraining Job", async () => (await stage.jobs()).length > 0, 240_000, 50);
    ctx.log(`apiserver-job: kube-apiserver stopped ${ctx.durations.apiserver} s the moment the Job exists`);
    const { returned, away } = await outage(ctx, "kube-apiserver", ctx.durations.apiserver);
    const recoverySeconds = await nextEvaluation(stage, returned);
    const monitorOf = () =>
      stage.api.get<{ status?: { remediation?: { history?: { outcome: string; job: string }[] } } }>(
        `/apis/modelguardian.dev/v1alpha1/namespaces/${stage.ns}/modelmonitors/canary`,
      );
    const history = await waitFor(
      "the Job's record",
      async () => {
        const h = (await monitorOf())?.status?.remediation?.history?.filter((x) => x.outcome !== "DryRun") ?? [];
        return h.length > 0 && h;
      },
      120_000,
      500,
    );
    // a few more evaluations: a second Job would come now if the record had been lost
    const after = Date.now();
    await nextEvaluation(stage, after + INTERVAL_SECONDS * 1000);
    const jobs = await stage.jobs();
    const violations: string[] = [];
    if (jobs.length !== 1) violations.push(`${jobs.length} Jobs`);
    if (history.length !== 1) violations.push(`${history.length} records`);
    const crashes = ctx.operator.exits.length - crashesBefore;
    if (crashes) violations.push(`the operator exited: ${ctx.operator.exits.join(", ")}`);
    const late = recoverySeconds > INTERVAL_SECONDS ? 1 : 0;
    if (late) violations.push(`first evaluation ${recoverySeconds.toFixed(1)} s after the return (interval ${INTERVAL_SECONDS} s)`);
    return {
      experiment: "apiserver-job",
      fault: `kube-apiserver stopped ${ctx.durations.apiserver} s`,
      injectedAt: "Job created",
      outageSeconds: away,
      recoverySeconds,
      duplicateActions: jobs.length - 1 + (history.length - 1),
      weightsOutsidePlan: 0,
      writesByNonLeader: 0,
      lateEvaluations: late,
      crashes,
      outcome: `${jobs.length} Job, ${history.length} record (${history.map((h) => h.outcome).join(",")})`,
      violations,
    };
  } finally {
    stage.setStableBehaviour({ accuracy: 0.92, latencyMeanSeconds: 0.05 });
    await stage.policy();
  }
}

/**
 * Slow and flaky answers from both the API server and Prometheus for a whole rollout: the
 * operator reaches each through a proxy that holds one chunk in ten 2–10 s (the rest up to
 * 200 ms, order kept) and resets one connection in ten. Late evaluations are expected here;
 * wrong ones, crashes and growth are not.
 */
export async function slowAnswers(ctx: Context): Promise<Figures> {
  const { stage, cp } = ctx;
  await atRest(stage);
  await ctx.operator.stop();
  let seed = 20261205;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const impairment = { delayMs: () => (random() < 0.1 ? 2000 + random() * 8000 : random() * 200), resetChance: 0.1, random };
  const api = await startPartitionProxy({ host: "127.0.0.1", port: cp.apiserverPort }, "https", impairment);
  const prometheus = await startPartitionProxy({ host: "127.0.0.1", port: Number(new URL(cp.prometheusUrl).port) }, "http", impairment);
  const main = ctx.operator;
  try {
    ctx.operator = await startOperator(cp, {
      name: `${stage.ns}-slow`,
      namespaces: [stage.ns],
      kubeconfig: await operatorKubeconfig(cp, "model-guardian", api.url),
      env: { PROMETHEUS_URL: prometheus.url },
    });
    const rssBefore = rssMiB(ctx.operator.process.pid);
    const f = await rolloutUnderFault(ctx, {
      name: "slow-answers",
      fault: "API server and Prometheus slow (1 chunk in 10 held 2–10 s) and flaky (1 connection in 10 reset)",
      moment: (r) => r !== undefined,
      inject: async () => ({ returned: Date.now(), away: 0 }),
      expect: "Succeeded",
      resumeWhenPaused: true,
      lateAllowed: true,
    });
    const rssAfter = rssMiB(ctx.operator.process.pid);
    return { ...f, outcome: `${f.outcome}; operator rss ${rssBefore} → ${rssAfter} MiB` };
  } finally {
    await ctx.operator.stop();
    await api.close();
    await prometheus.close();
    ctx.operator =
      main === ctx.operator
        ? main
        : await startOperator(cp, { name: `${stage.ns}-main`, namespaces: [stage.ns], kubeconfig: await operatorKubeconfig(cp, "model-guardian") });
  }
}

export function rssMiB(pid: number | undefined): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024);
  } catch {
    return Number.NaN;
  }
}

/**
 * Clock skew during a hand-over: the leader (its clock right) is stopped in the middle of step 0
 * and the standby, whose clock runs `skewSeconds` ahead, takes over at once (SIGTERM releases the
 * Lease). A step's hold is written as a time (holdEndTime) by one replica and read by the other:
 * the claim under test is that no step is analysed before its hold has run (12 s by the wall
 * clock) and nothing is done twice.
 */
export async function clockSkew(ctx: Context, skewSeconds = 30): Promise<Figures> {
  const { stage, cp } = ctx;
  await atRest(stage);
  await stage.policy();
  await ctx.operator.stop();
  const since = Date.now();
  const replicas: OperatorProcess[] = [];
  const violations: string[] = [];
  const holder = async () =>
    (await stage.api.get<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${stage.ns}/leases/${LEASE}`))?.spec?.holderIdentity;
  try {
    const a = await startOperator(cp, {
      name: `${stage.ns}-skew-a`,
      namespaces: [stage.ns],
      kubeconfig: await operatorKubeconfig(cp, "model-guardian"),
      env: electing(stage.ns, "replica-a"),
    });
    replicas.push(a);
    await waitFor("replica-a leading", async () => (await holder())?.startsWith("replica-a"), 60_000, 250);
    const b = await startOperator(cp, {
      name: `${stage.ns}-skew-b`,
      namespaces: [stage.ns],
      kubeconfig: await operatorKubeconfig(cp, "model-guardian-standby"),
      env: { ...electing(stage.ns, "replica-b"), CLOCK_OFFSET: `${skewSeconds}s` },
    });
    replicas.push(b);
    const version = nextVersion();
    const name = `canary-${version}`;
    const sampler = sampleWeights(stage);
    await applyRollout(ctx, name, version);
    const at = await rolloutAt(stage, name, "step 0", stepOrLater(0));
    await a.stop(); // SIGTERM: the Lease is released, replica-b takes over at its next try
    ctx.log(`clock-skew: replica-a (clock right) stopped at ${describeRollout(at.r)}; replica-b's clock runs ${skewSeconds} s ahead`);
    await waitFor("replica-b leading", async () => (await holder())?.startsWith("replica-b"), 60_000, 100);
    const done = await rolloutEnd(stage, name, "the rollout to end");
    await atRest(stage);
    const seen = await sampler.stop();
    // each step's hold by the wall clock: from its weights first seen to the next change
    const held = STEPS.map((step) => {
      const i = sampler.changes.findIndex(([pair]) => pair === `${100 - step.weight}/${step.weight}`);
      const start = sampler.changes[i]?.[1];
      const next = sampler.changes[i + 1]?.[1];
      return i >= 0 && start !== undefined && next !== undefined ? (next - start) / 1000 : Number.NaN;
    });
    const early = held.filter((h, i) => h < Number.parseInt(STEPS[i]?.hold ?? "0", 10) - 0.5).length;
    held.forEach((h, i) => {
      if (h < Number.parseInt(STEPS[i]?.hold ?? "0", 10) - 0.5) violations.push(`step ${i} held ${h.toFixed(1)} s of ${STEPS[i]?.hold} by the wall clock`);
    });
    const { outside, passed, problems } = checkSucceeded(stage, seen, done);
    violations.push(...problems);
    await sleep(2000);
    const bad = writesByNonLeader(await auditWrites(cp.auditLog, stage.ns, since), LEASE, LEASE_SECONDS);
    for (const w of bad.slice(0, 5)) violations.push(`${w.user.replace(/^system:serviceaccount:[^:]+:/, "")} ${w.verb} ${w.what} without the Lease`);
    const crashes = b.exits.length;
    if (crashes) violations.push(`replica-b exited: ${b.exits.join(", ")}`);
    return {
      experiment: "clock-skew",
      fault: `the new leader's clock ${skewSeconds} s ahead, hand-over mid-step`,
      injectedAt: describeRollout(at.r),
      outageSeconds: 0,
      recoverySeconds: 0,
      duplicateActions: passed.length - new Set(passed).size,
      weightsOutsidePlan: outside.length,
      writesByNonLeader: bad.length,
      lateEvaluations: early,
      crashes,
      outcome: `${done.status?.phase}; steps held ${held.map((h) => `${h.toFixed(1)} s`).join(", ")} by the wall clock (plan ${STEPS.map((x) => x.hold).join(", ")})`,
      violations,
    };
  } finally {
    for (const r of replicas) await r.stop("SIGKILL");
    ctx.operator = await startOperator(cp, { name: `${stage.ns}-main`, namespaces: [stage.ns], kubeconfig: await operatorKubeconfig(cp, "model-guardian") });
  }
}

const LEASE = "faults-leader";
const LEASE_SECONDS = 6;
const electing = (ns: string, name: string) => ({
  POD_NAME: name,
  LEADER_ELECT: "true",
  LEASE_NAMESPACE: ns,
  LEASE_NAME: LEASE,
  LEASE_DURATION: `${LEASE_SECONDS}s`,
  LEASE_RENEW_DEADLINE: "4s",
  LEASE_RETRY_PERIOD: "500ms",
});

/**
 * Two replicas, each reaching the API server through a TCP proxy of its own; in the middle of a
 * step the leader's proxy is cut (its bytes held, as a network partition holds them) while the
 * standby still reaches the API server; healed after `durations.partition` s. Every write of
 * either replica is taken from the audit log and set against who held the Lease then.
 */
export async function leaderPartition(ctx: Context): Promise<Figures> {
  const { stage, cp } = ctx;
  await atRest(stage);
  await stage.policy();
  await ctx.operator.stop();
  const since = Date.now();
  const target = { host: "127.0.0.1", port: cp.apiserverPort };
  const proxies = [await startPartitionProxy(target), await startPartitionProxy(target)] as const;
  const accounts = ["model-guardian", "model-guardian-standby"] as const;
  const replicas: OperatorProcess[] = [];
  const violations: string[] = [];
  try {
    for (const [i, name] of ["replica-a", "replica-b"].entries()) {
      const kubeconfig = await operatorKubeconfig(cp, accounts[i] as string, proxies[i]?.url);
      replicas.push(await startOperator(cp, { name: `${stage.ns}-${name}`, namespaces: [stage.ns], kubeconfig, env: electing(stage.ns, name) }));
    }
    const holder = async () =>
      (await stage.api.get<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${stage.ns}/leases/${LEASE}`))?.spec
        ?.holderIdentity;
    const leader = await waitFor("a leader", async () => (await holder()) || undefined, 60_000, 250);
    // the Lease holder is the replica's POD_NAME followed by a suffix of its own
    const li = leader.startsWith("replica-a") ? 0 : 1;
    const version = nextVersion();
    const name = `canary-${version}`;
    const sampler = sampleWeights(stage);
    await applyRollout(ctx, name, version);
    const at = await rolloutAt(stage, name, "step 0", stepOrLater(0));
    const injectedAt = describeRollout(at.r);
    const cutAt = Date.now();
    proxies[li]?.cut();
    ctx.log(`leader-partition: ${leader} cut off from the API server at ${injectedAt}`);
    const other = li === 0 ? "replica-b" : "replica-a";
    await waitFor("the standby to take the Lease", async () => (await holder())?.startsWith(other), 60_000, 100);
    const handover = (Date.now() - cutAt) / 1000;
    await sleep(Math.max(0, ctx.durations.partition * 1000 - (Date.now() - cutAt)));
    proxies[li]?.heal();
    const healedAt = Date.now();
    ctx.log(`leader-partition: healed after ${((healedAt - cutAt) / 1000).toFixed(1)} s (${proxies[li]?.connections()} connections held)`);
    const done = await rolloutEnd(stage, name, "the rollout to end");
    await atRest(stage);
    const seen = await sampler.stop();
    // a leader that lost its Lease exits to start clean (src/main.ts): restarted as a kubelet
    // would, through the same proxy; back in touch, the old leader must be a standby now
    const steppedDown = (replicas[li]?.exits.length ?? 0) > 0;
    const exitedAt = replicas[li]?.exitedAt;
    if (steppedDown) {
      const old = replicas[li] as OperatorProcess;
      replicas[li] = await startOperator(cp, {
        name: `${old.name}-restarted`,
        namespaces: [stage.ns],
        kubeconfig: await operatorKubeconfig(cp, accounts[li] as string, proxies[li]?.url),
        env: electing(stage.ns, li === 0 ? "replica-a" : "replica-b"),
      });
      replicas.push(old);
    }
    const role = await (await fetch(`${replicas[li]?.url}/healthz`)).text();
    if (!role.includes("standby")) violations.push(`the old leader says "${role.trim()}" after the heal`);
    const { outside, passed, problems } = checkSucceeded(stage, seen, done);
    violations.push(...problems);
    // the audit log is written asynchronously: give it a moment to flush
    await sleep(2000);
    const writes = await auditWrites(cp.auditLog, stage.ns, since);
    const withoutLease = writesByNonLeader(writes, LEASE, LEASE_SECONDS);
    // Requests the cut-off leader sent before it stepped down, held by the partition and
    // delivered when it healed: no client can recall bytes already in the network (only fencing
    // by the API server could refuse them). They are told apart, not hidden: the old leader
    // exited before its Lease could run out, so whatever of its lands after the heal was sent
    // while it still held the Lease. Anything else without the Lease counts.
    const leaderUser = withoutLease.length
      ? writes.find((w) => w.what === `leases/${LEASE}` && w.done < cutAt && w.user.endsWith(`:${accounts[li]}`))?.user
      : undefined;
    const lastRenewal = writes.filter((w) => w.what === `leases/${LEASE}` && w.done < cutAt && w.user === leaderUser).at(-1)?.done ?? 0;
    const exitedInTime = exitedAt !== undefined && exitedAt < lastRenewal + LEASE_SECONDS * 1000 && exitedAt < healedAt;
    const delayed = withoutLease.filter((w) => exitedInTime && w.user === leaderUser && w.received >= healedAt - 1000);
    const bad = withoutLease.filter((w) => !delayed.includes(w));
    for (const w of bad.slice(0, 5))
      violations.push(
        `${w.user.replace(/^system:serviceaccount:[^:]+:/, "")} ${w.verb} ${w.what} at +${((w.done - cutAt) / 1000).toFixed(1)} s without the Lease`,
      );
    // the standby must not exit; the old leader exits only by stepping down
    const crashes = replicas[1 - li]?.exits.length ?? 0;
    if (crashes) violations.push(`the standby exited: ${replicas[1 - li]?.exits.join(", ")}`);
    return {
      experiment: "leader-partition",
      fault: `leader cut off from the API server ${ctx.durations.partition} s (bytes held)`,
      injectedAt,
      outageSeconds: (healedAt - cutAt) / 1000,
      recoverySeconds: handover,
      duplicateActions: passed.length - new Set(passed).size,
      weightsOutsidePlan: outside.length,
      writesByNonLeader: bad.length,
      lateEvaluations: 0,
      crashes,
      outcome: `${done.status?.phase}; standby took the Lease after ${handover.toFixed(1)} s; old leader ${steppedDown ? `stepped down ${exitedAt !== undefined ? `${((exitedAt - cutAt) / 1000).toFixed(1)} s after the cut` : ""} (exited, restarted as standby)` : "kept running"}; ${writes.length} writes checked; ${delayed.length} sent while leading and delivered at the heal`,
      violations,
    };
  } finally {
    for (const r of replicas) await r.stop("SIGKILL");
    for (const p of proxies) await p.close();
    ctx.operator = await startOperator(cp, { name: `${stage.ns}-main`, namespaces: [stage.ns], kubeconfig: await operatorKubeconfig(cp, "model-guardian") });
  }
}
