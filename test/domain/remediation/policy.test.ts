import { describe, expect, it } from "vitest";
import { retrainPolicySpecSchema, retrainPolicyStatusSchema, type ActionRecord } from "../../../src/api/v1alpha1/retrainpolicy.ts";
import type { JobView } from "../../../src/domain/remediation/job.ts";
import {
  MAX_ACTIVE_JOBS_LISTED,
  policyMemberOf,
  policyRolloutOf,
  policyChangeConcernsMonitors,
  policyStatus,
  recordedTemplateVerdict,
  templateCheckJob,
} from "../../../src/domain/remediation/policy.ts";

const record = (time: string, job: string): ActionRecord => ({
  time,
  action: "retrain",
  purpose: "retrain",
  trigger: "t",
  reason: "r",
  severity: "warning",
  job,
  attempt: 1,
  outcome: "Succeeded",
});
const active: JobView = {
  name: "b-retrain-x-1",
  monitor: "b",
  monitorUid: "u",
  action: "retrain",
  purpose: "retrain",
  trigger: "x",
  attempt: 1,
  createdAt: Date.parse("2026-11-22T10:05:00Z"),
  phase: "Active",
  reason: "",
  severity: "warning",
  episodes: [],
};

describe("policyStatus", () => {
  const base = { generation: 3, previous: retrainPolicyStatusSchema.parse({}), nowIso: "2026-11-22T11:00:00.000Z", historyLimit: 2 };
  it("merges the monitors' histories newest first, bounded, and lists running Jobs", () => {
    const { status, events } = policyStatus({
      ...base,
      validity: { ok: true },
      monitors: [
        {
          name: "a",
          remediation: {
            actions: [],
            held: [],
            recentStarts: [],
            active: 0,
            history: [record("2026-11-22T10:00:00Z", "a1"), record("2026-11-22T09:00:00Z", "a0")],
          },
        },
        { name: "b", remediation: { actions: [], held: [], recentStarts: [], active: 1, history: [record("2026-11-22T10:05:00Z", "b1")] } },
        { name: "c" },
      ],
      jobs: [active, { ...active, name: "done", phase: "Succeeded" }],
    });
    expect(events).toEqual([]);
    expect(status.monitors).toBe(3);
    expect(status.history.map((h) => `${h.monitor}:${h.job}`)).toEqual(["b:b1", "a:a1"]);
    expect(status.lastActionTime).toBe("2026-11-22T10:05:00Z");
    expect(status.activeJobs).toEqual([{ monitor: "b", job: "b-retrain-x-1", action: "retrain", startTime: "2026-11-22T10:05:00.000Z" }]);
    expect(status.active).toBe(1);
    expect(status.conditions[0]).toMatchObject({ type: "Ready", status: "True", observedGeneration: 3 });
  });
  it("an invalid policy is Ready=False with one Event, not repeated while unchanged", () => {
    const validity = { ok: false as const, reason: "InvalidJobTemplate" as const, message: "spec.actions[retrain].jobTemplate: bad" };
    const first = policyStatus({ ...base, validity, monitors: [], jobs: [] });
    expect(first.status.conditions[0]).toMatchObject({ status: "False", reason: "InvalidJobTemplate", message: validity.message });
    expect(first.events.map((e) => e.reason)).toEqual(["InvalidJobTemplate"]);
    const again = policyStatus({ ...base, previous: first.status, validity, monitors: [], jobs: [] });
    expect(again.events).toEqual([]);
    expect(again.status.conditions[0]?.lastTransitionTime).toBe(first.status.conditions[0]?.lastTransitionTime);
  });
});

describe("recordedTemplateVerdict", () => {
  const at = "2026-11-22T10:00:00.000Z";
  const withReady = (reason: string, observedGeneration: number, status = reason === "Ready" ? "True" : "False") =>
    retrainPolicyStatusSchema.parse({
      observedGeneration,
      conditions: [{ type: "Ready", status, reason, message: "m", lastTransitionTime: at, observedGeneration }],
    });
  it("reuses this generation's verdict", () => {
    expect(recordedTemplateVerdict(withReady("Ready", 3), 3)).toEqual({ ok: true });
    expect(recordedTemplateVerdict(withReady("InvalidJobTemplate", 3), 3)).toEqual({ ok: false, reason: "InvalidJobTemplate", message: "m" });
  });
  it("checks again for a new generation, after an invalid spec, or when never checked", () => {
    expect(recordedTemplateVerdict(withReady("Ready", 2), 3)).toBeUndefined();
    expect(recordedTemplateVerdict(withReady("InvalidSpec", 3), 3)).toBeUndefined();
    expect(recordedTemplateVerdict(retrainPolicyStatusSchema.parse({}), 1)).toBeUndefined();
  });
});

describe("policyChangeConcernsMonitors", () => {
  const ready = (status: string) => ({ conditions: [{ type: "Ready", status, reason: "R", message: "" }], history: [] as unknown[] });
  it.each([
    ["a new policy", undefined, { spec: {}, status: ready("True") }, true],
    ["a deleted policy", { spec: {}, status: ready("True") }, undefined, true],
    ["a spec change", { spec: { cooldown: "1h" } }, { spec: { cooldown: "2h" } }, true],
    ["a new template verdict", { spec: {}, status: ready("True") }, { spec: {}, status: ready("False") }, true],
    [
      "a summary-only change",
      { spec: { a: [1, { b: 2 }] }, status: ready("True") },
      { spec: { a: [1, { b: 2 }] }, status: { ...ready("True"), history: [{ job: "j" }] } },
      false,
    ],
    // adding a monitor changes the accepted policy's message and counts: no other monitor cares
    [
      "one more monitor counted",
      { spec: {}, status: { conditions: [{ type: "Ready", status: "True", reason: "Accepted", message: "acting for 1 ModelMonitor(s)" }], monitors: 1 } },
      {
        spec: {},
        status: {
          conditions: [{ type: "Ready", status: "True", reason: "Accepted", message: "acting for 2 ModelMonitor(s)" }],
          monitors: 2,
          activeJobs: [{ job: "j" }],
        },
      },
      false,
    ],
    [
      "another reason the templates are refused",
      { spec: {}, status: { conditions: [{ type: "Ready", status: "False", reason: "InvalidJobTemplate", message: "containers[0].image: Required value" }] } },
      { spec: {}, status: { conditions: [{ type: "Ready", status: "False", reason: "InvalidJobTemplate", message: "containers[0].name: Invalid value" }] } },
      true,
    ],
  ])("%s", (_, previous, next, expected) => {
    expect(policyChangeConcernsMonitors(previous, next)).toBe(expected);
  });
});

describe("a policy's summary of many monitors", () => {
  it(`lists at most ${MAX_ACTIVE_JOBS_LISTED} running Jobs, the oldest first, and counts them all`, () => {
    const jobs = Array.from({ length: 120 }, (_, i) => ({
      name: `m${i}-retrain-x-1`,
      monitor: `m${i}`,
      monitorUid: `u${i}`,
      action: "retrain",
      purpose: "retrain" as const,
      phase: "Active" as const,
      createdAt: 1_000_000 + (120 - i) * 1000,
      attempt: 1,
      trigger: "t",
      policy: "p",
    }));
    const { status } = policyStatus({
      generation: 1,
      previous: retrainPolicyStatusSchema.parse({}),
      validity: { ok: true },
      monitors: [],
      jobs: jobs as never,
      historyLimit: 20,
      nowIso: "2026-12-01T10:00:00Z",
    });
    expect(status.active).toBe(120);
    expect(status.activeJobs).toHaveLength(MAX_ACTIVE_JOBS_LISTED);
    expect(status.activeJobs[0]?.job).toBe("m119-retrain-x-1");
  });
});

describe("templateCheckJob", () => {
  it("renders the action's Job as the operator would, owned by nothing, for a dry run", () => {
    const spec = retrainPolicySpecSchema.parse({
      actions: [{ name: "reindex", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "t", image: "i" }] } } } } }],
    });
    const job = templateCheckJob("ml", "nightly", spec.actions[0] as (typeof spec.actions)[number]);
    expect(job.metadata).toMatchObject({ namespace: "ml" });
    expect(job.metadata).not.toHaveProperty("ownerReferences");
    expect(job.metadata.name).toMatch(/^template-check-reindex-/);
    expect(JSON.stringify(job)).toContain('"image":"i"');
  });
});

describe("the cache views of a policy and its members", () => {
  it("a policy's rollout: whether it has one, and its step weights", () => {
    expect(policyRolloutOf(undefined)).toEqual({ enabled: false, steps: undefined });
    expect(policyRolloutOf({ spec: { actions: [] } })).toEqual({ enabled: false, steps: undefined });
    expect(policyRolloutOf({ spec: { rollout: {} } })).toEqual({ enabled: true, steps: undefined });
    // steps without a numeric weight are left out
    expect(policyRolloutOf({ spec: { rollout: { steps: [{ weight: 10 }, { weight: "x" }, {}, { weight: 50 }] } } })).toEqual({
      enabled: true,
      steps: [10, 50],
    });
  });

  it("a member monitor: its name and remediation record", () => {
    expect(policyMemberOf({ metadata: { name: "m" } })).toEqual({ name: "m", remediation: undefined });
    expect(policyMemberOf({ metadata: { name: "m" }, status: { remediation: { actions: [] } } })).toEqual({ name: "m", remediation: { actions: [] } });
  });
});
