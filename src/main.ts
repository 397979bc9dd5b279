// Wiring: configuration, logging, Kubernetes and Prometheus adapters, the controller, and an
// HTTP server for /metrics, /healthz and /readyz.
import { createServer } from "node:http";
import { pino } from "pino";
import { GROUP, VERSION } from "./api/v1alpha1/common.ts";
import { MODEL_MONITOR } from "./api/v1alpha1/modelmonitor.ts";
import { loadConfig } from "./config.ts";
import { durationMs } from "./domain/duration.ts";
import { Controller } from "./controller/manager.ts";
import { ModelMonitorReconciler, type ModelMonitorObject } from "./controller/modelmonitor.ts";
import { KubernetesEventSink, KubernetesStatusWriter, loadKubeConfig, readSecret, watchResource } from "./adapters/kubernetes/client.ts";
import { Limiter } from "./adapters/prometheus/client.ts";
import { createSourceResolver } from "./adapters/prometheus/resolver.ts";
import { OperatorMetrics } from "./adapters/telemetry.ts";
import { systemClock } from "./ports.ts";

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
  const reconciler = new ModelMonitorReconciler({
    resolveSource,
    status: new KubernetesStatusWriter(kc, type),
    events: new KubernetesEventSink(kc, log),
    clock: systemClock,
    log,
    telemetry: metrics,
  });
  const controller = new Controller<ModelMonitorObject>({ reconciler, workers: config.WORKERS, log, onError: () => metrics.reconcileError() });
  const watch = watchResource(
    kc,
    type,
    config.WATCH_NAMESPACES,
    {
      upsert: (o) => controller.upsert(o as ModelMonitorObject),
      remove: (o) => {
        const m = o as ModelMonitorObject;
        controller.remove(m);
        metrics.forget(m.metadata.namespace, m.metadata.name);
      },
    },
    log,
  );
  controller.start();

  const [host, port] = config.METRICS_ADDR.split(":") as [string, string];
  const server = createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === "/healthz" || req.url === "/readyz") res.end("ok");
    else res.writeHead(404).end();
  });
  server.listen(Number(port), host);
  log.info({ prometheus: config.PROMETHEUS_URL, namespaces: config.WATCH_NAMESPACES, workers: config.WORKERS, metrics: config.METRICS_ADDR }, "model-guardian started");

  const stop = async () => {
    log.info("stopping");
    await watch.stop();
    await controller.stop();
    server.close();
  };
  return { stop, controller, metrics };
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
