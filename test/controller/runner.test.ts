// Stopping the workers: no key is handed out once the stop begins, the reconciles in flight finish,
// and a reconcile that never ends is left behind once the grace is over. The moments are driven
// by deferred promises: the reconciles' ends and the grace's end.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/controller.ts";
import { CONTROLLER } from "../../src/controller/controller-names.ts";
import type { KubeObject, Reconciler } from "../../src/controller/reconciler.ts";
import { ControllerRunner } from "../../src/controller/runner.ts";

const deferred = () => {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const object = (name: string): KubeObject => ({ metadata: { name, namespace: "ml", uid: name, generation: 1 }, spec: {} });
/** Lets every promise callback that can run, run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A reconciler whose reconciles of the held names wait until the test ends them (the others end at once); it records the names it started. */
function heldReconciler(held: (name: string) => boolean = () => true) {
  const started: string[] = [];
  const ends = new Map<string, () => void>();
  const reconciler: Reconciler<KubeObject> = {
    reconcile: async (obj) => {
      started.push(obj.metadata.name);
      if (!held(obj.metadata.name)) return {};
      const end = deferred();
      ends.set(obj.metadata.name, end.resolve);
      await end.promise;
      return {};
    },
  };
  return { reconciler, started, end: (name: string) => ends.get(name)?.() };
}

function runnerOf(controllers: { name: (typeof CONTROLLER)[keyof typeof CONTROLLER]; controller: Controller }[], lines: string[] = []) {
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  return new ControllerRunner({
    setups: controllers.map((c) => ({ ...c, registrations: [] })),
    log,
    watch: () => ({ synced: Promise.resolve(), stop: async () => {} }),
  });
}

describe("stopping the workers", () => {
  it("a queue of 1,000 keys with one reconcile in flight stops after that one reconcile", async () => {
    const held = heldReconciler((name) => name === "m0");
    const monitors = new Controller<KubeObject>({ reconciler: held.reconciler, workers: 1, log: pino({ level: "silent" }) });
    const idle = new Controller<KubeObject>({ reconciler: held.reconciler, workers: 2, log: pino({ level: "silent" }) });
    for (let i = 0; i < 1_000; i++) monitors.upsert(object(`m${i}`));
    const runner = runnerOf([
      { name: CONTROLLER.modelMonitor, controller: monitors },
      { name: CONTROLLER.retrainPolicy, controller: idle },
    ]);
    runner.startWorkers();
    await settle();
    expect(held.started).toEqual(["m0"]);

    const graces: number[] = [];
    const graceOver = deferred();
    let stopped: unknown = undefined;
    const stopping = runner.stopWorkers(20_000, (ms) => (graces.push(ms), graceOver.promise)).then((r) => (stopped = r));
    await settle();
    expect(stopped).toBeUndefined(); // the reconcile in flight is waited for
    expect(monitors.inFlight).toEqual(["ml/m0"]);

    held.end("m0");
    await stopping;
    expect(stopped).toEqual({ finished: true, stillRunning: [] });
    expect(held.started).toEqual(["m0"]); // none of the 999 queued keys was handed out
    expect([monitors.queue.length, monitors.inFlight]).toEqual([0, []]);
    expect(graces).toEqual([20_000]);
  });

  it("a reconcile that never ends is left behind once the grace is over, and its key is logged", async () => {
    const held = heldReconciler();
    const monitors = new Controller<KubeObject>({ reconciler: held.reconciler, workers: 2, log: pino({ level: "silent" }) });
    const rollouts = new Controller<KubeObject>({ reconciler: held.reconciler, workers: 1, log: pino({ level: "silent" }) });
    for (const name of ["stuck", "quick", "queued"]) monitors.upsert(object(name));
    rollouts.upsert(object("canary"));
    const lines: string[] = [];
    const runner = runnerOf(
      [
        { name: CONTROLLER.modelMonitor, controller: monitors },
        { name: CONTROLLER.modelRollout, controller: rollouts },
      ],
      lines,
    );
    runner.startWorkers();
    await settle();
    expect(held.started.sort()).toEqual(["canary", "quick", "stuck"]);

    const graceOver = deferred();
    const stopping = runner.stopWorkers(20_000, () => graceOver.promise);
    held.end("quick");
    held.end("canary");
    await settle();
    expect(monitors.inFlight).toEqual(["ml/stuck"]);
    expect(held.started).not.toContain("queued");

    graceOver.resolve();
    expect(await stopping).toEqual({ finished: false, stillRunning: ["modelmonitor ml/stuck"] });
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; stillRunning?: string[]; graceMs?: number });
    expect(logged).toContainEqual(expect.objectContaining({ stillRunning: ["modelmonitor ml/stuck"], graceMs: 20_000 }));
    held.end("stuck");
  });

  it("without a grace, waits as long as the reconciles take", async () => {
    const held = heldReconciler();
    const monitors = new Controller<KubeObject>({ reconciler: held.reconciler, workers: 1, log: pino({ level: "silent" }) });
    monitors.upsert(object("slow"));
    const runner = runnerOf([{ name: CONTROLLER.modelMonitor, controller: monitors }]);
    runner.startWorkers();
    await settle();
    let stopped = false;
    const stopping = runner.stopWorkers().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    held.end("slow");
    await stopping;
    expect(stopped).toBe(true);
  });
});
