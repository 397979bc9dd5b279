// Pinned baselines with their evidence, tick by tick: a pin waits for enough samples over one
// growing window, survives a restart without counting twice, and a rule against it breaches only
// when the drop is statistically clear. Prometheus is a made-up model answering per query.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  modelMonitorSpecSchema,
  modelMonitorStatusSchema,
  type ModelMonitorSpecInput,
  type ModelMonitorStatus,
} from "../../../src/api/v1alpha1/modelmonitor.ts";
import { decide, planEvaluation, planQueries } from "../../../src/domain/monitor/evaluate.ts";
import { queryKey, type QueryRequest, type QueryResult } from "../../../src/domain/observation.ts";
import { neededSamples } from "../../../src/domain/analysis/baselines.ts";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;
type Answer = (q: QueryRequest) => QueryResult;
interface Fixtures {
  pinnedBaselines: {
    needed: { successes: number; trials: number; margin: number; needed: number }[];
    rules: {
      name: string;
      baseline: { successes: number; trials: number };
      current: { successes: number; trials: number };
      warning: number;
      critical: number;
      pWarning: number;
      pCritical: number;
      severity: "warning" | "critical" | null;
    }[];
  };
}
const fixtures = (JSON.parse(readFileSync(new URL("../../fixtures/stats/reference-values.json", import.meta.url), "utf8")) as Fixtures).pinnedBaselines;

const spec: ModelMonitorSpecInput = {
  model: { name: "plant" },
  interval: "1m",
  window: "1h",
  minSamples: 10,
  signals: [{ name: "accuracy", classification: { metric: "model_predictions_total" } }],
  rules: [{ signal: "accuracy", baseline: { pinned: {} }, maxDrop: { warning: 0.05, critical: 0.1 } }],
};

const outcomes = (correct: number, n: number): QueryResult => ({
  kind: "vector",
  samples: [
    { labels: { outcome: "tp" }, value: correct },
    { labels: { outcome: "fp" }, value: n - correct },
  ],
});

/**
 * A model serving one prediction a second from `start`, right 92 % of the time, except that its
 * first 20 predictions happened to be 19 right (0.95): a query over [t − w, t] counts what was
 * served in that range, so a growing window and a sliding one answer differently.
 */
function model(start: number): Answer {
  return (q) => {
    const range = Number(/\[(\d+)s\]/.exec(q.expr)?.[1]) * 1000;
    const n = Math.max(0, (q.time - Math.max(q.time - range, start)) / 1000);
    return outcomes(n <= 20 ? (n * 19) / 20 : 0.92 * n, n);
  };
}

/** One evaluation; the status goes through JSON and the schema, as a restarted operator reads it. */
function tick(answer: Answer, now: number, status?: ModelMonitorStatus, input: ModelMonitorSpecInput = spec) {
  const parsed = modelMonitorSpecSchema.parse(input);
  const previous = modelMonitorStatusSchema.parse(JSON.parse(JSON.stringify(status ?? {})));
  const plan = planEvaluation(parsed, now, previous.pinned);
  const queries = planQueries(plan);
  const d = decide({ generation: 1, annotations: {}, spec: parsed, status: previous }, plan, new Map(queries.map((q) => [queryKey(q), answer(q)])), now);
  return { ...d, queries };
}

describe("a pinned baseline waits for its samples", () => {
  it("from 20 s of traffic it accumulates (not judged), then pins once its standard error is a quarter of the margin", () => {
    const answer = model(T0 - 20_000);
    let d = tick(answer, T0);
    // 19 of 20 right is 0.95: the old pin would have frozen that
    expect(d.status.signals[0]).toMatchObject({ value: 0.95, samples: 20 });
    expect(d.status.pinned?.["signal:accuracy"]).toEqual({ state: "Accumulating", at: "2026-11-01T00:00:00.000Z", from: "2026-10-31T23:00:00.000Z" });
    expect(d.status.rules?.[0]).toMatchObject({
      coverage: "NoBaseline",
      message: `pinned baseline accumulating since 2026-10-31T23:00:00.000Z: 20 of ~${fixtures.needed[0]?.needed} samples`,
      baselineSamples: 20,
    });
    expect(d.status.health).toBe("Unknown");
    expect(d.status.findings).toEqual([]);
    expect(d.events.map((e) => e.reason)).not.toContain("BaselinePinned");

    const seen: number[] = [];
    let minute = 0;
    while (d.status.pinned?.["signal:accuracy"]?.state === "Accumulating" && minute < 30) {
      minute++;
      d = tick(answer, T0 + minute * MINUTE, d.status);
      // one range from the first window's start: 1 h + the minutes since
      expect(d.queries.some((q) => q.expr.includes(`[${3600 + minute * 60}s]`))).toBe(true);
      seen.push(d.status.rules?.[0]?.baselineSamples ?? -1);
    }
    // 20 + 60 a minute, each range counted once; 440 samples need ~481, 500 are enough
    expect(seen).toEqual([80, 140, 200, 260, 320, 380, 440, 500]);
    expect(d.status.pinned?.["signal:accuracy"]).toEqual({
      state: "Pinned",
      value: 0.92,
      at: "2026-11-01T00:08:00.000Z",
      from: "2026-10-31T23:00:00.000Z",
      samples: 500,
      test: "twoProportion",
      successes: 460,
    });
    expect(d.status.rules?.[0]).toEqual({ name: "spec.rules[0]", rule: "accuracy maxDrop, pinned baseline", coverage: "Judged", baselineSamples: 500 });
    expect(d.status.health).toBe("Healthy");
    expect(d.events.find((e) => e.reason === "BaselinePinned")?.message).toBe(
      "pinned baseline of accuracy at 0.92 from 500 samples since 2026-10-31T23:00:00.000Z",
    );
    // pinned: no more range queries, the pin stays as it was
    const after = tick(answer, T0 + 9 * MINUTE, d.status);
    expect(after.queries).toHaveLength(1);
    expect(after.status.pinned).toEqual(d.status.pinned);
  });

  it("a restart mid-accumulation resumes from status: the count is the one range's, never added to the earlier one", () => {
    const answer = model(T0 - 20_000);
    const first = tick(answer, T0).status;
    // a new operator process: only the status survives (tick parses it from JSON)
    const resumed = tick(answer, T0 + 5 * MINUTE, first);
    // one query over the range from the first window's start (1 h + 5 min), beside the current window's
    expect(resumed.queries.map((q) => /\[(\d+)s\]/.exec(q.expr)?.[1])).toEqual(["3600", "3900"]);
    expect(resumed.status.rules?.[0]).toMatchObject({ coverage: "NoBaseline", baselineSamples: 320 });
    expect(resumed.status.pinned?.["signal:accuracy"]).toEqual(first.pinned?.["signal:accuracy"]);
  });

  it("needs samples by the rule's smallest margin: a standard error of at most a quarter of it (scipy's binomial)", () => {
    for (const c of fixtures.needed) {
      const evidence = {
        state: "Value" as const,
        value: c.successes / c.trials,
        samples: c.trials,
        basis: { test: "twoProportion" as const, successes: c.successes, trials: c.trials },
      };
      expect(neededSamples(evidence, c.margin, 10), JSON.stringify(c)).toBe(c.needed);
    }
    // a relative margin is taken at the baseline's value: 10 % of 0.5 is 0.05
    const relative: ModelMonitorSpecInput = {
      ...spec,
      rules: [
        { signal: "accuracy", baseline: { pinned: {} }, maxRelativeDrop: { warning: 0.1 } },
        { signal: "accuracy", baseline: { pinned: {} }, maxDrop: { critical: 0.2 } },
      ],
    };
    const half: Answer = () => outcomes(50, 100);
    expect(tick(half, T0, undefined, relative).status.rules?.[0]?.message).toBe(
      "pinned baseline accumulating since 2026-10-31T23:00:00.000Z: 100 of ~1600 samples",
    );
  });

  it("a version change starts the accumulation again from the new version's first window", () => {
    const versioned: ModelMonitorSpecInput = {
      ...spec,
      model: { name: "plant", version: "v1" },
      rules: [{ ...spec.rules![0]!, baseline: { pinned: { when: "VersionChange" } } }],
    };
    const big: Answer = () => outcomes(9200, 10_000);
    const v1 = tick(big, T0, undefined, versioned).status;
    expect(v1.pinned?.["signal:accuracy"]).toMatchObject({ state: "Pinned", version: "v1", samples: 10_000 });
    const v2 = tick(model(T0 - 20_000), T0 + MINUTE, v1, { ...versioned, model: { name: "plant", version: "v2" } }).status;
    expect(v2.pinned?.["signal:accuracy"]).toEqual({ state: "Accumulating", at: "2026-11-01T00:01:00.000Z", from: "2026-10-31T23:01:00.000Z", version: "v2" });
    expect(v2.rules?.[0]?.coverage).toBe("NoBaseline");
  });
});

describe("pinned baselines per segment", () => {
  it("each segment accumulates on its own: a busy one pins at once, a new one waits, its range answered by the same grouped query", () => {
    const segmented: ModelMonitorSpecInput = { ...spec, segments: { label: "plant" } };
    // north: 10 a second for ever; south: 1 a second since 20 s before the first evaluation
    const answer: Answer = (q) => {
      const range = Number(/\[(\d+)s\]/.exec(q.expr)?.[1]) * 1000;
      const south = Math.max(0, (q.time - Math.max(q.time - range, T0 - 20_000)) / 1000);
      const north = (10 * range) / 1000;
      const rows = (plant: string, n: number, correct: number) => [
        { labels: { outcome: "tp", plant }, value: correct },
        { labels: { outcome: "fp", plant }, value: n - correct },
      ];
      return { kind: "vector", samples: [...rows("north", north, 0.92 * north), ...rows("south", south, south <= 20 ? (south * 19) / 20 : 0.92 * south)] };
    };
    let d = tick(answer, T0, undefined, segmented);
    expect(d.status.pinned?.["signal:accuracy"]).toMatchObject({ state: "Pinned", samples: 36_020 });
    expect(d.status.pinned?.["signal:accuracy@north"]).toMatchObject({ state: "Pinned", value: 0.92, samples: 36_000 });
    expect(d.status.pinned?.["signal:accuracy@south"]).toEqual({ state: "Accumulating", at: "2026-11-01T00:00:00.000Z", from: "2026-10-31T23:00:00.000Z" });
    expect(d.status.rules?.[0]).toMatchObject({ coverage: "Judged", unjudgedSegments: 1 });
    for (let minute = 1; minute <= 8; minute++) d = tick(answer, T0 + minute * MINUTE, d.status, segmented);
    expect(d.status.pinned?.["signal:accuracy@south"]).toMatchObject({ state: "Pinned", value: 0.92, samples: 500, from: "2026-10-31T23:00:00.000Z" });
    expect(d.status.rules?.[0]).toMatchObject({ coverage: "Judged" });
    expect(d.status.rules?.[0]?.unjudgedSegments).toBeUndefined();
  });
});

describe("a rule against a pinned baseline weighs both uncertainties", () => {
  const pinnedFrom = (successes: number, trials: number): ModelMonitorStatus =>
    modelMonitorStatusSchema.parse({
      pinned: {
        "signal:accuracy": {
          state: "Pinned",
          value: successes / trials,
          at: "2026-10-31T00:00:00Z",
          from: "2026-10-30T23:00:00Z",
          samples: trials,
          test: "twoProportion",
          successes,
        },
      },
    });

  it.each(fixtures.rules.map((c) => [c.name, c] as const))("%s: the tiers that are both beyond their limit and significant at 0.01 (scipy)", (_name, c) => {
    const d = tick(() => outcomes(c.current.successes, c.current.trials), T0, pinnedFrom(c.baseline.successes, c.baseline.trials));
    expect(d.status.rules?.[0]).toMatchObject({ coverage: "Judged", baselineSamples: c.baseline.trials });
    expect(d.status.findings[0]?.severity ?? null).toBe(c.severity);
    if (c.severity) {
      const p = c.severity === "critical" ? c.pCritical : c.pWarning;
      // p-values are shown to people with 4 significant digits, and tiny ones as "< 0.0001"
      expect(d.status.findings[0]?.description).toContain(p < 1e-4 ? "p < 0.0001)" : `p = ${Number(p.toPrecision(4))})`);
      expect(d.status.findings[0]?.description).toContain(`(${c.current.trials} samples, baseline from ${c.baseline.trials})`);
    }
  });

  it("the issue's plant: 0.86 from 200 samples is 0.06 under 0.92 but within noise (p = 0.35): no finding; the limit alone would have raised one", () => {
    const noisy = tick(() => outcomes(172, 200), T0, pinnedFrom(920, 1000));
    expect(noisy.status.findings).toEqual([]);
    expect(noisy.status.health).toBe("Healthy");
    // a pin taken before counts were kept has no evidence: the limit alone decides, as before
    const legacy = modelMonitorStatusSchema.parse({ pinned: { "signal:accuracy": { value: 0.92, at: "2026-10-31T00:00:00Z" } } });
    const old = tick(() => outcomes(172, 200), T0, legacy);
    expect(old.status.findings.map((f) => [f.severity, f.description])).toEqual([
      ["warning", "accuracy 0.86 is 0.06 under its baseline 0.92 (limit 0.05) (200 samples)"],
    ]);
  });

  it("an offset baseline reports the samples it had, in the rule's row and the finding", () => {
    const offset: ModelMonitorSpecInput = { ...spec, rules: [{ signal: "accuracy", baseline: { offset: "1d" }, maxDrop: { warning: 0.05 } }] };
    const answer: Answer = (q) => (q.time === T0 ? outcomes(800, 1000) : outcomes(2760, 3000));
    const d = tick(answer, T0, undefined, offset);
    expect(d.status.rules?.[0]).toMatchObject({ coverage: "Judged", baselineSamples: 3000 });
    expect(d.status.findings[0]?.description).toBe("accuracy 0.8 is 0.12 under its baseline 0.92 (limit 0.05) (1000 samples, baseline from 3000)");
  });
});
