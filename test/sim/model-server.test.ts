import net from "node:net";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS } from "../../sim/behaviour.ts";
import { BASELINE_EMBEDDING } from "../../sim/embedding.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { cosineDistance as cosineDistanceResult } from "../../src/domain/stats/index.ts";
import { churnServers, delta, scrape as scrapeUrl, total, type Scrape } from "./support.ts";

// the project's own cosine distance; the simulator keeps no copy of it
const cosineDistance = (a: readonly number[], b: readonly number[]): number => {
  const d = cosineDistanceResult(a, b);
  if (!d.ok) throw new Error(d.reason);
  return d.value;
};

// ---------------------------------------------------------------- helpers

const scrape = (server: ModelServer): Promise<Scrape> => scrapeUrl(server.url);

function accuracyBetween(a: Scrape, b: Scrape, match: Record<string, string> = {}): { accuracy: number; n: number } {
  const d = (outcome: string) => delta(a, b, "model_predictions_total", { ...match, outcome });
  const correct = d("tp") + d("tn");
  const n = correct + d("fp") + d("fn");
  return { accuracy: correct / n, n };
}

/** The overall accuracy of the predictions the server makes in the next 1.5 s, from two scrapes. */
async function accuracyOver1500ms(server: ModelServer): Promise<{ accuracy: number; n: number }> {
  const s0 = await scrape(server);
  await sleep(1500);
  return accuracyBetween(s0, await scrape(server));
}

function centroid(s: Scrape, match: Record<string, string>): number[] {
  const v: number[] = [];
  for (const sample of s.samples) {
    if (sample.name !== "model_query_embedding_centroid") continue;
    if (!Object.entries(match).every(([k, val]) => sample.labels[k] === val)) continue;
    v[Number(sample.labels.dim)] = sample.value;
  }
  return v;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const start = churnServers({ port: 0 });

// ---------------------------------------------------------------- tests

describe("model server metrics", () => {
  it("exports every metric family with the expected labels", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 200 }, "plant-b": { requestsPerSecond: 200 } } });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    await sleep(400);
    const s = await scrape(server);

    const expectedTypes: Record<string, string> = {
      model_predictions_total: "counter",
      model_prediction_confidence: "histogram",
      model_prediction_score: "histogram",
      model_request_latency_seconds: "histogram",
      model_feature_value: "histogram",
      model_query_embedding_centroid: "gauge",
      model_responses_total: "counter",
      model_safety_flags_total: "counter",
      model_feedback_score: "histogram",
      model_regression_predictions_total: "counter",
      model_regression_abs_error_sum: "counter",
      model_regression_squared_error_sum: "counter",
      model_regression_target_sum: "counter",
      model_regression_target_squared_sum: "counter",
    };
    for (const [name, type] of Object.entries(expectedTypes)) {
      expect(s.types.get(name), name).toBe(type);
    }
    // nothing else (no default process metrics: private registry)
    expect([...s.types.keys()].sort()).toEqual(Object.keys(expectedTypes).sort());

    // every sample carries model, version and the segment label
    for (const sample of s.samples) {
      expect(sample.labels.model).toBe("churn");
      expect(sample.labels.version).toBe("v1");
      expect(["plant-a", "plant-b"]).toContain(sample.labels.plant);
    }

    for (const plant of ["plant-a", "plant-b"]) {
      for (const outcome of ["tp", "fp", "tn", "fn"]) {
        const series = s.samples.filter((x) => x.name === "model_predictions_total" && x.labels.plant === plant && x.labels.outcome === outcome);
        expect(series).toHaveLength(1);
        expect(series[0]!.labels.group).toBe("all");
      }
      expect(total(s, "model_predictions_total", { plant })).toBeGreaterThan(20);
      for (const feature of ["age", "income", "tenure"]) {
        expect(total(s, "model_feature_value_count", { plant, feature })).toBeGreaterThan(20);
      }
      expect(centroid(s, { plant }).filter((v) => Number.isFinite(v))).toHaveLength(8);
      for (const refusal of ["true", "false"]) {
        expect(s.samples.some((x) => x.name === "model_responses_total" && x.labels.plant === plant && x.labels.refusal === refusal)).toBe(true);
      }
      expect(total(s, "model_responses_total", { plant })).toBe(total(s, "model_predictions_total", { plant }));
      expect(total(s, "model_regression_predictions_total", { plant })).toBe(total(s, "model_predictions_total", { plant }));
    }

    const buckets = (name: string) =>
      s.samples.filter((x) => x.name === `${name}_bucket` && x.labels.plant === "plant-a" && (x.labels.feature ?? "age") === "age").map((x) => x.labels.le);
    expect(buckets("model_prediction_confidence")).toEqual([...Array.from({ length: 20 }, (_, i) => String(Number(((i + 1) * 0.05).toFixed(2)))), "+Inf"]);
    expect(buckets("model_prediction_score")).toEqual([...Array.from({ length: 10 }, (_, i) => String(Number(((i + 1) * 0.1).toFixed(1)))), "+Inf"]);
    expect(buckets("model_request_latency_seconds")).toEqual([...LATENCY_BUCKETS.map(String), "+Inf"]);
    expect(buckets("model_feature_value")).toEqual([...Array.from({ length: 13 }, (_, i) => String(-3 + i * 0.5)), "+Inf"]);
    expect(buckets("model_feedback_score")).toEqual(["1", "2", "3", "4", "5", "+Inf"]);
  });

  it("creates every series at zero before the first prediction", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 0 } } });
    const s = await scrape(server);
    expect(s.samples.filter((x) => x.name === "model_predictions_total")).toHaveLength(4);
    expect(s.samples.filter((x) => x.name === "model_feature_value_count")).toHaveLength(3);
    expect(total(s, "model_predictions_total")).toBe(0);
  });

  it("accuracy computed from counter deltas follows a behaviour change from 0.92 to 0.80", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 3000, accuracy: 0.92 } } });
    await sleep(200);
    const before = await accuracyOver1500ms(server);
    expect(before.n).toBeGreaterThan(3000);
    expect(before.accuracy).toBeGreaterThan(0.92 - 0.025);
    expect(before.accuracy).toBeLessThan(0.92 + 0.025);

    const res = await postJson(`${server.url}/behaviour`, { patch: { accuracy: 0.8 } });
    expect(res.status).toBe(200);
    expect(server.behaviour()["plant-a"]!.accuracy).toBe(0.8);
    const after = await accuracyOver1500ms(server);
    expect(after.n).toBeGreaterThan(3000);
    expect(after.accuracy).toBeGreaterThan(0.8 - 0.025);
    expect(after.accuracy).toBeLessThan(0.8 + 0.025);
  });

  it("summary statistics follow the configured behaviour", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 3000 }, "plant-b": { requestsPerSecond: 100 } } });
    server.setBehaviour(
      {
        positiveRate: 0.5,
        latencyMeanSeconds: 0.2,
        confidenceMean: 0.7,
        featureShift: { income: 1.5 },
        refusalRate: 0.3,
        toxicityRate: 0.1,
        feedbackMean: 2.5,
        regressionErrorSd: 10,
      },
      "plant-a",
    );
    const s0 = await scrape(server);
    await sleep(1500);
    const s1 = await scrape(server);
    const m = { plant: "plant-a" };
    const n = delta(s0, s1, "model_predictions_total", m);
    expect(n).toBeGreaterThan(3000);
    const positives = delta(s0, s1, "model_predictions_total", { ...m, outcome: "tp" }) + delta(s0, s1, "model_predictions_total", { ...m, outcome: "fn" });
    expect(positives / n).toBeCloseTo(0.5, 1);
    const mean = (name: string, labels: Record<string, string> = m) => delta(s0, s1, `${name}_sum`, labels) / delta(s0, s1, `${name}_count`, labels);
    expect(mean("model_request_latency_seconds")).toBeGreaterThan(0.19);
    expect(mean("model_request_latency_seconds")).toBeLessThan(0.21);
    expect(mean("model_prediction_confidence")).toBeCloseTo(0.7, 1);
    expect(mean("model_feature_value", { ...m, feature: "income" })).toBeCloseTo(1.5, 1);
    expect(Math.abs(mean("model_feature_value", { ...m, feature: "age" }))).toBeLessThan(0.1);
    expect(mean("model_feedback_score")).toBeCloseTo(2.5, 1);
    expect(delta(s0, s1, "model_feedback_score_count", m) / n).toBeCloseTo(0.2, 1);
    expect(delta(s0, s1, "model_responses_total", { ...m, refusal: "true" }) / n).toBeCloseTo(0.3, 1);
    expect(delta(s0, s1, "model_safety_flags_total", m) / n).toBeCloseTo(0.1, 1);
    const rn = delta(s0, s1, "model_regression_predictions_total", m);
    const rmse = Math.sqrt(delta(s0, s1, "model_regression_squared_error_sum", m) / rn);
    expect(rmse).toBeGreaterThan(9.5);
    expect(rmse).toBeLessThan(10.5);
    expect(delta(s0, s1, "model_regression_abs_error_sum", m) / rn).toBeCloseTo(10 * Math.sqrt(2 / Math.PI), 0);
    const targetMean = delta(s0, s1, "model_regression_target_sum", m) / rn;
    const targetVar = delta(s0, s1, "model_regression_target_squared_sum", m) / rn - targetMean ** 2;
    expect(targetMean).toBeGreaterThan(99);
    expect(targetMean).toBeLessThan(101);
    expect(Math.sqrt(targetVar)).toBeGreaterThan(14);
    expect(Math.sqrt(targetVar)).toBeLessThan(16);

    // the other segment kept the defaults
    expect(server.behaviour()["plant-b"]!.refusalRate).toBe(0.02);
    expect(server.behaviour()["plant-b"]!.featureShift).toEqual({ age: 0, income: 0, tenure: 0 });
    // the rate is honoured (deterministic rounding with carry, from wall-clock time)
    const b = delta(s0, s1, "model_predictions_total", { plant: "plant-b" });
    expect(b / n).toBeGreaterThan(100 / 3000 - 0.01);
    expect(b / n).toBeLessThan(100 / 3000 + 0.01);
  });

  it("embedding shift raises the cosine distance of the centroid to the baseline", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 500 }, "plant-b": { requestsPerSecond: 500 } } });
    await sleep(1000);
    const s0 = await scrape(server);
    for (const plant of ["plant-a", "plant-b"]) {
      expect(cosineDistance(centroid(s0, { plant }), BASELINE_EMBEDDING)).toBeLessThan(0.01);
    }

    const res = await postJson(`${server.url}/behaviour`, { segment: "plant-b", patch: { embeddingShift: 1 } });
    expect(res.status).toBe(200);
    await sleep(4000); // EMA time constant 1 s
    const s1 = await scrape(server);
    expect(cosineDistance(centroid(s1, { plant: "plant-a" }), BASELINE_EMBEDDING)).toBeLessThan(0.01);
    const shifted = cosineDistance(centroid(s1, { plant: "plant-b" }), BASELINE_EMBEDDING);
    expect(shifted).toBeGreaterThan(0.07);
    expect(shifted).toBeLessThan(0.13);
    // also against the centroid measured before the shift, as a monitor would do
    expect(cosineDistance(centroid(s1, { plant: "plant-b" }), centroid(s0, { plant: "plant-b" }))).toBeGreaterThan(0.07);
  });

  it("groups add a group label and can be made unfair", async () => {
    const server = await start({
      segments: { "plant-a": { requestsPerSecond: 2000 } },
      groups: { north: {}, south: { accuracy: 0.7 } },
    });
    const s0 = await scrape(server);
    expect(new Set(s0.samples.filter((x) => x.name === "model_predictions_total").map((x) => x.labels.group))).toEqual(new Set(["north", "south"]));
    await sleep(1200);
    const s1 = await scrape(server);
    const north = accuracyBetween(s0, s1, { group: "north" });
    const south = accuracyBetween(s0, s1, { group: "south" });
    expect(north.accuracy).toBeCloseTo(0.92, 1);
    expect(south.accuracy).toBeCloseTo(0.7, 1);
    expect(Math.abs(north.n - south.n)).toBeLessThan(0.1 * north.n); // traffic split equally

    const res = await postJson(`${server.url}/behaviour`, { group: "south", patch: { accuracy: 0.92 } });
    expect(res.status).toBe(200);
    expect((res.body.groups as Record<string, unknown>).south).toEqual({ accuracy: 0.92 });
    const s2 = await scrape(server);
    await sleep(1200);
    const s3 = await scrape(server);
    expect(accuracyBetween(s2, s3, { group: "south" }).accuracy).toBeCloseTo(0.92, 1);
  });

  it("setVersion relabels the series and drops the previous version", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 500 } } });
    await sleep(300);
    const res = await postJson(`${server.url}/version`, { version: "v2" });
    expect(res).toEqual({ status: 200, body: { model: "churn", version: "v2" } });
    await sleep(300);
    const s = await scrape(server);
    expect(new Set(s.samples.map((x) => x.labels.version))).toEqual(new Set(["v2"]));
    expect(total(s, "model_predictions_total")).toBeGreaterThan(0);
    expect(s.samples.filter((x) => x.name === "model_query_embedding_centroid")).toHaveLength(8);
    expect((await postJson(`${server.url}/version`, { version: "" })).status).toBe(400);
    server.setVersion("v3");
    expect(new Set((await scrape(server)).samples.map((x) => x.labels.version))).toEqual(new Set(["v3"]));
  });
});

describe("model server HTTP control", () => {
  it("GET /healthz and GET /behaviour", async () => {
    const server = await start({ segmentLabel: "site", segments: { x: { accuracy: 0.5 } } });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const doc = (await (await fetch(`${server.url}/behaviour`)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ model: "churn", version: "v1", segmentLabel: "site", traffic: "generated", serveLatencyScale: 0, groups: {} });
    expect((doc.segments as Record<string, Record<string, unknown>>).x).toMatchObject({
      accuracy: 0.5,
      requestsPerSecond: 10,
      featureShift: { age: 0, income: 0, tenure: 0 },
    });
    const s = await scrape(server);
    expect(s.samples.every((x) => x.labels.site === "x" && x.labels.plant === undefined)).toBe(true);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "DELETE" })).status).toBe(405);
  });

  it("POST /behaviour rejects bad input with a 400 naming the field", async () => {
    const server = await start();
    const before = server.behaviour();
    const url = `${server.url}/behaviour`;

    const tooBig = await postJson(url, { patch: { accuracy: 1.5 } });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toContain("patch.accuracy");

    const wrongType = await postJson(url, { segment: "plant-a", patch: { latencyMeanSeconds: "fast" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toContain("patch.latencyMeanSeconds");

    const unknownField = await postJson(url, { patch: { acuracy: 0.8 } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error).toContain("patch.acuracy");
    expect(unknownField.body.issues).toEqual([{ field: "patch.acuracy", message: "unknown field" }]);

    const unknownFeature = await postJson(url, { patch: { featureShift: { height: 1 } } });
    expect(unknownFeature.status).toBe(400);
    expect(unknownFeature.body.error).toContain("patch.featureShift.height");

    const unknownSegment = await postJson(url, { segment: "plant-z", patch: { accuracy: 0.5 } });
    expect(unknownSegment.status).toBe(400);
    expect(unknownSegment.body.error).toMatch(/^segment: unknown segment "plant-z"/);

    const noGroups = await postJson(url, { group: "north", patch: { accuracy: 0.5 } });
    expect(noGroups.status).toBe(400);
    expect(noGroups.body.error).toContain("group");

    const missingPatch = await postJson(url, { segment: "plant-a" });
    expect(missingPatch.status).toBe(400);
    expect(missingPatch.body.error).toContain("patch");

    const badJson = await postJson(url, "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toContain("JSON");

    expect(server.behaviour()).toEqual(before);

    // the library API validates the same way
    expect(() => server.setBehaviour({ refusalRate: -1 })).toThrow(/patch\.refusalRate/);
    expect(() => server.setBehaviour({ accuracy: 0.5 }, "plant-z")).toThrow(/unknown segment/);
    expect(server.behaviour()).toEqual(before);

    // and a valid patch merges featureShift instead of replacing it
    const ok = await postJson(url, { segment: "plant-a", patch: { featureShift: { age: 2 } } });
    expect(ok.status).toBe(200);
    await postJson(url, { segment: "plant-a", patch: { featureShift: { tenure: -1 } } });
    expect(server.behaviour()["plant-a"]!.featureShift).toEqual({ age: 2, income: 0, tenure: -1 });
    expect(server.behaviour()["plant-b"]!.featureShift).toEqual({ age: 0, income: 0, tenure: 0 });
  });

  it("rejects invalid options", async () => {
    await expect(startModelServer({ model: "m", version: "v1", segments: {} })).rejects.toThrow(/segments/);
    await expect(startModelServer({ model: "m", version: "v1", segments: { a: { accuracy: 2 } } })).rejects.toThrow(/segments\.a\.accuracy/);
    await expect(startModelServer({ model: "m", version: "v1", segments: { a: {} }, segmentLabel: "version" })).rejects.toThrow(/segmentLabel/);
  });

  it("close() releases the port, even with an open keep-alive connection", async () => {
    const server = await startModelServer({ model: "m", version: "v1", segments: { a: {} }, seed: 1 });
    const { port } = server;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200); // leaves a keep-alive socket open
    const started = Date.now();
    await server.close();
    await server.close(); // idempotent
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(port, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it("a second server on a taken port fails to start", async () => {
    const server = await start();
    await expect(startModelServer({ model: "m", version: "v1", segments: { a: {} }, port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("Prometheus file-SD targets", () => {
  it("writes the target atomically and removes it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sim-targets-"));
    try {
      const targetsDir = path.join(dir, "nested", "targets"); // created on demand
      const file = await writePrometheusTarget(targetsDir, "churn-v1", 9123, { env: "test" });
      expect(file).toBe(path.join(targetsDir, "churn-v1.json"));
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual([{ targets: ["127.0.0.1:9123"], labels: { env: "test" } }]);
      await writePrometheusTarget(targetsDir, "churn-v1", 9124);
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual([{ targets: ["127.0.0.1:9124"], labels: {} }]);
      expect(await readdir(targetsDir)).toEqual(["churn-v1.json"]); // no temporary files left
      await removePrometheusTarget(targetsDir, "churn-v1");
      expect(await readdir(targetsDir)).toEqual([]);
      await removePrometheusTarget(targetsDir, "churn-v1"); // already gone: no error
      await expect(writePrometheusTarget(targetsDir, "../escape", 9123)).rejects.toThrow(/target name/);
      await expect(writePrometheusTarget(targetsDir, "ok", 0)).rejects.toThrow(/port/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
