// RetrainPolicy end to end: a simulated model's metrics go through the real Prometheus, the
// operator (a real process) finds the drift and creates Jobs on the real API server; the real
// Job controller and scheduler run them on kwok's simulated node, whose stages (see
// scripts/cluster/kwok-stages.yaml) make each pod succeed with a reported version, or fail, as
// the Job template's annotations say.
import { describe, expect, it } from "vitest";
import type { ModelServer } from "../../sim/model-server.ts";
import { ACCURACY, apply, events, getJson, given, kubectl, kubectlOk, type Operator, promQuery, startOperator, useStage, waitFor } from "../stage/index.ts";

interface Job {
  metadata: {
    name: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
  status?: { active?: number; startTime?: string; conditions?: { type: string; status: string; lastTransitionTime: string }[] };
}
interface Record_ {
  action: string;
  job: string;
  outcome: string;
  attempt: number;
  version?: string;
  monitor?: string;
  time: string;
  finishedTime?: string;
}
interface MM {
  status?: {
    health?: string;
    findings?: { type: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
    remediation?: {
      candidate?: { version: string; uri?: string; job: string };
      history: Record_[];
      held: { reason: string; until?: string; message: string }[];
      active: number;
    };
  };
}
interface RP {
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[]; monitors?: number; history?: Record_[]; activeJobs?: unknown[] };
}

const model = `churn-${Date.now().toString(36)}`;
const INTERVAL = "2s";
let ns: string;
let sim: ModelServer;
let operator: Operator;
const PLANTS = ["accuracy", "embedding", "failing", "dryrun", "restart", "invalid", "approval", "limited"] as const;

const trainer = (annotations: Record<string, string>) => ({
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { annotations },
      spec: { restartPolicy: "Never", containers: [{ name: "train", image: "registry.example/train:1" }] },
    },
  },
});
const SUCCEEDS = trainer({
  "sim.modelguardian.dev/termination-message": '{"version": "v2", "uri": "s3://models/churn/v2"}',
  "sim.modelguardian.dev/run-duration": "2s",
});

function policy(name: string, spec: Record<string, unknown> = {}, namespace = ns) {
  return {
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "RetrainPolicy",
    metadata: { name, namespace },
    spec: {
      triggers: [
        { findings: ["AccuracyDrift"], minSeverity: "warning", action: "retrain" },
        { findings: ["EmbeddingDrift"], action: "reindex" },
      ],
      actions: [
        { name: "retrain", jobTemplate: SUCCEEDS, config: { epochs: "5", learningRate: "0.01" } },
        { name: "reindex", jobTemplate: trainer({ "sim.modelguardian.dev/run-duration": "1s" }) },
      ],
      cooldown: "1h",
      ...spec,
    },
  };
}

function monitor(name: string, plant: (typeof PLANTS)[number], policyName: string, extra: Record<string, unknown> = {}, namespace = ns) {
  return {
    apiVersion: "modelguardian.dev/v1alpha1",
    kind: "ModelMonitor",
    metadata: { name, namespace },
    spec: {
      model: { name: model, version: "v1" },
      selector: { model, plant },
      interval: INTERVAL,
      window: "20s",
      minSamples: 50,
      signals: [ACCURACY],
      rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
      policyRef: { name: policyName },
      ...extra,
    },
  };
}

const getMonitor = (name: string, namespace = ns) => getJson<MM>("modelmonitor", name, namespace);
const getPolicy = (name: string, namespace = ns) => getJson<RP>("retrainpolicy", name, namespace);
async function jobsOf(monitorName: string, namespace = ns): Promise<Job[]> {
  const out = JSON.parse(await kubectlOk(["get", "jobs", "-n", namespace, "-l", `modelguardian.dev/monitor=${monitorName}`, "-o", "json"])) as { items: Job[] };
  return out.items.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
}
const jobDone = (j: Job, type: "Complete" | "Failed") => j.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function degrade(plant: (typeof PLANTS)[number]): Promise<void> {
  sim.setBehaviour({ accuracy: 0.55 }, plant);
  await waitFor(`Prometheus to see ${plant} degrade`, async () => {
    const sel = `model="${model}",plant="${plant}"`;
    const r = await promQuery(`sum(increase(model_predictions_total{${sel},outcome=~"tp|tn"}[20s])) / sum(increase(model_predictions_total{${sel}}[20s]))`);
    return r[0] && Number(r[0].value[1]) < 0.75;
  });
}

useStage(
  given("retrain")
    .withModel({ model, version: "v1", segments: Object.fromEntries(PLANTS.map((p) => [p, { requestsPerSecond: 40, accuracy: 0.93 }])), seed: 11 })
    .withOperator()
    // the names the tests use; the test that kills the operator starts another as `operator`, which the teardown stops
    .withStep(async (s) => {
      ns = s.ns;
      sim = s.sim;
      operator = s.operator;
      return () => operator?.stop();
    }),
);

describe("RetrainPolicy on a real control plane", () => {
  it("an accuracy finding creates exactly one retrain Job, which completes and leaves a candidate version in status", async () => {
    expect((await apply(policy("churn-policy"))).code).toBe(0);
    expect((await apply(monitor("churn", "accuracy", "churn-policy"))).code).toBe(0);
    await waitFor("a Healthy evaluation", async () => (await getMonitor("churn")).status?.health === "Healthy");
    expect(await jobsOf("churn")).toEqual([]);

    await degrade("accuracy");
    const [job] = await waitFor("the retrain Job", async () => {
      const jobs = await jobsOf("churn");
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(job?.metadata.name).toMatch(/^churn-retrain-[0-9a-z]{10}-1$/);
    expect(job?.metadata.labels).toMatchObject({
      "modelguardian.dev/action": "retrain",
      "modelguardian.dev/policy": "churn-policy",
      "app.kubernetes.io/managed-by": "model-guardian",
    });
    expect(job?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ModelMonitor", name: "churn" });
    expect(job?.metadata.annotations["modelguardian.dev/reason"]).toContain("AccuracyDrift critical accuracy");
    const env = Object.fromEntries((job?.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      MG_MODEL_NAME: model,
      MG_MODEL_VERSION: "v1",
      MG_ACTION: "retrain",
      MG_TRIGGER_SEVERITY: "critical",
      MG_CONFIG_EPOCHS: "5",
      MG_CONFIG_LEARNING_RATE: "0.01",
    });
    expect(JSON.parse(env.MG_FINDINGS ?? "[]")[0]).toMatchObject({ type: "AccuracyDrift", severity: "critical", source: "accuracy" });

    const m = await waitFor("the candidate version in status", async () => {
      const mm = await getMonitor("churn");
      return mm.status?.remediation?.candidate ? mm : undefined;
    });
    expect(m.status?.remediation?.candidate).toMatchObject({ version: "v2", uri: "s3://models/churn/v2", job: job?.metadata.name });
    expect(m.status?.remediation?.history[0]).toMatchObject({ job: job?.metadata.name, outcome: "Succeeded", version: "v2", attempt: 1 });
    expect(jobDone((await jobsOf("churn"))[0] as Job, "Complete")).toBe(true);

    // the finding persists for several more evaluations: still exactly one Job
    await sleep(3 * 2000);
    expect((await getMonitor("churn")).status?.findings?.[0]?.type).toBe("AccuracyDrift");
    expect(await jobsOf("churn")).toHaveLength(1);

    const list = await events(ns, "churn");
    for (const reason of ["RetrainTriggered", "JobSucceeded", "CandidateRecorded"]) expect(list.map((e) => e.reason)).toContain(reason);
    const p = await waitFor("the policy's summary", async () => {
      const rp = await getPolicy("churn-policy");
      return rp.status?.history?.[0]?.outcome === "Succeeded" ? rp : undefined;
    });
    expect(p.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True", reason: "Accepted" });
    expect(p.status?.monitors).toBe(1);
    expect(p.status?.history?.[0]).toMatchObject({ monitor: "churn", job: job?.metadata.name, version: "v2" });
    expect(await kubectlOk(["get", "jobs", "-n", ns, "-l", "modelguardian.dev/monitor=churn"])).toMatch(/churn-retrain-\S+-1\s+Complete\s+1\/1/);
    // READY, REASON, MONITORS, ACTIVE, LAST ACTION, LAST OUTCOME, SUSPENDED
    expect(await kubectlOk(["get", "retrainpolicies", "-n", ns])).toMatch(/churn-policy\s+True\s+Accepted\s+1\s+0\s+\d+s\s+Succeeded\s+false\s+/);
    const metrics = await (await fetch(operator.metricsUrl)).text();
    expect(metrics).toContain(`modelguardian_retrain_events_total{namespace="${ns}",model="${model}",reason="AccuracyDrift"} 1`);
    expect(metrics).toMatch(
      new RegExp(`modelguardian_action_jobs_finished_total\\{namespace="${ns}",model="${model}",action="retrain",outcome="Succeeded"\\} 1`),
    );
  });

  it("a new episode during the cooldown creates nothing and says so in status", async () => {
    sim.setBehaviour({ accuracy: 0.95 }, "accuracy");
    await waitFor("the finding to clear", async () => ((await getMonitor("churn")).status?.findings ?? []).length === 0, 60_000);
    await degrade("accuracy");
    const m = await waitFor("ActionHeld CooldownActive", async () => {
      const mm = await getMonitor("churn");
      const held = mm.status?.conditions?.find((c) => c.type === "ActionHeld");
      return held?.status === "True" && held.reason === "CooldownActive" ? mm : undefined;
    });
    expect(m.status?.remediation?.held[0]?.until).toBeDefined();
    expect(m.status?.conditions?.find((c) => c.type === "ActionHeld")?.message).toMatch(/retrain for AccuracyDrift .* held until .*cooldown 1h/);
    expect(await jobsOf("churn")).toHaveLength(1);
    expect((await events(ns, "churn")).map((e) => e.reason)).toContain("CooldownActive");
  });

  it("deleting the monitor deletes its Jobs (owner references), and the policy's count follows", async () => {
    await kubectlOk(["delete", "modelmonitor", "churn", "-n", ns]);
    await waitFor("the garbage collector to delete the Job", async () => (await jobsOf("churn")).length === 0);
    await waitFor("the policy to count no monitor", async () => (await getPolicy("churn-policy")).status?.monitors === 0);
  });

  it("an embedding finding creates a reindex Job, not a retrain Job", async () => {
    await apply(
      monitor("rag", "embedding", "churn-policy", {
        drift: [
          {
            name: "queries",
            embedding: { metric: "model_query_embedding_centroid" },
            method: "cosine",
            reference: { pinned: {} },
            threshold: { warning: 0.05, critical: 0.1 },
          },
        ],
      }),
    );
    await waitFor("a Healthy evaluation with a pinned centroid", async () => (await getMonitor("rag")).status?.health === "Healthy");
    sim.setBehaviour({ embeddingShift: 2 }, "embedding");
    const jobs = await waitFor("a finished reindex Job", async () => {
      const list = await jobsOf("rag");
      return list.length > 0 && jobDone(list[0] as Job, "Complete") ? list : undefined;
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.metadata.labels["modelguardian.dev/purpose"]).toBe("reindex");
    expect(jobs[0]?.metadata.name).toMatch(/^rag-reindex-/);
    const m = await waitFor("the reindex outcome", async () => {
      const mm = await getMonitor("rag");
      return mm.status?.remediation?.history[0]?.outcome === "Succeeded" ? mm : undefined;
    });
    // a reindex produces no model version
    expect(m.status?.remediation?.candidate).toBeUndefined();
    expect((await events(ns, "rag")).map((e) => e.reason)).toContain("ReindexTriggered");
    await kubectlOk(["delete", "modelmonitor", "rag", "-n", ns]);
  });

  it("a failed Job is retried only after the backoff, which doubles", async () => {
    await apply(
      policy("failing-policy", {
        cooldown: "0s",
        backoff: { initial: "6s", max: "1m" },
        failedJobsHistoryLimit: 5,
        actions: [{ name: "retrain", jobTemplate: trainer({ "sim.modelguardian.dev/outcome": "Failed", "sim.modelguardian.dev/run-duration": "500ms" }) }],
        triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
      }),
    );
    await apply(monitor("flaky", "failing", "failing-policy"));
    await degrade("failing");
    const jobs = await waitFor(
      "three failed attempts",
      async () => {
        const list = await jobsOf("flaky");
        return list.length >= 3 && list.slice(0, 3).every((j) => jobDone(j, "Failed")) ? list : undefined;
      },
      120_000,
    );
    const names = jobs.map((j) => j.metadata.name);
    expect(names[0]).toMatch(/-1$/);
    expect(names[1]).toBe(names[0]?.replace(/-1$/, "-2"));
    expect(names[2]).toBe(names[0]?.replace(/-1$/, "-3"));
    const failedAt = (j: Job) => Date.parse(j.status?.conditions?.find((c) => c.type === "Failed")?.lastTransitionTime ?? "");
    const createdAt = (j: Job) => Date.parse(j.metadata.creationTimestamp);
    // timestamps have second precision: allow one second of rounding
    expect(createdAt(jobs[1] as Job) - failedAt(jobs[0] as Job)).toBeGreaterThanOrEqual(6000 - 1000);
    expect(createdAt(jobs[2] as Job) - failedAt(jobs[1] as Job)).toBeGreaterThanOrEqual(12_000 - 1000);
    const m = await getMonitor("flaky");
    const failures = m.status?.remediation?.history.filter((r) => r.outcome === "Failed") ?? [];
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect((await events(ns, "flaky")).map((e) => e.reason)).toEqual(expect.arrayContaining(["JobFailed", "BackoffActive"]));

    // stop the retries, then keep only the newest failed Job: the older ones are deleted, their
    // records stay in status
    await kubectlOk(["patch", "retrainpolicy", "failing-policy", "-n", ns, "--type=merge", "-p", '{"spec":{"suspend":true,"failedJobsHistoryLimit":1}}']);
    const left = await waitFor("the older failed Jobs to be deleted", async () => {
      const list = await jobsOf("flaky");
      return list.length === 1 && jobDone(list[0] as Job, "Failed") ? list : undefined;
    });
    const newest = (await getMonitor("flaky")).status?.remediation?.history.find((r) => r.outcome === "Failed");
    expect(left[0]?.metadata.name).toBe(newest?.job);
    expect((await getMonitor("flaky")).status?.remediation?.history.filter((r) => r.outcome === "Failed").length).toBeGreaterThanOrEqual(3);
    await kubectlOk(["delete", "modelmonitor", "flaky", "-n", ns]);
  });

  it("with approval: manual a Job waits for one kubectl command, and starts once it is given", async () => {
    await apply(policy("approval-policy", { approval: "manual" }));
    await apply(monitor("approval", "approval", "approval-policy"));
    await degrade("approval");
    const m = await waitFor("the action held for approval", async () => {
      const mm = await getMonitor("approval");
      return mm.status?.remediation?.held.some((h) => h.reason === "ApprovalRequired") && mm;
    });
    const message = m.status?.remediation?.held.find((h) => h.reason === "ApprovalRequired")?.message ?? "";
    // the command names the namespace: it is often run from another
    const command = new RegExp(`kubectl annotate modelmonitor approval -n ${ns} --overwrite (modelguardian\\.dev/approve=[0-9a-z]{10})`).exec(message);
    expect(command, message).not.toBeNull();
    expect(m.status?.conditions?.find((c) => c.type === "ActionHeld")).toMatchObject({ status: "True", reason: "ApprovalRequired" });
    await sleep(3 * 2000);
    expect(await jobsOf("approval")).toEqual([]);
    expect((await events(ns, "approval")).map((e) => e.reason)).toContain("ApprovalRequired");
    await kubectlOk(["annotate", "modelmonitor", "approval", "-n", ns, "--overwrite", (command as RegExpExecArray)[1] as string]);
    const jobs = await waitFor("the approved Job", async () => {
      const j = await jobsOf("approval");
      return j.length === 1 && j;
    });
    expect(jobs[0]?.metadata.name).toContain((command as RegExpExecArray)[1]?.split("=")[1]);
    await kubectlOk(["delete", "modelmonitor", "approval", "-n", ns]);
  });

  it("dry-run creates nothing and records the decision", async () => {
    await apply(policy("dry-policy", { dryRun: true }));
    await apply(monitor("dry", "dryrun", "dry-policy"));
    await degrade("dryrun");
    const m = await waitFor("the dry-run record", async () => {
      const mm = await getMonitor("dry");
      return mm.status?.remediation?.history[0]?.outcome === "DryRun" ? mm : undefined;
    });
    expect(m.status?.remediation?.history[0]?.job).toMatch(/^dry-retrain-[0-9a-z]{10}-1$/);
    await sleep(3 * 2000);
    expect(await jobsOf("dry")).toEqual([]);
    expect((await getMonitor("dry")).status?.remediation?.history).toHaveLength(1);
    expect((await events(ns, "dry")).map((e) => e.reason)).toContain("DryRunAction");
    await kubectlOk(["delete", "modelmonitor", "dry", "-n", ns]);
  });

  it("an invalid Job template is reported in a condition, and the operator keeps working", async () => {
    // passes the CRD schema, but a container name must be a DNS label: only the API server's
    // Job validation (the policy reconciler's server-side dry run) catches it
    const bad = policy("bad-policy", {
      actions: [
        { name: "retrain", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "Train_Job", image: "x" }] } } } } },
      ],
      triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
    });
    expect((await apply(bad)).code).toBe(0);
    const p = await waitFor("Ready=False InvalidJobTemplate", async () => {
      const rp = await getPolicy("bad-policy");
      const ready = rp.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.reason === "InvalidJobTemplate" ? rp : undefined;
    });
    const ready = p.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready?.status).toBe("False");
    expect(ready?.message).toMatch(/spec\.actions\[retrain\]\.jobTemplate: .*spec\.template\.spec\.containers\[0\]\.name: Invalid value: "Train_Job"/);
    expect((await events(ns, "bad-policy")).map((e) => e.reason)).toContain("InvalidJobTemplate");

    await apply(monitor("broken", "invalid", "bad-policy"));
    await degrade("invalid");
    const m = await waitFor("ActionHeld PolicyInvalid", async () => {
      const mm = await getMonitor("broken");
      return mm.status?.conditions?.find((c) => c.type === "ActionHeld" && c.reason === "PolicyInvalid") ? mm : undefined;
    });
    expect(m.status?.health).toBe("Critical");
    expect(await jobsOf("broken")).toEqual([]);
    expect(operator.process.exitCode).toBeNull();

    // fixing the policy lets the held action go
    const fixed = policy("bad-policy", {
      actions: [{ name: "retrain", jobTemplate: SUCCEEDS }],
      triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
    });
    await apply(fixed);
    await waitFor("the Job once the policy is fixed", async () => (await jobsOf("broken")).length === 1);
    await kubectlOk(["delete", "modelmonitor", "broken", "-n", ns]);
  });

  it("a Job template the schema already forbids is refused at apply time, naming the field", async () => {
    const r = await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        policy("always", {
          actions: [{ name: "retrain", jobTemplate: { spec: { template: { spec: { restartPolicy: "Always", containers: [{ name: "t", image: "x" }] } } } } }],
        }),
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.actions\[0\]\.jobTemplate\.spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
  });

  it("killing and restarting the operator while a Job is created or running never produces a second Job", async () => {
    await apply(
      policy("slow-policy", {
        actions: [
          {
            name: "retrain",
            jobTemplate: trainer({ "sim.modelguardian.dev/run-duration": "10s", "sim.modelguardian.dev/termination-message": '{"version":"v9"}' }),
          },
        ],
        triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
      }),
    );
    await apply(monitor("crashy", "restart", "slow-policy"));
    await waitFor("a Healthy evaluation", async () => (await getMonitor("crashy")).status?.health === "Healthy");
    await degrade("restart");
    // kill -9 at moments chosen by the Job's own progress, not by the clock, so every kill
    // happens however fast the machine is: the moment the Job exists (its status record may
    // not be written yet), once the monitor records it, once its pod runs and once it has
    // finished (its candidate not read yet). Each moment is "reached or passed": a Job that
    // ran on while the operator restarted still gets every kill.
    const recorded = async () => ((await getMonitor("crashy")).status?.remediation?.history ?? []).some((r) => r.outcome !== "DryRun");
    const moments: [string, () => Promise<boolean>][] = [
      ["the Job", async () => (await jobsOf("crashy")).length > 0],
      ["the Job in the monitor's status", recorded],
      ["the Job's pod running", async () => (await jobsOf("crashy")).some((j) => (j.status?.active ?? 0) > 0 || j.status?.startTime !== undefined)],
      ["the Job finished", async () => (await jobsOf("crashy")).some((j) => jobDone(j, "Complete") || jobDone(j, "Failed"))],
    ];
    for (const [i, [moment, reached]] of moments.entries()) {
      await waitFor(moment, reached, 90_000, 50);
      await operator.stop("SIGKILL");
      if (i < moments.length - 1) operator = await startOperator([ns], `${ns}-${i}`);
    }
    operator = await startOperator([ns], `${ns}-final`);
    const m = await waitFor(
      "the candidate of the one Job",
      async () => {
        const mm = await getMonitor("crashy");
        return mm.status?.remediation?.candidate ? mm : undefined;
      },
      90_000,
    );
    expect(m.status?.remediation?.candidate?.version).toBe("v9");
    const jobs = await jobsOf("crashy");
    expect(jobs).toHaveLength(1);
    expect(m.status?.remediation?.history.filter((r) => r.outcome !== "DryRun")).toHaveLength(1);
    await sleep(3 * 2000);
    expect(await jobsOf("crashy")).toHaveLength(1);
  });
});

describe("an operator that limits what its Jobs run (JOB_ALLOWED_IMAGES, JOB_ALLOWED_SERVICE_ACCOUNTS)", () => {
  // a second operator with the settings on, in a namespace of its own; the simulated model is shared
  const template = (serviceAccountName: string | undefined, ...images: string[]) => ({
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { "sim.modelguardian.dev/termination-message": '{"version": "v2"}', "sim.modelguardian.dev/run-duration": "2s" } },
        spec: {
          restartPolicy: "Never",
          ...(serviceAccountName ? { serviceAccountName } : {}),
          containers: images.map((image, i) => ({ name: `c${i}`, image })),
        },
      },
    },
  });
  const limitedPolicy = (name: string, jobTemplate: unknown) =>
    policy(name, { actions: [{ name: "retrain", jobTemplate }], triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }] }, limits.ns);
  const ready = async (name: string) => (await getPolicy(name, limits.ns)).status?.conditions?.find((c) => c.type === "Ready");

  const limits = useStage(
    given("retrain-limits")
      .withStep((s) => kubectlOk(["create", "serviceaccount", "trainer", "-n", s.ns]))
      .withOperator({ env: { JOB_ALLOWED_IMAGES: "registry.example/", JOB_ALLOWED_SERVICE_ACCOUNTS: "trainer" } }),
  );

  it("a policy whose image or ServiceAccount is outside the settings is Ready=False naming the field and the setting; its monitor creates no Job, an allowed one's does", async () => {
    // registry.example-evil/ is not under registry.example/: prefixes match whole path components
    for (const p of [
      limitedPolicy("allowed", template("trainer", "registry.example/train:1")),
      limitedPolicy("other-image", template("trainer", "registry.example/train:1", "registry.example-evil/train:1")),
      limitedPolicy("default-account", template(undefined, "registry.example/train:1")),
    ])
      expect((await apply(p)).code).toBe(0);
    const image = await waitFor("other-image refused", async () => {
      const c = await ready("other-image");
      return c?.reason === "JobTemplateNotAllowed" && c;
    });
    expect(image).toMatchObject({
      status: "False",
      message:
        'spec.actions[0].jobTemplate.spec.template.spec.containers[1].image: "registry.example-evil/train:1" is not allowed by JOB_ALLOWED_IMAGES (registry.example/)',
    });
    const account = await waitFor("default-account refused", async () => {
      const c = await ready("default-account");
      return c?.reason === "JobTemplateNotAllowed" && c;
    });
    expect(account?.message).toBe(
      'spec.actions[0].jobTemplate.spec.template.spec.serviceAccountName: unset, so the pods run as "default", which JOB_ALLOWED_SERVICE_ACCOUNTS (trainer) does not allow',
    );
    await waitFor("the allowed policy accepted", async () => (await ready("allowed"))?.reason === "Accepted");
    expect((await events(limits.ns, "other-image")).map((e) => e.reason)).toContain("JobTemplateNotAllowed");

    await apply(monitor("allowed", "limited", "allowed", {}, limits.ns));
    await apply(monitor("refused", "limited", "other-image", {}, limits.ns));
    await degrade("limited");
    const jobs = await waitFor("the allowed monitor's Job", async () => {
      const list = await jobsOf("allowed", limits.ns);
      return list.length > 0 && list;
    });
    expect(jobs).toHaveLength(1);
    // the refused monitor saw the same drift, decided, and held: its status is written after any Job it would create
    const held = await waitFor("the refused monitor Critical with its action held", async () => {
      const m = await getMonitor("refused", limits.ns);
      const c = m.status?.conditions?.find((x) => x.type === "ActionHeld");
      return m.status?.health === "Critical" && c?.reason === "JobTemplateNotAllowed" && c;
    });
    expect(held.status).toBe("True");
    expect(held.message).toContain(
      'RetrainPolicy other-image asks for what the operator\'s settings do not allow: spec.actions[0].jobTemplate.spec.template.spec.containers[1].image: "registry.example-evil/train:1"',
    );
    expect(await jobsOf("refused", limits.ns)).toEqual([]);
    expect((await getMonitor("refused", limits.ns)).status?.remediation?.history).toEqual([]);
    expect(limits.operator.process.exitCode).toBeNull();
  }, 180_000);
});
