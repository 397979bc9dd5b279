// Wiring: configuration, logging, the adapters, one setup call per controller, the HTTP server
// (/metrics, /healthz, /readyz, /reports, /ui/), and leader election before the workers start.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { defencesOf, leaseOf, loadConfig, querySettingsOf, startupSummary } from "./config.ts";
import { durationMs } from "./domain/duration.ts";
import { setClockOffset, systemClock } from "./ports.ts";
import { operatorEventSink } from "./adapters/event-sinks.ts";
import { KubernetesClient } from "./adapters/kubernetes/client.ts";
import { createLogger } from "./adapters/logger.ts";
import { Limiter } from "./adapters/prometheus/client.ts";
import { createSourceResolver } from "./adapters/prometheus/resolver.ts";
import { OperatorMetrics } from "./adapters/telemetry.ts";
import { startHttpServer } from "./controller/http-server.ts";
import { leadWhenElected, roleOf, type LeaderElector } from "./controller/leader-elector.ts";
import { setupModelMonitor } from "./controller/modelmonitor-setup.ts";
import { setupModelRollout } from "./controller/modelrollout-setup.ts";
import { setupRetrainPolicy } from "./controller/retrainpolicy-setup.ts";
import { ControllerRunner } from "./controller/runner.ts";
import { DEFAULT_WORKERS, type SetupContext } from "./controller/setup.ts";
import { ControllerStores } from "./controller/stores.ts";

export async function run(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  setClockOffset(config.CLOCK_OFFSET);
  const log = createLogger(config.LOG_LEVEL);
  // a stray rejection (a dropped watch callback, a late socket error) is logged, never fatal:
  // every piece of state that matters is in the API server and the work queue retries
  process.on("unhandledRejection", (err) => log.error({ err: String((err as Error)?.stack ?? err) }, "unhandled rejection"));
  const [cluster, metrics, stores, clock] = [new KubernetesClient(), new OperatorMetrics(), new ControllerStores(), systemClock];
  const { events, notifier } = operatorEventSink(cluster.kc, { log, clock, telemetry: metrics, lookup: stores });
  // the metrics source of each monitor: the operator's Prometheus, or the monitor's own spec.source with its Secret
  const limiter = new Limiter(config.QUERY_CONCURRENCY);
  const resolveSource = createSourceResolver({ ...querySettingsOf(config), limiter, readSecret: (ns, n) => cluster.readSecretContents(ns, n) });
  const onError = () => metrics.reconcileError();
  const ctx: SetupContext = { log, clock, events, stores, cluster, telemetry: metrics, onError, resolveSource, ...defencesOf(config) };
  const setups = [
    setupModelMonitor(ctx, { workers: config.WORKERS, valuesMaxAgeMs: durationMs(config.STATUS_VALUES_MAX_AGE) }),
    setupModelRollout(ctx, { workers: DEFAULT_WORKERS.modelRollout }),
    setupRetrainPolicy(ctx, { workers: DEFAULT_WORKERS.retrainPolicy }),
  ];
  // the per-monitor gauges are read from the statuses this process holds, at each scrape
  metrics.monitorsFrom(() => stores.monitors?.values() ?? []);
  const runner = new ControllerRunner({ setups, log, watch: (r, on) => cluster.watch(r.resource, config.WATCH_NAMESPACES, on, log, r.labelSelector) });
  let elector: LeaderElector | undefined = undefined;
  const role = () => roleOf(elector, config.LEASE_NAME);
  const reports = stores.reportLookup(cluster.reports());
  const server = startHttpServer({ addr: config.METRICS_ADDR, metrics: metrics.registry, clock, reports, role, synced: () => runner.synced });
  log.info(startupSummary(config), "model-guardian started");
  await runner.waitForSync();
  // with leader election only the Lease holder reconciles; the others keep warm caches
  const lease = config.LEADER_ELECT ? leaseOf(config, `${config.POD_NAME ?? hostname()}_${randomUUID().slice(0, 8)}`) : undefined;
  const leading = { lead: () => (metrics.leading(true), runner.startWorkers()), lost: () => process.exit(1) };
  elector = leadWhenElected(lease && { port: cluster.lease(lease.namespace, lease.name), settings: lease.settings }, leading, clock, log);
  /** Answers whether every reconcile in flight finished within SHUTDOWN_GRACE. */
  const stop = async (): Promise<boolean> => {
    log.info("stopping");
    // in-flight reconciles finish (their status is written) before the Lease is released. Past the
    // grace the process exits still holding it: released while a reconcile may still write, it would
    // let a standby act beside that write; held, the standby takes over only once it expires.
    const { finished } = await runner.stopWorkers(durationMs(config.SHUTDOWN_GRACE));
    if (!finished) return false;
    await notifier.stop();
    await elector?.stop();
    metrics.leading(false);
    await runner.stopWatches();
    server.close();
    return true;
  };
  return { stop, controller: stores.monitors, policies: stores.policies, rollouts: stores.rollouts, jobs: stores.jobs, metrics };
}

if (import.meta.main) {
  try {
    const op = await run();
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void op.stop().then((finished) => process.exit(finished ? 0 : 1)));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
