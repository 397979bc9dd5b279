// Wiring: configuration, logging, Kubernetes and Prometheus adapters, the controller, and an
// HTTP server for /metrics, /healthz and /readyz.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { hostname } from "node:os";
import { GROUP, VERSION } from "./api/v1alpha1/common.ts";
import { MODEL_MONITOR, type RemediationStatus } from "./api/v1alpha1/modelmonitor.ts";
import { RETRAIN_POLICY } from "./api/v1alpha1/retrainpolicy.ts";
import { policyViewOf } from "./domain/remediation/policy.ts";
import { Index, JobCache } from "./controller/jobcache.ts";
import { RetrainPolicyReconciler } from "./controller/retrainpolicy.ts";
import { retrainPolicyWatch } from "./controller/retrainpolicy-watches.ts";
import { loadConfig } from "./config.ts";
import { durationMs } from "./domain/duration.ts";
import { Controller } from "./controller/manager.ts";
import { ModelMonitorReconciler } from "./controller/modelmonitor.ts";
import { jobWatch, modelMonitorWatch } from "./controller/modelmonitor-watches.ts";
import { LeaderElector } from "./controller/leader.ts";
import { CONTROLLER } from "./controller/names.ts";
import type { KubeObject } from "./controller/reconciler.ts";
import { WatchRouter, type WatchRegistration } from "./controller/watches.ts";
import {
  COMPONENT,
  KubernetesCreator,
  KubernetesEventSink,
  KubernetesFinalizers,
  KubernetesJobs,
  KubernetesStatusWriter,
  loadKubeConfig,
  readSecret,
  readSecretContents,
  watchResource,
} from "./adapters/kubernetes/client.ts";
import { KubernetesWorkloads } from "./adapters/kubernetes/deployments.ts";
import { servingFactory } from "./adapters/routers/index.ts";
import { MODEL_ROLLOUT } from "./api/v1alpha1/rollout.ts";
import { ModelRolloutReconciler } from "./controller/modelrollout.ts";
import { modelRolloutWatch, rolloutsOfMonitor } from "./controller/modelrollout-watches.ts";
import { KubernetesLease } from "./adapters/kubernetes/lease.ts";
import { Limiter } from "./adapters/prometheus/client.ts";
import { createSourceResolver } from "./adapters/prometheus/resolver.ts";
import { OperatorMetrics } from "./adapters/telemetry.ts";
import { NotifyingEventSink, WebhookNotifier } from "./adapters/notifications/webhook.ts";
import { LoggingEventSink } from "./adapters/logging-events.ts";
import { createLogger } from "./adapters/logger.ts";
import { notificationRoute } from "./domain/notifications.ts";
import { KubernetesReports } from "./adapters/kubernetes/reports.ts";
import { reportResponse, webViewResponse, type ReportAnswer } from "./controller/reports.ts";
import { setClockOffset, systemClock } from "./ports.ts";

export async function run(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  setClockOffset(config.CLOCK_OFFSET);
  const log = createLogger(config.LOG_LEVEL);
  // a stray rejection (a dropped watch callback, a late socket error) is logged, never fatal:
  // every piece of state that matters is in the API server and the work queue retries
  process.on("unhandledRejection", (err) => log.error({ err: String((err as Error)?.stack ?? err) }, "unhandled rejection"));
  const kc = loadKubeConfig();
  const metrics = new OperatorMetrics();
  const monitorType = { group: GROUP, version: VERSION, plural: MODEL_MONITOR.plural };
  const policyType = { group: GROUP, version: VERSION, plural: RETRAIN_POLICY.plural };
  const rolloutType = { group: GROUP, version: VERSION, plural: MODEL_ROLLOUT.plural };
  const resolveSource = createSourceResolver({
    defaultUrl: config.PROMETHEUS_URL,
    defaultTimeoutMs: durationMs(config.QUERY_TIMEOUT),
    retries: config.QUERY_RETRIES,
    limiter: new Limiter(config.QUERY_CONCURRENCY),
    perSourceConcurrency: config.QUERY_CONCURRENCY_PER_SOURCE,
    readSecret: (ns, name) => readSecretContents(kc, ns, name),
  });
  const jobsApi = new KubernetesJobs(kc);
  const reports = new KubernetesReports(kc);
  // caches the watches keep: which monitors name which policy, and the operator's Jobs
  const members = new Index();
  const jobCache = new JobCache();
  const rolloutsByMonitor = new Index();
  const rolloutManager = `${COMPONENT}-${CONTROLLER.modelRollout}`;
  const onError = () => metrics.reconcileError();
  // every Event recorded is also offered to the webhooks of the policy it concerns
  const notifier = new WebhookNotifier({
    route: (ref) =>
      notificationRoute(ref, {
        monitor: (namespace, name) => monitors.get(`${namespace}/${name}`),
        rollout: (namespace, name) => rollouts.get(`${namespace}/${name}`),
        policy: (namespace, name) => policies.get(`${namespace}/${name}`),
      }),
    readSecret: (ns, name) => readSecret(kc, ns, name),
    events: new LoggingEventSink(new KubernetesEventSink(kc, log), log, systemClock),
    clock: systemClock,
    log,
    telemetry: metrics,
  });
  // every Event is a log line too: the operator's log tells what it decided (domain/log-lines.ts)
  const events = new NotifyingEventSink(new LoggingEventSink(new KubernetesEventSink(kc, log), log, systemClock), notifier);
  // the optional defences (docs/security.md): both controllers of retraining apply the same limits
  const jobLimits = { serviceAccounts: config.JOB_ALLOWED_SERVICE_ACCOUNTS, images: config.JOB_ALLOWED_IMAGES };

  // each controller reads the others' objects from their stores: declared first, filled by the watches
  const monitorReconciler = new ModelMonitorReconciler({
    resolveSource,
    valuesMaxAgeMs: durationMs(config.STATUS_VALUES_MAX_AGE),
    status: new KubernetesStatusWriter(kc, monitorType, `${COMPONENT}-${CONTROLLER.modelMonitor}`),
    events,
    clock: systemClock,
    log,
    telemetry: metrics,
    reports,
    remediation: {
      policy: (namespace, name) => policyViewOf(name, policies.get(`${namespace}/${name}`)),
      jobsOf: (namespace, uid) => jobCache.ofMonitor(namespace, uid),
      jobs: jobsApi,
      jobLimits,
    },
    rollouts: {
      rolloutsOf: (namespace, monitor) =>
        rolloutsByMonitor
          .of(`${namespace}/${monitor}`)
          .map((key) => rollouts.get(key))
          .filter((r): r is KubeObject => r !== undefined),
      rolloutEnabled: (namespace, name) => (policies.get(`${namespace}/${name}`)?.spec as { rollout?: unknown } | undefined)?.rollout !== undefined,
      rolloutSteps: (namespace, name) => {
        const steps = (policies.get(`${namespace}/${name}`)?.spec as { rollout?: { steps?: { weight?: unknown }[] } } | undefined)?.rollout?.steps;
        return Array.isArray(steps) ? steps.flatMap((s) => (typeof s?.weight === "number" ? [s.weight] : [])) : undefined;
      },
      create: (manifest) => rolloutCreator.create(manifest),
    },
  });
  const monitors: Controller = new Controller({ workers: config.WORKERS, log, onError, reconciler: monitorReconciler });
  // the per-monitor gauges are read from the statuses this process holds, at each scrape
  metrics.monitorsFrom(() => monitors.values());
  const rolloutCreator = new KubernetesCreator(kc, rolloutType);
  const rollouts: Controller = new Controller({
    workers: 4,
    log,
    onError,
    reconciler: new ModelRolloutReconciler({
      monitor: (namespace, name) => monitors.get(`${namespace}/${name}`),
      policy: (namespace, name) => policies.get(`${namespace}/${name}`),
      serving: servingFactory(kc, rolloutManager, new KubernetesWorkloads(kc, rolloutManager, config.REQUIRE_TARGET_OPT_IN), config.REQUIRE_TARGET_OPT_IN),
      requireTargetOptIn: config.REQUIRE_TARGET_OPT_IN,
      resolveSource,
      status: new KubernetesStatusWriter(kc, rolloutType, rolloutManager),
      finalizers: new KubernetesFinalizers(kc, rolloutType),
      events,
      clock: systemClock,
      log,
      telemetry: metrics,
    }),
  });
  const policies: Controller = new Controller({
    workers: 2,
    log,
    onError,
    reconciler: new RetrainPolicyReconciler({
      status: new KubernetesStatusWriter(kc, policyType, `${COMPONENT}-${CONTROLLER.retrainPolicy}`),
      events,
      clock: systemClock,
      jobs: jobsApi,
      jobLimits,
      log,
      monitorsOf: (namespace, policy) =>
        members
          .of(`${namespace}/${policy}`)
          .map((key) => monitors.get(key))
          .filter((m): m is KubeObject => m !== undefined)
          .map((m) => ({ name: m.metadata.name, remediation: (m.status as { remediation?: RemediationStatus } | undefined)?.remediation })),
      jobsOf: (namespace, policy) => jobCache.ofPolicy(namespace, policy),
    }),
  });

  // watches are data: each registration lives next to its controller, with its tested mapping
  const registrations: WatchRegistration[] = [
    modelMonitorWatch({
      monitors,
      members,
      forget: (namespace, name) => monitorReconciler.forget(namespace, name),
      dependents: rolloutsOfMonitor(rolloutsByMonitor),
    }),
    modelRolloutWatch({ rollouts, byMonitor: rolloutsByMonitor, forget: (namespace, name) => metrics.forgetRollout(namespace, name) }),
    jobWatch({ jobs: jobCache }),
    retrainPolicyWatch({ policies, monitorsOf: (policyKey) => members.of(policyKey) }),
  ];
  const router = new WatchRouter({ [CONTROLLER.modelMonitor]: monitors, [CONTROLLER.retrainPolicy]: policies, [CONTROLLER.modelRollout]: rollouts }, log);
  // a watch back after an outage means the API server is back: what failed meanwhile is retried now
  const retryFailed = () => {
    const n = [monitors, policies, rollouts].reduce((sum, c) => sum + c.retryFailedNow(), 0);
    if (n) log.info({ keys: n }, "retrying what failed while the API server was away");
  };
  const watches = registrations.map((r) =>
    watchResource(kc, r.resource, config.WATCH_NAMESPACES, { ...router.handlers(r), resumed: retryFailed }, log, r.labelSelector),
  );
  let synced = false;
  // whether this replica reconciles, for /healthz and /readyz (elector is set below, before any request matters)
  let elector: LeaderElector | undefined = undefined;
  const role = () =>
    elector === undefined
      ? "leading (leader election off)"
      : elector.isLeader
        ? `leading (Lease ${config.LEASE_NAME})`
        : `standby (Lease ${config.LEASE_NAME} held by ${elector.holder ?? "nobody yet"})`;
  const [host, port] = config.METRICS_ADDR.split(":") as [string, string];
  const server = createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url !== undefined && (req.url.startsWith("/reports") || /^\/ui(\/|\?|$)/.test(req.url))) {
      // any replica answers from its cache and the ConfigMap: a follower serves reports too
      const lookup = {
        monitor: (key: string) => monitors.get(key),
        list: () => [...monitors.values()],
        read: (ns: string, name: string, key: string) => reports.read(ns, name, key),
      };
      const url = req.url;
      const answer = await (url.startsWith("/ui") ? webViewResponse(req.method, url, lookup, systemClock.now()) : reportResponse(url, lookup)).catch(
        (err: Error): ReportAnswer => ({ status: 502, type: "text/plain", body: `${err.message}\n` }),
      );
      res.writeHead(answer.status, { "Content-Type": `${answer.type}; charset=utf-8`, ...answer.headers }).end(req.method === "HEAD" ? undefined : answer.body);
    } else if (req.url === "/healthz") res.end(`ok: ${role()}\n`);
    else if (req.url === "/readyz") {
      // a follower is ready too: it serves /metrics and /reports, and takes over with warm caches
      if (synced) res.end(`ok: ${role()}\n`);
      else res.writeHead(503).end(`caches not synced yet: ${role()}\n`);
    } else res.writeHead(404).end();
  });
  server.listen(Number(port), host);
  log.info(
    {
      prometheus: config.PROMETHEUS_URL,
      namespaces: config.WATCH_NAMESPACES,
      workers: config.WORKERS,
      metrics: config.METRICS_ADDR,
      jobAllowedServiceAccounts: config.JOB_ALLOWED_SERVICE_ACCOUNTS ?? "any",
      jobAllowedImages: config.JOB_ALLOWED_IMAGES ?? "any",
      requireTargetOptIn: config.REQUIRE_TARGET_OPT_IN,
    },
    "model-guardian started",
  );

  // decisions need complete caches: a policy not yet listed would look deleted, a Job not yet
  // listed would look never created
  await Promise.all(watches.map((w) => w.synced));
  synced = true;
  const startWorkers = () => {
    monitors.start();
    policies.start();
    rollouts.start();
  };
  // with leader election only the Lease holder reconciles; the others keep warm caches
  elector = config.LEADER_ELECT
    ? new LeaderElector(
        new KubernetesLease(kc, config.LEASE_NAMESPACE ?? config.POD_NAMESPACE ?? "default", config.LEASE_NAME),
        {
          identity: `${config.POD_NAME ?? hostname()}_${randomUUID().slice(0, 8)}`,
          durationMs: durationMs(config.LEASE_DURATION),
          renewDeadlineMs: durationMs(config.LEASE_RENEW_DEADLINE),
          retryMs: durationMs(config.LEASE_RETRY_PERIOD),
        },
        {
          onStartedLeading: () => {
            metrics.leading(true);
            startWorkers();
          },
          // another replica may take over any moment: stop at once, and let the restart start clean
          onStoppedLeading: () => process.exit(1),
        },
        systemClock,
        log,
      )
    : undefined;
  if (elector) elector.start();
  else {
    metrics.leading(true);
    startWorkers();
  }

  const stop = async () => {
    log.info("stopping");
    // in-flight reconciles finish (their status is written) before the Lease is released
    await monitors.stop();
    await policies.stop();
    await rollouts.stop();
    await notifier.stop();
    await elector?.stop();
    metrics.leading(false);
    await Promise.all(watches.map((w) => w.stop()));
    server.close();
  };
  return { stop, controller: monitors, policies, rollouts, jobs: jobCache, metrics };
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
