/// <reference lib="dom" />
// The HTML governance report and the read-only web view in a real browser: the operator (a real
// process) evaluates a simulated model (segments, one of them named with a hostile label value,
// input-feature and embedding drift, fairness) through the real Prometheus every 3 s, writes
// its report every minute, and serves it; Debian's chromium, driven headless by puppeteer-core,
// loads the index and the report. No console error, no request elsewhere, the expected plots
// and series, thresholds drawn, no horizontal overflow at 1280 px nor on a phone, axe-core finds
// no serious violation, the hostile label is text. Screenshots go to test-output/screenshots.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelServer } from "../../sim/model-server.ts";
import { startKServeCanary, type KServeCanary } from "../stage/kserve-canary.ts";
import {
  ACCURACY,
  apply,
  createNamespace,
  deleteNamespace,
  getJson,
  modelMonitor,
  type Operator,
  promQuery,
  retrainOnDrift,
  ROOT,
  startOperator,
  startScrapedModel,
  stopScrapedModel,
  waitFor,
} from "../stage/index.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOTS = join(ROOT, "test-output", "screenshots");
const HOSTILE = `<img src=x onerror=alert(1)>"'&amp;`;
const SEGMENTS = ["north", "south", HOSTILE];
const FEATURES = ["age", "income", "tenure"];

const model = `report-browser-${Date.now().toString(36)}`;
let ns: string;
let sim: ModelServer | undefined;
let operator: Operator | undefined;
let browser: Browser | undefined;
let base: string;

interface Status {
  report?: { configMap: string; lastTime: string };
  remediation?: { history: { job: string; outcome: string; finishedTime?: string }[] };
}

if (!HAS_CHROMIUM)
  console.warn(`report-browser.test.ts: skipped, ${CHROMIUM} is absent (apt-get install -y chromium; scripts/cluster/ensure-prereqs.sh installs it)`);

const monitor = () =>
  modelMonitor(ns, "report-fleet", {
    model: { name: model, version: "v1" },
    interval: "3s",
    window: "20s",
    minSamples: 30,
    segments: { label: "plant" },
    signals: [ACCURACY, { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } }],
    rules: [
      { signal: "accuracy", min: { warning: 0.85, critical: 0.8 } },
      { signal: "p95_latency", max: { warning: 0.5, critical: 1 } },
    ],
    drift: [
      {
        name: "inputs",
        histogram: { metric: "model_feature_value", featureLabel: "feature" },
        method: "psi",
        reference: { offset: "10s", window: "10s" },
        threshold: { warning: 0.1, critical: 0.25 },
      },
      {
        name: "queries",
        embedding: { metric: "model_query_embedding_centroid" },
        method: "cosine",
        reference: { pinned: {} },
        threshold: { warning: 0.05, critical: 0.1 },
      },
    ],
    fairness: [{ signal: "accuracy", groupLabel: "plant", minRatio: 0.9 }],
    // south's accuracy drift starts a retraining Job (kwok runs it): the report's Jobs
    policyRef: { name: "report-retrain" },
    report: { every: "1m" },
  });

async function launch(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** Opens a page with every console error, page error, dialog and request recorded. */
async function open(path: string, width: number, height = 900): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await (browser as Browser).newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => void problems.push(`page error: ${String(e)}`));
  page.on("dialog", (d) => void (problems.push(`dialog: ${d.message()}`), d.dismiss()));
  page.on("request", (r) => void requests.push(r.url()));
  page.on("requestfailed", (r) => void problems.push(`request failed: ${r.url()}`));
  await page.setViewport({ width, height });
  const res = await page.goto(`${base}${path}`, { waitUntil: "load" });
  expect(res?.status(), path).toBe(200);
  return { page, problems, requests };
}

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

async function axeViolations(path: string): Promise<string[]> {
  const page = await (browser as Browser).newPage();
  // axe is injected by the test: the page's own policy allows no script at all
  await page.setBypassCSP(true);
  await page.goto(`${base}${path}`, { waitUntil: "load" });
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  await page.close();
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.nodes.join(", ")}`);
}

describe.skipIf(!HAS_CHROMIUM)("the HTML report and the web view in chromium", () => {
  beforeAll(async () => {
    ns = await createNamespace("report-browser");
    sim = await startScrapedModel({
      model,
      version: "v1",
      segments: {
        north: { requestsPerSecond: 30, accuracy: 0.95 },
        south: { requestsPerSecond: 30, accuracy: 0.7 },
        [HOSTILE]: { requestsPerSecond: 30, accuracy: 0.9 },
      },
      seed: 43,
    });
    operator = await startOperator([ns], ns);
    base = new URL(operator.metricsUrl).origin;
    await waitFor(
      "Prometheus to hold every segment's reference window",
      async () => (await promQuery(`sum by (plant) (increase(model_feature_value_count{model="${model}"}[10s] offset 10s))`)).length === 3,
      60_000,
    );
    for (const o of [retrainOnDrift(ns, "report-retrain", { version: "v2" }), monitor()]) {
      const r = await apply(o);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const status = async () => (await getJson<{ status?: Status }>("modelmonitor", "report-fleet", ns)).status;
    // the first report is written at the first evaluation; a later one, after the Job finished, plots ~20 evaluations
    const first = await waitFor("the first report", async () => (await status())?.report?.lastTime, 60_000);
    const finished = await waitFor(
      "the retraining Job to succeed",
      async () => (await status())?.remediation?.history.find((a) => a.outcome === "Succeeded"),
      120_000,
      1000,
    );
    await waitFor(
      "a report after the Job",
      async () => {
        const t = (await status())?.report?.lastTime;
        return t !== undefined && t !== first && Date.parse(t) > Date.parse(finished.finishedTime ?? first);
      },
      150_000,
      1000,
    );
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await operator?.stop();
    await stopScrapedModel(sim, model);
    if (ns) await deleteNamespace(ns);
  });

  it("the index lists the monitor with its health, coverage and a link to its report, readable at 1280 px and 390 px", async () => {
    for (const width of [1280, 390]) {
      const { page, problems, requests } = await open("/ui/", width);
      const row = await page.evaluate(
        (name) =>
          [...document.querySelectorAll("tbody tr")]
            .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""))
            .find((cells) => cells[0]?.endsWith(`/${name}`)),
        "report-fleet",
      );
      expect(row?.[0]).toBe(`${ns}/report-fleet`);
      expect(row?.[3]).toMatch(/^Critical/);
      expect(row?.[4]).toBe("2/2");
      expect(await page.$$eval(`a[href="/ui/${ns}/report-fleet"]`, (links) => links.map((a) => a.textContent))).toEqual([`${ns}/report-fleet`, "report"]);
      expect(await page.$$("form, input, button, script")).toHaveLength(0);
      expect(await overflow(page), `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
      const file = join(SCREENSHOTS, `index-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith(base))).toBe(true);
      await page.close();
    }
    expect(await axeViolations("/ui/")).toEqual([]);
  });

  it("the report draws every plot with the run's data and thresholds; the hostile label is text; readable at 1280 px and 390 px", async () => {
    for (const width of [1280, 390]) {
      const { page, problems, requests } = await open(`/ui/${ns}/report-fleet`, width);
      const plots = await page.evaluate(() => {
        const count: Record<string, number> = {};
        for (const f of document.querySelectorAll("figure.plot"))
          count[f.getAttribute("data-plot") ?? "?"] = (count[f.getAttribute("data-plot") ?? "?"] ?? 0) + 1;
        return count;
      });
      // versions: the adopted v1 (no rollout of this monitor: the rollout report is the next test's)
      expect(plots).toEqual({
        health: 1,
        signal: 2,
        distribution: FEATURES.length,
        "drift-score": FEATURES.length,
        embedding: 1,
        segment: 2 * SEGMENTS.length,
        fairness: 1,
        versions: 1,
      });
      // the accuracy plot: a line through every kept evaluation (a minute at 3 s: well over 10), both thresholds
      const accuracy = await page.evaluate(() => {
        const f = document.querySelector('figure[data-plot="signal"][data-name="accuracy"]') as Element;
        const line = f.querySelector('g.series[data-series="accuracy"] polyline')?.getAttribute("points") ?? "";
        return {
          points: line.trim().split(/\s+/).length,
          thresholds: [...f.querySelectorAll("g.threshold")].map((t) => `${t.classList[1]} ${t.getAttribute("data-label")}`),
        };
      });
      expect(accuracy.points).toBeGreaterThan(10);
      expect(accuracy.thresholds.sort()).toEqual(["critical min 0.8", "warning min 0.85"]);
      // south is under 0.8 at every evaluation: its small multiple circles each one
      const south = await page.evaluate(() => document.querySelectorAll('figure[data-plot="segment"][data-name="accuracy/south"] g.finding.critical').length);
      expect(south).toBeGreaterThan(10);
      // each drift feature: reference and current bars side by side, the score with both thresholds
      for (const feature of FEATURES) {
        const d = await page.evaluate((name) => {
          const dist = document.querySelector(`figure[data-plot="distribution"][data-name="inputs/${name}"]`);
          const score = document.querySelector(`figure[data-plot="drift-score"][data-name="inputs/${name}"]`);
          return {
            series: [...(dist?.querySelectorAll("g.series") ?? [])].map((g) => [
              g.getAttribute("data-series")?.split(" ")[0],
              g.querySelectorAll("rect").length,
            ]),
            thresholds: score?.querySelectorAll("g.threshold").length,
          };
        }, feature);
        expect(d.series.map(([name]) => name)).toEqual(["reference", "current"]);
        expect(d.series[0]?.[1]).toBeGreaterThan(2);
        expect(d.series[0]?.[1]).toBe(d.series[1]?.[1]);
        expect(d.thresholds).toBe(2);
      }
      expect(await page.$$eval('figure[data-plot="embedding"] g.threshold', (g) => g.length)).toBe(2);
      expect(await page.$$eval('figure[data-plot="fairness"] g.series rect', (r) => r.length)).toBe(SEGMENTS.length);
      // the retraining Job, with its reason and outcome
      const jobs = await page.evaluate(() =>
        [...document.querySelectorAll("#actions table tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
      );
      expect(jobs.length).toBeGreaterThanOrEqual(1);
      expect(jobs[0]?.[1]).toBe("retrain");
      expect(jobs[0]?.[3]).toMatch(/AccuracyDrift/);
      expect(
        jobs.some((j) => j[5]?.startsWith("Succeeded") && j[6] === "v2"),
        JSON.stringify(jobs),
      ).toBe(true);
      // the hostile label value: shown as text in its plots and tables, never as an element
      expect(await page.$$("img, script, iframe, object, embed")).toHaveLength(0);
      const hostileText = await page.evaluate(
        (h) => [...document.querySelectorAll("figcaption, td")].filter((e) => (e.textContent ?? "").includes(h)).length,
        HOSTILE,
      );
      expect(hostileText).toBeGreaterThanOrEqual(3);
      expect(await overflow(page), `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
      const file = join(SCREENSHOTS, `report-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith(base))).toBe(true);
      await page.close();
    }
    expect(await axeViolations(`/ui/${ns}/report-fleet`)).toEqual([]);
  }, 120_000);

  it("is read-only: no method but GET changes anything", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) expect((await fetch(`${base}/ui/${ns}/report-fleet`, { method })).status).toBe(405);
    const res = await fetch(`${base}/ui/${ns}/report-fleet`);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });
});

// A monitor with rollouts: the KServe router with its two STAND-INS (kserve-canary.ts: sim/kserve.ts
// for KServe's controller, sim/splitter.ts for Knative's split, as in kserve-rollout.test.ts) so
// that the analyses compare real scraped metrics of both versions. A healthy v2 is promoted through both
// steps, a worse v3 is rolled back and quarantined; the report then draws both rollouts.
describe.skipIf(!HAS_CHROMIUM)("the HTML report of a monitor with rollouts, in chromium", () => {
  const MODEL = `report-canary-${Date.now().toString(36)}`;
  let canary: KServeCanary | undefined;
  const phase = async (name: string) => (await getJson<{ status?: { phase?: string } }>("modelrollout", name, ns).catch(() => undefined))?.status?.phase;

  beforeAll(async () => {
    ns = await createNamespace("report-canary");
    operator = await startOperator([ns], ns);
    base = new URL(operator.metricsUrl).origin;
    canary = await startKServeCanary({
      namespace: ns,
      model: MODEL,
      monitor: { name: "report-canary", spec: { rules: [{ signal: "accuracy", min: { warning: 0.85, critical: 0.8 } }], report: { every: "1m" } } },
      behaviour: { v3: { accuracy: 0.6, latencyMeanSeconds: 0.05 } },
      healthy: { accuracy: 0.92, latencyMeanSeconds: 0.05 },
      seeds: [81, 82],
    });
    const rollout = (name: string, version: string) => ({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelRollout",
      metadata: { name, namespace: ns },
      spec: { monitorRef: { name: "report-canary" }, candidate: { version, uri: `s3://models/${version}` } },
    });
    await apply(rollout("canary-v2", "v2"));
    await waitFor("v2 to be promoted", async () => (await phase("canary-v2")) === "Succeeded", 150_000, 500);
    await apply(rollout("canary-v3", "v3"));
    await waitFor("v3 to be rolled back", async () => (await phase("canary-v3")) === "RolledBack", 150_000, 500);
    // a report written after both rollouts ended
    const ended = Date.now();
    await waitFor(
      "a report after the rollouts",
      async () => {
        const t = (await getJson<{ status?: Status }>("modelmonitor", "report-canary", ns)).status?.report?.lastTime;
        return t !== undefined && Date.parse(t) > ended;
      },
      90_000,
      1000,
    );
    browser = await launch();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await canary?.stop();
    await operator?.stop();
    if (ns) await deleteNamespace(ns);
  });

  it("draws the versions' timeline and each rollout's weights, analyses and both versions' values", async () => {
    for (const width of [1280, 390]) {
      const { page, problems, requests } = await open(`/ui/${ns}/report-canary`, width);
      const versions = await page.evaluate(() =>
        [...document.querySelectorAll('figure[data-plot="versions"] g.series')].map((g) => g.getAttribute("data-series")),
      );
      expect(versions.sort()).toEqual(["v1", "v2", "v3"]);
      const states = await page.evaluate(() =>
        [...(document.querySelectorAll("#versions table")[0]?.querySelectorAll("tbody tr") ?? [])].map((tr) =>
          [...tr.querySelectorAll("td")]
            .slice(0, 2)
            .map((td) => td.textContent)
            .join(" "),
        ),
      );
      expect(states).toEqual(expect.arrayContaining(["v2 Stable", "v3 Quarantined", "v1 Previous"]));
      const rollouts = await page.evaluate(() =>
        [...document.querySelectorAll('figure[data-plot="rollout"]')].map((f) => ({
          name: f.getAttribute("data-name"),
          weights: [...f.querySelectorAll("g.series circle")].length,
          analyses: [...f.querySelectorAll("g.finding")].map((g) => g.classList[1]),
        })),
      );
      expect(rollouts.map((r) => r.name).sort()).toEqual(["canary-v2", "canary-v3"]);
      const v2 = rollouts.find((r) => r.name === "canary-v2");
      const v3 = rollouts.find((r) => r.name === "canary-v3");
      expect(v2?.analyses).toEqual(expect.arrayContaining(["ok"]));
      expect(v2?.analyses).not.toContain("critical");
      expect(v3?.analyses.at(-1)).toBe("critical");
      // the comparisons: both versions' accuracy, the failed one below the stable's
      const failed = await page.evaluate(() =>
        [...document.querySelectorAll("#versions table tbody tr")]
          .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""))
          .filter((c) => c[2] === "Failed" && c[3] === "accuracy"),
      );
      expect(failed.length).toBeGreaterThan(0);
      const [stableValue, candidateValue] = [Number(failed[0]?.[5]), Number(failed[0]?.[6])];
      expect(stableValue).toBeGreaterThan(0.85);
      expect(candidateValue).toBeLessThan(0.75);
      expect(await page.evaluate(() => document.querySelector("#versions")?.textContent ?? "")).toContain("steps 30% → 70%");
      expect(await overflow(page), `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
      const file = join(SCREENSHOTS, `report-rollouts-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith(base))).toBe(true);
      await page.close();
    }
    expect(await axeViolations(`/ui/${ns}/report-canary`)).toEqual([]);
  }, 120_000);
});
