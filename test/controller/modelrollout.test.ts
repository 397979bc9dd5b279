// The ModelRollout reconciler with fake ports and a fake clock: what it writes, in which order
// (finalizer, status, effects, Events), what it does when blocked, and the deletion after the monitor.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Weights } from "../../src/api/v1alpha1/rollout.ts";
import { ModelRolloutReconciler, type RolloutReconcilerDeps } from "../../src/controller/modelrollout.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import type { MonitorEvent } from "../../src/domain/events.ts";
import type { QueryResult } from "../../src/domain/observation.ts";
import type { RolloutEffect, WorkloadState } from "../../src/domain/rollout/machine.ts";
import { ROLLOUT_FINALIZER } from "../../src/domain/rollout/names.ts";
import { ROLLOUT_REQUEUE } from "../../src/domain/rollout/reconcile.ts";
import type { ObjectRef, ServedVersions } from "../../src/ports.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");

/** A stand-in serving platform: a route's weights and two Deployments that are ready as soon as told a version. */
class FakeServing {
  weights: Weights = { stable: 100, candidate: 0 };
  stable: WorkloadState = { found: true, version: "v1", uri: "s3://m/v1", ready: true, message: "" };
  candidate: WorkloadState = { found: true, version: "v1", uri: "s3://m/v1", ready: true, message: "" };
  /** The next apply fails with this message. */
  failNext: string | undefined;
  readonly applied: RolloutEffect[] = [];
  private readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  readonly platform: ServedVersions = {
    read: async () => ({ weights: { kind: "weights", weights: this.weights }, stable: { ...this.stable }, candidate: { ...this.candidate }, targets: [] }),
    apply: async (e) => {
      if (this.failNext !== undefined) {
        const message = this.failNext;
        this.failNext = undefined;
        throw new Error(message);
      }
      this.applied.push(e);
      this.log.push(`effect:${e.kind}`);
      if (e.kind === "setWeights") this.weights = e.weights;
      if (e.kind === "setWorkload") this[e.which] = { ...this[e.which], version: e.version, uri: e.uri, ready: true };
    },
  };
}

function harness(o: { monitor?: KubeObject | undefined; requeue?: RolloutReconcilerDeps["requeue"]; policy?: KubeObject; answer?: () => QueryResult } = {}) {
  const log: string[] = [];
  const writes: Record<string, unknown>[] = [];
  const events: MonitorEvent[] = [];
  const finalizers: string[] = [];
  const serving = new FakeServing(log);
  const clock = { t: T0, now: () => clock.t };
  const state = { monitor: "monitor" in o ? o.monitor : monitorObject() };
  const reconciler = new ModelRolloutReconciler({
    monitor: (_ns, name) => (state.monitor?.metadata.name === name ? state.monitor : undefined),
    policy: (_ns, name) => (name === POLICY.metadata.name ? (o.policy ?? POLICY) : undefined),
    serving: () => serving.platform,
    resolveSource: async () => ({ query: async () => o.answer?.() ?? { kind: "vector", samples: [] } }),
    status: { writeStatus: async (_: ObjectRef, s: unknown) => void (writes.push(s as Record<string, unknown>), log.push("status")) },
    finalizers: {
      add: async (_: ObjectRef, f: string) => void (finalizers.push(f), log.push("finalizer:add")),
      remove: async (_: ObjectRef, f: string) => void (finalizers.splice(finalizers.indexOf(f), 1), log.push("finalizer:remove")),
    },
    events: { emit: async (_: ObjectRef, e: MonitorEvent) => void (events.push(e), log.push(`event:${e.reason}`)) },
    clock,
    log: pino({ level: "silent" }),
    ...(o.requeue ? { requeue: o.requeue } : {}),
  });
  return { reconciler, writes, events, finalizers, serving, clock, log, state };
}

/** A RetrainPolicy whose rollout compares accuracy: a strategy that can analyse the monitor's model. */
const POLICY: KubeObject = {
  metadata: { name: "canary", namespace: "ns", uid: "p1", generation: 1 },
  spec: { rollout: { analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.02 }] } } },
};

function monitorObject(serving = true): KubeObject {
  return {
    metadata: { name: "fraud", namespace: "ns", uid: "m1", generation: 1 },
    spec: {
      model: { name: "fraud", version: "v1" },
      versionLabel: "version",
      signals: [{ name: "accuracy", classification: { metric: "preds_total" } }],
      policyRef: { name: "canary" },
      ...(serving
        ? {
            serving: {
              router: { gatewayAPI: { httpRoute: { name: "model" } } },
              stable: { backendRef: { name: "model-stable" }, deployment: { name: "model-stable" } },
              candidate: { backendRef: { name: "model-candidate" }, deployment: { name: "model-candidate" } },
            },
          }
        : {}),
    },
    status: { stableVersion: "v1", findings: [], conditions: [] },
  };
}

const rollout = (over: Partial<KubeObject["metadata"]> = {}, status?: unknown): KubeObject => ({
  metadata: { name: "fraud-v2", namespace: "ns", uid: "r1", generation: 1, ...over },
  spec: { monitorRef: { name: "fraud" }, candidate: { version: "v2", uri: "s3://m/v2" } },
  ...(status !== undefined ? { status } : {}),
});

describe("ModelRolloutReconciler", () => {
  it("starts a rollout: the finalizer, then the status, then the candidate's version, then the Events", async () => {
    const h = harness();
    const obj = rollout();
    const r = await h.reconciler.reconcile(obj);
    expect(h.finalizers).toEqual([ROLLOUT_FINALIZER]);
    expect(obj.metadata.finalizers).toEqual([ROLLOUT_FINALIZER]);
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]).toMatchObject({ phase: "Pending", stable: { version: "v1" }, observedGeneration: 1 });
    expect(h.serving.applied).toContainEqual({ kind: "setWorkload", which: "candidate", version: "v2", uri: "s3://m/v2" });
    // no traffic before the candidate is ready
    expect(h.serving.weights).toEqual({ stable: 100, candidate: 0 });
    const firstEffect = h.log.findIndex((l) => l.startsWith("effect:"));
    const firstEvent = h.log.findIndex((l) => l.startsWith("event:"));
    expect(h.log.slice(0, 2)).toEqual(["finalizer:add", "status"]);
    expect(firstEffect).toBeGreaterThan(1);
    expect(firstEvent).toBeGreaterThan(firstEffect);
    expect(r.requeueAfterMs).toBeGreaterThan(0);
  });

  it("moves traffic once the candidate is ready, re-reading the live weights at each reconcile", async () => {
    const h = harness();
    const obj = rollout();
    await h.reconciler.reconcile(obj);
    for (let i = 0; i < 5 && h.serving.weights.candidate === 0; i++) {
      h.clock.t += 1_000;
      await h.reconciler.reconcile(obj);
    }
    expect(h.serving.weights.candidate).toBeGreaterThan(0);
    // the status records the weights as the next reconcile reads them back from the route
    h.clock.t += 1_000;
    await h.reconciler.reconcile(obj);
    expect(obj.status).toMatchObject({ phase: "Progressing", weights: h.serving.weights });
  });

  it("a failed effect becomes a RouterError Warning after the status, and the rollout comes back soon", async () => {
    const h = harness();
    h.serving.failNext = "the Deployment is gone";
    const r = await h.reconciler.reconcile(rollout());
    expect(h.writes).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ type: "Warning", reason: "RouterError" });
    expect(h.events.at(-1)?.message).toMatch(/the Deployment is gone$/);
    expect(r).toEqual({ requeueAfterMs: ROLLOUT_REQUEUE.effectFailedMs });
  });

  it.each([
    ["MonitorNotFound", undefined, "ModelMonitor fraud not found"],
    ["NoServing", monitorObject(false), "ModelMonitor fraud has no spec.serving: nothing says where its versions are served"],
    ["MonitorInvalid", { ...monitorObject(), spec: { model: {} } }, "ModelMonitor fraud is invalid: "],
  ])("is blocked by %s: a False Ready condition and one Warning, written once, looked at again later", async (reason, monitor, message) => {
    const h = harness({ monitor });
    const obj = rollout();
    expect(await h.reconciler.reconcile(obj)).toEqual({ requeueAfterMs: ROLLOUT_REQUEUE.blockedMs });
    expect(h.writes[0]).toMatchObject({ phase: "Pending", reason, blocked: { reason } });
    expect(String(h.writes[0]?.message)).toContain(message);
    expect(h.writes[0]?.conditions).toEqual([expect.objectContaining({ type: "Ready", status: "False", reason })]);
    expect(h.log).toEqual(["status", "event:RolloutBlocked"]);
    expect(h.serving.applied).toEqual([]);
    // nothing changed: no second write, no second Event
    h.clock.t += ROLLOUT_REQUEUE.blockedMs;
    await h.reconciler.reconcile(obj);
    expect(h.log).toEqual(["status", "event:RolloutBlocked"]);
  });

  it("an invalid spec of its own blocks it as InvalidSpec, naming the field", async () => {
    const h = harness();
    const obj = { ...rollout(), spec: { monitorRef: { name: "fraud" }, candidate: {} } };
    await h.reconciler.reconcile(obj);
    expect(h.writes[0]).toMatchObject({ reason: "InvalidSpec" });
    expect(String(h.writes[0]?.message)).toContain("spec.candidate.version");
  });

  it("resumes once the block is gone", async () => {
    const h = harness({ monitor: undefined });
    const obj = rollout();
    await h.reconciler.reconcile(obj);
    h.state.monitor = monitorObject();
    await h.reconciler.reconcile(obj);
    expect(h.events.map((e) => e.reason)).toContain("RolloutResumed");
    expect(obj.status).not.toHaveProperty("blocked");
  });

  it("takes its requeue intervals from its deps", async () => {
    const h = harness({ monitor: undefined, requeue: { blockedMs: 42_000 } });
    expect(await h.reconciler.reconcile(rollout())).toEqual({ requeueAfterMs: 42_000 });
  });

  it("deleted while blocked with its finalizer: lets the deletion go on", async () => {
    const h = harness({ monitor: undefined });
    h.finalizers.push(ROLLOUT_FINALIZER);
    const obj = rollout({ deletionTimestamp: new Date(T0), finalizers: [ROLLOUT_FINALIZER] }, {});
    expect(await h.reconciler.reconcile(obj)).toEqual({});
    expect(h.log).toEqual(["finalizer:remove"]);
    expect(obj.metadata.finalizers).toEqual([]);
  });

  it("deleted after its monitor: brings all traffic back to stable by the recorded wiring, then releases the finalizer", async () => {
    const h = harness();
    const obj = rollout();
    for (let i = 0; i < 6 && h.serving.weights.candidate === 0; i++) {
      await h.reconciler.reconcile(obj);
      h.clock.t += 1_000;
    }
    expect(h.serving.weights.candidate).toBeGreaterThan(0);
    h.state.monitor = undefined;
    const deleting: KubeObject = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: new Date(h.clock.t) } };
    const writes = h.writes.length;
    let result = await h.reconciler.reconcile(deleting);
    for (let i = 0; i < 5 && result.requeueAfterMs !== undefined; i++) result = await h.reconciler.reconcile(deleting);
    expect(result).toEqual({});
    expect(h.serving.weights).toEqual({ stable: 100, candidate: 0 });
    expect(h.finalizers).toEqual([]);
    // a deletion writes no status: the object is going
    expect(h.writes).toHaveLength(writes);
  });

  it("a failing metrics source gives Error analyses, retried, then pauses the rollout: never a step passed", async () => {
    const policy = {
      ...POLICY,
      spec: {
        rollout: {
          steps: [{ weight: 10, hold: "10s" }],
          analysis: { errorLimit: 1, retryInterval: "1s", compare: [{ signal: "accuracy", maxDecrease: 0.02 }] },
        },
      },
    };
    const h = harness({ policy, answer: () => ({ kind: "error", error: "Unreachable", message: "connect ECONNREFUSED" }) });
    const obj = rollout();
    for (let i = 0; i < 40 && (obj.status as { phase?: string } | undefined)?.phase !== "Paused"; i++) {
      const r = await h.reconciler.reconcile(obj);
      h.clock.t += Math.min(r.requeueAfterMs ?? 1_000, 1_000);
    }
    expect(obj.status).toMatchObject({ phase: "Paused", reason: "ErrorLimit", stepIndex: 0 });
    expect((obj.status as { analyses: { outcome: string }[] }).analyses.map((a) => a.outcome)).toEqual(["Error", "Error"]);
    expect(h.serving.weights).toEqual({ stable: 90, candidate: 10 });
  });
});
