import { describe, expect, it } from "vitest";
import { retrainPolicySpecSchema } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import { stableHash } from "../../../src/domain/identifiers.ts";
import { envName, jobName, jobsAwaitingResult, jobViewOf, parseJobResult, renderJob } from "../../../src/domain/remediation/job.ts";
import { describeFindings, matchTriggers } from "../../../src/domain/remediation/triggers.ts";
import type { RenderedJob } from "./support.ts";

const spec = retrainPolicySpecSchema.parse({
  actions: [
    {
      name: "retrain",
      jobTemplate: {
        metadata: { labels: { team: "fraud", "modelguardian.dev/action": "forged" } },
        spec: {
          activeDeadlineSeconds: 3600,
          futureField: { kept: true },
          template: {
            metadata: { annotations: { "sim.modelguardian.dev/outcome": "Failed" } },
            spec: { restartPolicy: "Never", containers: [{ name: "t", image: "i", env: [{ name: "MG_CONFIG_EPOCHS", value: "override" }] }] },
          },
        },
      },
      config: { epochs: "50" },
    },
  ],
});

describe("job names", () => {
  it("are deterministic DNS labels of at most 63 characters", () => {
    const long = jobName("a".repeat(200) + ".b", "retrain", "abcdefghij", 12);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long.endsWith("-abcdefghij-12")).toBe(true);
    expect(jobName("Fraud.Model", "retrain", "x", 1)).toBe("fraud-model-retrain-x-1");
    expect(stableHash("a")).toBe(stableHash("a"));
    expect(stableHash("a")).not.toBe(stableHash("b"));
  });
  it("turn configuration keys into variable names", () => {
    expect(envName("batchSize")).toBe("BATCH_SIZE");
    expect(envName("learning.rate")).toBe("LEARNING_RATE");
  });
});

describe("renderJob", () => {
  const job = renderJob({
    namespace: "ml",
    monitor: { name: "fraud", uid: "u" },
    policy: "p",
    model: { name: "fraud model with spaces" },
    action: spec.actions[0] as (typeof spec.actions)[number],
    purpose: "retrain",
    trigger: "t0",
    attempt: 1,
    reason: "AccuracyDrift warning accuracy",
    severity: "warning",
    findings: [],
    episodes: ["e"],
  }) as unknown as RenderedJob;
  it("keeps every template field and cannot have its own labels forged by the template", () => {
    expect(job.spec.activeDeadlineSeconds).toBe(3600);
    expect(job.spec.futureField).toEqual({ kept: true });
    expect(job.metadata.labels.team).toBe("fraud");
    expect(job.metadata.labels["modelguardian.dev/action"]).toBe("retrain");
    expect(job.spec.template.metadata.annotations["sim.modelguardian.dev/outcome"]).toBe("Failed");
  });
  it("skips labels whose value Kubernetes would refuse, keeping them as annotations", () => {
    expect(job.metadata.labels["modelguardian.dev/model"]).toBeUndefined();
    expect(job.metadata.annotations["modelguardian.dev/model"]).toBe("fraud model with spaces");
  });
  it("lets a variable the template sets win over the operator's", () => {
    const env = job.spec.template.spec.containers[0]?.env ?? [];
    const last = env.filter((e) => e.name === "MG_CONFIG_EPOCHS").at(-1);
    expect(last?.value).toBe("override");
  });
  it("is read back as the operator's Job", () => {
    const view = jobViewOf({ ...job, metadata: { ...job.metadata, creationTimestamp: "2026-11-22T10:00:00Z" }, status: { active: 1 } });
    expect(view).toMatchObject({
      name: "fraud-retrain-t0-1",
      monitor: "fraud",
      monitorUid: "u",
      action: "retrain",
      trigger: "t0",
      attempt: 1,
      phase: "Active",
      episodes: ["e"],
    });
    expect(jobViewOf({ metadata: { name: "other", labels: {} } })).toBeUndefined();
  });
});

describe("parseJobResult", () => {
  it("reads the version and uri", () => {
    expect(parseJobResult(['{"version": "v2", "uri": "s3://m"}'])).toEqual({ ok: true, version: "v2", uri: "s3://m" });
    expect(parseJobResult(["not json", '{"version":"v3"}'])).toEqual({ ok: true, version: "v3" });
  });
  it("names what is wrong otherwise", () => {
    expect(parseJobResult([])).toMatchObject({ ok: false, reason: expect.stringContaining("no termination message") });
    expect(parseJobResult(['{"uri": "x"}'])).toMatchObject({ ok: false, reason: expect.stringContaining("not {") });
    expect(parseJobResult(['{"version": 3}'])).toMatchObject({ ok: false });
  });
  it("refuses what a ModelRollout could never carry, saying why, rather than have the API server refuse the rollout later", () => {
    expect(parseJobResult(['{"version": "v2", "uri": "javascript:alert(1)"}'])).toMatchObject({
      ok: false,
      reason: expect.stringContaining('the URI "javascript:alert(1)", which is no model URI'),
    });
    expect(parseJobResult(['{"version": "v2", "uri": "s3://m/v 2"}'])).toMatchObject({ ok: false });
    expect(parseJobResult(['{"version": "v\\u00072"}'])).toMatchObject({ ok: false, reason: expect.stringContaining("control character") });
  });
});

describe("matchTriggers", () => {
  const f = (type: "AccuracyDrift" | "Latency", severity: "warning" | "critical", segment?: string) => ({
    type,
    severity,
    source: "s",
    description: "",
    since: "2026-11-22T10:00:00Z",
    ...(segment ? { segment } : {}),
  });
  it("groups findings by action with the worst severity", () => {
    const m = matchTriggers(
      [
        { findings: ["AccuracyDrift"], minSeverity: "warning", action: "retrain" },
        { findings: ["Latency"], minSeverity: "critical", action: "retrain", segments: ["eu"] },
      ],
      [f("AccuracyDrift", "warning"), f("Latency", "critical", "eu"), f("Latency", "critical", "us")],
    );
    expect(m).toHaveLength(1);
    expect(m[0]?.findings).toHaveLength(2);
    expect(m[0]?.severity).toBe("critical");
    expect(describeFindings(m[0]?.findings ?? [])).toBe("AccuracyDrift warning s, Latency critical s[eu]");
  });
});

describe("jobsAwaitingResult", () => {
  const j = (name: string, phase: "Active" | "Succeeded" | "Failed", purpose: "retrain" | "reindex" = "retrain") => ({ name, phase, purpose });
  const history = (job: string, outcome: "Active" | "Succeeded") => ({
    history: [
      {
        time: "2026-11-22T10:00:00Z",
        action: "retrain",
        purpose: "retrain" as const,
        trigger: "t",
        reason: "r",
        severity: "warning" as const,
        job,
        attempt: 1,
        outcome,
      },
    ],
  });
  it("are the succeeded retraining Jobs whose outcome is not recorded yet", () => {
    const jobs = [j("a", "Succeeded"), j("b", "Active"), j("c", "Failed"), j("d", "Succeeded", "reindex"), j("e", "Succeeded")];
    expect(jobsAwaitingResult(jobs, undefined).map((x) => x.name)).toEqual(["a", "e"]);
    expect(jobsAwaitingResult(jobs, history("a", "Active")).map((x) => x.name)).toEqual(["a", "e"]);
    expect(jobsAwaitingResult(jobs, history("a", "Succeeded")).map((x) => x.name)).toEqual(["e"]);
  });
  it("returns the same objects, so a result can be attached", () => {
    const jobs = [j("a", "Succeeded")];
    expect(jobsAwaitingResult(jobs, undefined)[0]).toBe(jobs[0]);
  });
});
