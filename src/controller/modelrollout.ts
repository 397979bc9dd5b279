// The ModelRollout reconciler: gather (the rollout, its monitor and policy from the caches, the
// route's weights and both Deployments read live, the analysis when one is due) -> decide
// (pure, domain/rollout/machine.ts) -> persist the status -> perform the effects it decided
// (weights, model version on a Deployment) -> emit Events. With REQUIRE_TARGET_OPT_IN a serving
// object without the opt-in label makes the decision a hold that writes nothing (targets.ts). Status is written before any
// effect, so a restart between the two repeats the effect rather than forgetting the decision.
import type { Logger } from "pino";
import type { ModelMonitorSpec } from "../api/v1alpha1/modelmonitor.ts";
import {
  MODEL_ROLLOUT,
  modelRolloutSpecSchema,
  modelRolloutStatusSchema,
  ROLLOUT_CONDITION_TYPES,
  type ModelRolloutSpec,
  type ModelRolloutStatus,
  type RolloutStrategy,
  type ServingSpec,
} from "../api/v1alpha1/rollout.ts";
import { formatIssues } from "../api/validation.ts";
import type { StatusOwnership } from "../domain/conditions.ts";
import { EventReason, type MonitorEvent } from "../domain/events.ts";
import { queryKey, type QueryResult } from "../domain/observation.ts";
import { queryLogOf } from "../domain/log-lines.ts";
import { judgeAnalysis, planRolloutAnalysis, rolloutAnalysisQueries, stageOf, strategyProblem } from "../domain/rollout/analysis.ts";
import {
  analysisDue,
  analysisWindow,
  decideRollout,
  interimCheckDue,
  isTerminal,
  type RolloutDecision,
  type RolloutEffect,
  type RolloutWorld,
} from "../domain/rollout/machine.ts";
import { ROLLOUT_FINALIZER } from "../domain/rollout/names.ts";
import {
  analysisCounted,
  analysisRuns,
  blockedRolloutStatus,
  describeEffect,
  knownStableVersion,
  monitorOfRollout,
  monitorVerdictOf,
  restoreRequeueAfter,
  restoreWorld,
  ROLLOUT_REQUEUE,
  RolloutBlockedReason,
  rolloutRequeueAfter,
  rolloutVersions,
  stableServing,
  type LiveRollout,
  type MonitorOfRollout,
  type RolloutBlock,
  type RolloutRequeue,
} from "../domain/rollout/reconcile.ts";
import { strategyOf } from "../domain/rollout/strategy.ts";
import { targetOptInRefusal } from "../domain/rollout/targets.ts";
import type { Clock, EventSink, FinalizerPort, ObjectRef, RolloutView, ServedVersions, ServingFactory, StatusWriter } from "../ports.ts";
import type { MetricsSourceResolver } from "./modelmonitor.ts";
import { persistOwnedStatus } from "./persist.ts";
import { objectRefOf, requeueAfter, type KubeObject, type ReconcileResult } from "./reconciler.ts";

export interface RolloutTelemetry {
  rollout(namespace: string, name: string, model: string, status: ModelRolloutStatus): void;
  analysed(namespace: string, model: string, outcome: string): void;
  finished(namespace: string, model: string, phase: string): void;
}

export interface RolloutReconcilerDeps {
  monitor(namespace: string, name: string): KubeObject | undefined;
  policy(namespace: string, name: string): KubeObject | undefined;
  serving: ServingFactory;
  resolveSource: MetricsSourceResolver;
  status: StatusWriter;
  finalizers: FinalizerPort;
  events: EventSink;
  clock: Clock;
  log: Logger;
  telemetry?: RolloutTelemetry;
  /** REQUIRE_TARGET_OPT_IN: change serving objects only while they carry the opt-in label. */
  requireTargetOptIn?: boolean;
  /** How soon to come back when the state machine does not say (default ROLLOUT_REQUEUE). */
  requeue?: Partial<RolloutRequeue>;
}

export const ROLLOUT_STATUS_OWNERSHIP: StatusOwnership = { fields: Object.keys(modelRolloutStatusSchema.shape), conditionTypes: ROLLOUT_CONDITION_TYPES };

/** What one reconcile knows of the rollout before reading anything else. */
interface RolloutSnapshot {
  ref: ObjectRef;
  now: number;
  generation: number;
  deleting: boolean;
  hasFinalizer: boolean;
  /** The status as the cache holds it; an unreadable one (hand-edited) starts afresh. */
  previous: ModelRolloutStatus;
}

/** The live state read this reconcile, and the platform to apply effects through. */
interface Served {
  served: ServedVersions;
  live: LiveRollout;
}

export class ModelRolloutReconciler {
  private readonly deps: RolloutReconcilerDeps;
  private readonly requeue: RolloutRequeue;
  constructor(deps: RolloutReconcilerDeps) {
    this.deps = deps;
    this.requeue = { ...ROLLOUT_REQUEUE, ...deps.requeue };
  }

  /** gather (the rollout, its monitor, the live serving state, an analysis when due) -> decide -> persist -> perform -> emit. */
  async reconcile(obj: KubeObject): Promise<ReconcileResult> {
    const r = this.snapshot(obj);
    const spec = modelRolloutSpecSchema.safeParse(obj.spec ?? {});
    if (!spec.success) return this.blocked(obj, r, { reason: RolloutBlockedReason.InvalidSpec, message: formatIssues(spec.error, "spec") });
    const monitorObj = this.deps.monitor(r.ref.namespace, spec.data.monitorRef.name);
    // the monitor went first (deleting it deletes its rollouts): restore from what status recorded
    if (!monitorObj && r.deleting && r.hasFinalizer && r.previous.serving) return this.restoreWithoutMonitor(obj, r, spec.data, r.previous.serving);
    const found = monitorOfRollout(spec.data.monitorRef.name, monitorObj);
    if (!found.ok) return this.blocked(obj, r, found.block);
    const { world, served, knownStable } = await this.gatherWorld(r, spec.data, found.monitor);
    const decision = decideRollout(
      {
        name: r.ref.name,
        namespace: r.ref.namespace,
        generation: r.generation,
        spec: spec.data,
        annotations: obj.metadata.annotations ?? {},
        status: r.previous,
        deleting: r.deleting,
      },
      world,
    );
    await this.persist(obj, r, decision);
    const failures = await this.perform(r.ref, served, rolloutVersions(spec.data, decision.status, knownStable), decision.effects);
    await this.emitAll(r.ref, [...decision.events, ...failures]);
    this.record(r, found.monitor.spec.model.name, world, decision);
    if (decision.releaseFinalizer && r.hasFinalizer && failures.length === 0) await this.releaseFinalizer(obj, r.ref);
    return requeueAfter(rolloutRequeueAfter(decision, failures.length, this.requeue));
  }

  private snapshot(obj: KubeObject): RolloutSnapshot {
    const parsedStatus = modelRolloutStatusSchema.safeParse(obj.status ?? {});
    return {
      ref: objectRefOf(obj, MODEL_ROLLOUT.kind),
      now: this.deps.clock.now(),
      generation: obj.metadata.generation ?? 0,
      deleting: !!obj.metadata.deletionTimestamp,
      hasFinalizer: (obj.metadata.finalizers ?? []).includes(ROLLOUT_FINALIZER),
      previous: parsedStatus.success ? parsedStatus.data : modelRolloutStatusSchema.parse({}),
    };
  }

  /** The world the state machine decides from: the strategy, the versions, the live state read now, an analysis when due. */
  private async gatherWorld(r: RolloutSnapshot, spec: ModelRolloutSpec, monitor: MonitorOfRollout) {
    const policyName = monitor.spec.policyRef?.name;
    const { strategy, problem: policyProblem } = strategyOf(policyName ? this.deps.policy(r.ref.namespace, policyName) : undefined);
    const knownStable = knownStableVersion(monitor);
    const { served, live } = await this.readLive(r.ref, monitor.serving, rolloutVersions(spec, r.previous, knownStable));
    const world: RolloutWorld = {
      now: r.now,
      strategy,
      strategyProblem: policyProblem ?? strategyProblem(strategy, monitor.spec),
      stable: stableServing(knownStable, live.stableWorkload),
      ...live,
      monitor: monitorVerdictOf(monitor.status),
      serving: monitor.serving,
    };
    const due = analysisDue(r.previous, r.now);
    if (analysisRuns({ deleting: r.deleting, due, paused: spec.paused, targetRefusal: live.targetRefusal, previous: r.previous }))
      world.analysis = await this.analyse(r.ref, monitor.spec, strategy, r.previous, spec.candidate.version, r.now);
    return { world, served, knownStable };
  }

  /** The finalizer first (so a deletion restores stable), then the status, before any effect. */
  private async persist(obj: KubeObject, r: RolloutSnapshot, decision: RolloutDecision): Promise<void> {
    if (decision.holdFinalizer && !r.hasFinalizer) {
      await this.deps.finalizers.add(r.ref, ROLLOUT_FINALIZER, obj.metadata.finalizers ?? []);
      // as with status writes, the cached object must not look older than what was just written
      obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), ROLLOUT_FINALIZER];
    }
    if (!r.deleting) await persistOwnedStatus(this.deps.status, obj, r.ref, decision.status, ROLLOUT_STATUS_OWNERSHIP);
  }

  /** A phase change in the log; the rollout, its analysis and its end in the metrics. */
  private record(r: RolloutSnapshot, model: string, world: RolloutWorld, decision: RolloutDecision): void {
    const { ref, previous } = r;
    if (previous.phase !== decision.status.phase)
      this.deps.log.info(
        { rollout: `${ref.namespace}/${ref.name}`, from: previous.phase, to: decision.status.phase, reason: decision.status.reason },
        `phase ${previous.phase ?? "none"} -> ${decision.status.phase}: ${decision.status.message ?? ""}`,
      );
    const t = this.deps.telemetry;
    if (!t || r.deleting) return;
    t.rollout(ref.namespace, ref.name, model, decision.status);
    if (world.analysis && analysisCounted(world.analysis)) t.analysed(ref.namespace, model, world.analysis.outcome);
    if (isTerminal(decision.status.phase) && !isTerminal(previous.phase)) t.finished(ref.namespace, model, decision.status.phase as string);
  }

  private async analyse(
    ref: ObjectRef,
    monitor: ModelMonitorSpec,
    strategy: RolloutStrategy,
    status: ModelRolloutStatus,
    candidate: string,
    now: number,
  ): Promise<RolloutWorld["analysis"]> {
    const w = analysisWindow(status, now);
    const plan = planRolloutAnalysis({ monitor, strategy, stableVersion: status.stable?.version ?? "", candidateVersion: candidate, ...w });
    const source = await this.deps.resolveSource(ref.namespace, monitor);
    const queries = rolloutAnalysisQueries(plan);
    const answers = await Promise.all(queries.map((q) => source.query(q)));
    const results = new Map<string, QueryResult>();
    queries.forEach((q, i) => results.set(queryKey(q), answers[i] as QueryResult));
    this.deps.log.debug(
      { rollout: `${ref.namespace}/${ref.name}`, queries: queries.map((q, i) => queryLogOf(q, answers[i] as QueryResult)) },
      "analysis queried",
    );
    return {
      ...judgeAnalysis(plan, results, strategy, {
        interim: interimCheckDue(status, now),
        stage: stageOf(status),
        boundaries: status.stepBoundaries,
        carried: status.carriedEvidence,
      }),
      window: plan.window,
    };
  }

  /** Performs the decided writes in order; a failure stops the rest and becomes a Warning Event. */
  private async perform(ref: ObjectRef, served: ServedVersions, view: RolloutView, effects: RolloutEffect[]): Promise<MonitorEvent[]> {
    for (const e of effects) {
      try {
        await served.apply(e, view);
        this.deps.log.info({ rollout: `${ref.namespace}/${ref.name}`, effect: e }, "rollout effect applied");
      } catch (err) {
        const message = (err as Error).message;
        this.deps.log.warn({ rollout: `${ref.namespace}/${ref.name}`, effect: e, err: message }, "rollout effect failed; retrying");
        return [{ type: "Warning", reason: EventReason.RouterError, message: `${describeEffect(e)}: ${message}` }];
      }
    }
    return [];
  }

  /** The live state, re-read at every reconcile and never assumed: the traffic split and both versions' workloads. */
  private async readLive(ref: ObjectRef, serving: ServingSpec, view: RolloutView): Promise<Served> {
    const served = this.deps.serving(ref.namespace, serving);
    const live = await served.read(view);
    const targetRefusal = targetOptInRefusal(ref.namespace, live.targets, this.deps.requireTargetOptIn ?? false);
    return { served, live: { weights: live.weights, stableWorkload: live.stable, candidateWorkload: live.candidate, targetRefusal } };
  }

  private async releaseFinalizer(obj: KubeObject, ref: ObjectRef): Promise<void> {
    await this.deps.finalizers.remove(ref, ROLLOUT_FINALIZER, obj.metadata.finalizers ?? []);
    // as with status writes, the cached object must not look older than what was just written
    obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== ROLLOUT_FINALIZER);
  }

  /** Deletion after the monitor: all traffic back to stable by the recorded wiring, then the finalizer goes. */
  private async restoreWithoutMonitor(obj: KubeObject, r: RolloutSnapshot, spec: ModelRolloutSpec, serving: ServingSpec): Promise<ReconcileResult> {
    const { served, live } = await this.readLive(r.ref, serving, rolloutVersions(spec, r.previous, undefined));
    const decision = decideRollout(
      { generation: r.generation, spec, annotations: {}, status: r.previous, deleting: true },
      restoreWorld(r.previous, live, r.now),
    );
    const failures = await this.perform(r.ref, served, rolloutVersions(spec, decision.status, undefined), decision.effects);
    await this.emitAll(r.ref, [...decision.events, ...failures]);
    const released = decision.releaseFinalizer && failures.length === 0;
    if (released) await this.releaseFinalizer(obj, r.ref);
    return requeueAfter(restoreRequeueAfter(released, failures.length, this.requeue));
  }

  /** Nothing can move: say why in a condition, keep everything else as it is. */
  private async blocked(obj: KubeObject, r: RolloutSnapshot, block: RolloutBlock): Promise<ReconcileResult> {
    if (r.deleting && r.hasFinalizer) {
      // without a monitor there is no route to restore: let the deletion go on
      await this.releaseFinalizer(obj, r.ref);
      return {};
    }
    const status = blockedRolloutStatus(r.previous, r.generation, block, new Date(r.now).toISOString());
    const wrote = await persistOwnedStatus(this.deps.status, obj, r.ref, status, ROLLOUT_STATUS_OWNERSHIP);
    if (wrote === "written") await this.emitAll(r.ref, [{ type: "Warning", reason: EventReason.RolloutBlocked, message: block.message }]);
    return { requeueAfterMs: this.requeue.blockedMs };
  }

  private async emitAll(ref: ObjectRef, events: MonitorEvent[]): Promise<void> {
    for (const e of events) await this.deps.events.emit(ref, e);
  }
}
