// Nobody gets more through the operator than they already have, tested as an attacker would.
// A person who may create ModelMonitors but not read Secrets names a Secret of the namespace and
// a URL of their own (a local capture server): the operator must send them nothing of it, and
// say why in the monitor's status. Then a whole story (credentials, a webhook URL with a token,
// a Job, a report) at LOG_LEVEL=debug: no secret value may appear in any output.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, events, getJson, given, kubectlOk, PROMETHEUS_URL, retrainOnDrift, ROOT, useStage, waitFor } from "../stage/index.ts";

const CREDENTIALS_LABEL = "modelguardian.dev/metrics-credentials";
const ALLOWED_URLS = "modelguardian.dev/allowed-urls";
const secretValue = (what: string) => `${what}-${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`;

/** Every byte a request carried (request line, headers, body), kept raw. */
interface Captured {
  path: string;
  authorization: string | undefined;
  raw: string;
}

/**
 * A capture server: records every request; under /prom/<monitor> it answers as a Prometheus by
 * forwarding to the local one (so a monitor bound to it is evaluated for real; each monitor has
 * its own path, so a request can be told apart), under /hooks it accepts webhook deliveries.
 */
async function startCapture(): Promise<{ server: Server; url: string; seen: Captured[] }> {
  const seen: Captured[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n${req.rawHeaders.map((h, i) => (i % 2 === 0 ? `${h}: ` : `${h}\r\n`)).join("")}\r\n`;
      seen.push({ path: req.url ?? "", authorization: req.headers.authorization, raw: head + body });
      const prom = /^\/prom\/[^/]+(\/.*)$/.exec(req.url ?? "");
      if (prom) {
        const answer = await fetch(`${PROMETHEUS_URL}${prom[1]}`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
      } else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const model = `sec-${Date.now().toString(36)}`;
let capture: Awaited<ReturnType<typeof startCapture>>;
const logName = () => `${stage.ns}-security`;

const secret = (name: string, stringData: Record<string, string>, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: stage.ns, labels, annotations },
  stringData,
});
/** A monitor whose source is its own path on the capture server, with the named Secret's credentials. */
const monitor = (name: string, authSecret: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name, namespace: stage.ns },
  spec: {
    model: { name: model, version: "v1" },
    interval: "2s",
    window: "20s",
    minSamples: 50,
    source: { url: `${capture.url}/prom/${name}`, authSecretRef: { name: authSecret } },
    signals: [ACCURACY],
    rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
    ...extra,
  },
});
type Conditioned = {
  status?: { health?: string; lastEvaluationTime?: string; conditions?: { type: string; status: string; reason: string; message: string }[] };
};
const condition = async (name: string, type: string) =>
  (await getJson<Conditioned>("modelmonitor", name, stage.ns)).status?.conditions?.find((c) => c.type === type);

const stage = useStage(
  given("security")
    .withStep(async () => {
      capture = await startCapture();
      return () => new Promise<void>((r) => capture?.server.close(() => r()));
    })
    .withModel({ model, version: "v1", segments: { a: { requestsPerSecond: 40, accuracy: 0.93 } }, seed: 41 })
    // every status value written at once, so each evaluation shows
    .withOperator({ name: logName, env: { LOG_LEVEL: "debug", STATUS_VALUES_MAX_AGE: "0s" } }),
  120_000,
);

describe("credentials bound to their endpoint", () => {
  const elsewhereToken = secretValue("elsewhere");
  const unlabelledToken = secretValue("unlabelled");
  const boundToken = secretValue("bound");

  it("a Secret meant for another endpoint, or not opted in, sends not one byte of itself to the URL a monitor names", async () => {
    const prom = `${capture.url}/prom`;
    for (const o of [
      // a team's real credentials, for their real Prometheus
      secret("team-prometheus", { token: elsewhereToken }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: "https://prometheus.team.svc:9090" }),
      // credentials whose owner never opted in (even though the annotation names the capture URL)
      secret("legacy", { token: unlabelledToken }, {}, { [ALLOWED_URLS]: prom }),
      // the control: a Secret that does allow the capture server
      secret("bound", { token: boundToken }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: prom }),
      monitor("steal-elsewhere", "team-prometheus"),
      monitor("steal-legacy", "legacy"),
      monitor("bound", "bound"),
    ]) {
      const r = await apply(o);
      expect(r.code, r.stderr).toBe(0);
    }

    // the control proves the capture server sees what the operator sends
    await waitFor("the bound monitor's token at the capture server", async () => capture.seen.some((c) => c.authorization === `Bearer ${boundToken}`), 60_000);
    const refusedElsewhere = await waitFor(
      "steal-elsewhere refused",
      async () => {
        const c = await condition("steal-elsewhere", "MetricsAvailable");
        return c?.reason === "CredentialsNotAllowed" ? c : undefined;
      },
      60_000,
    );
    const refusedLegacy = await waitFor(
      "steal-legacy refused",
      async () => {
        const c = await condition("steal-legacy", "MetricsAvailable");
        return c?.reason === "CredentialsNotAllowed" ? c : undefined;
      },
      60_000,
    );
    expect(refusedElsewhere.status).toBe("False");
    expect(refusedElsewhere.message).toContain(
      `spec.source.authSecretRef: Secret ${stage.ns}/team-prometheus allows only https://prometheus.team.svc:9090/, not ${prom}/steal-elsewhere (spec.source.url)`,
    );
    expect(refusedElsewhere.message).toContain(`kubectl annotate secret team-prometheus -n ${stage.ns} ${ALLOWED_URLS}=${prom}/steal-elsewhere`);
    expect(refusedLegacy.message).toContain(`Secret ${stage.ns}/legacy is not labelled ${CREDENTIALS_LABEL}=true`);
    for (const name of ["steal-elsewhere", "steal-legacy"]) expect((await getJson<Conditioned>("modelmonitor", name, stage.ns)).status?.health).toBe("Unknown");

    // a few more evaluations of every monitor, then: nothing of either refused Secret arrived
    const evaluatedAt = async () => (await getJson<Conditioned>("modelmonitor", "steal-elsewhere", stage.ns)).status?.lastEvaluationTime;
    const first = await evaluatedAt();
    await waitFor(
      "two more evaluations",
      async () => {
        const t = await evaluatedAt();
        return t !== undefined && first !== undefined && Date.parse(t) >= Date.parse(first) + 4000;
      },
      60_000,
    );
    const everything = capture.seen.map((c) => c.raw).join("\n");
    for (const token of [elsewhereToken, unlabelledToken]) {
      expect(everything.includes(token)).toBe(false);
      expect(everything.includes(Buffer.from(token).toString("base64"))).toBe(false);
    }
    // not even a request without credentials: the refused monitors' queries were never sent
    expect(capture.seen.filter((c) => c.path.startsWith("/prom/steal-")).map((c) => c.path)).toEqual([]);
    expect(capture.seen.some((c) => c.path.startsWith("/prom/bound/"))).toBe(true);
    // the warning Event of the Unknown health carries the same explanation
    expect((await events(stage.ns, "steal-elsewhere")).find((e) => e.reason === "HealthUnknown")?.message).toContain("its credentials are not sent there");

    // the Secret's owner allows the URL: the monitor's next evaluations use it (a refused Secret is cached for 10 s)
    await kubectlOk(["label", "secret", "legacy", "-n", stage.ns, `${CREDENTIALS_LABEL}=true`]);
    await waitFor(
      "the legacy Secret's token, once its owner opted in",
      async () => capture.seen.some((c) => c.authorization === `Bearer ${unlabelledToken}`),
      60_000,
      500,
    );
  }, 300_000);
});

describe("a Secret created after its monitor", () => {
  it("is used within seconds, not at the monitor's next 30-minute interval; an evaluation can be asked for now", async () => {
    const token = secretValue("late");
    const r = await apply(monitor("late", "late-creds", { interval: "30m" }));
    expect(r.code, r.stderr).toBe(0);
    const missing = await waitFor(
      "SecretNotFound",
      async () => {
        const c = await condition("late", "MetricsAvailable");
        return c?.reason === "SecretNotFound" ? c : undefined;
      },
      60_000,
    );
    expect(missing.message).toContain(`spec.source.authSecretRef: Secret ${stage.ns}/late-creds does not exist`);
    const created = await apply(secret("late-creds", { token }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: `${capture.url}/prom` }));
    expect(created.code, created.stderr).toBe(0);
    await waitFor("the late Secret's token at the capture server", async () => capture.seen.some((c) => c.authorization === `Bearer ${token}`), 60_000, 500);
    const healthy = await waitFor(
      "late Healthy",
      async () => {
        const m = await getJson<Conditioned>("modelmonitor", "late", stage.ns);
        return m.status?.health === "Healthy" ? m : undefined;
      },
      60_000,
    );

    // healthy now: the next evaluation is 30 minutes away, unless a person asks for one
    const before = healthy.status?.lastEvaluationTime as string;
    await kubectlOk(["annotate", "modelmonitor", "late", "-n", stage.ns, "--overwrite", "modelguardian.dev/evaluate=check-1"]);
    const handled = await waitFor(
      "the asked-for evaluation",
      async () => {
        const m = await getJson<Conditioned & { status?: { evaluateToken?: string } }>("modelmonitor", "late", stage.ns);
        return m.status?.evaluateToken === "check-1" ? m : undefined;
      },
      60_000,
    );
    expect(Date.parse(handled.status?.lastEvaluationTime as string)).toBeGreaterThan(Date.parse(before));
  }, 180_000);
});

describe("a monitor's report names a ConfigMap", () => {
  it("that is not its own: the ConfigMap is left exactly as it was, and the refusal is an Event naming the field", async () => {
    await kubectlOk(["create", "configmap", "app-settings", "-n", stage.ns, "--from-literal=settings.yaml=replicas: 3"]);
    const before = JSON.parse(await kubectlOk(["get", "configmap", "app-settings", "-n", stage.ns, "-o", "json"])) as { metadata: { resourceVersion: string } };
    for (const o of [
      secret("report-creds", { token: secretValue("t") }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: `${capture.url}/prom` }),
      monitor("takeover", "report-creds", { report: { every: "1h", configMapName: "app-settings" } }),
    ]) {
      const r = await apply(o);
      expect(r.code, r.stderr).toBe(0);
    }
    const refused = await waitFor(
      "ReportFailed on the monitor",
      async () => (await events(stage.ns, "takeover")).find((e) => e.reason === "ReportFailed"),
      60_000,
    );
    expect(refused.message).toContain("spec.report.configMapName: ConfigMap app-settings exists and is not the report of ModelMonitor takeover");
    const after = JSON.parse(await kubectlOk(["get", "configmap", "app-settings", "-n", stage.ns, "-o", "json"])) as {
      metadata: { resourceVersion: string; ownerReferences?: unknown[] };
      data: Record<string, string>;
    };
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.ownerReferences).toBeUndefined();
    expect(Object.keys(after.data)).toEqual(["settings.yaml"]);
  }, 120_000);
});

describe("no secret in any output", () => {
  it("a whole story at debug level: a finding, a Job, notifications and a report, and no secret value in logs, Events, statuses, metrics or reports", async () => {
    const metricsToken = secretValue("metrics-token");
    const password = secretValue("password");
    const hookToken = secretValue("hook");
    const prom = `${capture.url}/prom`;
    for (const o of [
      secret("story-token", { token: metricsToken }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: prom }),
      secret("story-basic", { username: "reader", password }, { [CREDENTIALS_LABEL]: "true" }, { [ALLOWED_URLS]: prom }),
      secret("story-hooks", { url: `${capture.url}/hooks/${hookToken}`, token: metricsToken }),
      retrainOnDrift(stage.ns, "story", {
        spec: {
          notifications: [
            { name: "hook", format: "json", urlSecretRef: { name: "story-hooks", key: "url" } },
            // a person naming a credential's key as a webhook URL: it is not a URL, so it goes nowhere and is not echoed
            { name: "misused", format: "json", urlSecretRef: { name: "story-hooks", key: "token" }, topics: ["Jobs"] },
          ],
        },
      }),
      monitor("story", "story-token", { policyRef: { name: "story" }, report: { every: "1h" } }),
      monitor("story-basic", "story-basic"),
    ]) {
      const r = await apply(o);
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor("story Healthy", async () => (await getJson<Conditioned>("modelmonitor", "story", stage.ns)).status?.health === "Healthy", 60_000);
    await waitFor(
      "story-basic Healthy",
      async () => (await getJson<Conditioned>("modelmonitor", "story-basic", stage.ns)).status?.health === "Healthy",
      60_000,
    );
    stage.sim.setBehaviour({ accuracy: 0.55 }, "a");
    await waitFor(
      "the Job's outcome delivered to the webhook",
      async () => capture.seen.some((c) => c.path.startsWith("/hooks/") && c.raw.includes("CandidateRecorded")),
      120_000,
      500,
    );
    await waitFor(
      "the misused webhook's failure on the policy",
      async () => (await events(stage.ns, "story")).some((e) => e.reason === "NotificationFailed"),
      60_000,
    );
    const report = await kubectlOk(["get", "configmap", "story-report", "-n", stage.ns, "-o", "json"]);
    expect(report).toContain("# Model report: ");

    const outputs: Record<string, string> = {
      log: await readFile(join(ROOT, `.local/logs/operator-${logName()}.log`), "utf8"),
      events: await kubectlOk(["get", "events", "-n", stage.ns, "-o", "json"]),
      statuses: await kubectlOk(["get", "modelmonitors,retrainpolicies,modelrollouts,jobs", "-n", stage.ns, "-o", "json"]),
      metrics: await (await fetch(stage.operator.metricsUrl)).text(),
      reports: report,
    };
    // the outputs are real: the story shows in each
    expect(outputs.log).toContain('"level":20'); // debug lines
    expect(outputs.events).toContain("RetrainTriggered");
    expect(outputs.statuses).toContain('"version": "v2"');
    expect(outputs.metrics).toContain("modelguardian_notifications_total");
    const secrets = {
      metricsToken,
      password,
      hookToken,
      hookUrl: `${capture.url}/hooks/${hookToken}`,
      basic: Buffer.from(`reader:${password}`).toString("base64"),
    };
    const hits = Object.entries(outputs).flatMap(([where, text]) =>
      Object.entries(secrets)
        .filter(([, value]) => text.includes(value))
        .map(([what]) => `${what} in ${where}`),
    );
    expect(hits).toEqual([]);
    // the credentials did go where their Secrets allow: the test could have failed
    expect(capture.seen.some((c) => c.authorization === `Bearer ${metricsToken}`)).toBe(true);
    expect(capture.seen.some((c) => c.authorization === `Basic ${secrets.basic}`)).toBe(true);
    // and the token named as a webhook URL went nowhere
    expect(capture.seen.filter((c) => c.path.startsWith("/hooks/")).every((c) => !c.raw.includes(metricsToken))).toBe(true);
  }, 300_000);
});
