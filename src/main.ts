// Wiring: configuration, logging, Kubernetes and Prometheus adapters, the controller, and an
// HTTP server for /metrics, /healthz and /readyz.
import { createServer } from "node:http";
import { isDeepStrictEqual } from "node:util";
import { pino } from "pino";
import { GROUP, VERSION } from "./api/v1alpha1/common.ts";
import { MODEL_MONITOR, type RemediationStatus } from "./api/v1alpha1/modelmonitor.ts";
import { RETRAIN_POLICY } from "./api/v1alpha1/retrainpolicy.ts";
import { LABEL, MANAGED_BY } from "./domain/remediation/job.ts";
import { Index, JobCache } from "./controller/jobcache.ts";
import { RetrainPolicyReconciler, policyViewOf } from "./controller/retrainpolicy.ts";
import { loadConfig } from "./config.ts";
import { durationMs } from "./domain/duration.ts";
import { Controller } from "./controller/manager.ts";
import { ModelMonitorReconciler, type ModelMonitorObject } from "./controller/modelmonitor.ts";
import { KubernetesEventSink, KubernetesJobs, KubernetesStatusWriter, loadKubeConfig, readSecret, watchResource } from "./adapters/kubernetes/client.ts";
import { Limiter } from "./adapters/prometheus/client.ts";
import { createSourceResolver } from "./adapters/prometheus/resolver.ts";
import { OperatorMetrics } from "./adapters/telemetry.ts";
import { systemClock } from "./ports.ts";

const POLICY_COALESCE_MS = 1000;

const policyRefOf = (o: ModelMonitorObject): string | undefined => (o.spec as { policyRef?: { name?: string } } | undefined)?.policyRef?.name;
const readyOf = (o: ModelMonitorObject) => (o.status as { conditions?: { type: string }[] } | undefined)?.conditions?.find((c) => c.type === "Ready");

export async function run(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const log = pino({ level: config.LOG_LEVEL, base: { component: "model-guardian" } });
  // a stray rejection (a dropped watch callback, a late socket error) is logged, never fatal:
  // every piece of state that matters is in the API server and the work queue retries
  process.on("unhandledRejection", (err) => log.error({ err: String((err as Error)?.stack ?? err) }, "unhandled rejection"));
  const kc = loadKubeConfig();
  const metrics = new OperatorMetrics();
  const type = { group: GROUP, version: VERSION, plural: MODEL_MONITOR.plural };
  const resolveSource = createSourceResolver({
    defaultUrl: config.PROMETHEUS_URL,
    defaultTimeoutMs: durationMs(config.QUERY_TIMEOUT),
    retries: config.QUERY_RETRIES,
    limiter: new Limiter(config.QUERY_CONCURRENCY),
    readSecret: (ns, name) => readSecret(kc, ns, name),
  });
  const jobsApi = new KubernetesJobs(kc);
  // which monitors name which policy: a policy's reconcile visits only its own monitors
  const members = new Index();
  const jobCache = new JobCache();
  let policies: Controller<ModelMonitorObject> | undefined = undefined;
  const reconciler = new ModelMonitorReconciler({
    resolveSource,
    status: new KubernetesStatusWriter(kc, type),
    events: new KubernetesEventSink(kc, log),
    clock: systemClock,
    log,
    telemetry: metrics,
    remediation: {
      policy: (namespace, name) => policyViewOf(name, policies?.get(`${namespace}/${name}`)),
      jobsOf: (namespace, uid) => jobCache.ofMonitor(namespace, uid),
      jobs: jobsApi,
    },
  });
  const controller = new Controller<ModelMonitorObject>({ reconciler, workers: config.WORKERS, log, onError: () => metrics.reconcileError() });
  const policyType = { group: GROUP, version: VERSION, plural: RETRAIN_POLICY.plural };
  const policyReconciler = new RetrainPolicyReconciler({
    status: new KubernetesStatusWriter(kc, policyType),
    events: new KubernetesEventSink(kc, log),
    clock: systemClock,
    jobs: jobsApi,
    log,
    monitorsOf: (namespace, policy) =>
      members
        .of(`${namespace}/${policy}`)
        .map((key) => controller.get(key))
        .filter((m): m is ModelMonitorObject => m !== undefined)
        .map((m) => ({ name: m.metadata.name, remediation: (m.status as { remediation?: RemediationStatus } | undefined)?.remediation })),
    jobsOf: (namespace, policy) => jobCache.ofPolicy(namespace, policy),
  });
  policies = new Controller<ModelMonitorObject>({ reconciler: policyReconciler, workers: 2, log, onError: () => metrics.reconcileError() });
  const policyController = policies;
  // a policy's summary follows its monitors and Jobs; a short delay coalesces bursts of changes
  const touchPolicy = (namespace: string, name: string | undefined) => {
    if (name) policyController.queue.addAfter(`${namespace}/${name}`, POLICY_COALESCE_MS);
  };

  const watches = [
    watchResource(
      kc,
      type,
      config.WATCH_NAMESPACES,
      {
        upsert: (o) => {
          const m = o as ModelMonitorObject;
          const before = controller.get(Controller.keyOf(m));
          controller.upsert(m);
          members.set(Controller.keyOf(m), policyRefOf(m) ? `${m.metadata.namespace}/${policyRefOf(m)}` : undefined);
          touchPolicy(m.metadata.namespace, policyRefOf(m));
          if (before && policyRefOf(before) !== policyRefOf(m)) touchPolicy(m.metadata.namespace, policyRefOf(before));
        },
        remove: (o) => {
          const m = o as ModelMonitorObject;
          controller.remove(m);
          members.set(Controller.keyOf(m), undefined);
          metrics.forgetMonitor(m.metadata.namespace, m.metadata.name);
          touchPolicy(m.metadata.namespace, policyRefOf(m));
        },
      },
      log,
    ),
    watchResource(
      kc,
      policyType,
      config.WATCH_NAMESPACES,
      {
        upsert: (o) => {
          const p = o as ModelMonitorObject;
          const before = policyController.get(Controller.keyOf(p));
          policyController.upsert(p);
          // monitors act on the policy's spec and on its verdict about the Job templates
          if (before && isDeepStrictEqual(before.spec, p.spec) && isDeepStrictEqual(readyOf(before), readyOf(p))) return;
          for (const key of members.of(Controller.keyOf(p))) controller.queue.add(key);
        },
        remove: (o) => {
          const p = o as ModelMonitorObject;
          policyController.remove(p);
          for (const key of members.of(Controller.keyOf(p))) controller.queue.add(key);
        },
      },
      log,
    ),
    watchResource(
      kc,
      { group: "batch", version: "v1", plural: "jobs" },
      config.WATCH_NAMESPACES,
      {
        upsert: (o) => {
          const view = jobCache.upsert(o.metadata?.namespace ?? "", o);
          if (!view) return;
          controller.queue.add(`${o.metadata?.namespace}/${view.monitor}`);
          touchPolicy(o.metadata?.namespace ?? "", view.policy);
        },
        remove: (o) => {
          const view = jobCache.remove(o.metadata?.namespace ?? "", o.metadata?.name ?? "");
          if (!view) return;
          controller.queue.add(`${o.metadata?.namespace}/${view.monitor}`);
          touchPolicy(o.metadata?.namespace ?? "", view.policy);
        },
      },
      log,
      `${LABEL.managedBy}=${MANAGED_BY}`,
    ),
  ];
  let synced = false;
  const [host, port] = config.METRICS_ADDR.split(":") as [string, string];
  const server = createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === "/healthz") res.end("ok");
    else if (req.url === "/readyz") {
      if (synced) res.end("ok");
      else res.writeHead(503).end("caches not synced yet");
    }
    else res.writeHead(404).end();
  });
  server.listen(Number(port), host);
  log.info({ prometheus: config.PROMETHEUS_URL, namespaces: config.WATCH_NAMESPACES, workers: config.WORKERS, metrics: config.METRICS_ADDR }, "model-guardian started");

  // decisions need complete caches: a policy not yet listed would look deleted, a Job not yet
  // listed would look never created
  await Promise.all(watches.map((w) => w.synced));
  synced = true;
  controller.start();
  policyController.start();

  const stop = async () => {
    log.info("stopping");
    await Promise.all(watches.map((w) => w.stop()));
    await controller.stop();
    await policyController.stop();
    server.close();
  };
  return { stop, controller, policies: policyController, jobs: jobCache, metrics };
}

if (import.meta.main) {
  try {
    const op = await run();
    for (const sig of ["SIGINT", "SIGTERM"] as const)
      process.once(sig, () => {
        void op.stop().then(() => process.exit(0));
      });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
