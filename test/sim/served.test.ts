// Served traffic: the model server makes exactly one prediction per request to /predict and
// nothing on its tick, drawn and counted as a generated prediction would be.
import { describe, expect, it } from "vitest";
import { BASELINE_EMBEDDING } from "../../sim/embedding.ts";
import { TrafficGenerator, type ServedPrediction } from "../../sim/generator.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { cosineDistance } from "../../src/domain/stats/index.ts";
import { churnServers, scrape, total } from "./support.ts";

const start = churnServers({ traffic: "served" });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function predict(
  server: ModelServer,
  init: { segment?: string; query?: string; group?: string; method?: string } = {},
): Promise<{ status: number; body: ServedPrediction & { error?: string } }> {
  const headers: Record<string, string> = {};
  if (init.segment !== undefined) headers["x-segment"] = init.segment;
  if (init.group !== undefined) headers["x-group"] = init.group;
  const res = await fetch(`${server.url}/predict${init.query ?? ""}`, { method: init.method ?? "POST", headers });
  return { status: res.status, body: (await res.json()) as ServedPrediction & { error?: string } };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("served traffic", () => {
  it("each request makes exactly one prediction, counted in every metric family as the response reports it", async () => {
    const server = await start();
    expect(server.traffic).toBe("served");
    const answers: ServedPrediction[] = [];
    for (let i = 0; i < 20; i++) {
      const { status, body } = await predict(server, { segment: "plant-a" });
      expect(status).toBe(200);
      answers.push(body);
    }
    for (let i = 0; i < 10; i++) {
      const { status, body } = await predict(server, { query: "?segment=plant-b", method: "GET" });
      expect(status).toBe(200);
      answers.push(body);
    }
    expect(answers.every((a) => a.model === "churn" && a.version === "v1" && a.group === "all")).toBe(true);
    expect(answers.filter((a) => a.segment === "plant-a")).toHaveLength(20);
    expect(answers.filter((a) => a.segment === "plant-b")).toHaveLength(10);

    const s = await scrape(server.url);
    expect(new Set(s.samples.map((x) => x.labels.version))).toEqual(new Set(["v1"]));
    for (const [plant, n] of [
      ["plant-a", 20],
      ["plant-b", 10],
    ] as const) {
      const mine = answers.filter((a) => a.segment === plant).map((a) => a.prediction);
      for (const outcome of ["tp", "fp", "tn", "fn"]) {
        expect(total(s, "model_predictions_total", { plant, outcome }), `${plant} ${outcome}`).toBe(mine.filter((p) => p.outcome === outcome).length);
      }
      expect(total(s, "model_predictions_total", { plant })).toBe(n);
      for (const family of [
        "model_prediction_confidence_count",
        "model_prediction_score_count",
        "model_request_latency_seconds_count",
        "model_responses_total",
        "model_regression_predictions_total",
      ]) {
        expect(total(s, family, { plant }), family).toBe(n);
      }
      for (const feature of ["age", "income", "tenure"]) {
        expect(total(s, "model_feature_value_count", { plant, feature })).toBe(n);
        expect(total(s, "model_feature_value_sum", { plant, feature })).toBeCloseTo(sum(mine.map((p) => p.features[feature as "age"])), 6);
      }
      expect(total(s, "model_prediction_confidence_sum", { plant })).toBeCloseTo(sum(mine.map((p) => p.confidence)), 6);
      expect(total(s, "model_prediction_score_sum", { plant })).toBeCloseTo(sum(mine.map((p) => p.score)), 6);
      expect(total(s, "model_request_latency_seconds_sum", { plant })).toBeCloseTo(sum(mine.map((p) => p.latencySeconds)), 6);
      expect(total(s, "model_responses_total", { plant, refusal: "true" })).toBe(mine.filter((p) => p.refusal).length);
      expect(total(s, "model_safety_flags_total", { plant })).toBe(mine.filter((p) => p.safetyFlag).length);
      const feedback = mine.flatMap((p) => (p.feedback === null ? [] : [p.feedback]));
      expect(total(s, "model_feedback_score_count", { plant })).toBe(feedback.length);
      expect(total(s, "model_feedback_score_sum", { plant })).toBe(sum(feedback));
      expect(total(s, "model_regression_target_sum", { plant })).toBeCloseTo(sum(mine.map((p) => p.regression.target)), 6);
      expect(total(s, "model_regression_abs_error_sum", { plant })).toBeCloseTo(
        sum(mine.map((p) => Math.abs(p.regression.prediction - p.regression.target))),
        6,
      );
      for (const p of mine) {
        expect(p.predicted).toBe(p.outcome === "tp" || p.outcome === "fp");
        expect(p.actual).toBe(p.outcome === "tp" || p.outcome === "fn");
        expect(p.score).toBeCloseTo(p.predicted ? 0.5 + p.confidence / 2 : 0.5 - p.confidence / 2, 12);
        expect(p.embedding).toHaveLength(8);
      }
    }
  });

  it("takes the segment from x-segment, then ?segment=, else round-robin", async () => {
    const server = await start();
    const rr = [];
    for (let i = 0; i < 4; i++) rr.push((await predict(server)).body.segment);
    expect(rr).toEqual(["plant-a", "plant-b", "plant-a", "plant-b"]);
    expect((await predict(server, { segment: "plant-b", query: "?segment=plant-a" })).body.segment).toBe("plant-b");
    expect((await predict(server, { query: "?segment=plant-a" })).body.segment).toBe("plant-a");
    const s = await scrape(server.url);
    expect(total(s, "model_predictions_total", { plant: "plant-a" })).toBe(3);
    expect(total(s, "model_predictions_total", { plant: "plant-b" })).toBe(3);
  });

  it("answers 400 naming an unknown segment or group, and counts nothing", async () => {
    const server = await start();
    const byHeader = await predict(server, { segment: "plant-z" });
    expect(byHeader.status).toBe(400);
    expect(byHeader.body.error).toMatch(/^segment: unknown segment "plant-z" \(known: plant-a, plant-b\)/);
    const byQuery = await predict(server, { query: "?segment=nowhere" });
    expect(byQuery.status).toBe(400);
    expect(byQuery.body.error).toContain('"nowhere"');
    const group = await predict(server, { group: "north" });
    expect(group.status).toBe(400);
    expect(group.body.error).toMatch(/^group: unknown group "north"/);
    expect((await fetch(`${server.url}/predict`, { method: "DELETE" })).status).toBe(405);
    expect(total(await scrape(server.url), "model_predictions_total")).toBe(0);
  });

  it("generates nothing on its tick; generated mode is unchanged and refuses /predict", async () => {
    const served = await start({ segments: { "plant-a": { requestsPerSecond: 2000 } }, tickMs: 10 });
    const generated = await start({ segments: { "plant-a": { requestsPerSecond: 2000 } }, tickMs: 10, traffic: undefined });
    expect(generated.traffic).toBe("generated");
    await sleep(300);
    expect(total(await scrape(served.url), "model_predictions_total")).toBe(0);
    expect(total(await scrape(generated.url), "model_predictions_total")).toBeGreaterThan(200);
    const refused = await predict(generated, { segment: "plant-a" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain("served");
    expect(await (await fetch(`${served.url}/behaviour`)).json()).toMatchObject({ traffic: "served", serveLatencyScale: 0 });
    expect(await (await fetch(`${generated.url}/behaviour`)).json()).toMatchObject({ traffic: "generated" });

    // the generator itself: a served tick draws nothing, however much time passed
    const g = new TrafficGenerator({ model: "m", version: "v1", segments: { a: { requestsPerSecond: 1000 } }, traffic: "served", seed: 1 }, 0);
    g.tick(4000);
    expect(await g.registry.getSingleMetricAsString("model_predictions_total")).not.toMatch(/ [1-9]\d*$/m);
  });

  it("draws from the segment's current behaviour and answers with the current version", async () => {
    const server = await start();
    const patched = await fetch(`${server.url}/behaviour`, {
      method: "POST",
      body: JSON.stringify({ segment: "plant-a", patch: { accuracy: 0, positiveRate: 1, refusalRate: 1 } }),
    });
    expect(patched.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const { body } = await predict(server, { segment: "plant-a" });
      expect(body.prediction).toMatchObject({ outcome: "fn", actual: true, predicted: false, refusal: true });
    }
    expect(await (await fetch(`${server.url}/version`, { method: "POST", body: JSON.stringify({ version: "v2" }) })).json()).toEqual({
      model: "churn",
      version: "v2",
    });
    const { body } = await predict(server, { segment: "plant-b" });
    expect(body.version).toBe("v2");
    const s = await scrape(server.url);
    expect(new Set(s.samples.map((x) => x.labels.version))).toEqual(new Set(["v2"]));
    expect(total(s, "model_predictions_total")).toBe(1);
  });

  it("splits requests over fairness groups by their rates, or takes x-group", async () => {
    const server = await start({ segments: { "plant-a": { requestsPerSecond: 10 } }, groups: { north: {}, south: { requestsPerSecond: 3 } } });
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push((await predict(server)).body.group);
    // north: the equal share 10 / 2 = 5, south: its own 3
    expect(groups.filter((g) => g === "north")).toHaveLength(5);
    expect(groups.filter((g) => g === "south")).toHaveLength(3);
    expect((await predict(server, { group: "south" })).body.group).toBe("south");
    expect((await predict(server, { query: "?group=south" })).body.group).toBe("south");
    const s = await scrape(server.url);
    expect(total(s, "model_predictions_total", { group: "north" })).toBe(5);
    expect(total(s, "model_predictions_total", { group: "south" })).toBe(5);
  });

  it("waits for the drawn latency times serveLatencyScale", async () => {
    const server = await start({ segments: { "plant-a": { latencyMeanSeconds: 0.04 } }, serveLatencyScale: 1 });
    const started = performance.now();
    let drawn = 0;
    for (let i = 0; i < 5; i++) drawn += (await predict(server)).body.prediction.latencySeconds;
    expect(performance.now() - started).toBeGreaterThanOrEqual(drawn * 1000 - 5);
    expect(await (await fetch(`${server.url}/behaviour`)).json()).toMatchObject({ serveLatencyScale: 1 });
  });

  it("is reproducible with a seed, and the centroid's moving average follows served embeddings", async () => {
    const options = { model: "m", version: "v1", segments: { a: { embeddingShift: 3 } }, traffic: "served" as const, seed: 9 };
    const g1 = new TrafficGenerator(options, 0);
    const g2 = new TrafficGenerator(options, 0);
    expect(g1.predict({}, 10)).toEqual(g2.predict({}, 10));
    // 200 requests at 50 per second: the average is over the last second or so
    let last: ServedPrediction | undefined;
    for (let i = 1; i <= 200; i++) last = g1.predict({ segment: "a" }, 10 + i * 20);
    expect(last?.prediction.embedding).toHaveLength(8);
    const gauge = await g1.registry.getSingleMetric("model_query_embedding_centroid")!.get();
    const centroid: number[] = [];
    for (const v of gauge.values) centroid[Number(v.labels.dim)] = v.value;
    const d = cosineDistance(centroid, BASELINE_EMBEDDING);
    if (!d.ok) throw new Error(d.reason);
    expect(d.value).toBeGreaterThan(0.6); // expected 1 - cos(0.451 * 3) = 0.78
    expect(d.value).toBeLessThan(0.95);
  });

  it("rejects invalid options", async () => {
    await expect(startModelServer({ model: "m", version: "v1", segments: { a: {} }, traffic: "bogus" as "served" })).rejects.toThrow(/traffic/);
    await expect(startModelServer({ model: "m", version: "v1", segments: { a: {} }, serveLatencyScale: -1 })).rejects.toThrow(/serveLatencyScale/);
  });
});
