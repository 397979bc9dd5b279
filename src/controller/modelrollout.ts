// The ModelRollout reconciler: gather (the rollout, its monitor and policy from the caches, the
// route's weights and both Deployments read live, the analysis when one is due) -> decide
// (pure, domain/rollout/machine.ts) -> persist the status -> perform the effects it decided
// (weights, model version on a Deployment) -> emit Events. With REQUIRE_TARGET_OPT_IN a serving
// object without the opt-in label makes the decision a hold that writes nothing (targets.ts). Status is written before any
// effect, so a restart between the two repeats the effect rather than forgetting the decision.
import type { Logger } from "pino";
import { API_VERSION } from "../api/v1alpha1/common.ts";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorSpec } from "../api/v1alpha1/modelmonitor.ts";
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
import { setConditions } from "../domain/conditions.ts";
import { EventReason, type MonitorEvent } from "../domain/events.ts";
import { queryKey, type QueryResult } from "../domain/observation.ts";
import { queryLogOf } from "../domain/log-lines.ts";
import { judgeAnalysis, planRolloutAnalysis, rolloutAnalysisQueries, stageOf, strategyProblem } from "../domain/rollout/analysis.ts";
import {
  analysisDue,
  analysisWindow,
  blockedStatus,
  decideRollout,
  interimCheckDue,
  isTerminal,
  TARGET_HOLD,
  type RolloutEffect,
  type RolloutWorld,
} from "../domain/rollout/machine.ts";
import { ROLLOUT_FINALIZER } from "../domain/rollout/names.ts";
import { DEFAULT_STRATEGY, strategyOf } from "../domain/rollout/strategy.ts";
import { targetOptInRefusal } from "../domain/rollout/targets.ts";
import type { Clock, EventSink, FinalizerPort, ObjectRef, RolloutView, ServedVersions, ServingFactory, StatusWriter } from "../ports.ts";
import type { MetricsSourceResolver } from "./modelmonitor.ts";
import { persistOwnedStatus } from "./persist.ts";
import type { KubeObject, ReconcileResult } from "./reconciler.ts";

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
}

export const ROLLOUT_STATUS_OWNERSHIP: StatusOwnership = { fields: Object.keys(modelRolloutStatusSchema.shape), conditionTypes: ROLLOUT_CONDITION_TYPES };

const describeEffect = (e: RolloutEffect): string =>
  e.kind === "setWeights"
    ? `setting weights ${e.weights.stable}/${e.weights.candidate}`
    : e.kind === "setMirror"
      ? `mirroring ${e.percent} % to the candidate`
      : e.kind === "parkCandidate"
        ? `scaling the candidate Deployment ${e.parked ? "to zero" : "back up"}`
        : `setting ${e.version} on the ${e.which} Deployment`;

/** What the rollout knows about its versions, for a serving platform that cannot say it. */
function viewOf(spec: ModelRolloutSpec, status: ModelRolloutStatus, knownStable: string | undefined): RolloutView {
  return { stable: status.stable ?? { version: knownStable }, candidate: spec.candidate, promoted: status.promotedTime !== undefined };
}

export class ModelRolloutReconciler {
  private readonly deps: RolloutReconcilerDeps;
  constructor(deps: RolloutReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(obj: KubeObject): Promise<ReconcileResult> {
    const { clock, log } = this.deps;
    const ref: ObjectRef = {
      apiVersion: API_VERSION,
      kind: MODEL_ROLLOUT.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
    };
    const now = clock.now();
    const nowIso = new Date(now).toISOString();
    const generation = obj.metadata.generation ?? 0;
    const deleting = !!obj.metadata.deletionTimestamp;
    const parsedStatus = modelRolloutStatusSchema.safeParse(obj.status ?? {});
    const previous: ModelRolloutStatus = parsedStatus.success ? parsedStatus.data : modelRolloutStatusSchema.parse({});
    const hasFinalizer = (obj.metadata.finalizers ?? []).includes(ROLLOUT_FINALIZER);

    const spec = modelRolloutSpecSchema.safeParse(obj.spec ?? {});
    const blocked = (reason: string, message: string) => this.blocked(obj, ref, previous, generation, nowIso, reason, message, deleting && hasFinalizer);
    if (!spec.success) return blocked("InvalidSpec", formatIssues(spec.error, "spec"));
    const monitorObj = this.deps.monitor(ref.namespace, spec.data.monitorRef.name);
    if (!monitorObj) {
      // the monitor went first (deleting it deletes its rollouts): restore from what status recorded
      if (deleting && hasFinalizer && previous.serving) return this.restoreWithoutMonitor(obj, ref, spec.data, previous, previous.serving, generation, now);
      return blocked("MonitorNotFound", `ModelMonitor ${spec.data.monitorRef.name} not found`);
    }
    const monitor = modelMonitorSpecSchema.safeParse(monitorObj.spec ?? {});
    if (!monitor.success) return blocked("MonitorInvalid", `ModelMonitor ${spec.data.monitorRef.name} is invalid: ${formatIssues(monitor.error, "spec")}`);
    const serving = monitor.data.serving;
    if (!serving) return blocked("NoServing", `ModelMonitor ${spec.data.monitorRef.name} has no spec.serving: nothing says where its versions are served`);
    const policyName = monitor.data.policyRef?.name;
    const { strategy, problem: policyProblem } = strategyOf(policyName ? this.deps.policy(ref.namespace, policyName) : undefined);

    const monitorStatus = modelMonitorStatusSchema.safeParse(monitorObj.status ?? {});
    const knownStable = (monitorStatus.success ? monitorStatus.data.stableVersion : undefined) ?? monitor.data.model.version;
    const { served, weights, stableWorkload, candidateWorkload, targets } = await this.readLive(ref, serving, viewOf(spec.data, previous, knownStable));
    const targetRefusal = targetOptInRefusal(ref.namespace, targets, this.deps.requireTargetOptIn ?? false);
    const stableVersion = knownStable ?? stableWorkload.version ?? "unknown";
    const world: RolloutWorld = {
      now,
      strategy,
      strategyProblem: policyProblem ?? strategyProblem(strategy, monitor.data),
      // a workload that does not say its version (no env var) is taken to serve the stable one
      stable: {
        version: stableVersion,
        uri: stableWorkload.version === stableVersion || stableWorkload.version === undefined ? stableWorkload.uri : undefined,
      },
      weights,
      stableWorkload,
      candidateWorkload,
      monitor: monitorStatus.success
        ? { version: monitorStatus.data.observedVersion, lastEvaluationTime: monitorStatus.data.lastEvaluationTime, findings: monitorStatus.data.findings }
        : undefined,
      serving,
      targetRefusal,
    };
    // a held rollout does not judge its step (nothing could follow from the verdict), nor does the reconcile that ends the hold
    if (!deleting && analysisDue(previous, now) && !spec.data.paused && !targetRefusal && previous.reason !== TARGET_HOLD)
      world.analysis = await this.analyse(ref, monitor.data, strategy, previous, spec.data.candidate.version, now);

    const decision = decideRollout(
      { name: ref.name, namespace: ref.namespace, generation, spec: spec.data, annotations: obj.metadata.annotations ?? {}, status: previous, deleting },
      world,
    );
    if (decision.holdFinalizer && !hasFinalizer) {
      await this.deps.finalizers.add(ref, ROLLOUT_FINALIZER, obj.metadata.finalizers ?? []);
      // as with status writes, the cached object must not look older than what was just written
      obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), ROLLOUT_FINALIZER];
    }
    if (!deleting) await persistOwnedStatus(this.deps.status, obj, ref, decision.status, ROLLOUT_STATUS_OWNERSHIP);
    const failures = await this.perform(ref, served, viewOf(spec.data, decision.status, knownStable), decision.effects);
    await this.emitAll(ref, [...decision.events, ...failures]);
    if (previous.phase !== decision.status.phase)
      log.info(
        { rollout: `${ref.namespace}/${ref.name}`, from: previous.phase, to: decision.status.phase, reason: decision.status.reason },
        `phase ${previous.phase ?? "none"} -> ${decision.status.phase}: ${decision.status.message ?? ""}`,
      );
    const t = this.deps.telemetry;
    if (t && !deleting) {
      t.rollout(ref.namespace, ref.name, monitor.data.model.name, decision.status);
      // an interim check that neither failed nor met an error is no analysis of its own, only a look
      const a = world.analysis;
      if (a && !(a.interim && a.outcome !== "Failed" && a.outcome !== "Error")) t.analysed(ref.namespace, monitor.data.model.name, a.outcome);
      if (isTerminal(decision.status.phase) && !isTerminal(previous.phase)) t.finished(ref.namespace, monitor.data.model.name, decision.status.phase as string);
    }
    if (decision.releaseFinalizer && hasFinalizer && failures.length === 0) await this.releaseFinalizer(obj, ref);
    if (failures.length) return { requeueAfterMs: 2_000 };
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {};
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
  private async readLive(ref: ObjectRef, serving: ServingSpec, view: RolloutView) {
    const served = this.deps.serving(ref.namespace, serving);
    const live = await served.read(view);
    return { served, weights: live.weights, stableWorkload: live.stable, candidateWorkload: live.candidate, targets: live.targets };
  }

  private async releaseFinalizer(obj: KubeObject, ref: ObjectRef): Promise<void> {
    await this.deps.finalizers.remove(ref, ROLLOUT_FINALIZER, obj.metadata.finalizers ?? []);
    // as with status writes, the cached object must not look older than what was just written
    obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== ROLLOUT_FINALIZER);
  }

  /** Deletion after the monitor: all traffic back to stable by the recorded wiring, then the finalizer goes. */
  private async restoreWithoutMonitor(
    obj: KubeObject,
    ref: ObjectRef,
    spec: ModelRolloutSpec,
    previous: ModelRolloutStatus,
    serving: ServingSpec,
    generation: number,
    now: number,
  ): Promise<ReconcileResult> {
    const { served, weights, stableWorkload, candidateWorkload, targets } = await this.readLive(ref, serving, viewOf(spec, previous, undefined));
    const targetRefusal = targetOptInRefusal(ref.namespace, targets, this.deps.requireTargetOptIn ?? false);
    const decision = decideRollout(
      { generation, spec, annotations: {}, status: previous, deleting: true },
      {
        now,
        strategy: DEFAULT_STRATEGY,
        stable: previous.stable ?? { version: stableWorkload.version ?? "unknown" },
        weights,
        stableWorkload,
        candidateWorkload,
        targetRefusal,
      },
    );
    const failures = await this.perform(ref, served, viewOf(spec, decision.status, undefined), decision.effects);
    await this.emitAll(ref, [...decision.events, ...failures]);
    if (decision.releaseFinalizer && failures.length === 0) {
      await this.releaseFinalizer(obj, ref);
      return {};
    }
    return { requeueAfterMs: failures.length ? 2_000 : 500 };
  }

  /** Nothing can move: say why in a condition, keep everything else as it is. */
  private async blocked(
    obj: KubeObject,
    ref: ObjectRef,
    previous: ModelRolloutStatus,
    generation: number,
    nowIso: string,
    reason: string,
    message: string,
    release: boolean,
  ): Promise<ReconcileResult> {
    if (release) {
      // without a monitor there is no route to restore: let the deletion go on
      await this.releaseFinalizer(obj, ref);
      return {};
    }
    const status = {
      ...blockedStatus(previous, reason, message),
      observedGeneration: generation,
      conditions: setConditions(previous.conditions, [{ type: "Ready", status: "False", reason, message }], nowIso, generation),
    };
    const wrote = await persistOwnedStatus(this.deps.status, obj, ref, status, ROLLOUT_STATUS_OWNERSHIP);
    if (wrote === "written") await this.emitAll(ref, [{ type: "Warning", reason: EventReason.RolloutBlocked, message }]);
    return { requeueAfterMs: 10_000 };
  }

  private async emitAll(ref: ObjectRef, events: MonitorEvent[]): Promise<void> {
    for (const e of events) await this.deps.events.emit(ref, e);
  }
}
