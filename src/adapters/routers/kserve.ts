// KServe router: one InferenceService (serving.kserve.io/v1beta1) serves both versions, so it is
// the traffic router and the workloads at once. In Serverless (Knative) mode the model of
// spec.predictor.model is the latest revision, and spec.predictor.canaryTrafficPercent sends
// that share to it and the rest to the last revision that had all traffic; without the field the
// latest ready revision has everything. The rollout's two slots map onto these revisions:
// - before a promotion, stable is the rolled-out revision and candidate the latest;
// - after it (the percent cleared), stable is the latest and candidate the previous rolled-out
//   revision, so the percent's meaning flips: a rollback sets it to 0 at once and KServe sends
//   all traffic back to the previous revision, as KServe documents its rollback.
// KServe shows no revision's model, so the versions of the revisions other than the latest come
// from what the rollout recorded (RolloutView). Every write is one JSON patch whose `test`
// operations refuse it if the fields read have changed since; nothing else is touched.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { ServingSpec, Weights } from "../../api/v1alpha1/rollout.ts";
import type { RolloutEffect, WorkloadState } from "../../domain/rollout/machine.ts";
import { RouterError, type LiveServing, type RolloutView, type ServedVersions } from "../../ports.ts";
import type { ServingTarget } from "../../domain/rollout/targets.ts";
import { labelsOf, optInTest, routerError } from "./patched-object.ts";

export const INFERENCESERVICES = { group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices" } as const;

/** The latest revision KServe had created when the operator last changed the model: a revision other than it is the new one. */
export const REPLACED_REVISION_ANNOTATION = "modelguardian.dev/replaced-revision";
const DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode";
/** Modes in which canaryTrafficPercent does nothing (no revisions): the router refuses them. */
const UNSUPPORTED_MODES = ["RawDeployment", "Standard", "ModelMesh"];

interface EnvVar {
  name: string;
  value?: string;
}
interface PredictorStatus {
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  latestRolledoutRevision?: string;
  previousRolledoutRevision?: string;
}
export interface InferenceService {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { predictor?: { canaryTrafficPercent?: number; model?: { storageUri?: string; env?: EnvVar[] } } };
  status?: {
    deploymentMode?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    components?: { predictor?: PredictorStatus };
  };
}

const ALL_STABLE: Weights = { stable: 100, candidate: 0 };
const same = (a: Weights, b: Weights) => a.stable === b.stable && a.candidate === b.candidate;

/** Refuses what this router cannot roll out safely; pure. */
function check(isvc: InferenceService): { model: { storageUri?: string; env?: EnvVar[] } } {
  const mode = isvc.status?.deploymentMode ?? isvc.metadata?.annotations?.[DEPLOYMENT_MODE_ANNOTATION];
  if (mode !== undefined && UNSUPPORTED_MODES.includes(mode))
    throw new RouterError(
      "DeploymentModeUnsupported",
      `the InferenceService runs in ${mode} mode, where canaryTrafficPercent splits no traffic (there are no revisions); the kserve router needs Serverless mode, and touches nothing here`,
    );
  const model = isvc.spec?.predictor?.model;
  if (!model)
    throw new RouterError(
      "BackendNotFound",
      "the InferenceService has no spec.predictor.model (the kserve router sets its storageUri; the older per-framework predictor fields are not supported)",
    );
  return { model };
}

/** A router failure: a typed weights error, and neither version found. */
function unreadable(e: RouterError, targets: ServingTarget[] = []): LiveServing {
  const missing: WorkloadState = { found: false, ready: false, message: e.message };
  return { weights: { kind: "error", reason: e.reason, message: e.message }, stable: missing, candidate: missing, targets };
}

const nameOf = (serving: ServingSpec) => (serving.router.kserve as { inferenceService: { name: string } }).inferenceService.name;

/** The two slots and the split, as the rollout sees them; pure, tested on objects. */
export function kserveServing(isvc: InferenceService, serving: ServingSpec, view: RolloutView): LiveServing {
  const targets: ServingTarget[] = [{ kind: "InferenceService", name: nameOf(serving), labels: labelsOf(isvc) }];
  let model: { storageUri?: string; env?: EnvVar[] };
  try {
    model = check(isvc).model;
  } catch (err) {
    return unreadable(err as RouterError, targets);
  }
  const percent = isvc.spec?.predictor?.canaryTrafficPercent;
  const predictor = isvc.status?.components?.predictor ?? {};
  const readyCondition = isvc.status?.conditions?.find((c) => c.type === "Ready");
  const isReady = readyCondition?.status === "True";
  const replaced = isvc.metadata?.annotations?.[REPLACED_REVISION_ANNOTATION];
  const created = predictor.latestCreatedRevision;
  const latestReady = isReady && created !== undefined && created !== "" && predictor.latestReadyRevision === created && created !== replaced;
  const latest: WorkloadState = {
    found: true,
    version: model.env?.find((e) => e.name === serving.modelEnv.version)?.value,
    uri: model.storageUri,
    ready: latestReady,
    message: latestReady
      ? `revision ${created} is ready`
      : created === undefined || created === replaced
        ? "KServe has not created the new revision yet"
        : `revision ${created} is not ready${readyCondition?.message ? `: ${readyCondition.message}` : ""}`,
  };
  // a revision other than the latest: KServe keeps it, and the rollout knows which version it holds
  const kept = (revision: string | undefined, version: RolloutView["stable"]): WorkloadState =>
    revision
      ? { found: true, version: version.version, uri: version.uri, ready: true, message: `revision ${revision} (kept by KServe)` }
      : { found: false, ready: false, message: "KServe reports no rolled-out revision of the InferenceService" };
  if (view.promoted) {
    const weights = percent === undefined ? ALL_STABLE : { stable: percent, candidate: 100 - percent };
    return { weights: { kind: "weights", weights }, stable: latest, candidate: kept(predictor.previousRolledoutRevision, view.stable), targets };
  }
  if (percent === undefined) {
    // no canary: the latest revision has all traffic
    const servesCandidate = latest.version === view.candidate.version && (view.candidate.uri === undefined || latest.uri === view.candidate.uri);
    const candidate: WorkloadState = servesCandidate
      ? { found: false, ready: false, message: `the InferenceService already serves ${view.candidate.version} with all its traffic` }
      : { found: true, ready: false, message: "no canary revision: spec.predictor.canaryTrafficPercent is not set" };
    return { weights: { kind: "weights", weights: ALL_STABLE }, stable: latest, candidate, targets };
  }
  return {
    weights: { kind: "weights", weights: { stable: 100 - percent, candidate: percent } },
    stable: kept(predictor.latestRolledoutRevision, view.stable),
    candidate: latest,
    targets,
  };
}

/** The JSON patch that performs one effect, or none when nothing is to change; pure. */
export function kservePatch(isvc: InferenceService, serving: ServingSpec, view: RolloutView, effect: RolloutEffect): object[] {
  const { model } = check(isvc);
  const percent = isvc.spec?.predictor?.canaryTrafficPercent;
  const ops: object[] = [];
  const setPercent = (value: number | undefined) => {
    if (value === percent) return;
    if (percent !== undefined) ops.push({ op: "test", path: "/spec/predictor/canaryTrafficPercent", value: percent });
    ops.push(
      value === undefined ? { op: "remove", path: "/spec/predictor/canaryTrafficPercent" } : { op: "add", path: "/spec/predictor/canaryTrafficPercent", value },
    );
  };
  if (effect.kind === "setMirror") {
    if (effect.percent === 0) return [];
    throw new RouterError(
      "MirrorUnsupported",
      "KServe cannot mirror requests to a revision; a shadow phase needs the gatewayAPI or istio router in front of two Deployments",
    );
  }
  if (effect.kind === "setWeights") {
    const w = effect.weights;
    if (view.promoted) setPercent(same(w, ALL_STABLE) ? undefined : w.stable);
    // all to stable while no canary revision exists: nothing to do
    else if (!(percent === undefined && same(w, ALL_STABLE))) setPercent(w.candidate);
    return ops;
  }
  // KServe scales its revisions itself: the machine never parks one (its state says so), and nothing is written if asked
  if (effect.kind === "parkCandidate") return ops;
  if (effect.which === "candidate" && view.promoted)
    throw new RouterError("BackendNotFound", "after a promotion the previous version is KServe's previous rolled-out revision, which the router cannot change");
  ops.push(...modelOps(isvc, model, serving, effect.version, effect.uri));
  // a new candidate, or a version restored after a promotion, starts with no traffic; a promotion clears the percent
  const promotion = effect.which === "stable" && !view.promoted;
  setPercent(promotion ? undefined : 0);
  return ops;
}

/** Sets the model's version env var and storageUri, and records the revision it replaces. */
function modelOps(
  isvc: InferenceService,
  model: { storageUri?: string; env?: EnvVar[] },
  serving: ServingSpec,
  version: string,
  uri: string | undefined,
): object[] {
  const base = "/spec/predictor/model";
  const name = serving.modelEnv.version;
  const env = model.env;
  const i = env?.findIndex((e) => e.name === name) ?? -1;
  const sameModel = i >= 0 && env?.[i]?.value === version && (uri === undefined || model.storageUri === uri);
  if (sameModel) return [];
  const ops: object[] = [];
  if (i >= 0) ops.push({ op: "test", path: `${base}/env/${i}/name`, value: name }, { op: "add", path: `${base}/env/${i}/value`, value: version });
  else if (env) ops.push({ op: "add", path: `${base}/env/-`, value: { name, value: version } });
  else ops.push({ op: "add", path: `${base}/env`, value: [{ name, value: version }] });
  if (uri !== undefined) {
    if (model.storageUri !== undefined) ops.unshift({ op: "test", path: `${base}/storageUri`, value: model.storageUri });
    ops.push({ op: "add", path: `${base}/storageUri`, value: uri });
  }
  const replaced = isvc.status?.components?.predictor?.latestCreatedRevision ?? "";
  const annotations = isvc.metadata?.annotations;
  ops.push(
    annotations
      ? { op: "add", path: `/metadata/annotations/${REPLACED_REVISION_ANNOTATION.replace("/", "~1")}`, value: replaced }
      : { op: "add", path: "/metadata/annotations", value: { [REPLACED_REVISION_ANNOTATION]: replaced } },
  );
  return ops;
}

/** The InferenceService of a model's two versions. One instance serves one reconcile. */
export class KServeServing implements ServedVersions {
  private readonly api: CustomObjectsApi;
  private lastRead: InferenceService | undefined;
  private readonly namespace: string;
  private readonly serving: ServingSpec;
  private readonly fieldManager: string;
  private readonly requireOptIn: boolean;
  /** requireOptIn (REQUIRE_TARGET_OPT_IN): every patch also tests the opt-in label. */
  constructor(kc: KubeConfig, namespace: string, serving: ServingSpec, fieldManager: string, requireOptIn = false) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.namespace = namespace;
    this.serving = serving;
    this.fieldManager = fieldManager;
    this.requireOptIn = requireOptIn;
  }

  private get name(): string {
    return nameOf(this.serving);
  }

  private async get(): Promise<InferenceService> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...INFERENCESERVICES, namespace: this.namespace, name: this.name })) as InferenceService;
    } catch (err) {
      throw routerError(err, `InferenceService ${this.namespace}/${this.name}`);
    }
  }

  async read(view: RolloutView): Promise<LiveServing> {
    try {
      this.lastRead = await this.get();
      return kserveServing(this.lastRead, this.serving, view);
    } catch (err) {
      return unreadable(err instanceof RouterError ? err : new RouterError("RouterUnavailable", String((err as Error).message)));
    }
  }

  async apply(effect: RolloutEffect, view: RolloutView): Promise<void> {
    // effects after the first of a reconcile must see what the first wrote
    const isvc = this.lastRead ?? (await this.get());
    this.lastRead = undefined;
    const body = kservePatch(isvc, this.serving, view, effect);
    if (body.length === 0) return;
    try {
      await this.api.patchNamespacedCustomObject(
        {
          ...INFERENCESERVICES,
          namespace: this.namespace,
          name: this.name,
          body: this.requireOptIn ? [optInTest, ...body] : body,
          fieldManager: this.fieldManager,
        },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    } catch (err) {
      throw routerError(err, `InferenceService ${this.namespace}/${this.name}`);
    }
  }
}
