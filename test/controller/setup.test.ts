// The setup functions with fake cluster ports: each fills its slot of the shared caches and
// returns its watches; the runner routes watch events to them and waits for every cache.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { CONTROLLER } from "../../src/controller/controller-names.ts";
import { setupModelMonitor } from "../../src/controller/modelmonitor-setup.ts";
import { setupModelRollout } from "../../src/controller/modelrollout-setup.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { setupRetrainPolicy } from "../../src/controller/retrainpolicy-setup.ts";
import { ControllerRunner } from "../../src/controller/runner.ts";
import { DEFAULT_WORKERS, type SetupContext } from "../../src/controller/setup.ts";
import { ControllerStores } from "../../src/controller/stores.ts";
import type { ClusterPorts, ResourceWatchHandlers } from "../../src/ports.ts";

const unused = () => {
  throw new Error("not called in this test");
};
const cluster: ClusterPorts = {
  statusWriter: () => ({ writeStatus: async () => {} }),
  finalizers: () => ({ add: async () => {}, remove: async () => {} }),
  creator: () => ({ create: async () => ({ kind: "created" }) }),
  jobs: () => ({ create: unused, validate: unused, terminationMessages: unused, delete: unused }),
  reports: () => ({ write: unused, read: unused }),
  serving: () => unused,
};

function context(): SetupContext {
  return {
    log: pino({ level: "silent" }),
    clock: { now: () => 0 },
    events: { emit: async () => {} },
    stores: new ControllerStores(),
    onError: () => {},
    cluster,
    resolveSource: unused,
    jobLimits: {},
    requireTargetOptIn: false,
    telemetry: {
      evaluated: () => {},
      queried: () => {},
      reconcileError: () => {},
      actionStarted: () => {},
      actionFinished: () => {},
      rollout: () => {},
      analysed: () => {},
      finished: () => {},
      forgetRollout: () => {},
    },
  };
}

const setUp = (ctx: SetupContext) => [
  setupModelMonitor(ctx, { workers: 1, valuesMaxAgeMs: 0 }),
  setupModelRollout(ctx, { workers: DEFAULT_WORKERS.modelRollout }),
  setupRetrainPolicy(ctx, { workers: DEFAULT_WORKERS.retrainPolicy }),
];

const object = (name: string, spec: unknown, status?: unknown): KubeObject => ({ metadata: { name, namespace: "ml", uid: name, generation: 1 }, spec, status });

describe("the setup functions", () => {
  it("each names its controller, fills its slot of the caches, and returns its watches", () => {
    const ctx = context();
    const setups = setUp(ctx);
    expect(setups.map((s) => s.name)).toEqual([CONTROLLER.modelMonitor, CONTROLLER.modelRollout, CONTROLLER.retrainPolicy]);
    expect([ctx.stores.monitors, ctx.stores.rollouts, ctx.stores.policies]).toEqual(setups.map((s) => s.controller));
    expect(setups.map((s) => s.registrations.map((r) => r.name))).toEqual([["modelmonitors", "jobs"], ["modelrollouts"], ["retrainpolicies"]]);
  });

  it("the runner feeds each store from its watch, and the typed views read across them", async () => {
    const ctx = context();
    const handlers = new Map<string, ResourceWatchHandlers<KubeObject>>();
    let listed: () => void = () => {};
    const synced = new Promise<void>((resolve) => (listed = resolve));
    const runner = new ControllerRunner({
      setups: setUp(ctx),
      log: ctx.log,
      watch: (registration, on) => (handlers.set(registration.name, on), { synced, stop: async () => {} }),
    });
    expect([...handlers.keys()].sort()).toEqual(["jobs", "modelmonitors", "modelrollouts", "retrainpolicies"]);
    handlers.get("retrainpolicies")?.upsert(object("nightly", { rollout: { steps: [{ weight: 10 }, { weight: 50 }] } }));
    handlers.get("modelmonitors")?.upsert(object("fraud", { policyRef: { name: "nightly" } }, { remediation: { actions: [] } }));
    handlers.get("modelrollouts")?.upsert(object("fraud-v2", { monitorRef: { name: "fraud" } }));
    const { stores } = ctx;
    expect(stores.policyRollout("ml", "nightly")).toEqual({ enabled: true, steps: [10, 50] });
    expect(stores.membersOf("ml", "nightly")).toEqual([{ name: "fraud", remediation: { actions: [] } }]);
    expect(stores.rolloutsOf("ml", "fraud").map((r) => r.metadata.name)).toEqual(["fraud-v2"]);
    expect(stores.monitor("ml", "fraud")?.metadata.uid).toBe("fraud");
    expect(stores.reportLookup({ read: async () => undefined }).list()).toHaveLength(1);
    // ready only once every watch has listed
    const waiting = runner.waitForSync();
    expect(runner.synced).toBe(false);
    listed();
    await waiting;
    expect(runner.synced).toBe(true);
    await runner.stopWorkers();
    await runner.stopWatches();
  });
});
