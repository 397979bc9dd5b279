// The KServe router's pure parts: how an InferenceService reads as the rollout's two slots, the
// patches it writes, and whole rollouts tick by tick: the rollout state machine deciding, the
// router's patches applied to the object, and the stand-in of KServe's revision bookkeeping
// (sim/kserve.ts) answering with the status and the traffic KServe would give.
import { describe, expect, it } from "vitest";
import { rolloutStrategySchema, servingSchema, type ModelRolloutStatus, type RolloutStrategyInput } from "../../../src/api/v1alpha1/rollout.ts";
import { kservePatch, kserveServing, REPLACED_REVISION_ANNOTATION, type InferenceService } from "../../../src/adapters/routers/kserve.ts";
import { analysisDue, decideRollout, type MonitorVerdict } from "../../../src/domain/rollout/machine.ts";
import type { RolloutView } from "../../../src/ports.ts";
import { emptyKServeState, tickKServe, type KServeState, type TrafficShare } from "../../../sim/kserve.ts";
import { applyJsonPatch } from "./json-patch.ts";

const serving = servingSchema.parse({ router: { kserve: { inferenceService: { name: "fraud" } } } });
const T0 = Date.parse("2026-12-01T10:00:00Z");

const isvc = (
  over: { percent?: number; version?: string; uri?: string; status?: InferenceService["status"]; annotations?: Record<string, string> } = {},
): InferenceService => ({
  metadata: over.annotations ? { annotations: over.annotations } : {},
  spec: {
    predictor: {
      ...(over.percent !== undefined ? { canaryTrafficPercent: over.percent } : {}),
      model: { storageUri: over.uri ?? "s3://m/v1", env: [{ name: "MODEL_VERSION", value: over.version ?? "v1" }] },
    },
  },
  ...(over.status ? { status: over.status } : {}),
});
const readyStatus = (created: string, rolledOut: string, previous?: string): InferenceService["status"] => ({
  conditions: [{ type: "Ready", status: "True" }],
  components: {
    predictor: {
      latestCreatedRevision: created,
      latestReadyRevision: created,
      latestRolledoutRevision: rolledOut,
      ...(previous ? { previousRolledoutRevision: previous } : {}),
    },
  },
});
const view = (promoted = false): RolloutView => ({ stable: { version: "v1", uri: "s3://m/v1" }, candidate: { version: "v2", uri: "s3://m/v2" }, promoted });

describe("an InferenceService read as the rollout's two slots", () => {
  it("without canaryTrafficPercent the latest revision is stable with all traffic, and no canary revision exists", () => {
    const live = kserveServing(isvc({ status: readyStatus("r1", "r1") }), serving, view());
    expect(live.weights).toEqual({ kind: "weights", weights: { stable: 100, candidate: 0 } });
    expect(live.stable).toMatchObject({ found: true, version: "v1", uri: "s3://m/v1", ready: true });
    expect(live.candidate).toMatchObject({ found: true, ready: false });
    expect(live.candidate.version).toBeUndefined();
  });

  it("with a percent the latest revision is the candidate; ready only once KServe has created a revision other than the one replaced", () => {
    const pending = kserveServing(
      isvc({ percent: 0, version: "v2", uri: "s3://m/v2", status: readyStatus("r1", "r1"), annotations: { [REPLACED_REVISION_ANNOTATION]: "r1" } }),
      serving,
      view(),
    );
    expect(pending.weights).toEqual({ kind: "weights", weights: { stable: 100, candidate: 0 } });
    expect(pending.candidate).toMatchObject({ version: "v2", ready: false, message: "KServe has not created the new revision yet" });
    expect(pending.stable).toMatchObject({ found: true, version: "v1", ready: true });
    const ready = kserveServing(
      isvc({ percent: 25, version: "v2", uri: "s3://m/v2", status: readyStatus("r2", "r1"), annotations: { [REPLACED_REVISION_ANNOTATION]: "r1" } }),
      serving,
      view(),
    );
    expect(ready.weights).toEqual({ kind: "weights", weights: { stable: 75, candidate: 25 } });
    expect(ready.candidate).toMatchObject({ version: "v2", ready: true });
  });

  it("after a promotion the meaning of the percent flips: it is the latest (now stable) revision's share", () => {
    const live = kserveServing(isvc({ percent: 0, version: "v2", uri: "s3://m/v2", status: readyStatus("r2", "r1", "r1") }), serving, view(true));
    expect(live.weights).toEqual({ kind: "weights", weights: { stable: 0, candidate: 100 } });
    expect(live.stable).toMatchObject({ version: "v2" });
    expect(live.candidate).toMatchObject({ found: true, version: "v1", uri: "s3://m/v1", ready: true });
  });

  it("names the InferenceService as the one serving target, with its labels, also when it refuses it", () => {
    const labelled = { ...isvc({ status: readyStatus("r1", "r1") }), metadata: { labels: { "modelguardian.dev/rollout-target": "true" } } };
    expect(kserveServing(labelled, serving, view()).targets).toEqual([
      { kind: "InferenceService", name: "fraud", labels: { "modelguardian.dev/rollout-target": "true" } },
    ]);
    const raw = { ...isvc(), metadata: { annotations: { "serving.kserve.io/deploymentMode": "RawDeployment" } } };
    expect(kserveServing(raw, serving, view()).targets).toEqual([{ kind: "InferenceService", name: "fraud", labels: {} }]);
  });

  it("refuses RawDeployment and Standard mode and a predictor without spec.predictor.model, touching nothing", () => {
    for (const mode of ["RawDeployment", "Standard"]) {
      const obj = { ...isvc(), metadata: { annotations: { "serving.kserve.io/deploymentMode": mode } } };
      const live = kserveServing(obj, serving, view());
      expect(live.weights).toMatchObject({ kind: "error", reason: "DeploymentModeUnsupported" });
      expect((live.weights as { message: string }).message).toContain(`${mode} mode`);
      expect(() => kservePatch(obj, serving, view(), { kind: "setWeights", weights: { stable: 95, candidate: 5 } })).toThrow(
        /canaryTrafficPercent splits no traffic/,
      );
    }
    const sklearn: InferenceService = { spec: { predictor: {} } };
    expect(kserveServing(sklearn, serving, view()).weights).toMatchObject({ kind: "error", reason: "BackendNotFound" });
  });
});

describe("the patches the KServe router writes", () => {
  it("puts a candidate in place dark: model env, storageUri, the replaced revision, and canaryTrafficPercent 0, guarded by tests", () => {
    const before = { ...isvc({ status: readyStatus("r1", "r1") }), metadata: { labels: { team: "risk" } } } as InferenceService;
    const ops = kservePatch(before, serving, view(), { kind: "setWorkload", which: "candidate", version: "v2", uri: "s3://m/v2" });
    expect(ops).toContainEqual({ op: "test", path: "/spec/predictor/model/storageUri", value: "s3://m/v1" });
    expect(ops).toContainEqual({ op: "test", path: "/spec/predictor/model/env/0/name", value: "MODEL_VERSION" });
    const after = applyJsonPatch(before, ops);
    expect(after.spec?.predictor).toEqual({ canaryTrafficPercent: 0, model: { storageUri: "s3://m/v2", env: [{ name: "MODEL_VERSION", value: "v2" }] } });
    expect(after.metadata).toEqual({ labels: { team: "risk" }, annotations: { [REPLACED_REVISION_ANNOTATION]: "r1" } });
    // a person's edit in between (another model) makes the patch fail rather than land on it
    const edited = isvc({ uri: "s3://m/v9", status: readyStatus("r1", "r1") });
    expect(() => applyJsonPatch(edited, ops)).toThrow(/test \/spec\/predictor\/model\/storageUri/);
  });

  it("a step sets the percent; a promotion clears it; all to stable with no canary writes nothing", () => {
    const canary = isvc({ percent: 5, version: "v2", uri: "s3://m/v2", status: readyStatus("r2", "r1") });
    expect(
      applyJsonPatch(canary, kservePatch(canary, serving, view(), { kind: "setWeights", weights: { stable: 75, candidate: 25 } })).spec?.predictor
        ?.canaryTrafficPercent,
    ).toBe(25);
    const promoted = applyJsonPatch(canary, kservePatch(canary, serving, view(), { kind: "setWorkload", which: "stable", version: "v2", uri: "s3://m/v2" }));
    expect(promoted.spec?.predictor).not.toHaveProperty("canaryTrafficPercent");
    expect(promoted.spec?.predictor?.model?.storageUri).toBe("s3://m/v2");
    expect(kservePatch(isvc(), serving, view(), { kind: "setWeights", weights: { stable: 100, candidate: 0 } })).toEqual([]);
  });
});

// ---------------------------------------------------------------- whole rollouts, tick by tick

type Outcome = "Successful" | "Failed";

/** The rollout machine, the KServe router's pure parts and the KServe stand-in, one reconcile per tick. */
class KServeLoop {
  now = T0;
  obj: InferenceService;
  kserve: KServeState = emptyKServeState();
  traffic: TrafficShare[] = [];
  status: ModelRolloutStatus = { analyses: [], conditions: [] };
  outcomes: Outcome[];
  monitor: MonitorVerdict | undefined;
  readonly percents: (number | undefined)[] = [];
  readonly strategy;
  constructor(strategy: RolloutStrategyInput, outcomes: Outcome[]) {
    this.strategy = rolloutStrategySchema.parse(strategy);
    this.outcomes = outcomes;
    this.obj = {
      metadata: { name: "fraud" },
      spec: { predictor: { model: { storageUri: "s3://m/v1", env: [{ name: "MODEL_VERSION", value: "v1" }] } } },
    } as InferenceService;
    this.kserveTick();
    this.kserveTick();
  }
  private kserveTick() {
    const next = tickKServe(this.kserve, this.obj as never);
    this.kserve = next.state;
    this.traffic = next.traffic;
    this.obj = { ...this.obj, status: next.status as InferenceService["status"] };
  }
  private view(s: ModelRolloutStatus): RolloutView {
    return { stable: s.stable ?? { version: "v1" }, candidate: { version: "v2", uri: "s3://m/v2" }, promoted: s.promotedTime !== undefined };
  }
  tick() {
    const live = kserveServing(this.obj, serving, this.view(this.status));
    const due = analysisDue(this.status, this.now);
    const outcome = due ? (this.outcomes.shift() ?? "Successful") : undefined;
    const d = decideRollout(
      {
        generation: 1,
        spec: { monitorRef: { name: "m" }, candidate: { version: "v2", uri: "s3://m/v2" }, paused: false },
        annotations: {},
        status: this.status,
        deleting: false,
      },
      {
        now: this.now,
        strategy: this.strategy,
        stable: { version: "v1", uri: live.stable.uri },
        weights: live.weights,
        stableWorkload: live.stable,
        candidateWorkload: live.candidate,
        analysis: outcome ? { outcome, message: outcome, comparisons: [], window: "1m" } : undefined,
        monitor: this.monitor,
      },
    );
    this.status = JSON.parse(JSON.stringify(d.status)) as ModelRolloutStatus;
    for (const e of d.effects) this.obj = applyJsonPatch(this.obj, kservePatch(this.obj, serving, this.view(this.status), e));
    this.percents.push(this.obj.spec?.predictor?.canaryTrafficPercent);
    this.kserveTick();
    this.now =
      d.effects.length === 0 && this.status.phase === "Progressing" && this.status.nextAnalysisTime
        ? Math.max(this.now + 500, Date.parse(this.status.nextAnalysisTime))
        : this.now + 500;
  }
  run(until: (l: KServeLoop) => boolean, max = 300) {
    for (let i = 0; i < max && !until(this); i++) this.tick();
  }
  /** The share of traffic each model version gets, as KServe would split it. */
  shares(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.traffic) if (t.percent > 0) out[t.model.version ?? "?"] = (out[t.model.version ?? "?"] ?? 0) + t.percent;
    return out;
  }
}

const STEPS = {
  steps: [
    { weight: 10, hold: "1m" },
    { weight: 50, hold: "1m" },
    { weight: 100, hold: "1m" },
  ],
};
const terminal = (l: KServeLoop) => ["Succeeded", "RolledBack", "Aborted"].includes(l.status.phase ?? "");

describe("rollouts through the KServe router, tick by tick (stand-in KServe)", () => {
  it("promotes a healthy candidate through every step, then clears the percent: KServe serves it alone", () => {
    const l = new KServeLoop(STEPS, []);
    const seen = new Set<string>();
    l.run((x) => {
      seen.add(JSON.stringify(x.shares()));
      return terminal(x);
    });
    expect(l.status.phase).toBe("Succeeded");
    expect([...new Set(l.percents.filter((p) => p !== undefined))]).toEqual([0, 10, 50, 100]);
    expect(seen).toContain(JSON.stringify({ v2: 10, v1: 90 }));
    expect(seen).toContain(JSON.stringify({ v2: 50, v1: 50 }));
    expect(l.obj.spec?.predictor).not.toHaveProperty("canaryTrafficPercent");
    expect(l.shares()).toEqual({ v2: 100 });
    expect(l.status.weights).toEqual({ stable: 100, candidate: 0 });
  });

  it("rolls a failing candidate back: the percent goes to 0 in the reconcile that decides it, and the spec gets the stable model back", () => {
    const l = new KServeLoop(STEPS, ["Successful", "Failed"]);
    let atDecision: (number | undefined) | null = null;
    l.run((x) => {
      if (atDecision === null && x.status.phase === "RollingBack") atDecision = x.obj.spec?.predictor?.canaryTrafficPercent;
      return terminal(x);
    });
    expect(l.status.phase).toBe("RolledBack");
    expect(atDecision).toBe(0);
    expect(l.shares()).toEqual({ v1: 100 });
    expect(l.obj.spec?.predictor?.model).toEqual({ storageUri: "s3://m/v1", env: [{ name: "MODEL_VERSION", value: "v1" }] });
    // the percent stays at 0, so the restored spec's new revision never takes traffic before it is ready
    expect(l.obj.spec?.predictor?.canaryTrafficPercent).toBe(0);
  });

  it("rolls back after a promotion when the bake finds a critical problem: traffic to the previous revision at once, then the previous model restored", () => {
    const l = new KServeLoop({ ...STEPS, bake: { duration: "10m", minSeverity: "critical" } }, []);
    l.run((x) => x.status.phase === "Baking");
    expect(l.shares()).toEqual({ v2: 100 });
    l.monitor = {
      version: "v2",
      lastEvaluationTime: new Date(l.now + 1000).toISOString(),
      findings: [{ type: "Degradation", severity: "critical", source: "accuracy", description: "accuracy 0.6", since: new Date(l.now).toISOString() }],
    };
    l.now += 2000;
    l.tick();
    expect(l.status.phase).toBe("RollingBack");
    expect(l.obj.spec?.predictor?.canaryTrafficPercent).toBe(0);
    l.tick(); // KServe's next reconcile rolls the previous revision out again
    expect(l.shares()).toEqual({ v1: 100 });
    l.run(terminal);
    expect(l.status.phase).toBe("RolledBack");
    expect(l.obj.spec?.predictor?.model?.storageUri).toBe("s3://m/v1");
    expect(l.obj.spec?.predictor).not.toHaveProperty("canaryTrafficPercent");
    expect(l.shares()).toEqual({ v1: 100 });
  });
});
