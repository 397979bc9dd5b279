// A tick-by-tick harness for the rollout state machine: a fake world (route weights, two
// Deployments) that effects change, and a controller loop that persists the decided status
// before applying its effects, as the real one does. No real time passes.
import {
  modelRolloutStatusSchema,
  rolloutStrategySchema,
  type ModelRolloutStatus,
  type RolloutStrategyInput,
  type Weights,
} from "../../../src/api/v1alpha1/rollout.ts";
import type { AnalysisJudgement } from "../../../src/domain/rollout/analysis.ts";
import {
  analysisDue,
  decideRollout,
  interimCheckDue,
  TARGET_HOLD,
  type MonitorVerdict,
  type RolloutDecision,
  type RolloutEffect,
} from "../../../src/domain/rollout/machine.ts";
import type { MonitorEvent } from "../../../src/domain/events.ts";
import type { Evidence } from "../../../src/domain/rollout/evidence.ts";

export const T0 = Date.parse("2026-12-01T10:00:00Z");

/** A rate's evidence: `successes` of `trials`, for the two-proportion test. */
export const rate = (successes: number, trials: number): Evidence => ({
  state: "Value",
  value: successes / trials,
  samples: trials,
  basis: { test: "twoProportion", successes, trials },
});
/** A mean's evidence: mean `m` and `variance` over `n` samples, for Welch's test. */
type Finding = MonitorVerdict["findings"][number];
/** A finding of the monitor: a `severity` `type` on `source`, standing `since`. */
export const finding = (severity: Finding["severity"], type: string, source: string, description: string, since = ""): Finding => ({
  type,
  severity,
  source,
  description,
  since,
});
/** The monitor's verdict on `version`, evaluated at `evaluatedAt` (ms), with the findings given. */
export const verdictOn = (version: string, evaluatedAt: number, ...findings: Finding[]): MonitorVerdict => ({
  version,
  lastEvaluationTime: new Date(evaluatedAt).toISOString(),
  findings,
});
export const mean = (m: number, variance: number, n: number): Evidence => ({
  state: "Value",
  value: m,
  samples: n,
  basis: { test: "welch", mean: m, variance, n },
});

export interface FakeWorkload {
  version: string;
  uri?: string;
  ready: boolean;
  found: boolean;
  /** undefined: a workload the operator does not scale (as KServe's). */
  parked?: boolean;
}

export class RolloutHarness {
  now = T0;
  status: ModelRolloutStatus = modelRolloutStatusSchema.parse({});
  weights: Weights = { stable: 100, candidate: 0 };
  /** The share the route mirrors to the candidate. */
  mirror = 0;
  readonly mirrorHistory: number[] = [];
  stable: FakeWorkload = { version: "v1", ready: true, found: true };
  candidate: FakeWorkload = { version: "v1", ready: true, found: true };
  annotations: Record<string, string> = {};
  /** The rollout's name and namespace, for the commands its messages give. */
  ref: { name?: string; namespace?: string } = {};
  paused = false;
  deleting = false;
  /** Deployments become ready this many ticks after their version changes. */
  readyAfterTicks = 1;
  /** The outcome the next due analysis gets. */
  nextOutcome: AnalysisJudgement["outcome"] = "Successful";
  /** When set, judges every due analysis instead of nextOutcome (a real judgement of simulated counts, say). */
  analyst: ((status: ModelRolloutStatus, now: number, interim: boolean) => AnalysisJudgement & { window: string }) | undefined;
  /** The outcome the next interim check gets (analysis.interval, before the hold's end). */
  nextInterimOutcome: AnalysisJudgement["outcome"] = "Successful";
  /** Every weight the route ever held, in order. */
  readonly weightHistory: Weights[] = [{ stable: 100, candidate: 0 }];
  readonly events: MonitorEvent[] = [];
  readonly effects: RolloutEffect[] = [];
  analyses = 0;
  interimChecks = 0;
  private pendingReady = new Map<FakeWorkload, number>();
  readonly strategy;
  candidateVersion = "v2";
  /** What the monitor last concluded (during a bake). */
  monitor: MonitorVerdict | undefined;
  /** Set: a serving object lacks the opt-in label (REQUIRE_TARGET_OPT_IN). */
  targetRefusal: string | undefined;
  /**
   * Tests of steps, limits and rollbacks look once per hold: without an analysis.interval of its
   * own the strategy gets one as long as a day, so each hold's end is its only look (the interim
   * tests give theirs; `interval: undefined` keeps the schema's default).
   */
  constructor(strategy: RolloutStrategyInput = {}) {
    const analysis = strategy.analysis ?? {};
    this.strategy = rolloutStrategySchema.parse({ ...strategy, analysis: "interval" in analysis ? analysis : { ...analysis, interval: "24h" } });
  }

  /** `forceAnalysis`: hand the machine an analysis whether or not the controller would run one. */
  decide(opts: { analysis?: boolean; forceAnalysis?: boolean } = {}): RolloutDecision {
    // the controller runs no analysis for a held rollout, nor when the hold ends
    const due =
      opts.forceAnalysis || (analysisDue(this.status, this.now) && !this.paused && this.targetRefusal === undefined && this.status.reason !== TARGET_HOLD);
    // the controller's choice: an interim check before the hold's end, the step's analysis at it
    const interim = due && interimCheckDue(this.status, this.now);
    const outcome = interim ? this.nextInterimOutcome : this.nextOutcome;
    const analysis =
      (opts.analysis ?? true) && due
        ? (this.analyst?.(this.status, this.now, interim) ?? {
            outcome,
            message: `${outcome.toLowerCase()} ${interim ? "check" : "analysis"}`,
            comparisons: [],
            window: "10m",
            ...(interim ? { interim: true } : {}),
          })
        : undefined;
    if (analysis && interim) this.interimChecks++;
    else if (analysis) this.analyses++;
    const state = (w: FakeWorkload) => ({
      found: w.found,
      version: w.version,
      uri: w.uri,
      ready: w.found && w.ready && !w.parked,
      parked: w.parked,
      message: w.ready ? "ready" : "rolling",
    });
    return decideRollout(
      {
        ...this.ref,
        generation: 1,
        spec: { monitorRef: { name: "m" }, candidate: { version: this.candidateVersion }, paused: this.paused },
        annotations: this.annotations,
        status: this.status,
        deleting: this.deleting,
      },
      {
        now: this.now,
        strategy: this.strategy,
        stable: { version: this.stable.version },
        weights: { kind: "weights", weights: { ...this.weights }, mirror: this.mirror },
        stableWorkload: state(this.stable),
        candidateWorkload: state(this.candidate),
        analysis,
        monitor: this.monitor,
        targetRefusal: this.targetRefusal,
      },
    );
  }

  /** One reconcile: decide, persist, apply the effects. */
  tick(opts: { applyEffects?: boolean; analysis?: boolean } = {}): RolloutDecision {
    for (const [w, n] of this.pendingReady) {
      if (n <= 1) {
        w.ready = true;
        this.pendingReady.delete(w);
      } else this.pendingReady.set(w, n - 1);
    }
    const d = this.decide(opts);
    this.status = JSON.parse(JSON.stringify(d.status)) as ModelRolloutStatus;
    this.events.push(...d.events);
    if (opts.applyEffects ?? true) for (const e of d.effects) this.apply(e);
    return d;
  }

  apply(e: RolloutEffect) {
    this.effects.push(e);
    if (e.kind === "setWeights") {
      this.weights = { ...e.weights };
      this.weightHistory.push({ ...e.weights });
    } else if (e.kind === "setMirror") {
      this.mirror = e.percent;
      this.mirrorHistory.push(e.percent);
    } else if (e.kind === "parkCandidate") {
      this.candidate.parked = e.parked;
      this.candidate.ready = false;
      if (!e.parked) this.pendingReady.set(this.candidate, this.readyAfterTicks);
    } else {
      const w = e.which === "stable" ? this.stable : this.candidate;
      w.version = e.version;
      if (e.uri !== undefined) w.uri = e.uri;
      w.ready = false;
      this.pendingReady.set(w, this.readyAfterTicks);
    }
  }

  advance(ms: number) {
    this.now += ms;
  }

  /** Ticks (advancing time to the next analysis when nothing else is pending) until the phase is terminal or `max` ticks. */
  runUntil(done: (h: RolloutHarness) => boolean, max = 200) {
    for (let i = 0; i < max && !done(this); i++) {
      const d = this.tick();
      if (d.effects.length === 0 && this.status.nextAnalysisTime && (this.status.phase === "Progressing" || this.status.phase === "Shadowing"))
        this.now = Math.max(this.now + 500, Date.parse(this.status.nextAnalysisTime));
      else this.now += 500;
    }
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
