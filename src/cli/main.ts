// kubectl-modelguardian: gather (the rollout or monitor, its policy, the route and workloads as
// read now) -> decide (pure: the verb's plan in domain/rollout/actions.ts) -> write the one patch
// it plans, or render (pure: render.ts). Exit codes: 0 done, 1 refused or failed, 2 bad usage.
import { randomBytes } from "node:crypto";
import { modelMonitorSpecSchema, type ModelMonitorStatus } from "../api/v1alpha1/modelmonitor.ts";
import { modelRolloutSpecSchema, modelRolloutStatusSchema, type ModelRolloutSpec, type ModelRolloutStatus, type ServingSpec } from "../api/v1alpha1/rollout.ts";
import { HTML_REPORT_KEY, REPORT_KEY } from "../domain/monitor/report.ts";
import { planVerb, type RolloutVerb } from "../domain/rollout/actions.ts";
import { strategyOf } from "../domain/rollout/strategy.ts";
import { HELP, parseCommandLine, type Connection, type Resource } from "./args.ts";
import { candidates, completionScript, DEFAULT, lineNamespace, NO_FILES } from "./complete.ts";
import { Cluster, PLURALS, type KubeObject } from "./kube.ts";
import { renderMonitor, renderRolloutTree, type RolloutTreeInput, type ServingView } from "./render.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** A terminal: the watch view redraws the screen rather than printing one view after another. */
  tty: boolean;
}

class Refused extends Error {}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    io.err(`error: ${parsed.error}\nSee 'kubectl modelguardian --help'.\n`);
    return 2;
  }
  const { command, connection } = parsed;
  try {
    switch (command.kind) {
      case "help":
        io.out(HELP[command.text]);
        return 0;
      case "completion":
        io.out(completionScript(command.shell));
        return 0;
      case "complete":
        return await complete(command.words, io);
      case "report":
        return await report(new Cluster(connection), command.name, command.html, io);
      case "verb":
        return await verb(new Cluster(connection), command.verb, command.name, io);
      case "get":
        return command.watch
          ? await watch(new Cluster(connection), command.resource, command.name, io)
          : await getOnce(new Cluster(connection), command.resource, command.name, io);
    }
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

// ---------------------------------------------------------------- get

const notFound = (kind: string, cluster: Cluster, name: string) => new Refused(`${kind} "${name}" not found in namespace ${cluster.namespace}`);

async function getOnce(cluster: Cluster, resource: Resource, name: string, io: Io): Promise<number> {
  const obj = await cluster.get(PLURALS[resource], name);
  if (!obj) throw notFound(resource === "rollout" ? "ModelRollout" : "ModelMonitor", cluster, name);
  io.out(await view(cluster, resource, obj));
  return 0;
}

function view(cluster: Cluster, resource: Resource, obj: KubeObject): Promise<string> {
  return resource === "rollout" ? gatherRollout(cluster, obj).then(renderRolloutTree) : Promise.resolve(renderMonitor(monitorView(cluster, obj)));
}

/** A rollout with everything its tree shows: the strategy (from its monitor's policy) and the serving objects as read now. */
export async function gatherRollout(cluster: Cluster, obj: KubeObject): Promise<RolloutTreeInput> {
  const parsedSpec = modelRolloutSpecSchema.safeParse(obj.spec ?? {});
  const spec: ModelRolloutSpec = parsedSpec.success ? parsedSpec.data : ({ paused: false, ...(obj.spec ?? {}) } as ModelRolloutSpec);
  const parsedStatus = modelRolloutStatusSchema.safeParse(obj.status ?? {});
  const status: ModelRolloutStatus = parsedStatus.success ? parsedStatus.data : ((obj.status ?? {}) as ModelRolloutStatus);
  const monitorName = spec.monitorRef?.name;
  const monitor = monitorName ? await cluster.get(PLURALS.monitor, monitorName) : undefined;
  const monitorSpec = monitor ? modelMonitorSpecSchema.safeParse(monitor.spec ?? {}) : undefined;
  const policyName = monitorSpec?.success ? monitorSpec.data.policyRef?.name : undefined;
  const policy = policyName ? await cluster.get(PLURALS.policy, policyName) : undefined;
  const { strategy, problem } = strategyOf(policy);
  const strategySource = problem
    ? `the defaults: ${problem}`
    : policy
      ? `RetrainPolicy ${policyName}${(policy.spec as { rollout?: unknown } | undefined)?.rollout ? " (spec.rollout)" : " (no spec.rollout: the defaults)"}`
      : policyName
        ? `the defaults (RetrainPolicy ${policyName} not found)`
        : "the defaults (the monitor names no RetrainPolicy)";
  const servingSpec: ServingSpec | undefined = (monitorSpec?.success ? monitorSpec.data.serving : undefined) ?? status.serving;
  let serving: RolloutTreeInput["serving"];
  if (!monitor && !servingSpec) serving = { error: `ModelMonitor ${monitorName} not found in namespace ${cluster.namespace}` };
  else if (!servingSpec)
    serving = { error: `ModelMonitor ${monitorName} has no spec.serving${monitorSpec && !monitorSpec.success ? " (its spec is invalid)" : ""}` };
  else serving = await readServing(cluster, servingSpec, spec, status);
  const deleting = obj.metadata.deletionTimestamp !== undefined;
  return {
    name: obj.metadata.name,
    namespace: cluster.namespace,
    spec,
    status,
    annotations: obj.metadata.annotations ?? {},
    deleting,
    strategy,
    strategySource,
    serving,
  };
}

async function readServing(cluster: Cluster, serving: ServingSpec, spec: ModelRolloutSpec, status: ModelRolloutStatus): Promise<ServingView> {
  const r = serving.router;
  const router = r.gatewayAPI
    ? `HTTPRoute ${r.gatewayAPI.httpRoute.name}${r.gatewayAPI.ruleName ? ` (rule ${r.gatewayAPI.ruleName})` : ""}`
    : r.istio
      ? `VirtualService ${r.istio.virtualService.name}${r.istio.routeName ? ` (route ${r.istio.routeName})` : ""}`
      : `InferenceService ${r.kserve?.inferenceService.name}`;
  const base = { router, stableDeployment: serving.stable?.deployment.name, candidateDeployment: serving.candidate?.deployment.name };
  try {
    const live = await cluster
      .serving(cluster.namespace, serving)
      .read({ stable: status.stable ?? {}, candidate: spec.candidate, promoted: status.promotedTime !== undefined });
    return { ...base, live };
  } catch (err) {
    return { ...base, live: { error: (err as Error).message } };
  }
}

function monitorView(cluster: Cluster, obj: KubeObject) {
  return {
    name: obj.metadata.name,
    namespace: cluster.namespace,
    spec: (obj.spec ?? {}) as Parameters<typeof renderMonitor>[0]["spec"],
    status: (obj.status ?? {}) as Partial<ModelMonitorStatus>,
  };
}

/**
 * The view again at every change of the object, and every few seconds for what the object does
 * not say (a Deployment becoming ready, a weight changed by hand): printed only when it differs.
 */
async function watch(cluster: Cluster, resource: Resource, name: string, io: Io): Promise<number> {
  const kind = resource === "rollout" ? "ModelRollout" : "ModelMonitor";
  let latest = await cluster.get(PLURALS[resource], name);
  if (!latest) throw notFound(kind, cluster, name);
  let shown: string | undefined;
  let running = false;
  let again = false;
  const refresh = async () => {
    // one gather at a time; a change meanwhile is gathered once more after it
    if (running) return void (again = true);
    running = true;
    try {
      do {
        again = false;
        const text = latest ? await view(cluster, resource, latest) : `${kind} ${cluster.namespace}/${name} was deleted; waiting for it to come back\n`;
        if (text !== shown) {
          io.out(io.tty ? `\x1b[H\x1b[2J${text}` : shown === undefined ? text : `\n${text}`);
          shown = text;
        }
      } while (again);
    } catch (err) {
      io.err(`error: ${(err as Error).message}\n`);
    } finally {
      running = false;
    }
  };
  await refresh();
  cluster.watch(
    PLURALS[resource],
    name,
    (obj) => {
      latest = obj;
      void refresh();
    },
    (err) => io.err(`watch interrupted (${(err as Error).message ?? err}); watching again\n`),
  );
  setInterval(() => void refresh(), 5000);
  // runs until interrupted
  return new Promise<number>(() => {});
}

// ---------------------------------------------------------------- verbs

const CONFLICT_RETRIES = 5;

async function verb(cluster: Cluster, verb: RolloutVerb, name: string, io: Io): Promise<number> {
  for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
    const obj = await cluster.get(PLURALS.rollout, name);
    if (!obj) throw notFound("ModelRollout", cluster, name);
    const status = (obj.status ?? {}) as ModelRolloutStatus;
    const spec = (obj.spec ?? {}) as { paused?: boolean };
    // a fresh token per request: the operator acts on an annotation value it has not handled
    const plan = planVerb(
      verb,
      { spec: { paused: spec.paused === true }, status, annotations: obj.metadata.annotations ?? {} },
      randomBytes(4).toString("hex"),
    );
    const what = `ModelRollout ${cluster.namespace}/${name}`;
    if (plan.kind === "refuse") {
      io.err(`error: cannot ${verb} ${what} (${status.phase ?? "not started"}): ${plan.reason}\n`);
      return 1;
    }
    const body = {
      ...(plan.annotation ? { metadata: { annotations: { [plan.annotation.key]: plan.annotation.value } } } : {}),
      ...(plan.paused !== undefined ? { spec: { paused: plan.paused } } : {}),
    };
    // written only if the rollout is still as it was judged: otherwise read and judged again
    if ((await cluster.patch(PLURALS.rollout, name, obj.metadata.resourceVersion, body)) === "conflict") continue;
    const wrote = [plan.annotation ? `${plan.annotation.key}=${plan.annotation.value}` : "", plan.paused !== undefined ? `spec.paused=${plan.paused}` : ""]
      .filter(Boolean)
      .join(", ");
    io.out(`${what}: ${plan.note} (${wrote})\n`);
    return 0;
  }
  throw new Error(`ModelRollout ${cluster.namespace}/${name} kept changing while being written; try again`);
}

// ---------------------------------------------------------------- report

async function report(cluster: Cluster, name: string, html: boolean, io: Io): Promise<number> {
  const monitor = await cluster.get(PLURALS.monitor, name);
  if (!monitor) throw notFound("ModelMonitor", cluster, name);
  const configMap = (monitor.status as { report?: { configMap?: string } } | undefined)?.report?.configMap;
  if (!configMap)
    throw new Refused(`ModelMonitor ${cluster.namespace}/${name} has written no report yet (status.report.configMap is empty; reports need spec.report)`);
  const key = html ? HTML_REPORT_KEY : REPORT_KEY;
  const text = await cluster.configMapKey(configMap, key);
  if (text === undefined) throw new Refused(`ConfigMap ${cluster.namespace}/${configMap} (key ${key}) of ModelMonitor ${name} does not exist`);
  io.out(text.endsWith("\n") ? text : `${text}\n`);
  return 0;
}

// ---------------------------------------------------------------- completion

async function complete(words: readonly string[], io: Io): Promise<number> {
  const line = words.length ? words : [""];
  const current = line.at(-1) ?? "";
  const c = candidates(line);
  if ("names" in c && c.names === "files") {
    io.out(`${DEFAULT}\n`);
    return 0;
  }
  let offered: string[] = [];
  if ("words" in c) offered = c.words;
  else {
    // names come from the cluster: a line that cannot reach it completes nothing, quietly
    try {
      const connection: Connection = { namespace: lineNamespace(line), kubeconfig: flagValue(line, "--kubeconfig"), context: flagValue(line, "--context") };
      const cluster = new Cluster(connection);
      offered = c.names === "namespaces" ? await cluster.namespaces() : await cluster.names(c.names === "rollouts" ? PLURALS.rollout : PLURALS.monitor);
    } catch {
      offered = [];
    }
  }
  io.out([...offered.filter((w) => w.startsWith(current)), NO_FILES].join("\n") + "\n");
  return 0;
}

function flagValue(words: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === flag && i + 1 < words.length - 1) return words[i + 1];
    if (words[i]?.startsWith(`${flag}=`)) return words[i]?.slice(flag.length + 1);
  }
  return undefined;
}
