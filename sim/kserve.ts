// A STAND-IN for KServe's controller in Serverless mode, which cannot run on these machines (its
// module's dependencies are refused by the proxy, and Knative is not here either). It keeps what
// KServe keeps for an InferenceService's predictor and nothing more:
// - a new revision whenever spec.predictor.model's storageUri or env changes; it becomes ready
//   `readyAfterTicks` ticks later;
// - the traffic KServe gives Knative: with canaryTrafficPercent p and a rolled-out revision, p %
//   to the latest ready revision and the rest to the rolled-out one; without it, 100 % latest ready;
// - latestRolledoutRevision and previousRolledoutRevision, by the rules of KServe v0.20's
//   PropagateStatus (a latest revision at 100 % becomes the rolled-out one; split back below 100 %
//   over the same revision, the previous one is rolled out again);
// - the Ready condition (the latest created revision is ready) and status.components.predictor.
// `tickKServe` is pure; `startKServeStandIn` runs it against the API server, writing the status.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

export interface RevisionModel {
  version?: string | undefined;
  uri?: string | undefined;
}
export interface Revision {
  name: string;
  model: RevisionModel;
  ready: boolean;
  /** Ticks until ready. */
  wait: number;
}
export interface KServeState {
  revisions: Revision[];
  latestRolledout?: string | undefined;
  previousRolledout?: string | undefined;
}
export interface TrafficShare {
  revision: string;
  percent: number;
  model: RevisionModel;
}
interface Isvc {
  metadata?: { name?: string };
  spec?: { predictor?: { canaryTrafficPercent?: number; model?: { storageUri?: string; env?: { name: string; value?: string }[] } } };
}

export const emptyKServeState = (): KServeState => ({ revisions: [] });

/** One reconcile of the stand-in: the next state, the status to write and the traffic split. */
export function tickKServe(
  state: KServeState,
  isvc: Isvc,
  opts: { versionEnv?: string; readyAfterTicks?: number } = {},
): { state: KServeState; status: Record<string, unknown>; traffic: TrafficShare[] } {
  const name = isvc.metadata?.name ?? "isvc";
  const model = isvc.spec?.predictor?.model;
  const spec: RevisionModel = { version: model?.env?.find((e) => e.name === (opts.versionEnv ?? "MODEL_VERSION"))?.value, uri: model?.storageUri };
  let revisions = state.revisions.map((r) => (r.ready ? r : r.wait <= 1 ? { ...r, ready: true, wait: 0 } : { ...r, wait: r.wait - 1 }));
  const latest = revisions.at(-1);
  if (!latest || latest.model.version !== spec.version || latest.model.uri !== spec.uri) {
    const wait = opts.readyAfterTicks ?? 1;
    revisions = [...revisions, { name: `${name}-predictor-${String(revisions.length + 1).padStart(5, "0")}`, model: spec, ready: wait <= 0, wait }];
  }
  const created = revisions.at(-1) as Revision;
  const latestReady = [...revisions].reverse().find((r) => r.ready);
  const percent = isvc.spec?.predictor?.canaryTrafficPercent;
  let { latestRolledout, previousRolledout } = state;
  const byName = (n: string | undefined) => revisions.find((r) => r.name === n);
  // the split KServe asks Knative for, from the rolled-out revision as it stood
  const targets: { revision: string; percent: number; latest: boolean }[] = [];
  if (latestReady) {
    if (percent !== undefined && latestRolledout) {
      targets.push({ revision: latestReady.name, percent, latest: true });
      if (percent < 100) targets.push({ revision: latestRolledout, percent: 100 - percent, latest: false });
    } else targets.push({ revision: latestReady.name, percent: 100, latest: true });
  }
  // KServe's PropagateStatus: the rolled-out revisions follow the split
  const perRevision = new Map<string, number>();
  for (const t of targets) perRevision.set(t.revision, (perRevision.get(t.revision) ?? 0) + t.percent);
  for (const t of targets) {
    if (!t.latest || t.revision !== latestReady?.name) continue;
    if (latestRolledout !== t.revision) {
      if (t.percent === 100) {
        previousRolledout = latestRolledout;
        latestRolledout = t.revision;
      }
    } else if (latestReady.name === created.name && t.percent < 100 && perRevision.get(t.revision) === 100 && previousRolledout) {
      latestRolledout = previousRolledout;
    }
  }
  const traffic = [...perRevision].map(([revision, p]) => ({ revision, percent: p, model: byName(revision)?.model ?? {} }));
  const ready = created.ready;
  const status = {
    deploymentMode: "Serverless",
    conditions: [
      ready
        ? { type: "Ready", status: "True", lastTransitionTime: new Date().toISOString() }
        : {
            type: "Ready",
            status: "False",
            reason: "RevisionMissing",
            message: `revision ${created.name} is not ready yet`,
            lastTransitionTime: new Date().toISOString(),
          },
    ],
    components: {
      predictor: {
        latestCreatedRevision: created.name,
        ...(latestReady ? { latestReadyRevision: latestReady.name } : {}),
        ...(latestRolledout ? { latestRolledoutRevision: latestRolledout } : {}),
        ...(previousRolledout ? { previousRolledoutRevision: previousRolledout } : {}),
        traffic: targets.map((t) => ({ revisionName: t.revision, percent: t.percent, latestRevision: t.latest })),
      },
    },
  };
  return { state: { revisions, latestRolledout, previousRolledout }, status, traffic };
}

export interface KServeStandIn {
  /** The split last computed: which model each share goes to. */
  traffic(): TrafficShare[];
  stop(): Promise<void>;
}

/** Runs the stand-in for one InferenceService: every pollMs, read it, tick, write the status (when it changed). */
export function startKServeStandIn(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: { pollMs?: number; readyAfterTicks?: number; versionEnv?: string } = {},
): KServeStandIn {
  const api = kc.makeApiClient(CustomObjectsApi);
  const resource = { group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices", namespace, name };
  let state = emptyKServeState();
  let traffic: TrafficShare[] = [];
  let lastStatus = "";
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const isvc = (await api.getNamespacedCustomObject(resource)) as Isvc & { status?: unknown };
        const next = tickKServe(state, isvc, opts);
        state = next.state;
        traffic = next.traffic;
        const text = JSON.stringify(next.status.components) + JSON.stringify((next.status.conditions as { status: string }[])[0]?.status);
        if (text !== lastStatus) {
          await api.patchNamespacedCustomObjectStatus(
            { ...resource, body: { status: next.status } },
            setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
          );
          lastStatus = text;
        }
      } catch {
        // absent or conflicting: try again at the next poll
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  })();
  return {
    traffic: () => traffic,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Two simulated model servers standing in for the pods of KServe's revisions: a revision whose
 * model no server plays goes to the server that no traffic reaches (the revision it played is
 * out of the split). `split` is the share of traffic each server gets, for sim/splitter.ts.
 */
export class RevisionServers<S> {
  private readonly playing = new Map<S, string | undefined>();
  private readonly servers: readonly [S, S];
  private readonly onPlay: (server: S, version: string, previous: string | undefined) => void;
  constructor(
    servers: readonly [S, S],
    initial: readonly [string | undefined, string | undefined],
    onPlay: (server: S, version: string, previous: string | undefined) => void,
  ) {
    this.servers = servers;
    this.onPlay = onPlay;
    servers.forEach((s, i) => this.playing.set(s, initial[i]));
  }

  versionOf(server: S): string | undefined {
    return this.playing.get(server);
  }

  /** Gives new revisions' models to free servers; then the split as {stable: first server, candidate: second}. */
  split(traffic: readonly TrafficShare[]): { stable: number; candidate: number } {
    const busy = new Set(traffic.filter((t) => t.percent > 0).map((t) => t.model.version));
    for (const share of traffic) {
      const version = share.model.version;
      if (!version || [...this.playing.values()].includes(version)) continue;
      const free = this.servers.find((s) => !busy.has(this.playing.get(s)));
      if (free === undefined) continue;
      const previous = this.playing.get(free);
      this.playing.set(free, version);
      this.onPlay(free, version, previous);
    }
    const of = (s: S) => traffic.filter((t) => t.model.version !== undefined && t.model.version === this.playing.get(s)).reduce((n, t) => n + t.percent, 0);
    return { stable: of(this.servers[0]), candidate: of(this.servers[1]) };
  }
}
