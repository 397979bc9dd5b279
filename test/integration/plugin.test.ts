// kubectl-modelguardian against the local API server, run as people run it: the executable
// (bin/kubectl-modelguardian, and the bundled single file) as a child process. The rollouts'
// status is written by the test through the status subresource, standing in for the operator, so
// each phase is set exactly when the test wants it (no operator runs in these namespaces, except
// in the last story, where the real operator acts on a verb the plugin wrote).
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { modelDeployment } from "../stage/serving.ts";
import { buildPlugin } from "../../hack/build-plugin.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../src/domain/rollout/names.ts";
import {
  ACCURACY,
  apply,
  createNamespace,
  deleteNamespace,
  env,
  events,
  getJson,
  kubectl,
  kubectlOk,
  type Operator,
  ROOT,
  startOperator,
  waitFor,
} from "../stage/index.ts";

const BIN = join(ROOT, "bin/kubectl-modelguardian");
const KUBECONFIG = env.KUBECONFIG as string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], o: { bin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(o.bin ?? BIN, args, { env: { ...process.env, KUBECONFIG, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let ns: string;
let tmp: string;

interface Rollout {
  metadata: { annotations?: Record<string, string> };
  spec: { paused?: boolean };
  status?: { handledAction?: string; approvedTime?: string; phase?: string; reason?: string };
}

const rolloutObj = (name: string, version: string, namespace = ns) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelRollout",
  metadata: { name, namespace },
  spec: { monitorRef: { name: "model" }, candidate: { version } },
});

const setStatus = (kind: string, name: string, status: Record<string, unknown>, namespace = ns) =>
  kubectlOk(["patch", kind, name, "-n", namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);

const rollout = (name: string) => getJson<Rollout>("modelrollouts.modelguardian.dev", name, ns);
const action = async (name: string) => (await rollout(name)).metadata.annotations?.[ROLLOUT_ACTION_ANNOTATION];
/** What the operator does with an action it read: records it as handled. */
const handle = async (name: string) => setStatus("modelrollouts.modelguardian.dev", name, { handledAction: (await action(name)) ?? null });

const T0 = "2026-12-06T21:00:00Z";
const COUNTERS = { successful: 0, failed: 0, inconclusive: 0, errors: 0, consecutiveInconclusive: 0, consecutiveErrors: 0 };
const STEP_1 = {
  phase: "Progressing",
  reason: "StepStarted",
  message: "step 1/2: 25 % to v2 for 1m",
  stable: { version: "v1" },
  attempt: 1,
  startTime: T0,
  stepIndex: 0,
  stepWeight: 25,
  stepStartTime: T0,
  nextAnalysisTime: "2026-12-06T21:01:00Z",
  desiredWeights: { stable: 75, candidate: 25 },
  counters: COUNTERS,
  analyses: [],
};
const STEP_2 = {
  ...STEP_1,
  message: "step 2/2: 100 % to v2 for 1m",
  stepIndex: 1,
  stepWeight: 100,
  stepStartTime: "2026-12-06T21:01:00Z",
  nextAnalysisTime: "2026-12-06T21:02:00Z",
  desiredWeights: { stable: 0, candidate: 100 },
  counters: { ...COUNTERS, successful: 1 },
  lastAnalysis: "Successful (step 1/2)",
  analyses: [
    {
      step: 0,
      weight: 25,
      time: "2026-12-06T21:01:00Z",
      window: "1m",
      outcome: "Successful",
      message: "every comparison passed",
      comparisons: [
        {
          signal: "accuracy",
          check: "maxDecrease",
          limit: 0.05,
          outcome: "Passed",
          stable: 0.9213333,
          candidate: 0.9187,
          difference: -0.0026333,
          pValue: 0.3811111,
          test: "twoProportion",
          stableSamples: 2400,
          candidateSamples: 800,
        },
      ],
    },
  ],
};

const monitorObj = (namespace: string, policy: string) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: "model", namespace },
  spec: {
    model: { name: "plugin-model", version: "v1" },
    selector: { model: "plugin-model" },
    versionLabel: "version",
    interval: "30s",
    window: "1m",
    signals: [ACCURACY],
    policyRef: { name: policy },
    serving: {
      router: { gatewayAPI: { httpRoute: { name: "model" } } },
      stable: { backendRef: { name: "model-stable" }, deployment: { name: "model-stable" } },
      candidate: { backendRef: { name: "model-candidate" }, deployment: { name: "model-candidate" } },
    },
  },
});
const policyObj = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "RetrainPolicy",
  metadata: { name, namespace },
  spec: {
    rollout: {
      steps: [
        { weight: 25, hold: "1m" },
        { weight: 100, hold: "1m" },
      ],
      analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.05 }] },
      ...extra,
    },
  },
});
const routeObj = (namespace: string, candidateWeight: number) => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "model", namespace },
  spec: {
    parentRefs: [{ name: "none" }],
    rules: [
      {
        backendRefs: [
          { name: "model-stable", port: 80, weight: 100 - candidateWeight },
          { name: "model-candidate", port: 80, weight: candidateWeight },
        ],
      },
    ],
  },
});

async function serving(namespace: string) {
  for (const obj of [
    modelDeployment({ namespace, name: "model-stable", version: "v1" }),
    modelDeployment({ namespace, name: "model-candidate", version: "v2" }),
    routeObj(namespace, 25),
  ]) {
    const r = await apply(obj);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "plugin-"));
  ns = await createNamespace("plugin");
  await serving(ns);
  for (const obj of [policyObj(ns, "policy"), monitorObj(ns, "policy"), rolloutObj("model-v2", "v2")]) {
    const r = await apply(obj);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  await setStatus("modelrollouts.modelguardian.dev", "model-v2", STEP_1);
  // kwok runs the Deployments' pods: both become ready
  await waitFor(
    "both Deployments ready",
    async () => {
      for (const d of ["model-stable", "model-candidate"])
        if (((await getJson<{ status?: { availableReplicas?: number } }>("deployments.apps", d, ns)).status?.availableReplicas ?? 0) < 1) return false;
      return true;
    },
    90_000,
  );
}, 180_000);

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("get rollout", () => {
  it("prints the tree: the steps with weights and holds, both Deployments and their readiness, the route's weights", async () => {
    const r = await run(["get", "rollout", "model-v2", "-n", ns]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Name       ${ns}/model-v2\n`);
    expect(r.stdout).toContain("Phase      ▶ Progressing  (StepStarted)\n");
    expect(r.stdout).toContain("Strategy   RetrainPolicy policy (spec.rollout)\n");
    expect(r.stdout).toContain(
      "├── Steps (2; analysis every 30s and at each hold's end)\n│   ├── ▶ 1   25 %  hold 1m  (since 2026-12-06T21:00:00Z, analysis 2026-12-06T21:01:00Z)\n│   └── ○ 2  100 %  hold 1m\n",
    );
    expect(r.stdout).toContain(
      "├── Workloads\n│   ├── stable     Deployment model-stable  v1  ✔ ready\n│   └── candidate  Deployment model-candidate  v2  ✔ ready\n",
    );
    expect(r.stdout).toContain("└── Route  HTTPRoute model (intended 75 / 25)\n    ├── stable      75 %\n    └── candidate   25 %\n");
  });

  it("each analysis with its comparisons and numbers", async () => {
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", STEP_2);
    try {
      const r = await run(["get", "rollout", "model-v2", "-n", ns]);
      expect(r.stdout).toContain("│   ├── ✔ 1   25 %  hold 1m\n│   └── ▶ 2  100 %  hold 1m  (since 2026-12-06T21:01:00Z, analysis 2026-12-06T21:02:00Z)\n");
      expect(r.stdout).toContain("│   └── ✔ step 1/2 (25 %) Successful at 2026-12-06T21:01:00Z over 1m: every comparison passed\n");
      expect(r.stdout).toContain(
        "│       └── ✔ Passed accuracy maxDecrease 0.05: stable 0.9213, candidate 0.9187, difference -0.002633, p 0.3811 (twoProportion; samples: 2400 stable, 800 candidate)\n",
      );
    } finally {
      await setStatus("modelrollouts.modelguardian.dev", "model-v2", STEP_1);
    }
  });

  it("is namespace-aware: -n, the kubeconfig context's namespace, --kubeconfig, --context", async () => {
    const config = parse(readFileSync(KUBECONFIG, "utf8")) as { contexts: { name: string; context: { namespace?: string } }[]; "current-context": string };
    const current = config.contexts.find((c) => c.name === config["current-context"]) as { name: string; context: Record<string, unknown> };
    const other = { name: "plugin-elsewhere", context: { ...current.context, namespace: "default" } };
    const here = { name: current.name, context: { ...current.context, namespace: ns } };
    const file = join(tmp, "kubeconfig");
    writeFileSync(file, stringify({ ...config, contexts: [here, other] }));
    // the current context's namespace, from $KUBECONFIG and from --kubeconfig
    expect((await run(["get", "rollout", "model-v2"], { env: { KUBECONFIG: file } })).stdout).toContain(`Name       ${ns}/model-v2`);
    expect((await run(["get", "rollout", "model-v2", "--kubeconfig", file], { env: { KUBECONFIG: "/nonexistent" } })).stdout).toContain(
      `Name       ${ns}/model-v2`,
    );
    // another context: its namespace, where the rollout is not
    const elsewhere = await run(["get", "rollout", "model-v2", "--kubeconfig", file, "--context", "plugin-elsewhere"]);
    expect(elsewhere).toMatchObject({ code: 1, stderr: 'error: ModelRollout "model-v2" not found in namespace default\n' });
    // -n wins over the context
    expect((await run(["get", "rollout", "model-v2", "--kubeconfig", file, "--context", "plugin-elsewhere", "--namespace", ns])).stdout).toContain(
      `Name       ${ns}/model-v2`,
    );
    expect(await run(["get", "rollout", "model-v2", "--context", "nope"])).toMatchObject({
      code: 1,
      stderr: 'error: context "nope" is not in the kubeconfig\n',
    });
  });

  it("runs as a kubectl plugin: kubectl modelguardian ...", async () => {
    const dir = join(tmp, "path");
    execFileSync("mkdir", ["-p", dir]);
    execFileSync("ln", ["-sf", BIN, join(dir, "kubectl-modelguardian")]);
    const r = await new Promise<Run>((resolve) => {
      const child = spawn("kubectl", ["modelguardian", "get", "rollout", "model-v2", "-n", ns], {
        env: { ...process.env, KUBECONFIG, PATH: `${dir}:${process.env.PATH}` },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Name       ${ns}/model-v2`);
  });
});

describe("get rollout -w", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGTERM");
  });

  it("prints the tree again when the status changes, and when the route changes", async () => {
    let out = "";
    child = spawn(BIN, ["get", "rollout", "model-v2", "-w", "-n", ns], { env: { ...process.env, KUBECONFIG }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d) => (out += d));
    await waitFor("the first tree", async () => out.includes("│   ├── ▶ 1   25 %  hold 1m"), 30_000);
    expect(out).not.toContain("▶ 2  100 %");
    // the operator's next status: step 1 passed, step 2 began
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", STEP_2);
    await waitFor("the tree at step 2", async () => out.includes("│   └── ▶ 2  100 %  hold 1m"), 30_000);
    const trees = out.split(/\n(?=Name {7})/);
    expect(trees.length).toBe(2);
    expect(trees[1]).toContain("│       └── ✔ Passed accuracy maxDecrease 0.05: stable 0.9213, candidate 0.9187");
    // a weight the rollout object does not say: seen at the next re-read
    const r = await apply(routeObj(ns, 100));
    expect(r.code).toBe(0);
    await waitFor("the tree with the route at 0 / 100", async () => out.includes("    ├── stable       0 %\n    └── candidate  100 %\n"), 30_000);
    expect(out.split(/\n(?=Name {7})/).length).toBe(3);
    child.kill("SIGTERM");
    await apply(routeObj(ns, 25));
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", STEP_1);
  });
});

describe("get monitor and report", () => {
  it("shows health, coverage, findings, versions and the rollout in progress", async () => {
    await setStatus("modelmonitors.modelguardian.dev", "model", {
      health: "Warning",
      summary: "accuracy 0.9012",
      stableVersion: "v1",
      judgedRules: "1/1",
      lastEvaluationTime: "2026-12-06T21:05:00Z",
      findings: [
        {
          type: "AccuracyDrift",
          severity: "warning",
          source: "accuracy",
          description: "accuracy 0.9012 is below its baseline 0.93",
          value: 0.90123456,
          baseline: 0.93,
          since: "2026-12-06T21:04:00Z",
        },
      ],
      versions: [
        { version: "v2", state: "Candidate", time: T0, rollout: "model-v2" },
        { version: "v1", state: "Stable", time: "2026-12-01T00:00:00Z" },
      ],
      rollout: { name: "model-v2", candidate: "v2", phase: "Progressing", stepIndex: 0, weight: 25 },
    });
    const r = await run(["get", "monitor", "model", "-n", ns]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.split("\n").slice(0, 8)).toEqual([
      `Name       ${ns}/model`,
      "Model      plugin-model v1",
      "Serving    v1",
      "Health     ⚠ Warning  accuracy 0.9012",
      "Evaluated  2026-12-06T21:05:00Z",
      "Coverage   1/1 rules judged",
      "Policy     policy",
      "Rollout    model-v2: v2 Progressing, step 1, 25 % to the candidate",
    ]);
    expect(r.stdout).toContain(
      "│   └── warning AccuracyDrift on accuracy: accuracy 0.9012 is below its baseline 0.93 (value 0.9012, baseline 0.93), since 2026-12-06T21:04:00Z\n",
    );
    expect(r.stdout).toContain(
      "└── Versions (2, newest first)\n    ├── v2  Candidate since 2026-12-06T21:00:00Z  rollout model-v2\n    └── v1  Stable since 2026-12-01T00:00:00Z\n",
    );
  });

  it("report prints the Markdown of the monitor's report ConfigMap, or says why there is none", async () => {
    expect(await run(["report", "model", "-n", ns])).toMatchObject({ code: 1, stderr: expect.stringContaining("has written no report yet") });
    await setStatus("modelmonitors.modelguardian.dev", "model", { report: { configMap: "model-report", lastTime: "2026-12-06T21:05:00Z" } });
    expect(await run(["report", "model", "-n", ns])).toMatchObject({
      code: 1,
      stderr: `error: ConfigMap ${ns}/model-report (key report.md) of ModelMonitor model does not exist\n`,
    });
    const markdown = "# Governance report: plugin-model\n\n| Signal | Value |\n|---|---|\n| accuracy | 0.9012 |\n";
    const html = "<!doctype html>\n<title>plugin-model</title>\n";
    expect(
      (
        await apply({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "model-report", namespace: ns },
          data: { "report.md": markdown, "report.html": html },
        })
      ).code,
    ).toBe(0);
    expect(await run(["report", "model", "-n", ns])).toEqual({ code: 0, stdout: markdown, stderr: "" });
    // the page with plots, for mail: kubectl modelguardian report MONITOR --html > report.html
    expect(await run(["report", "model", "-n", ns, "--html"])).toEqual({ code: 0, stdout: html, stderr: "" });
  });
});

describe("the verbs", () => {
  const verb = (v: string, name = "model-v2") => run([v, name, "-n", ns]);
  const refused = (v: string, phase: string, reason: string) => ({
    code: 1,
    stdout: "",
    stderr: `error: cannot ${v} ModelRollout ${ns}/model-v2 (${phase}): ${reason}\n`,
  });

  it("promote writes the action annotation; a second verb waits until the operator handled the first", async () => {
    const r = await verb("promote");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const value = await action("model-v2");
    expect(value).toMatch(/^promote-[0-9a-f]{8}$/);
    expect(r.stdout).toBe(`ModelRollout ${ns}/model-v2: promotion requested: the remaining steps are skipped (${ROLLOUT_ACTION_ANNOTATION}=${value})\n`);
    expect(await verb("abort")).toEqual(
      refused("abort", "Progressing", `${ROLLOUT_ACTION_ANNOTATION}=${value} is not handled yet: wait for the operator to act on it`),
    );
    expect(await action("model-v2")).toBe(value);
    await handle("model-v2");
    expect(await verb("abort")).toMatchObject({ code: 0 });
    expect(await action("model-v2")).toMatch(/^abort-[0-9a-f]{8}$/);
    await handle("model-v2");
  });

  it("refuses what does not fit a Progressing rollout, with the reason, writing nothing", async () => {
    const before = await action("model-v2");
    expect(await verb("retry")).toEqual(refused("retry", "Progressing", "only a RolledBack or Aborted rollout is retried (it is Progressing)"));
    expect(await verb("approve")).toEqual(refused("approve", "Progressing", "nothing is waiting for approval"));
    expect(await verb("reject")).toEqual(refused("reject", "Progressing", "nothing is waiting for approval"));
    expect(await verb("resume")).toEqual(refused("resume", "Progressing", "only a Paused rollout resumes (it is Progressing)"));
    expect(await action("model-v2")).toBe(before);
  });

  it("pause sets spec.paused; resume clears it, or asks the operator to resume its own pause", async () => {
    expect(await verb("pause")).toMatchObject({
      code: 0,
      stdout: `ModelRollout ${ns}/model-v2: spec.paused set: the rollout holds at its current weights (spec.paused=true)\n`,
    });
    expect((await rollout("model-v2")).spec.paused).toBe(true);
    expect(await verb("pause")).toEqual(refused("pause", "Progressing", "spec.paused is already true"));
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", { phase: "Paused", reason: "PausedBySpec", pauseReason: "PausedBySpec" });
    const before = await action("model-v2");
    expect(await verb("resume")).toMatchObject({ code: 0 });
    expect((await rollout("model-v2")).spec.paused).toBe(false);
    expect(await action("model-v2")).toBe(before);
    // paused by the operator itself (too many metrics errors): resumed through the annotation
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", { phase: "Paused", reason: "ErrorLimit", pauseReason: "ErrorLimit" });
    expect(await verb("pause")).toEqual(refused("pause", "Paused", "the rollout is already Paused (ErrorLimit)"));
    expect(await verb("resume")).toMatchObject({ code: 0 });
    expect(await action("model-v2")).toMatch(/^resume-[0-9a-f]{8}$/);
    await handle("model-v2");
  });

  it("approve and reject only what waits for approval; retry only what was rolled back", async () => {
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", {
      phase: "Pending",
      reason: "AwaitingApproval",
      pauseReason: null,
      stepIndex: null,
      stepWeight: null,
    });
    expect(await verb("approve")).toMatchObject({ code: 0 });
    expect(await action("model-v2")).toMatch(/^approve-[0-9a-f]{8}$/);
    await handle("model-v2");
    expect(await verb("reject")).toMatchObject({ code: 0 });
    expect(await action("model-v2")).toMatch(/^reject-[0-9a-f]{8}$/);
    await handle("model-v2");
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", { phase: "RolledBack", reason: "AnalysisFailed", quarantined: true });
    expect(await verb("promote")).toEqual(refused("promote", "RolledBack", "a RolledBack rollout cannot be promoted"));
    expect(await verb("abort")).toEqual(refused("abort", "RolledBack", "the rollout is already RolledBack"));
    expect(await verb("pause")).toEqual(
      refused("pause", "RolledBack", "a RolledBack rollout cannot be paused: only Pending, Shadowing and Progressing rollouts hold their steps"),
    );
    expect(await verb("retry")).toMatchObject({ code: 0 });
    expect(await action("model-v2")).toMatch(/^retry-[0-9a-f]{8}$/);
    await handle("model-v2");
    await setStatus("modelrollouts.modelguardian.dev", "model-v2", { ...STEP_1, quarantined: null, reason: "StepStarted" });
  });

  it("a rollout that does not exist, a misspelt verb: clear errors", async () => {
    expect(await verb("promote", "nope")).toEqual({ code: 1, stdout: "", stderr: `error: ModelRollout "nope" not found in namespace ${ns}\n` });
    expect(await verb("promot")).toMatchObject({ code: 2, stderr: "error: unknown command \"promot\"\nSee 'kubectl modelguardian --help'.\n" });
  });
});

describe("the bundled single file (what krew and npm users install)", () => {
  let built: Awaited<ReturnType<typeof buildPlugin>>;
  beforeAll(async () => {
    built = await buildPlugin(join(tmp, "dist"));
  }, 120_000);

  it("prints what the checkout's executable prints, with nothing but Node.js beside it", async () => {
    const alone = join(tmp, "alone");
    execFileSync("mkdir", ["-p", alone]);
    execFileSync("tar", ["-xzf", built.archive, "-C", alone]);
    const args = ["get", "rollout", "model-v2", "-n", ns];
    const fromBundle = await run(args, { bin: join(alone, "kubectl-modelguardian"), env: { KUBECTL_MODELGUARDIAN_NODE: process.execPath } });
    const fromCheckout = await run(args);
    expect(fromBundle.code).toBe(0);
    expect(fromBundle.stdout).toBe(fromCheckout.stdout);
    const manifest = parse(readFileSync(built.manifest, "utf8")) as { spec: { platforms: { sha256: string; bin: string }[] } };
    expect(manifest.spec.platforms[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.spec.platforms[0]?.bin).toBe("kubectl-modelguardian");
  });

  it("installs from its npm package alone (npm install -g), with no other package", async () => {
    const prefix = join(tmp, "npm-global");
    execFileSync("npm", ["install", "--global", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, built.npmPackage], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const args = ["get", "rollout", "model-v2", "-n", ns];
    const installed = await run(args, { bin: join(prefix, "bin/kubectl-modelguardian"), env: { KUBECTL_MODELGUARDIAN_NODE: process.execPath } });
    expect(installed.code).toBe(0);
    expect(installed.stdout).toBe((await run(args)).stdout);
  });

  // the machine's plain `node` (20 here) is too old for the Kubernetes client: said, not crashed
  const oldNode = ["/usr/bin/node", "/bin/node"].find(
    (p) => existsSync(p) && Number(execFileSync(p, ["-p", "process.versions.node.split('.')[0]"]).toString()) < 22,
  );
  it.skipIf(!oldNode)("on a Node.js older than 22.19 it says what it needs", async () => {
    const r = await run(["get", "rollout", "model-v2", "-n", ns], { bin: built.file, env: { KUBECTL_MODELGUARDIAN_NODE: oldNode as string } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: kubectl-modelguardian needs Node\.js 22\.19 or later; .* is 2\d\.\d+\.\d+\.\n/);
    const checkout = await run(["--help"], { env: { KUBECTL_MODELGUARDIAN_NODE: oldNode as string } });
    expect(checkout.stderr).toMatch(/^error: kubectl-modelguardian needs Node\.js 22\.19 or later/);
  });
});

describe("with the operator", () => {
  let op: Operator | undefined;
  let ns2: string | undefined;
  afterAll(async () => {
    // the operator's finalizer (restore-stable) goes with the operator's own hand: delete the rollout before stopping it
    if (ns2 && op) await kubectl(["delete", "modelrollouts.modelguardian.dev", "model-v2", "-n", ns2, "--timeout=60s"]);
    await op?.stop();
    if (ns2) await deleteNamespace(ns2);
  });

  it("the operator acts on the approval the plugin wrote, and the approval message names the namespace", async () => {
    ns2 = await createNamespace("plugin-op");
    await serving(ns2);
    for (const obj of [policyObj(ns2, "manual", { approval: "manual" }), monitorObj(ns2, "manual"), rolloutObj("model-v2", "v2", ns2)]) {
      const r = await apply(obj);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    op = await startOperator([ns2], "plugin");
    const waiting = await waitFor("the rollout to wait for approval", async () => {
      const s = (await getJson<Rollout>("modelrollouts.modelguardian.dev", "model-v2", ns2 as string)).status;
      return s?.reason === "AwaitingApproval" ? s : undefined;
    });
    expect(waiting.phase).toBe("Pending");
    const shown = await run(["get", "rollout", "model-v2", "-n", ns2]);
    expect(shown.stdout).toContain(
      `kubectl modelguardian approve model-v2 -n ${ns2} (or reject), or kubectl annotate modelrollout model-v2 -n ${ns2} --overwrite`,
    );
    expect(await run(["approve", "model-v2", "-n", ns2])).toMatchObject({ code: 0 });
    const approved = await waitFor(
      "the operator to record the approval",
      async () => (await getJson<Rollout>("modelrollouts.modelguardian.dev", "model-v2", ns2 as string)).status?.approvedTime,
    );
    expect(approved).toMatch(/^\d{4}-/);
    expect((await events(ns2, "model-v2")).map((e) => e.reason)).toContain("Approved");
    // handled: a second approval is refused by the plugin as by the operator
    expect(await run(["approve", "model-v2", "-n", ns2])).toMatchObject({ code: 1, stderr: expect.stringContaining("nothing is waiting for approval") });
  });
});
