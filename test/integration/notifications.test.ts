// Notification webhooks end to end: the operator (a real process) finds a simulated model's
// accuracy drop through the real Prometheus, starts a retraining Job that kwok's node runs, and
// tells a local HTTP receiver of each step: the findings, the Job and its outcome. The receiver
// refuses its first requests, so deliveries are retried; the webhook URL's token never appears
// in the operator's log or in an Event.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apply, events, getJson, given, modelMonitor, retrainOnDrift, ROOT, useStage, waitFor, watching } from "../stage/index.ts";

interface Delivery {
  path: string;
  key: string;
  body: Record<string, unknown>;
}
const model = `notify-${Date.now().toString(36)}`;
const TOKEN = `t0ken-${Math.random().toString(36).slice(2, 10)}`;
let receiver: Server;
let port: number;
const deliveries: Delivery[] = [];
// the JSON webhook is down for its first requests: 503, then 429 with Retry-After
const refusals = [503, 503, 429];

/** The webhook receiver the monitors notify: records each delivery, refuses as `refusals` says. */
const startReceiver = async () => {
  receiver = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      const path = req.url ?? "";
      const refuse = path.startsWith("/json") ? refusals.shift() : undefined;
      deliveries.push({ path, key: String(req.headers["idempotency-key"]), body: refuse ? {} : (JSON.parse(data) as Record<string, unknown>) });
      if (refuse) res.writeHead(refuse, refuse === 429 ? { "retry-after": "1" } : {}).end();
      else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  port = (receiver.address() as AddressInfo).port;
  return () => new Promise<void>((r) => receiver.close(() => r()));
};
const stage = useStage(
  given("notify")
    .withStep(startReceiver)
    .withModel({ model, version: "v1", segments: { a: { requestsPerSecond: 40, accuracy: 0.93 } }, seed: 31 })
    .withOperator(),
  120_000,
);

/** The requests a webhook answered 200: JSON notices carry a reason, Slack messages a text. */
const accepted = (path: string) => deliveries.filter((d) => d.path.startsWith(path) && (d.body.reason !== undefined || "text" in d.body));

describe("notification webhooks", () => {
  it("tell a receiver of the findings, the Job and its outcome, retrying a refusing receiver, never logging the URL", async () => {
    for (const o of [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "hooks", namespace: stage.ns },
        stringData: { json: `http://127.0.0.1:${port}/json/${TOKEN}`, slack: `http://127.0.0.1:${port}/slack/services/${TOKEN}` },
      },
      retrainOnDrift(stage.ns, "p", {
        spec: {
          notifications: [
            { name: "audit", format: "json", urlSecretRef: { name: "hooks", key: "json" } },
            { name: "chat", format: "slack", urlSecretRef: { name: "hooks", key: "slack" }, topics: ["Findings"], minSeverity: "critical" },
            { name: "misconfigured", urlSecretRef: { name: "hooks", key: "pagerduty" }, topics: ["Jobs"] },
          ],
        },
      }),
      modelMonitor(stage.ns, "m", {
        ...watching(model, "2s", "20s", 50),
        rules: [{ signal: "accuracy", min: { critical: 0.8 } }],
        policyRef: { name: "p" },
      }),
    ]) {
      const r = await apply(o);
      expect(r.code, r.stderr).toBe(0);
    }
    // a first evaluation that is Healthy sends nothing (no HealthRecovered from nothing): wait for the status
    await waitFor(
      "m Healthy",
      async () => (await getJson<{ status?: { health?: string } }>("modelmonitor", "m", stage.ns)).status?.health === "Healthy",
      60_000,
    );
    stage.sim.setBehaviour({ accuracy: 0.55 }, "a");
    await waitFor("the Job's outcome delivered", async () => accepted("/json").some((d) => d.body.reason === "CandidateRecorded"), 120_000, 500);

    const audit = accepted("/json");
    const reasons = audit.map((d) => d.body.reason);
    // in the order they happened, each once
    const order = ["HealthCritical", "AccuracyDriftDetected", "RetrainTriggered", "JobSucceeded", "CandidateRecorded"].map((r) => reasons.indexOf(r));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(audit.map((d) => d.key)).size).toBe(audit.length);
    expect(audit.every((d) => d.body.id === d.key)).toBe(true);
    expect(audit.find((d) => d.body.reason === "RetrainTriggered")?.body).toMatchObject({
      source: "model-guardian",
      topic: "Jobs",
      policy: "p",
      monitor: "m",
      model,
      object: { kind: "ModelMonitor", namespace: stage.ns, name: "m" },
    });
    expect(audit.find((d) => d.body.reason === "AccuracyDriftDetected")?.body).toMatchObject({ topic: "Findings", severity: "critical", type: "Warning" });
    // the refused requests were retried with the same idempotency key as the delivery that followed
    const refused = deliveries.filter((d) => d.path.startsWith("/json") && d.body.reason === undefined);
    expect(refused).toHaveLength(3);
    expect(audit.some((d) => d.key === refused[0]?.key)).toBe(true);

    // the chat webhook: critical findings only, Slack-shaped
    const chat = accepted("/slack").map((d) => String(d.body.text));
    expect(chat.some((t) => t.includes("*AccuracyDriftDetected* on ModelMonitor"))).toBe(true);
    expect(chat.every((t) => /HealthCritical|HealthRecovered|AccuracyDrift(Detected|Cleared)/.test(t))).toBe(true);
    expect(chat.some((t) => t.includes("RetrainTriggered"))).toBe(false);

    // the webhook whose Secret lacks its key: a Warning Event on the policy names the Secret and key
    const policyEvents = await waitFor("NotificationFailed on the policy", async () => {
      const list = (await events(stage.ns, "p")).filter((e) => e.reason === "NotificationFailed");
      return list.length > 0 ? list : undefined;
    });
    expect(policyEvents[0]?.message).toMatch(
      /^notification misconfigured of \w+ on ModelMonitor m not delivered: the key pagerduty of Secret .+\/hooks is empty$/,
    );

    const metrics = await (await fetch(stage.operator.metricsUrl)).text();
    expect(metrics).toMatch(new RegExp(`modelguardian_notifications_total\\{namespace="${stage.ns}",policy="p",notification="audit",outcome="retried"\\} 3`));
    expect(metrics).toMatch(
      new RegExp(`modelguardian_notifications_total\\{namespace="${stage.ns}",policy="p",notification="audit",outcome="delivered"\\} \\d+`),
    );
    expect(metrics).toMatch(
      new RegExp(`modelguardian_notifications_total\\{namespace="${stage.ns}",policy="p",notification="misconfigured",outcome="failed"\\} \\d+`),
    );

    const log = await readFile(join(ROOT, `.local/logs/operator-${stage.ns}.log`), "utf8");
    expect(log).toContain("notification not delivered; retrying");
    expect(log).not.toContain(TOKEN);
    for (const e of [...(await events(stage.ns, "p")), ...(await events(stage.ns, "m"))]) expect(e.message).not.toContain(TOKEN);
  }, 240_000);
});
