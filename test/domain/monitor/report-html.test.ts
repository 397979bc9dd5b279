// The HTML governance report: a plot per signal, drift feature (distribution and score),
// embedding check, segment, fairness check and rollout; thresholds and baselines drawn; findings
// circled; no script and no external reference; every hostile label shown as text; bounded size.
import { describe, expect, it } from "vitest";
import { modelMonitorSpecSchema, modelMonitorStatusSchema, type ModelMonitorStatus } from "../../../src/api/v1alpha1/modelmonitor.ts";
import type { ReportDetails } from "../../../src/domain/analysis/report-details.ts";
import { renderHtmlReport, rolloutSummaryOf, type HtmlReportInput, type RolloutSummary } from "../../../src/domain/monitor/report-html.ts";
import { esc } from "../../../src/domain/monitor/report-svg.ts";
import { appendPoint, pointOf, type ReportSeries } from "../../../src/domain/monitor/report-series.ts";
import { assertOnlyOwnMarkup, HOSTILE_LABELS } from "../../fixtures/hostile-labels.ts";
import { ACCURACY_AND_P95_LATENCY, featureDrift, FRAUD_DETECTOR, quietFeatureDrift, remediationWithHistory } from "../../support/monitors.ts";

const NOW = Date.parse("2026-03-08T12:00:00Z");
const MIN = 60_000;

const spec = modelMonitorSpecSchema.parse({
  ...FRAUD_DETECTOR,
  signals: [...ACCURACY_AND_P95_LATENCY],
  rules: [
    { signal: "accuracy", min: { warning: 0.85, critical: 0.8 } },
    { signal: "p95_latency", baseline: { offset: "7d" }, maxRelativeIncrease: { critical: 0.5 } },
  ],
  drift: [
    featureDrift({ offset: "7d" }),
    { name: "queries", embedding: { metric: "centroid" }, method: "cosine", reference: { pinned: {} }, threshold: { warning: 0.05, critical: 0.1 } },
  ],
  fairness: [{ signal: "accuracy", groupLabel: "plant", minRatio: 0.8 }],
});

function statusAt(i: number, segments: string[], features: string[]): ModelMonitorStatus {
  const acc = (95 - i) / 100;
  return modelMonitorStatusSchema.parse({
    health: acc < 0.8 ? "Critical" : acc < 0.85 ? "Warning" : "Healthy",
    lastEvaluationTime: new Date(NOW - (20 - i) * MIN).toISOString(),
    judgedRules: "2/2",
    signals: [
      { name: "accuracy", state: "Value", value: acc, samples: 5000 },
      ...segments.map((s, k) => ({ name: "accuracy", segment: s, state: "Value", value: acc - k * 0.02, samples: 2000 })),
      { name: "p95_latency", state: "Value", value: 0.2 + i * 0.001, baseline: 0.2, samples: 5000 },
    ],
    drift: [
      quietFeatureDrift(features.map((f) => ({ feature: f, state: "Value", score: 0.01 * i, severity: "none" }))),
      { name: "queries", method: "cosine", state: "Value", features: [{ feature: "centroid", state: "Value", score: 0.005 * i, severity: "none" }] },
    ],
    findings:
      acc < 0.85
        ? [
            {
              type: "AccuracyDrift",
              severity: acc < 0.8 ? "critical" : "warning",
              source: "accuracy",
              description: `accuracy ${acc} under the minimum`,
              since: new Date(NOW).toISOString(),
            },
          ]
        : [],
  });
}

/** A 5-minute analysis of step `step` (`minutesAgo`) with one comparison: the candidate's accuracy against the stable's 0.93, a drop of at most 0.02. */
const analysisAt = (
  step: number,
  weight: number,
  minutesAgo: number,
  outcome: "Successful" | "Failed",
  comparison: "Passed" | "Failed",
  candidate: number,
) => ({
  step,
  weight,
  time: new Date(NOW - minutesAgo * MIN).toISOString(),
  window: "5m",
  outcome,
  comparisons: [{ signal: "accuracy", check: "maxDrop" as const, limit: 0.02, outcome: comparison, stable: 0.93, candidate }],
});

const rollout: RolloutSummary = {
  name: "fraud-v4",
  candidate: "v4",
  stable: "v3",
  phase: "Progressing",
  stepIndex: 1,
  weight: 25,
  steps: [5, 25, 50, 100],
  analyses: [analysisAt(0, 5, 10, "Successful", "Passed", 0.94), analysisAt(1, 25, 2, "Failed", "Failed", 0.85)],
};

function input(segments = ["north", "south"], features = ["age", "income"], hostile = ""): HtmlReportInput {
  let series: ReportSeries = { points: [] };
  for (let i = 0; i < 20; i++) series = appendPoint(series, pointOf(statusAt(i, segments, features), NOW - (20 - i) * MIN));
  const status = {
    ...statusAt(19, segments, features),
    stableVersion: "v3",
    versions: [
      { version: "v3", state: "Stable" as const, time: new Date(NOW - 60 * MIN).toISOString() },
      { version: `v4${hostile}`, state: "Candidate" as const, rollout: "fraud-v4", time: new Date(NOW - 12 * MIN).toISOString() },
      { version: "v2", state: "Quarantined" as const, time: new Date(NOW - 120 * MIN).toISOString(), reason: `rolled back ${hostile}` },
    ],
    remediation: remediationWithHistory([
      {
        time: new Date(NOW - 30 * MIN).toISOString(),
        action: "retrain",
        purpose: "retrain" as const,
        trigger: "t",
        reason: `accuracy drift ${hostile}`,
        severity: "warning" as const,
        job: "fraud-retrain-1",
        attempt: 1,
        outcome: "Succeeded" as const,
        version: "v4",
      },
    ]),
  };
  const details: ReportDetails = {
    distributions: {
      inputs: features.map((f) => ({
        feature: f,
        reference: [{ upper: 1, count: 10 }, { upper: 2, count: 30 }, { count: 5 }],
        current: [{ upper: 1, count: 20 }, { upper: 2, count: 20 }, { count: 10 }],
      })),
    },
    fairness: [{ signal: "accuracy", groupLabel: "plant", minRatio: 0.8, groups: segments.map((g, k) => ({ group: g, value: 0.9 - k * 0.2, samples: 1000 })) }],
  };
  return { namespace: "plant-a", name: "fraud", spec, status, now: NOW, series, details, rollouts: [rollout] };
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;
const plots = (html: string, kind: string) => count(html, new RegExp(`<figure class="plot[^"]*" data-plot="${kind}"`, "g"));

describe("the HTML report", () => {
  const html = renderHtmlReport(input());

  it("is one self-contained page: no script, no external reference, one stylesheet of its own", () => {
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).not.toMatch(/<script|javascript:|\bsrc=|@import|url\(/i);
    // the only href are in-page anchors; the only URL is the SVG namespace
    expect([...html.matchAll(/href="([^"]*)"/g)].every((m) => (m[1] as string).startsWith("#"))).toBe(true);
    expect([...html.matchAll(/https?:\/\/[^"\s<]+/g)].map((m) => m[0])).toEqual(expect.arrayContaining(["http://www.w3.org/2000/svg"]));
    expect(new Set([...html.matchAll(/https?:\/\/[^"\s<]+/g)].map((m) => m[0]))).toEqual(new Set(["http://www.w3.org/2000/svg"]));
    assertOnlyOwnMarkup(html);
  });

  it("draws a plot per signal, drift feature (distribution and score), embedding check, segment, fairness check, rollout, and the versions and trend", () => {
    expect(plots(html, "signal")).toBe(2);
    expect(plots(html, "distribution")).toBe(2);
    expect(plots(html, "drift-score")).toBe(2);
    expect(plots(html, "embedding")).toBe(1);
    expect(plots(html, "segment")).toBe(2);
    expect(plots(html, "fairness")).toBe(1);
    expect(plots(html, "rollout")).toBe(1);
    expect(plots(html, "versions")).toBe(1);
    expect(plots(html, "health")).toBe(1);
    // every svg is an image with an accessible name
    expect(count(html, /<svg [^>]*role="img" aria-labelledby="[^"]+"/g)).toBe(count(html, /<svg /g));
  });

  it("draws the thresholds, the baseline and the findings", () => {
    const signal = html.slice(html.indexOf('data-name="accuracy"'), html.indexOf('data-name="p95_latency"'));
    expect(count(signal, /class="threshold warning" data-label="min 0.85"/g)).toBe(1);
    expect(count(signal, /class="threshold critical" data-label="min 0.8"/g)).toBe(1);
    expect(count(signal, /<g class="series" data-series="accuracy">/g)).toBe(1);
    // 20 evaluations (accuracy 0.95 down to 0.76), the 9 under 0.85 had a finding: circled
    expect(count(signal, /<g class="finding (warning|critical)">/g)).toBe(9);
    const latency = html.slice(html.indexOf('data-name="p95_latency"'));
    expect(latency).toContain('<g class="series baseline" data-series="p95_latency baseline">');
    expect(latency).toMatch(/class="threshold critical" data-label="max relative increase 0.5 from the baseline"><polyline/);
    // drift scores and the embedding distance with both tiers
    expect(count(html, /class="threshold warning" data-label="psi 0.1"/g)).toBe(2);
    expect(count(html, /class="threshold critical" data-label="cosine 0.1"/g)).toBe(1);
    // the distributions: reference and current side by side, 3 bins each
    const dist = html.slice(html.indexOf('data-plot="distribution"'));
    expect(dist).toMatch(/data-series="reference \(45\)">(<rect [^>]*><title>[^<]*<\/title><\/rect>){3}<\/g>/);
    expect(dist).toMatch(/data-series="current \(50\)">(<rect [^>]*><title>[^<]*<\/title><\/rect>){3}<\/g>/);
    // fairness: the line at minRatio × best
    expect(html).toMatch(/class="threshold warning" data-label="0.8 × best \(0.9\)"/);
    // the rollout's analyses, both versions' values
    expect(html).toContain("<td>0.93</td><td>0.85</td><td>Failed</td>");
    expect(html).toContain("steps 5% → 25% → 50% → 100%");
    // the Job
    expect(html).toContain("<td>fraud-retrain-1</td>");
  });

  it("is the same page for the same input", () => {
    expect(renderHtmlReport(input())).toBe(html);
  });

  it.each(HOSTILE_LABELS.map((h, i) => [i, h] as const))("#%d shows a hostile label value as text: %j", (_i, hostile) => {
    const page = renderHtmlReport(input([hostile, "south"], [hostile, "income"], hostile));
    assertOnlyOwnMarkup(page);
    // escaped, in a segment plot's name, a feature's and a fairness group's, a version, a reason
    expect(page).toContain(`data-name="accuracy/${esc(hostile)}"`);
    expect(page).toContain(`data-name="inputs/${esc(hostile)}"`);
    expect(page).toContain(`<td>${esc(hostile)}</td>`);
    expect(plots(page, "segment")).toBe(2);
  });

  it("stays within its size bound: fewer points first, then a page that says so", () => {
    const many = input(
      Array.from({ length: 64 }, (_, i) => `plant-${i}`),
      Array.from({ length: 40 }, (_, i) => `f${i}`),
    );
    const full = renderHtmlReport(many);
    expect(plots(full, "segment")).toBe(16);
    expect(full).toContain("48 more segments are in the Markdown report's tables.");
    expect(full).toContain("16 more features are in the Markdown report's table.");
    const small = renderHtmlReport(many, 20_000);
    expect(new TextEncoder().encode(small).length).toBeLessThanOrEqual(20_000);
    expect(small).toContain("too large for a page of 20000 bytes");
  });

  it("reads a ModelRollout loosely: malformed analyses are left out", () => {
    const r = rolloutSummaryOf(
      {
        metadata: { name: "r" },
        spec: { candidate: { version: "v9" } },
        status: {
          phase: "Baking",
          weights: { candidate: 100 },
          analyses: [{ step: 0, weight: 5, time: "2026-03-08T11:00:00Z", outcome: "Successful", window: "5m" }, { nonsense: true }],
        },
      },
      [5, 100],
    );
    expect(r).toMatchObject({ name: "r", candidate: "v9", phase: "Baking", weight: 100, steps: [5, 100] });
    expect(r?.analyses).toHaveLength(1);
    expect(r?.analyses[0]?.comparisons).toEqual([]);
    expect(rolloutSummaryOf({ metadata: { name: "x" }, spec: {} })).toBeUndefined();
  });
});
