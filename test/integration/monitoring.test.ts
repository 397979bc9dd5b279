// The monitoring engine against the real Prometheus and API server: stationary traffic stays
// quiet over many evaluations; each kind of real change produces the finding that names it.
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, getJson, given, kubectlOk, modelMonitor, useStage, waitFor, watching } from "../stage/index.ts";

interface Finding {
  type: string;
  severity: string;
  source: string;
  segment?: string;
  description: string;
}
interface MM {
  status?: {
    health?: string;
    findings?: Finding[];
    history?: { time: string; health: string; findings: number }[];
    drift?: { name: string; driftedFeatures?: string[]; features: { feature: string; score?: number }[] }[];
    signals?: { name: string; segment?: string; value?: number; state: string }[];
  };
}

const model = `churn-${Date.now().toString(36)}`;
const SEGMENTS = ["plant-a", "plant-b", "plant-c", "plant-d"];
const DRIFT_METHODS = ["psi", "kl", "js", "hellinger", "wasserstein", "ks", "chi2"] as const;

const churnMonitor = (namespace: string) => ({
  apiVersion: "modelguardian.dev/v1alpha1",
  kind: "ModelMonitor",
  metadata: { name: "churn", namespace },
  spec: {
    model: { name: model, version: "v1" },
    interval: "1s",
    window: "10s",
    minSamples: 100,
    segments: { label: "plant" },
    signals: [
      ACCURACY,
      {
        name: "refusal_rate",
        ratio: { numerator: { metric: "model_responses_total", matchLabels: { refusal: "true" } }, denominator: { metric: "model_responses_total" } },
      },
      { name: "p95_latency", histogram: { metric: "model_request_latency_seconds", measure: "quantile", quantile: 0.95 } },
      { name: "low_confidence", histogram: { metric: "model_prediction_confidence", measure: "shareBelow", threshold: 0.75 } },
      { name: "precision", classification: { metric: "model_predictions_total", measure: "precision" } },
      { name: "rmse", regression: { count: "model_regression_predictions_total", squaredErrorSum: "model_regression_squared_error_sum", measure: "rmse" } },
      {
        name: "r2",
        regression: {
          count: "model_regression_predictions_total",
          squaredErrorSum: "model_regression_squared_error_sum",
          targetSum: "model_regression_target_sum",
          targetSquaredSum: "model_regression_target_squared_sum",
          measure: "r2",
        },
      },
      { name: "feedback", histogram: { metric: "model_feedback_score", measure: "mean" } },
      {
        name: "throughput",
        query: {
          expr: "sum(rate(model_predictions_total{ {{selector}} }[{{window}}]))",
          samplesExpr: "sum(increase(model_predictions_total{ {{selector}} }[{{window}}]))",
        },
      },
    ],
    rules: [
      { signal: "accuracy", min: { critical: 0.8 } },
      { signal: "refusal_rate", max: { warning: 0.05, critical: 0.1 } },
    ],
    drift: [
      // every distribution method on the same features, plus the embedding centroid
      ...DRIFT_METHODS.map((method) => ({
        name: `inputs-${method}`,
        histogram: { metric: "model_feature_value", featureLabel: "feature" },
        method,
        reference: { pinned: {} },
        threshold: { warning: 0.1, critical: method === "psi" ? 0.25 : 0.2 },
      })),
      {
        name: "queries",
        embedding: { metric: "model_query_embedding_centroid" },
        method: "cosine",
        reference: { pinned: {} },
        threshold: { warning: 0.05, critical: 0.1 },
      },
    ],
    fairness: [{ signal: "accuracy", groupLabel: "group", minRatio: 0.8 }],
  },
});

// let the first 10 s window fill before the reference distributions are pinned
const fillFirstWindow = () => new Promise<void>((r) => setTimeout(r, 10_000));
const stage = useStage(
  given("mon")
    .withModel({
      model,
      version: "v1",
      segments: Object.fromEntries(SEGMENTS.map((s) => [s, { requestsPerSecond: 100 }])),
      groups: { young: {}, old: {} },
      seed: 11,
    })
    .withStep(fillFirstWindow)
    .withOperator()
    .withObjects((namespace) => [churnMonitor(namespace)]),
);

const get = () => getJson<MM>("modelmonitor", "churn", stage.ns);
const findingsOf = (m: MM) => m.status?.findings ?? [];
const waitForFinding = (what: string, match: (f: Finding) => boolean) =>
  waitFor(
    what,
    async () => {
      const m = await get();
      return findingsOf(m).some(match) ? m : undefined;
    },
    60_000,
  );
const waitHealthy = () => waitFor("Healthy again", async () => (await get()).status?.health === "Healthy", 60_000);

describe("monitoring engine on real metrics", () => {
  it("stationary traffic gives no finding over many evaluations", async () => {
    // status keeps only the latest 6 evaluations: gather 20 from successive reads
    const seen = new Map<string, { time: string; health: string; findings: number }>();
    const m = await waitFor(
      "20 evaluations",
      async () => {
        const mm = await get();
        for (const h of mm.status?.history ?? []) seen.set(h.time, h);
        return seen.size >= 20 ? mm : undefined;
      },
      90_000,
      1_000,
    );
    const history = [...seen.values()];
    expect(history.filter((h) => h.findings > 0)).toEqual([]);
    expect(history.every((h) => h.health === "Healthy")).toBe(true);
    const segments = (m.status?.signals ?? []).filter((s) => s.name === "accuracy" && s.segment).map((s) => s.segment);
    expect(segments.sort()).toEqual(SEGMENTS);
    for (const method of DRIFT_METHODS)
      expect(m.status?.drift?.find((d) => d.name === `inputs-${method}`)?.features.map((f) => f.feature)).toEqual(["age", "income", "tenure"]);
    const value = (name: string) => m.status?.signals?.find((s) => s.name === name && !s.segment)?.value as number;
    expect(value("rmse")).toBeGreaterThan(4);
    expect(value("rmse")).toBeLessThan(6);
    expect(value("r2")).toBeGreaterThan(0.8);
    expect(value("feedback")).toBeGreaterThan(3.9);
    expect(value("feedback")).toBeLessThan(4.5);
    expect(value("precision")).toBeGreaterThan(0.7);
    expect(value("throughput")).toBeGreaterThan(300);
    expect(value("throughput")).toBeLessThan(500);
  });

  // each scenario changes the model, checks the finding, and always restores the model and
  // waits until the monitor is Healthy again, so one failure does not cascade into the next
  const scenario = async (change: () => void, restore: () => void, check: () => Promise<void>) => {
    change();
    try {
      await check();
    } finally {
      restore();
      await waitHealthy();
    }
  };

  it("a shifted feature gives a data-drift finding naming that feature only", () =>
    scenario(
      () => stage.sim.setBehaviour({ featureShift: { income: 1.5 } }),
      () => stage.sim.setBehaviour({ featureShift: { income: 0 } }),
      async () => {
        const m = await waitFor(
          "a DataDrift finding from every method",
          async () => {
            const mm = await get();
            return DRIFT_METHODS.every((method) => findingsOf(mm).some((f) => f.type === "DataDrift" && f.source === `inputs-${method}`)) ? mm : undefined;
          },
          60_000,
        );
        for (const method of DRIFT_METHODS) expect(m.status?.drift?.find((d) => d.name === `inputs-${method}`)?.driftedFeatures, method).toEqual(["income"]);
        expect(findingsOf(m).find((f) => f.source === "inputs-psi")?.description).toMatch(/income \(psi [0-9.]+, p (= [0-9.]+|< 0\.0001), /);
      },
    ));

  it("a moved embedding centroid gives an embedding-drift finding", () =>
    scenario(
      () => stage.sim.setBehaviour({ embeddingShift: 2 }),
      () => stage.sim.setBehaviour({ embeddingShift: 0 }),
      async () => {
        const m = await waitForFinding("an EmbeddingDrift finding", (f) => f.type === "EmbeddingDrift");
        expect(findingsOf(m).find((f) => f.type === "EmbeddingDrift")?.description).toMatch(/^cosine distance 0\.\d+/);
      },
    ));

  it("a refusal-rate spike gives behaviour drift", () =>
    scenario(
      () => stage.sim.setBehaviour({ refusalRate: 0.25 }),
      () => stage.sim.setBehaviour({ refusalRate: 0.02 }),
      async () => {
        // the rate climbs through the warning tier while the window fills, then reaches critical
        const m = await waitForFinding(
          "a critical BehaviourDrift finding",
          (f) => f.type === "BehaviourDrift" && f.source === "refusal_rate" && f.segment === undefined && f.severity === "critical",
        );
        expect(findingsOf(m).find((f) => f.type === "BehaviourDrift" && !f.segment)?.description).toMatch(/^refusal_rate 0\.\d+ is over its maximum 0\.1/);
      },
    ));

  it("one segment degrading is reported for that segment only", () =>
    scenario(
      () => stage.sim.setBehaviour({ accuracy: 0.6 }, "plant-b"),
      () => stage.sim.setBehaviour({ accuracy: 0.92 }, "plant-b"),
      async () => {
        const m = await waitForFinding("an AccuracyDrift finding on plant-b", (f) => f.type === "AccuracyDrift" && f.segment === "plant-b");
        expect(
          findingsOf(m)
            .filter((f) => f.type === "AccuracyDrift")
            .map((f) => f.segment),
        ).toEqual(["plant-b"]);
      },
    ));

  it("a fairness gap between groups is reported", () =>
    scenario(
      () => stage.sim.setGroupBehaviour("old", { accuracy: 0.65 }),
      () => stage.sim.setGroupBehaviour("old", { accuracy: 0.92 }),
      async () => {
        const m = await waitForFinding("a Fairness finding", (f) => f.type === "Fairness");
        const fairness = findingsOf(m).find((f) => f.type === "Fairness");
        expect(fairness?.segment).toBe("group=old");
        expect(fairness?.description).toMatch(/accuracy of group=old \(0\.\d+\) is 0\.\d+ of group=young/);
      },
    ));

  it("a rule whose baseline is 24 h back, on a model minutes old, is reported not judged within one evaluation", async () => {
    await apply(
      modelMonitor(stage.ns, "young", {
        ...watching(model, "1s", "10s", 100),
        rules: [
          { signal: "accuracy", min: { critical: 0.5 } },
          { signal: "accuracy", baseline: { offset: "24h" }, maxDrop: { critical: 0.1 } },
        ],
      }),
    );
    interface Young {
      status?: {
        health?: string;
        history?: { health: string }[];
        judgedRules?: string;
        rules?: { name: string; rule: string; coverage: string; message?: string }[];
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
    }
    const m = await waitFor(
      "the first evaluation of young",
      async () => {
        const mm = await getJson<Young>("modelmonitor", "young", stage.ns);
        return mm.status?.history?.length ? mm : undefined;
      },
      60_000,
    );
    // the very first evaluation already says so: never Healthy while a rule cannot run
    expect(m.status?.history?.[0]?.health).toBe("Unknown");
    expect(m.status?.health).toBe("Unknown");
    expect(m.status?.judgedRules).toBe("1/2");
    expect(m.status?.rules?.map((r) => [r.name, r.rule, r.coverage])).toEqual([
      ["spec.rules[0]", "accuracy min", "Judged"],
      ["spec.rules[1]", "accuracy maxDrop, baseline 24h ago", "NoBaseline"],
    ]);
    const judged = m.status?.conditions?.find((c) => c.type === "RulesJudged");
    expect(judged).toMatchObject({ status: "False", reason: "NoBaseline" });
    expect(judged?.message).toMatch(
      /^1 of 2 rules not judged: spec\.rules\[1\] \(accuracy maxDrop, baseline 24h ago\): NoBaseline: the baseline window 24h ago has no value yet \(NoSeries: /,
    );
    // the current values are there; MetricsAvailable says so, and no more
    expect(m.status?.conditions?.find((c) => c.type === "MetricsAvailable")).toMatchObject({
      status: "True",
      message: "every signal and drift check has a current value; 1 of 2 rules could not be judged (condition RulesJudged)",
    });
    // kubectl get shows it, and so does the operator's metric
    const table = await kubectlOk(["get", "modelmonitor", "young", "-n", stage.ns]);
    expect(table.split("\n")[0]).toMatch(/\bJUDGED\b/);
    expect(table.split("\n")[1]).toMatch(/\bUnknown\s+1\/2\b/);
    const metrics = await (await fetch(stage.operator.metricsUrl)).text();
    expect(metrics).toContain(`modelguardian_rules_unjudged{namespace="${stage.ns}",monitor="young"} 1`);
    expect(metrics).toContain(`modelguardian_rules_unjudged{namespace="${stage.ns}",monitor="churn"} 0`);
    await kubectlOk(["delete", "modelmonitor", "young", "-n", stage.ns]);
  });

  it("a pinned baseline waits for its samples: not the first window's, but a growing one's once its standard error is a quarter of the margin", async () => {
    // accuracy about 0.92 at 400 predictions a second; a margin of 0.01 needs ~11,800 samples (SE ≤ 0.0025),
    // about 3 windows of 10 s (more if an earlier scenario left the accuracy lower): the first
    // evaluation's window alone cannot pin it
    await apply(
      modelMonitor(stage.ns, "pinned", {
        ...watching(model, "1s", "10s", 100),
        rules: [{ signal: "accuracy", baseline: { pinned: {} }, maxDrop: { warning: 0.01 } }],
      }),
    );
    interface Pinned {
      status?: {
        health?: string;
        history?: { time: string; health: string }[];
        signals?: { name: string; value?: number; samples?: number }[];
        rules?: { coverage: string; message?: string; baselineSamples?: number }[];
        pinned?: Record<string, { state?: string; value?: number; at: string; from?: string; samples?: number; test?: string; successes?: number }>;
      };
    }
    const getPinned = () => getJson<Pinned>("modelmonitor", "pinned", stage.ns);
    const first = await waitFor(
      "the first evaluation of pinned",
      async () => {
        const mm = await getPinned();
        return mm.status?.history?.length ? mm : undefined;
      },
      60_000,
    );
    const firstTime = Date.parse(first.status?.history?.[0]?.time as string);
    const windowSamples = first.status?.signals?.[0]?.samples as number;
    expect(windowSamples).toBeGreaterThan(1000);
    // the first evaluation's window has a value, but too few samples for the margin: not pinned, not judged
    expect(first.status?.history?.[0]?.health).toBe("Unknown");
    const accumulating = first.status?.pinned?.["signal:accuracy"];
    expect(accumulating).toMatchObject({ state: "Accumulating" });
    expect(accumulating?.value).toBeUndefined();
    const from = Date.parse(accumulating?.from as string);
    expect(from).toBe(Date.parse(accumulating?.at as string) - 10_000);
    expect(first.status?.rules?.[0]?.coverage).toBe("NoBaseline");
    const wanted = /^pinned baseline accumulating since \S+: (\d+) of ~(\d+) samples$/.exec(first.status?.rules?.[0]?.message ?? "");
    expect(wanted, first.status?.rules?.[0]?.message).not.toBeNull();
    // the samples for a standard error of a quarter of 0.01 at the accuracy seen: 16 p(1 − p) / 0.01²
    const needFor = (p: number) => (16 * p * (1 - p)) / 0.01 ** 2;
    const needed = Number(wanted?.[2]);
    const firstValue = first.status?.signals?.[0]?.value as number;
    expect(needed / needFor(firstValue)).toBeCloseTo(1, 1);
    expect(needed).toBeGreaterThan(2 * windowSamples);

    const pinned = await waitFor(
      "the baseline pinned",
      async () => {
        const mm = await getPinned();
        return mm.status?.pinned?.["signal:accuracy"]?.state === "Pinned" ? mm : undefined;
      },
      120_000,
    );
    const pin = pinned.status?.pinned?.["signal:accuracy"];
    // one window from the first evaluation's start, long enough to hold the samples needed
    expect(Date.parse(pin?.from as string)).toBe(from);
    expect(Date.parse(pin?.at as string)).toBeGreaterThan(firstTime + 10_000);
    expect(pin?.samples).toBeGreaterThan(0.99 * needFor(pin?.value as number));
    expect(pin?.samples).toBeGreaterThan(2 * windowSamples);
    expect(pin?.test).toBe("twoProportion");
    expect((pin?.successes as number) / (pin?.samples as number)).toBeCloseTo(pin?.value as number, 5);
    expect(pinned.status?.rules?.[0]).toMatchObject({ coverage: "Judged", baselineSamples: Math.round(pin?.samples as number) });
    await waitFor("pinned Healthy", async () => (await getPinned()).status?.health === "Healthy", 30_000);
    await kubectlOk(["delete", "modelmonitor", "pinned", "-n", stage.ns]);
  });

  it("shows the PromQL it ran with its series count, and tells a misspelt metric from a selector that matches nothing", async () => {
    interface Shown {
      status?: {
        history?: unknown[];
        signals?: {
          name: string;
          segment?: string;
          state: string;
          reason?: string;
          message?: string;
          queries?: { expr: string; series?: number; message?: string }[];
        }[];
        drift?: { name: string; queries?: { expr: string; series?: number }[] }[];
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
    }
    // the running monitor: the overall row shows the query and its series (4 plants x 4 outcomes); segments do not repeat it
    const churn = await waitFor(
      "the queries of churn in status",
      async () => {
        const mm = await getJson<Shown>("modelmonitor", "churn", stage.ns);
        return mm.status?.signals?.[0]?.queries ? mm : undefined;
      },
      60_000,
    );
    const accuracy = churn.status?.signals?.filter((x) => x.name === "accuracy") ?? [];
    expect(accuracy[0]?.queries).toEqual([{ expr: `sum by (outcome, plant) (increase(model_predictions_total{model="${model}"}[10s]))`, series: 16 }]);
    expect(accuracy.slice(1).map((x) => [x.segment, x.queries])).toEqual(SEGMENTS.map((seg) => [seg, undefined]));
    expect(churn.status?.drift?.find((d) => d.name === "queries")?.queries).toEqual([
      { expr: `avg by (dim) (model_query_embedding_centroid{model="${model}"})`, series: 8 },
    ]);

    const signals = [{ name: "accuracy", classification: { metric: "model_predictions_totl" } }];
    const misspelt = { model: { name: model }, interval: "1s", window: "10s", minSamples: 10, signals };
    const wrongSelector = {
      ...misspelt,
      model: { name: `${model}-nope` },
      signals: [ACCURACY],
    };
    await apply({ apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", metadata: { name: "misspelt", namespace: stage.ns }, spec: misspelt });
    await apply({
      apiVersion: "modelguardian.dev/v1alpha1",
      kind: "ModelMonitor",
      metadata: { name: "wrong-selector", namespace: stage.ns },
      spec: wrongSelector,
    });
    const evaluated = (name: string) =>
      waitFor(
        `the first evaluation of ${name}`,
        async () => {
          const mm = await getJson<Shown>("modelmonitor", name, stage.ns);
          return mm.status?.history?.length ? mm : undefined;
        },
        60_000,
      );

    const a = await evaluated("misspelt");
    const fixName = "no series named model_predictions_totl exist in this Prometheus (in the last 5m): check spec.signals[0].classification.metric";
    expect(a.status?.signals?.[0]).toMatchObject({ state: "NoData", reason: "NoSeries", message: fixName });
    expect(a.status?.signals?.[0]?.queries).toEqual([
      { expr: `sum by (outcome) (increase(model_predictions_totl{model="${model}"}[10s]))`, series: 0, message: fixName },
    ]);
    expect(a.status?.conditions?.find((c) => c.type === "MetricsAvailable")).toMatchObject({
      status: "False",
      reason: "NoSeries",
      message: `accuracy: ${fixName}`,
    });

    const b = await evaluated("wrong-selector");
    const fixSelector = b.status?.signals?.[0]?.message ?? "";
    expect(b.status?.signals?.[0]).toMatchObject({ state: "NoData", reason: "NoSeries" });
    expect(fixSelector).toMatch(
      new RegExp(
        `^model_predictions_total exists, but none with \\{model="${model}-nope"\\}: check spec\\.selector \\(unset: \\{model="${model}-nope"\\} from spec\\.model\\.name\\) \\(labels seen on this metric: [a-z_, ]*\\bmodel\\b[a-z_, ]*\\)$`,
      ),
    );
    expect(b.status?.signals?.[0]?.queries).toEqual([
      { expr: `sum by (outcome) (increase(model_predictions_total{model="${model}-nope"}[10s]))`, series: 0, message: fixSelector },
    ]);
    // kubectl get -o yaml is enough to see it (long lines may be folded: only an unbroken part is checked)
    expect(await kubectlOk(["get", "mm", "misspelt", "-n", stage.ns, "-o", "yaml"])).toContain(`(increase(model_predictions_totl{model="${model}"}[10s]))`);
    await kubectlOk(["delete", "modelmonitor", "misspelt", "wrong-selector", "-n", stage.ns]);
  });
});
