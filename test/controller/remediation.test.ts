// The ModelMonitor reconciler acting on findings, with fake ports: the Job is created before
// the status that records it, once; Job changes are followed without a new evaluation; the
// RetrainPolicy reconciler checks templates once per generation.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { JobCache } from "../../src/controller/jobcache.ts";
import { ModelMonitorReconciler } from "../../src/controller/modelmonitor.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { RetrainPolicyReconciler } from "../../src/controller/retrainpolicy.ts";
import { policyViewOf } from "../../src/domain/remediation/policy.ts";
import type { JobLimits } from "../../src/domain/remediation/job-limits.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { QueryResult } from "../../src/domain/observation.ts";
import type { CreateOutcome } from "../../src/domain/remediation/plan.ts";
import type { JobsPort, ObjectRef } from "../../src/ports.ts";
import { remediationWithHistory } from "../support/monitors.ts";

type Manifest = Parameters<JobsPort["create"]>[0];
const T0 = Date.parse("2026-11-01T00:00:00Z");

class FakeJobs implements JobsPort {
  readonly created: Manifest[] = [];
  readonly log: string[];
  messages: string[] = ['{"version": "v5"}'];
  refuse: string | undefined;
  validations = 0;
  constructor(log: string[]) {
    this.log = log;
  }
  async create(manifest: Manifest): Promise<CreateOutcome> {
    this.log.push(`create:${manifest.metadata.name}`);
    if (this.created.some((m) => m.metadata.name === manifest.metadata.name)) return { kind: "exists" };
    this.created.push(manifest);
    return { kind: "created" };
  }
  async validate(): Promise<string | undefined> {
    this.validations++;
    return this.refuse;
  }
  async terminationMessages(): Promise<string[]> {
    return this.messages;
  }
  async delete(_namespace: string, job: string): Promise<void> {
    this.log.push(`delete:${job}`);
  }
}

const policySpec = {
  triggers: [{ findings: ["AccuracyDrift"], action: "retrain" }],
  actions: [{ name: "retrain", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "t", image: "i" }] } } } } }],
};
const policyObject = (spec: unknown = policySpec, status?: unknown): KubeObject => ({
  metadata: { name: "p", namespace: "ns", uid: "pu", generation: 1 },
  spec,
  ...(status ? { status } : {}),
});

function harness(accuracy: () => number, jobLimits?: JobLimits) {
  const log: string[] = [];
  const writes: Record<string, unknown>[] = [];
  const events: MonitorEvent[] = [];
  const jobs = new FakeJobs(log);
  const cache = new JobCache();
  const clock = { t: T0, now: () => clock.t };
  let policy: KubeObject | undefined = policyObject();
  const answer = (): QueryResult => ({
    kind: "vector",
    samples: [
      { labels: { outcome: "tp" }, value: 100 * accuracy() },
      { labels: { outcome: "fp" }, value: 100 * (1 - accuracy()) },
    ],
  });
  const reconciler = new ModelMonitorReconciler({
    resolveSource: async () => ({ query: async () => answer() }),
    status: { writeStatus: async (_: ObjectRef, s: unknown) => void (writes.push(s as Record<string, unknown>), log.push("status")) },
    events: { emit: async (_: ObjectRef, e: MonitorEvent) => void (events.push(e), log.push(`event:${e.reason}`)) },
    clock,
    log: pino({ level: "silent" }),
    remediation: {
      policy: (_ns, name) => policyViewOf(name, policy),
      jobsOf: (ns, uid) => cache.ofMonitor(ns, uid),
      jobs,
      ...(jobLimits ? { jobLimits } : {}),
    },
  });
  return { reconciler, writes, events, jobs, cache, clock, log, setPolicy: (p: KubeObject | undefined) => (policy = p) };
}

const monitor = (): KubeObject => ({
  metadata: { name: "m", namespace: "ns", uid: "u1", generation: 1 },
  spec: {
    model: { name: "fraud", version: "v4" },
    interval: "1m",
    minSamples: 10,
    signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
    rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
    policyRef: { name: "p" },
  },
});
const remediationOf = (w: Record<string, unknown> | undefined) =>
  w?.remediation as { history: { outcome: string; job: string }[]; candidate?: { version: string } } | undefined;

describe("ModelMonitorReconciler with a RetrainPolicy", () => {
  it("creates the Job before writing the status that records it, then emits the Events", async () => {
    const h = harness(() => 0.6);
    const obj = monitor();
    const r = await h.reconciler.reconcile(obj);
    expect(h.log[0]).toMatch(/^create:m-retrain-[0-9a-z]{10}-1$/);
    expect(h.log[1]).toBe("status");
    expect(h.log).toContain("event:RetrainTriggered");
    // the cache has not shown the new Job yet: come back before the interval to check it exists
    expect(r.requeueAfterMs).toBe(30_000);
    const status = h.writes[0] as { conditions: { type: string; status: string }[] };
    expect(status.conditions.find((c) => c.type === "ActionRunning")?.status).toBe("True");
    expect(h.jobs.created[0]?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "ModelMonitor", name: "m", uid: "u1" })]);
  });

  it("follows the Job when the cache changes, without evaluating again, and records the version", async () => {
    const h = harness(() => 0.6);
    const obj = monitor();
    await h.reconciler.reconcile(obj);
    const manifest = h.jobs.created[0] as Manifest;
    const job = { ...manifest, metadata: { ...manifest.metadata, creationTimestamp: new Date(T0).toISOString() } };
    h.cache.upsert("ns", { ...job, status: { active: 1 } });
    h.clock.t += 2_000;
    await h.reconciler.reconcile(obj);
    expect(h.writes).toHaveLength(1); // nothing changed: no write
    h.cache.upsert("ns", { ...job, status: { conditions: [{ type: "Complete", status: "True", lastTransitionTime: new Date(T0 + 3_000).toISOString() }] } });
    h.clock.t += 2_000;
    const r = await h.reconciler.reconcile(obj);
    expect(r.evaluated).toBe(false);
    expect(remediationOf(h.writes.at(-1))?.candidate?.version).toBe("v5");
    expect(remediationOf(h.writes.at(-1))?.history[0]?.outcome).toBe("Succeeded");
    expect(h.jobs.created).toHaveLength(1);
  });

  it("deletes finished Jobs beyond the history limits only after the status recording them is written", async () => {
    const h = harness(() => 0.6);
    h.setPolicy(policyObject({ ...policySpec, failedJobsHistoryLimit: 0 }));
    const obj = monitor();
    await h.reconciler.reconcile(obj);
    const manifest = h.jobs.created[0] as Manifest;
    h.cache.upsert("ns", {
      ...manifest,
      metadata: { ...manifest.metadata, creationTimestamp: new Date(T0).toISOString() },
      status: { conditions: [{ type: "Failed", status: "True", lastTransitionTime: new Date(T0 + 1000).toISOString() }] },
    });
    h.log.length = 0;
    h.clock.t += 2_000;
    await h.reconciler.reconcile(obj);
    expect(h.log.filter((l) => l === "status" || l.startsWith("delete:"))).toEqual(["status", `delete:${manifest.metadata.name}`]);
    expect(remediationOf(h.writes.at(-1))?.history[0]?.outcome).toBe("Failed");
  });

  it("after a restart with the status write lost, the same Job name is asked for and AlreadyExists adopts it", async () => {
    const h = harness(() => 0.6);
    await h.reconciler.reconcile(monitor());
    const fresh = monitor(); // no status: the write never reached the API server
    await h.reconciler.reconcile(fresh);
    expect(h.log.filter((l) => l.startsWith("create:"))).toEqual([h.log[0], h.log[0]]);
    expect(h.jobs.created).toHaveLength(1);
    expect(remediationOf(h.writes.at(-1))?.history).toHaveLength(1);
  });

  it("a policy that disappears holds the action with PolicyNotFound", async () => {
    const h = harness(() => 0.6);
    h.setPolicy(undefined);
    await h.reconciler.reconcile(monitor());
    expect(h.jobs.created).toHaveLength(0);
    const status = h.writes[0] as { conditions: { type: string; status: string; reason: string }[] };
    expect(status.conditions.find((c) => c.type === "ActionHeld")).toMatchObject({ status: "True", reason: "PolicyNotFound" });
    expect(h.events.map((e) => e.reason)).toContain("PolicyNotFound");
  });

  it("a template outside JOB_ALLOWED_IMAGES creates no Job, even before the policy's controller said so", async () => {
    const h = harness(() => 0.6, { images: ["registry.example.com/ml/"] });
    // the policy's Ready condition still says Accepted: the monitor decides by itself
    h.setPolicy(
      policyObject(policySpec, {
        observedGeneration: 1,
        conditions: [{ type: "Ready", status: "True", reason: "Accepted", message: "", lastTransitionTime: new Date(T0).toISOString(), observedGeneration: 1 }],
      }),
    );
    await h.reconciler.reconcile(monitor());
    expect(h.jobs.created).toHaveLength(0);
    const status = h.writes[0] as { conditions: { type: string; status: string; reason: string; message: string }[] };
    expect(status.conditions.find((c) => c.type === "ActionHeld")).toMatchObject({
      status: "True",
      reason: "JobTemplateNotAllowed",
      message: expect.stringContaining('spec.actions[0].jobTemplate.spec.template.spec.containers[0].image: "i" is not allowed by JOB_ALLOWED_IMAGES'),
    });
    expect(h.events.map((e) => e.reason)).toContain("JobTemplateNotAllowed");
  });

  it("a healthy model starts nothing", async () => {
    const h = harness(() => 0.95);
    await h.reconciler.reconcile(monitor());
    expect(h.jobs.created).toHaveLength(0);
    expect(remediationOf(h.writes[0])?.history).toEqual([]);
  });
});

describe("RetrainPolicyReconciler", () => {
  function policyHarness(jobLimits?: JobLimits) {
    const log: string[] = [];
    const jobs = new FakeJobs(log);
    const writes: Record<string, unknown>[] = [];
    const events: MonitorEvent[] = [];
    const reconciler = new RetrainPolicyReconciler({
      status: { writeStatus: async (_: ObjectRef, s: unknown) => void writes.push(s as Record<string, unknown>) },
      events: { emit: async (_: ObjectRef, e: MonitorEvent) => void events.push(e) },
      clock: { now: () => T0 },
      jobs,
      ...(jobLimits ? { jobLimits } : {}),
      log: pino({ level: "silent" }),
      monitorsOf: () => [
        {
          name: "m",
          remediation: remediationWithHistory([
            {
              time: "2026-11-01T00:00:00Z",
              action: "retrain",
              purpose: "retrain",
              trigger: "t",
              reason: "r",
              severity: "warning",
              job: "j",
              attempt: 1,
              outcome: "Succeeded",
            },
          ]),
        },
      ],
      jobsOf: () => [],
    });
    return { reconciler, jobs, writes, events };
  }

  it("validates the templates once per generation and summarises the monitors", async () => {
    const h = policyHarness();
    const obj = policyObject();
    await h.reconciler.reconcile(obj);
    await h.reconciler.reconcile(obj);
    expect(h.jobs.validations).toBe(1);
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]).toMatchObject({
      observedGeneration: 1,
      monitors: 1,
      active: 0,
      history: [{ monitor: "m", job: "j" }],
      conditions: [{ type: "Ready", status: "True" }],
    });
  });

  it("a template the API server refuses makes Ready=False InvalidJobTemplate, and monitors see the policy as invalid", async () => {
    const h = policyHarness();
    h.jobs.refuse = 'Job.batch "x" is invalid: spec.template.spec.containers[0].name: Invalid value: "Bad_Name"';
    const obj = policyObject();
    await h.reconciler.reconcile(obj);
    const ready = (h.writes[0] as { conditions: { reason: string; message: string }[] }).conditions[0];
    expect(ready?.reason).toBe("InvalidJobTemplate");
    expect(ready?.message).toMatch(/^spec\.actions\[retrain\]\.jobTemplate: Job\.batch "x" is invalid: spec\.template\.spec\.containers\[0\]\.name/);
    expect(h.events.map((e) => e.reason)).toEqual(["InvalidJobTemplate"]);
    expect(policyViewOf("p", obj)).toMatchObject({ state: "invalid", message: expect.stringContaining("Bad_Name") });
    // the next generation is checked again
    expect(policyViewOf("p", { ...obj, metadata: { ...obj.metadata, generation: 2 } }).state).toBe("ok");
  });

  it("a template outside the operator's limits makes Ready=False JobTemplateNotAllowed, naming the field and the setting, with no dry run", async () => {
    const h = policyHarness({ serviceAccounts: ["trainer"], images: ["registry.example.com/ml/"] });
    const spec = {
      ...policySpec,
      actions: [
        {
          name: "retrain",
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  restartPolicy: "Never",
                  serviceAccountName: "trainer",
                  containers: [
                    { name: "t", image: "registry.example.com/ml/train:1" },
                    { name: "s", image: "registry.example.com/ml-evil/x:1" },
                  ],
                },
              },
            },
          },
        },
      ],
    };
    const obj = policyObject(spec);
    await h.reconciler.reconcile(obj);
    const ready = (h.writes[0] as { conditions: { status: string; reason: string; message: string }[] }).conditions[0];
    expect(ready).toMatchObject({
      status: "False",
      reason: "JobTemplateNotAllowed",
      message:
        'spec.actions[0].jobTemplate.spec.template.spec.containers[1].image: "registry.example.com/ml-evil/x:1" is not allowed by JOB_ALLOWED_IMAGES (registry.example.com/ml/)',
    });
    expect(h.jobs.validations).toBe(0);
    expect(h.events.map((e) => e.reason)).toEqual(["JobTemplateNotAllowed"]);

    // the same generation under an operator that allows it (a restart with other settings): checked again, accepted
    const allowing = policyHarness({ images: ["registry.example.com/"] });
    await allowing.reconciler.reconcile({ ...obj, status: h.writes[0] });
    expect(allowing.jobs.validations).toBe(1);
    expect((allowing.writes[0] as { conditions: { reason: string }[] }).conditions[0]?.reason).toBe("Accepted");
  });
});
