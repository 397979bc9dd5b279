// The remediation state machine, tick by tick with no real time passing: which findings start
// which Job, the limits that hold them back, and exactly-once across lost status writes.
import { describe, expect, it } from "vitest";
import type { Finding, RemediationStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicySpecSchema, type RetrainPolicySpecInput } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import { jobViewOf, type JobView } from "../../../src/domain/remediation/job.ts";
import {
  planRemediation,
  settleRemediation,
  type CreateOutcome,
  type PolicyView,
  type RemediationInput,
  type RemediationResult,
} from "../../../src/domain/remediation/plan.ts";
import type { RenderedJob } from "./support.ts";

const T0 = Date.parse("2026-11-22T10:00:00Z");
const MIN = 60_000;
const template = { spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "train", image: "trainer:1" }] } } } };

function policy(extra: Partial<RetrainPolicySpecInput> = {}): PolicyView {
  const spec = retrainPolicySpecSchema.parse({
    triggers: [
      { findings: ["AccuracyDrift", "DataDrift"], action: "retrain" },
      { findings: ["EmbeddingDrift"], action: "reindex" },
    ],
    actions: [
      { name: "retrain", jobTemplate: template, config: { epochs: "50", batchSize: "32" } },
      { name: "reindex", jobTemplate: template },
    ],
    cooldown: "30m",
    backoff: { initial: "10m", max: "1h" },
    ...extra,
  });
  return { state: "ok", name: "fraud-policy", spec };
}

const finding = (type: Finding["type"], severity: Finding["severity"] = "warning", extra: Partial<Finding> = {}): Finding => ({
  type,
  severity,
  source: type === "EmbeddingDrift" ? "queries" : "accuracy",
  description: `${type} found`,
  since: new Date(T0).toISOString(),
  ...extra,
});

/** A cluster of Jobs the test controls: created Jobs appear, and finish when told. */
class Cluster {
  jobs = new Map<string, Record<string, unknown>>();
  creations = 0;
  create(manifest: Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } }, now: number): CreateOutcome {
    if (this.jobs.has(manifest.metadata.name)) return { kind: "exists" };
    this.creations++;
    this.jobs.set(manifest.metadata.name, { ...manifest, metadata: { ...manifest.metadata, creationTimestamp: new Date(now).toISOString() }, status: {} });
    return { kind: "created" };
  }
  finish(name: string, outcome: "Complete" | "Failed", now: number): void {
    const job = this.jobs.get(name) as Record<string, unknown>;
    job.status = {
      conditions: [
        {
          type: outcome,
          status: "True",
          lastTransitionTime: new Date(now).toISOString(),
          ...(outcome === "Failed" ? { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" } : {}),
        },
      ],
    };
  }
  views(): JobView[] {
    return [...this.jobs.values()].map((j) => jobViewOf(j) as JobView);
  }
}

interface Tick {
  findings: Finding[];
  now: number;
  previous: RemediationStatus | undefined;
  policy?: PolicyView | undefined;
  acting?: boolean;
  results?: Record<string, { ok: true; version: string; uri?: string } | { ok: false; reason: string }>;
  outcome?: (name: string) => CreateOutcome | undefined;
  annotations?: Record<string, string>;
  rolloutInProgress?: string;
  jobLimits?: RemediationInput["jobLimits"];
}

function tick(cluster: Cluster, t: Tick): RemediationResult {
  const jobs = cluster.views().map((j) => (t.results?.[j.name] ? { ...j, result: t.results[j.name] } : j));
  const input: RemediationInput = {
    namespace: "ml",
    monitor: { name: "fraud", uid: "uid-1" },
    model: { name: "fraud-model", version: "v1" },
    policy: "policy" in t ? t.policy : policy(),
    acting: t.acting ?? true,
    findings: t.findings,
    previous: t.previous,
    jobs,
    now: t.now,
    annotations: t.annotations ?? {},
    rolloutInProgress: t.rolloutInProgress,
    jobLimits: t.jobLimits,
  };
  const plan = planRemediation(input);
  const outcomes = new Map<string, CreateOutcome>();
  for (const i of plan.intents) outcomes.set(i.manifest.metadata.name, t.outcome?.(i.manifest.metadata.name) ?? cluster.create(i.manifest, t.now));
  return settleRemediation(plan, outcomes);
}

const reasons = (r: RemediationResult) => r.events.map((e) => e.reason);
const held = (r: RemediationResult) => r.status?.held.map((h) => h.reason) ?? [];

describe("planRemediation", () => {
  it("an accuracy finding starts exactly one retrain Job, with the model, findings and config handed over", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift", "critical");
    const r1 = tick(c, { findings: [acc], now: T0, previous: undefined });
    expect(c.creations).toBe(1);
    expect(reasons(r1)).toEqual(["RetrainTriggered"]);
    const job = [...c.jobs.values()][0] as unknown as RenderedJob;
    expect(job.metadata.name).toMatch(/^fraud-retrain-[0-9a-z]{10}-1$/);
    expect(job.metadata.labels).toMatchObject({
      "modelguardian.dev/action": "retrain",
      "modelguardian.dev/purpose": "retrain",
      "modelguardian.dev/monitor": "fraud",
    });
    expect(job.metadata.ownerReferences[0]).toMatchObject({ kind: "ModelMonitor", name: "fraud", uid: "uid-1", controller: true });
    const env: Record<string, string> = Object.fromEntries((job.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      MG_MODEL_NAME: "fraud-model",
      MG_MODEL_VERSION: "v1",
      MG_ACTION: "retrain",
      MG_TRIGGER_SEVERITY: "critical",
      MG_CONFIG_EPOCHS: "50",
      MG_CONFIG_BATCH_SIZE: "32",
    });
    expect(JSON.parse(env.MG_FINDINGS ?? "[]")[0]).toMatchObject({ type: "AccuracyDrift", severity: "critical" });
    expect(JSON.parse(job.metadata.annotations["modelguardian.dev/config"] ?? "null")).toEqual({ epochs: "50", batchSize: "32" });
    expect(r1.status?.history[0]).toMatchObject({ action: "retrain", outcome: "Active", attempt: 1, severity: "critical" });
    expect(r1.conditions.find((x) => x.type === "ActionRunning")?.status).toBe("True");

    // the same finding on later evaluations starts nothing more
    const r2 = tick(c, { findings: [acc], now: T0 + MIN, previous: r1.status });
    const r3 = tick(c, { findings: [acc], now: T0 + 40 * MIN, previous: r2.status });
    expect(c.creations).toBe(1);
    expect(r3.events).toEqual([]);
  });

  it("an embedding finding starts a reindex Job and no retrain Job", () => {
    const c = new Cluster();
    const r = tick(c, { findings: [finding("EmbeddingDrift")], now: T0, previous: undefined });
    expect([...c.jobs.keys()]).toEqual([expect.stringMatching(/^fraud-reindex-/)]);
    expect(reasons(r)).toEqual(["ReindexTriggered"]);
  });

  it("findings below minSeverity, of other types or of other sources start nothing", () => {
    const c = new Cluster();
    const p = policy({ triggers: [{ findings: ["AccuracyDrift"], minSeverity: "critical", sources: ["accuracy"], action: "retrain" }] });
    tick(c, {
      findings: [finding("AccuracyDrift", "warning"), finding("Latency", "critical"), finding("AccuracyDrift", "critical", { source: "f1" })],
      now: T0,
      previous: undefined,
      policy: p,
    });
    expect(c.creations).toBe(0);
  });

  it("a drift trigger restricted to features fires only when one of them drifted", () => {
    const c = new Cluster();
    const p = policy({ triggers: [{ findings: ["DataDrift"], features: ["income"], action: "retrain" }] });
    tick(c, { findings: [finding("DataDrift", "warning", { source: "inputs", features: ["age"] })], now: T0, previous: undefined, policy: p });
    expect(c.creations).toBe(0);
    tick(c, { findings: [finding("DataDrift", "warning", { source: "inputs", features: ["age", "income"] })], now: T0, previous: undefined, policy: p });
    expect(c.creations).toBe(1);
  });

  it("a new finding during the cooldown creates nothing and says until when; after it, the Job starts", () => {
    const c = new Cluster();
    const first = finding("AccuracyDrift", "warning", { since: new Date(T0).toISOString() });
    let r = tick(c, { findings: [first], now: T0, previous: undefined });
    c.finish([...c.jobs.keys()][0] as string, "Complete", T0 + 5 * MIN);
    r = tick(c, { findings: [], now: T0 + 6 * MIN, previous: r.status, results: { [[...c.jobs.keys()][0] as string]: { ok: true, version: "v2" } } });
    // the finding clears and comes back: a new episode, inside the 30 min cooldown
    const again = finding("AccuracyDrift", "warning", { since: new Date(T0 + 10 * MIN).toISOString() });
    r = tick(c, { findings: [again], now: T0 + 10 * MIN, previous: r.status });
    expect(c.creations).toBe(1);
    expect(held(r)).toEqual(["CooldownActive"]);
    expect(r.status?.held[0]?.until).toBe(new Date(T0 + 30 * MIN).toISOString());
    expect(r.conditions.find((x) => x.type === "ActionHeld")).toMatchObject({ status: "True", reason: "CooldownActive" });
    expect(reasons(r)).toEqual(["CooldownActive"]);
    expect(r.requeueAfterMs).toBe(20 * MIN);
    // the Event is not repeated while the hold lasts
    r = tick(c, { findings: [again], now: T0 + 20 * MIN, previous: r.status });
    expect(reasons(r)).toEqual([]);
    r = tick(c, { findings: [again], now: T0 + 30 * MIN, previous: r.status });
    expect(c.creations).toBe(2);
    expect(r.conditions.find((x) => x.type === "ActionHeld")?.status).toBe("False");
  });

  it("a succeeded retrain Job's reported version becomes the candidate", () => {
    const c = new Cluster();
    let r = tick(c, { findings: [finding("AccuracyDrift")], now: T0, previous: undefined });
    const name = [...c.jobs.keys()][0] as string;
    c.finish(name, "Complete", T0 + 2 * MIN);
    r = tick(c, {
      findings: [finding("AccuracyDrift")],
      now: T0 + 3 * MIN,
      previous: r.status,
      results: { [name]: { ok: true, version: "v2", uri: "s3://m/v2" } },
    });
    expect(r.status?.candidate).toEqual({ version: "v2", uri: "s3://m/v2", job: name, time: new Date(T0 + 2 * MIN).toISOString() });
    expect(r.status?.history[0]).toMatchObject({ outcome: "Succeeded", version: "v2", finishedTime: new Date(T0 + 2 * MIN).toISOString() });
    expect(reasons(r)).toEqual(["JobSucceeded", "CandidateRecorded"]);
    expect(r.finished).toEqual([{ action: "retrain", purpose: "retrain", outcome: "Succeeded" }]);
    expect(r.status?.active).toBe(0);
  });

  it("a succeeded Job without a version is recorded as such, with no candidate", () => {
    const c = new Cluster();
    let r = tick(c, { findings: [finding("AccuracyDrift")], now: T0, previous: undefined });
    const name = [...c.jobs.keys()][0] as string;
    c.finish(name, "Complete", T0 + MIN);
    r = tick(c, { findings: [], now: T0 + 2 * MIN, previous: r.status, results: { [name]: { ok: false, reason: "the Job reported no version" } } });
    expect(r.status?.candidate).toBeUndefined();
    expect(r.status?.history[0]).toMatchObject({ outcome: "Succeeded", message: "the Job reported no version" });
    expect(reasons(r)).toContain("NoVersionReported");
  });

  it("a failed Job is retried for the same findings only after the backoff, which doubles", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    let r = tick(c, { findings: [acc], now: T0, previous: undefined });
    const first = [...c.jobs.keys()][0] as string;
    c.finish(first, "Failed", T0 + MIN);
    r = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r.status });
    expect(r.status?.history[0]).toMatchObject({ job: first, outcome: "Failed", message: expect.stringContaining("BackoffLimitExceeded") });
    expect(held(r)).toEqual(["BackoffActive"]);
    expect(r.status?.held[0]?.until).toBe(new Date(T0 + 11 * MIN).toISOString());
    expect(reasons(r)).toEqual(["JobFailed", "BackoffActive"]);
    r = tick(c, { findings: [acc], now: T0 + 10 * MIN, previous: r.status });
    expect(c.creations).toBe(1);
    // backoff over: attempt 2, same trigger, next name
    r = tick(c, { findings: [acc], now: T0 + 11 * MIN, previous: r.status });
    expect(c.creations).toBe(2);
    const second = r.status?.history[0]?.job as string;
    expect(second).toBe(first.replace(/-1$/, "-2"));
    expect(r.status?.history[0]?.attempt).toBe(2);
    // a second failure doubles the wait (20 min), a success resets the count
    c.finish(second, "Failed", T0 + 12 * MIN);
    r = tick(c, { findings: [acc], now: T0 + 12 * MIN, previous: r.status });
    expect(r.status?.held[0]?.until).toBe(new Date(T0 + 32 * MIN).toISOString());
    expect(r.status?.actions.find((a) => a.name === "retrain")?.consecutiveFailures).toBe(2);
    r = tick(c, { findings: [acc], now: T0 + 32 * MIN, previous: r.status });
    const third = r.status?.history[0]?.job as string;
    c.finish(third, "Complete", T0 + 33 * MIN);
    r = tick(c, { findings: [acc], now: T0 + 34 * MIN, previous: r.status, results: { [third]: { ok: true, version: "v3" } } });
    expect(r.status?.actions.find((a) => a.name === "retrain")?.consecutiveFailures).toBe(0);
    expect(c.creations).toBe(3);
  });

  it("a status write lost after the Job was created: the Job is adopted, never created twice", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    tick(c, { findings: [acc], now: T0, previous: undefined }); // its status is never persisted
    expect(c.creations).toBe(1);
    const r = tick(c, { findings: [acc], now: T0 + 1000, previous: undefined });
    expect(c.creations).toBe(1);
    expect(reasons(r)).toEqual(["JobAdopted"]);
    expect(r.status?.history).toHaveLength(1);
    expect(r.status?.history[0]).toMatchObject({ outcome: "Active", attempt: 1 });
    expect(r.status?.actions[0]?.lastStartTime).toBe(new Date(T0).toISOString());
  });

  it("status writes lost for a while (the findings' first-seen times with them): still one Job, even once it finished", () => {
    const c = new Cluster();
    const p = policy({ cooldown: "0s", maxActiveJobs: 5 });
    // every evaluation re-derives `since`, because the status that kept it was never written
    const at = (t: number) => finding("AccuracyDrift", "warning", { since: new Date(t).toISOString() });
    tick(c, { findings: [at(T0)], now: T0, previous: undefined, policy: p });
    tick(c, { findings: [at(T0 + MIN)], now: T0 + MIN, previous: undefined, policy: p });
    c.finish([...c.jobs.keys()][0] as string, "Complete", T0 + 2 * MIN);
    const r = tick(c, {
      findings: [at(T0 + 3 * MIN)],
      now: T0 + 3 * MIN,
      previous: undefined,
      policy: p,
      results: { [[...c.jobs.keys()][0] as string]: { ok: true, version: "v2" } },
    });
    expect(c.creations).toBe(1);
    // writes work again: the status now keeps this episode handled
    const later = tick(c, { findings: [at(T0 + 3 * MIN)], now: T0 + 4 * MIN, previous: r.status, policy: p });
    expect(c.creations).toBe(1);
    expect(later.status?.candidate?.version).toBe("v2");
  });

  it("a Job created while the cache had not yet shown it: AlreadyExists is success, not an error", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    tick(c, { findings: [acc], now: T0, previous: undefined });
    const name = [...c.jobs.keys()][0] as string;
    const hidden = new Cluster(); // an empty cache, but the API server has the Job
    const r = tick(hidden, { findings: [acc], now: T0 + 10, previous: undefined, outcome: (n) => (n === name ? { kind: "exists" } : undefined) });
    expect(r.created).toEqual([]);
    expect(r.status?.history[0]).toMatchObject({ job: name, outcome: "Active" });
  });

  it("at most maxActiveJobs run per monitor; the others wait for them", () => {
    const c = new Cluster();
    const r = tick(c, { findings: [finding("AccuracyDrift"), finding("EmbeddingDrift")], now: T0, previous: undefined });
    expect(c.creations).toBe(1);
    expect(held(r)).toEqual(["MaxActiveJobsReached"]);
    const two = tick(new Cluster(), {
      findings: [finding("AccuracyDrift"), finding("EmbeddingDrift")],
      now: T0,
      previous: undefined,
      policy: policy({ maxActiveJobs: 2 }),
    });
    expect(two.created).toHaveLength(2);
  });

  it("the budget caps Jobs per window and says when it frees up", () => {
    const c = new Cluster();
    const p = policy({ cooldown: "0s", budget: { maxJobs: 2, per: "1h" } });
    let r: RemediationResult | undefined;
    let previous: RemediationStatus | undefined;
    for (let i = 0; i < 3; i++) {
      const f = finding("AccuracyDrift", "warning", { since: new Date(T0 + i * MIN).toISOString() });
      for (const name of c.jobs.keys())
        if (c.jobs.get(name)?.status && !(c.jobs.get(name)?.status as { conditions?: unknown }).conditions) c.finish(name, "Complete", T0 + i * MIN);
      r = tick(c, {
        findings: [f],
        now: T0 + i * MIN,
        previous,
        policy: p,
        results: Object.fromEntries([...c.jobs.keys()].map((n) => [n, { ok: true as const, version: "v" }])),
      });
      previous = r.status;
    }
    expect(c.creations).toBe(2);
    expect(held(r as RemediationResult)).toEqual(["BudgetExhausted"]);
    expect(r?.status?.held[0]?.until).toBe(new Date(T0 + 60 * MIN).toISOString());
  });

  it("dry-run records the decision once and creates nothing; turning it off acts on the same findings", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    let r = tick(c, { findings: [acc], now: T0, previous: undefined, policy: policy({ dryRun: true }) });
    expect(c.creations).toBe(0);
    expect(r.status?.history[0]).toMatchObject({ outcome: "DryRun", job: expect.stringMatching(/^fraud-retrain-/) });
    expect(reasons(r)).toEqual(["DryRunAction"]);
    r = tick(c, { findings: [acc], now: T0 + MIN, previous: r.status, policy: policy({ dryRun: true }) });
    expect(r.status?.history).toHaveLength(1);
    r = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r.status });
    expect(c.creations).toBe(1);
    expect(r.status?.history.map((h) => h.outcome)).toEqual(["Active", "DryRun"]);
  });

  it("a suspended policy starts nothing but still follows running Jobs", () => {
    const c = new Cluster();
    let r = tick(c, { findings: [finding("AccuracyDrift")], now: T0, previous: undefined });
    const name = [...c.jobs.keys()][0] as string;
    c.finish(name, "Failed", T0 + MIN);
    r = tick(c, { findings: [finding("EmbeddingDrift")], now: T0 + 2 * MIN, previous: r.status, policy: policy({ suspend: true }) });
    expect(c.creations).toBe(1);
    expect(held(r)).toEqual(["PolicySuspended"]);
    expect(r.status?.history[0]?.outcome).toBe("Failed");
  });

  it("a missing or invalid policy is a held action with the reason, not a crash", () => {
    const missing = tick(new Cluster(), { findings: [finding("AccuracyDrift")], now: T0, previous: undefined, policy: { state: "missing", name: "nope" } });
    expect(missing.conditions.find((x) => x.type === "ActionHeld")).toMatchObject({
      status: "True",
      reason: "PolicyNotFound",
      message: expect.stringContaining("nope"),
    });
    const invalid = tick(new Cluster(), {
      findings: [finding("AccuracyDrift")],
      now: T0,
      previous: undefined,
      policy: { state: "invalid", name: "p", message: "spec.actions[retrain].jobTemplate: image required" },
    });
    expect(invalid.conditions.find((x) => x.type === "ActionHeld")?.message).toContain("image required");
  });

  it("a template outside JOB_ALLOWED_IMAGES holds every action, naming the field, and creates nothing until the setting allows it", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift", "critical");
    // the policy's template runs trainer:1, a Docker Hub image
    const limits = { images: ["registry.example.com/ml/"] };
    let r = tick(c, { findings: [acc], now: T0, previous: undefined, jobLimits: limits });
    expect(c.creations).toBe(0);
    expect(r.status?.history).toEqual([]);
    expect(r.conditions.find((x) => x.type === "ActionHeld")).toMatchObject({
      status: "True",
      reason: "JobTemplateNotAllowed",
      message:
        'RetrainPolicy fraud-policy asks for what the operator\'s settings do not allow: spec.actions[0].jobTemplate.spec.template.spec.containers[0].image: "trainer:1" is not allowed by JOB_ALLOWED_IMAGES (registry.example.com/ml/); spec.actions[1].jobTemplate.spec.template.spec.containers[0].image: "trainer:1" is not allowed by JOB_ALLOWED_IMAGES (registry.example.com/ml/)',
    });
    expect(r.events).toEqual([expect.objectContaining({ type: "Warning", reason: "JobTemplateNotAllowed" })]);
    // neither a dry run nor an approval gets past it
    r = tick(c, { findings: [acc], now: T0 + MIN, previous: r.status, jobLimits: limits, policy: policy({ dryRun: true }) });
    expect(r.status?.history).toEqual([]);
    expect(held(r)).toEqual(["JobTemplateNotAllowed"]);
    expect(r.events).toEqual([]); // the hold goes on: no second Event
    // allowed (the admin widened the list): the findings start their Job
    r = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r.status, jobLimits: { images: ["docker.io/library/trainer"] } });
    expect(c.creations).toBe(1);
    expect(held(r)).toEqual([]);
  });

  it("a Job the API server refuses is recorded, counted as a failure and retried only after the backoff", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    let r = tick(c, {
      findings: [acc],
      now: T0,
      previous: undefined,
      outcome: () => ({ kind: "rejected", message: "Job.batch is invalid: spec.template.spec.containers[0].image: Required value" }),
    });
    expect(c.creations).toBe(0);
    expect(r.status?.history[0]).toMatchObject({ outcome: "CreateFailed", message: expect.stringContaining("image: Required value") });
    expect(reasons(r)).toEqual(["JobCreateFailed"]);
    r = tick(c, { findings: [acc], now: T0 + MIN, previous: r.status });
    expect(held(r)).toEqual(["BackoffActive"]);
    r = tick(c, { findings: [acc], now: T0 + 10 * MIN, previous: r.status });
    expect(c.creations).toBe(1);
  });

  it("a transient API error records nothing and retries soon", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    let r = tick(c, { findings: [acc], now: T0, previous: undefined, outcome: () => ({ kind: "error", message: "connect ECONNREFUSED" }) });
    expect(r.status?.history).toEqual([]);
    expect(r.requeueAfterMs).toBe(10_000);
    r = tick(c, { findings: [acc], now: T0 + 10_000, previous: r.status });
    expect(c.creations).toBe(1);
    expect(r.status?.history[0]?.attempt).toBe(1);
  });

  it("a Job deleted while running is marked so after a grace period and not started again", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift");
    let r = tick(c, { findings: [acc], now: T0, previous: undefined });
    c.jobs.clear();
    r = tick(c, { findings: [acc], now: T0 + 10_000, previous: r.status });
    expect(r.status?.history[0]?.outcome).toBe("Active");
    r = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r.status });
    expect(r.status?.history[0]).toMatchObject({ outcome: "Failed", message: expect.stringContaining("deleted") });
    r = tick(c, { findings: [acc], now: T0 + 3 * 3600_000, previous: r.status });
    expect(c.creations).toBe(1);
  });

  it("a monitor that stops acting (suspended) follows its Jobs but starts none", () => {
    const c = new Cluster();
    const r = tick(c, { findings: [finding("AccuracyDrift")], now: T0, previous: undefined, acting: false });
    expect(c.creations).toBe(0);
    expect(r.status?.history).toEqual([]);
  });

  it("no policy and no past: nothing to report", () => {
    const r = tick(new Cluster(), { findings: [finding("AccuracyDrift")], now: T0, previous: undefined, policy: undefined });
    expect(r.status).toBeUndefined();
    expect(r.conditions).toEqual([]);
  });

  it("finished Jobs beyond the history limits are pruned oldest first, per action, once recorded; never in dry-run", () => {
    const c = new Cluster();
    const p = policy({ cooldown: "0s", maxActiveJobs: 100, successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    let previous: RemediationStatus | undefined;
    let r: RemediationResult | undefined;
    for (let i = 0; i < 4; i++) {
      r = tick(c, { findings: [finding("AccuracyDrift", "warning", { since: new Date(T0 + i * MIN).toISOString() })], now: T0 + i * MIN, previous, policy: p });
      previous = r.status;
    }
    const names = [...c.jobs.keys()];
    c.finish(names[0] as string, "Complete", T0 + 5 * MIN);
    c.finish(names[1] as string, "Complete", T0 + 5 * MIN);
    c.finish(names[2] as string, "Complete", T0 + 5 * MIN);
    c.finish(names[3] as string, "Failed", T0 + 5 * MIN);
    const results = Object.fromEntries(names.map((n) => [n, { ok: true as const, version: "v" }]));
    // the tick that records the outcomes already knows what to delete after its status write
    r = tick(c, { findings: [], now: T0 + 6 * MIN, previous, policy: p, results });
    expect(r.prune).toEqual([names[0]]);
    expect(r.status?.history.map((h) => h.outcome).sort()).toEqual(["Failed", "Succeeded", "Succeeded", "Succeeded"]);
    const dry = tick(c, { findings: [], now: T0 + 7 * MIN, previous: r.status, policy: policy({ dryRun: true, successfulJobsHistoryLimit: 0 }) });
    expect(dry.prune).toEqual([]);
  });

  it("history is bounded by historyLimit, newest first", () => {
    const c = new Cluster();
    const p = policy({ cooldown: "0s", historyLimit: 3, maxActiveJobs: 100 });
    let previous: RemediationStatus | undefined;
    for (let i = 0; i < 5; i++) {
      const r = tick(c, {
        findings: [finding("AccuracyDrift", "warning", { since: new Date(T0 + i * MIN).toISOString() })],
        now: T0 + i * MIN,
        previous,
        policy: p,
      });
      previous = r.status;
    }
    expect(previous?.history).toHaveLength(3);
    expect(previous?.history.map((h) => h.time)).toEqual([4, 3, 2].map((i) => new Date(T0 + i * MIN).toISOString()));
  });
});

describe("approval and rollouts", () => {
  it("with approval: manual a Job waits, visible in status and an Event, until a person approves its trigger", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift", "critical");
    const manual = policy({ approval: "manual" });
    const r1 = tick(c, { findings: [acc], now: T0, previous: undefined, policy: manual });
    expect(c.creations).toBe(0);
    expect(held(r1)).toEqual(["ApprovalRequired"]);
    expect(reasons(r1)).toEqual(["ApprovalRequired"]);
    const message = r1.status?.held[0]?.message ?? "";
    const trigger = /modelguardian\.dev\/approve=([0-9a-z]+)/.exec(message)?.[1] as string;
    expect(message).toMatch(/kubectl annotate modelmonitor fraud -n ml --overwrite modelguardian\.dev\/approve=[0-9a-z]{10} \(or modelguardian\.dev\/reject=/);
    const r2 = tick(c, { findings: [acc], now: T0 + MIN, previous: r1.status, policy: manual });
    expect(reasons(r2)).toEqual([]); // the hold's Event is not repeated
    const r3 = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r2.status, policy: manual, annotations: { "modelguardian.dev/approve": trigger } });
    expect(c.creations).toBe(1);
    expect(reasons(r3)).toEqual(["RetrainTriggered"]);
    expect([...c.jobs.keys()][0]).toContain(trigger);
  });

  it("a rejected trigger is recorded and never asks again for the same findings", () => {
    const c = new Cluster();
    const acc = finding("AccuracyDrift", "critical");
    const manual = policy({ approval: "manual" });
    const r1 = tick(c, { findings: [acc], now: T0, previous: undefined, policy: manual });
    const trigger = /approve=([0-9a-z]+)/.exec(r1.status?.held[0]?.message ?? "")?.[1] as string;
    const r2 = tick(c, { findings: [acc], now: T0 + MIN, previous: r1.status, policy: manual, annotations: { "modelguardian.dev/reject": trigger } });
    expect(c.creations).toBe(0);
    expect(r2.status?.history[0]).toMatchObject({ outcome: "Rejected", trigger });
    expect(reasons(r2)).toEqual(["Rejected"]);
    const r3 = tick(c, { findings: [acc], now: T0 + 2 * MIN, previous: r2.status, policy: manual });
    expect(held(r3)).toEqual([]);
    expect(c.creations).toBe(0);
  });

  it("no retraining while a rollout of the model is in progress; re-indexing goes on", () => {
    const c = new Cluster();
    const two = policy({ maxActiveJobs: 2 });
    const r1 = tick(c, {
      findings: [finding("AccuracyDrift", "critical"), finding("EmbeddingDrift", "warning")],
      now: T0,
      previous: undefined,
      rolloutInProgress: "fraud-v2",
      policy: two,
    });
    expect(held(r1)).toEqual(["RolloutInProgress"]);
    expect(r1.status?.held[0]?.message).toMatch(/rollout fraud-v2 is in progress/);
    expect([...c.jobs.keys()]).toEqual([expect.stringMatching(/^fraud-reindex-/)]);
    const r2 = tick(c, {
      findings: [finding("AccuracyDrift", "critical"), finding("EmbeddingDrift", "warning")],
      now: T0 + MIN,
      previous: r1.status,
      policy: two,
    });
    expect(reasons(r2)).toContain("RetrainTriggered");
  });
});
