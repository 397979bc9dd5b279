import { describe, expect, it } from "vitest";
import {
  DEFAULT_DRIFT_THRESHOLDS,
  DRIFT_METHODS,
  chiSquareTest,
  evaluateDatasetDrift,
  evaluateFeatureDrift,
  FALSE_FINDINGS_PER_30_DAYS,
  hasPValue,
  noiseLevelForInterval,
  ksTest,
  poolAdjacentBins,
  psi,
  severityOf,
  significanceTestOf,
  type DriftMethod,
  type FeatureDriftResult,
  type Histogram,
} from "../../../src/domain/stats/index.ts";
import { value, hist } from "./support.ts";

const U4 = [1, 2, 3, Infinity];
const h4 = (counts: number[]) => hist(U4, counts);
const U2 = [0, Infinity];
const h2 = (a: number, b: number) => hist(U2, [a, b]);

function asValue(r: FeatureDriftResult) {
  if (r.state !== "Value") throw new Error(`expected a Value, got ${JSON.stringify(r)}`);
  return r;
}

describe("DEFAULT_DRIFT_THRESHOLDS", () => {
  it("holds the documented defaults for every method", () => {
    expect(DEFAULT_DRIFT_THRESHOLDS).toEqual({
      psi: { warning: 0.1, critical: 0.25 },
      kl: { warning: 0.1, critical: 0.2 },
      js: { warning: 0.1, critical: 0.15 },
      hellinger: { warning: 0.1, critical: 0.2 },
      wasserstein: { warning: 0.1, critical: 0.25 },
      ks: { warning: 0.1, critical: 0.2 },
      chi2: { warning: 0.1, critical: 0.2 },
    });
    expect(Object.keys(DEFAULT_DRIFT_THRESHOLDS).sort()).toEqual([...DRIFT_METHODS].sort());
    expect(Object.isFrozen(DEFAULT_DRIFT_THRESHOLDS.psi)).toBe(true);
  });
});

describe("severityOf", () => {
  it.each([
    [0.05, "none"],
    // a score exactly at a threshold does not reach it: the one edge convention (domain/stats/severity.ts)
    [0.1, "none"],
    [0.1001, "warning"],
    [0.2, "warning"],
    [0.25, "warning"],
    [0.2501, "critical"],
    [3, "critical"],
  ] as const)("psi %d -> %s", (score, severity) => {
    expect(severityOf(score, DEFAULT_DRIFT_THRESHOLDS.psi)).toBe(severity);
  });
  it("never reaches a level that is not set, and nothing without significance", () => {
    expect(severityOf(10, { warning: 0.1 })).toBe("warning");
    expect(severityOf(10, { critical: 0.5 })).toBe("critical");
    expect(severityOf(0.3, { critical: 0.5 })).toBe("none");
    expect(severityOf(10, { warning: 0.1, critical: 0.2 }, false)).toBe("none");
  });
});

describe("significance tests", () => {
  it("every method has a p-value: ks its own, the others the pooled chi-square test", () => {
    for (const m of DRIFT_METHODS) expect(hasPValue(m)).toBe(true);
    expect(DRIFT_METHODS.map((m) => [m, significanceTestOf(m)])).toEqual([
      ["psi", "chi2"],
      ["kl", "chi2"],
      ["js", "chi2"],
      ["hellinger", "chi2"],
      ["wasserstein", "chi2"],
      ["ks", "ks"],
      ["chi2", "chi2"],
    ]);
  });
});

describe("evaluateFeatureDrift", () => {
  const base = { minSamples: 10 };

  it("reports score, the chi-square p-value and severity for a distance method", () => {
    const reference = h4([25, 25, 25, 25]);
    const current = h4([10, 20, 30, 40]);
    const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method: "psi" }));
    expect(r.score).toBe(value(psi(reference, current)));
    expect(r.severity).toBe("warning"); // psi ≈ 0.23, p ≈ 0.012
    // every expected count is already 12.5 ≥ 5: no pooling, the test runs on the four buckets
    const t = value(chiSquareTest(reference, current));
    expect(r).toMatchObject({ pValue: t.pValue, significanceTest: "chi2", statistic: t.statistic, dof: 3, alpha: 0.05 });
    expect(r.pValue).toBeLessThan(0.05);
    expect(r).toMatchObject({ referenceSamples: 100, currentSamples: 100 });
  });

  it("uses given thresholds; a level left out is never reached", () => {
    const reference = h4([25, 25, 25, 25]);
    const current = h4([10, 20, 30, 40]);
    expect(asValue(evaluateFeatureDrift({ ...base, reference, current, method: "psi", thresholds: { critical: 0.2 } })).severity).toBe("critical");
    expect(asValue(evaluateFeatureDrift({ ...base, reference, current, method: "psi", thresholds: { critical: 0.3 } })).severity).toBe("none");
  });

  it.each(DRIFT_METHODS)("%s: identical windows are not drift", (method) => {
    const r = asValue(evaluateFeatureDrift({ ...base, reference: h4([10, 20, 30, 40]), current: h4([20, 40, 60, 80]), method }));
    expect(r.score).toBeCloseTo(0, 12);
    expect(r.pValue).toBeCloseTo(1, 12);
    expect(r.significanceTest).toBe(significanceTestOf(method));
    expect(r.severity).toBe("none");
  });

  it("ks: the score is D and a finding needs p < alpha", () => {
    const reference = h2(500, 500);
    const current = h2(350, 650); // D = 0.15
    const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method: "ks" }));
    expect(r.score).toBeCloseTo(0.15, 14);
    expect(r.pValue).toBe(value(ksTest(reference, current)).pValue);
    expect(r.pValue).toBeLessThan(0.05);
    expect(r.significanceTest).toBe("ks");
    expect(r.alpha).toBe(0.05);
    expect(r.statistic).toBeUndefined(); // the KS statistic is the score
    expect(r.severity).toBe("warning");
  });

  it("chi2: the score is Cramér's V, with χ² and dof alongside", () => {
    const reference = h4([250, 250, 250, 250]);
    const current = h4([150, 250, 250, 350]);
    const t = value(chiSquareTest(reference, current));
    const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method: "chi2" }));
    expect(r).toMatchObject({ score: t.cramersV, pValue: t.pValue, significanceTest: "chi2", statistic: t.statistic, dof: 3, severity: "warning" });
  });

  describe("soundness", () => {
    it("with millions of samples a tiny shift is significant but not a finding", () => {
      const reference = h4([250_000, 250_000, 250_000, 250_000]);
      const current = h4([253_000, 247_000, 250_000, 250_000]);
      for (const method of ["ks", "chi2"] as const) {
        const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method }));
        expect(r.pValue).toBeLessThan(0.001);
        expect(r.score).toBeLessThan(0.1);
        expect(r.severity).toBe("none");
      }
    });
    it("with a handful of samples a large apparent effect is not a finding", () => {
      const reference = h2(3, 2);
      const current = h2(0, 5);
      const ks = asValue(evaluateFeatureDrift({ reference, current, method: "ks", minSamples: 1 }));
      expect(ks.score).toBeCloseTo(0.6, 14);
      expect(ks.pValue).toBeGreaterThan(0.05);
      expect(ks.severity).toBe("none");
      // the asymptotic chi-square p-value would be 0.038 on expected counts of 1.5: the chi2 method
      // pools buckets to expected counts of 5 first, and 10 observations cannot fill two groups
      expect(evaluateFeatureDrift({ reference, current, method: "chi2", minSamples: 1 })).toEqual({
        state: "InsufficientData",
        reason:
          "Too few observations for the chi-square test: 5 and 5 observations cannot fill two groups of adjacent buckets with expected counts of at least 5.",
        referenceSamples: 5,
        currentSamples: 5,
      });
    });
    it.each(DRIFT_METHODS.filter((m) => significanceTestOf(m) === "chi2" && m !== "chi2"))(
      "%s: a tiny stationary sample with a large score but no significance is not a finding",
      (method) => {
        // 20 observations a side: sampling noise alone gives scores far above the thresholds
        // (psi ≈ 0.65), but the chi-square test on the pooled groups (columns of at least 10
        // observations: [5 | 15] against [9 | 11]) finds nothing unusual, p ≈ 0.18
        const reference = h4([5, 5, 5, 5]);
        const current = h4([9, 1, 8, 2]);
        const r = asValue(evaluateFeatureDrift({ reference, current, method, minSamples: 1 }));
        expect(r.score).toBeGreaterThanOrEqual(DEFAULT_DRIFT_THRESHOLDS[method].critical);
        const pooled = value(poolAdjacentBins(reference, current, 5));
        expect(pooled).toMatchObject({ reference: [5, 15], current: [9, 11] });
        expect(r.pValue).toBe(value(chiSquareTest(pooled.reference, pooled.current)).pValue);
        expect(r).toMatchObject({ significanceTest: "chi2", dof: 1, severity: "none" });
        expect(r.pValue).toBeGreaterThan(0.05);
      },
    );
    it("a significant but small effect is not a finding for a distance method either", () => {
      const r = asValue(evaluateFeatureDrift({ ...base, reference: h2(100, 100), current: h2(75, 125), method: "psi" }));
      expect(r.pValue).toBeLessThan(0.05);
      expect(r.score).toBeLessThan(0.1); // psi ≈ 0.064
      expect(r.severity).toBe("none");
    });
    it.each(["psi", "kl", "js", "hellinger"] as const)("%s: windows too small for two pooled groups are InsufficientData", (method) => {
      expect(evaluateFeatureDrift({ reference: h2(3, 2), current: h2(0, 5), method, minSamples: 1 })).toEqual({
        state: "InsufficientData",
        reason:
          "Too few observations for the chi-square test: 5 and 5 observations cannot fill two groups of adjacent buckets with expected counts of at least 5.",
        referenceSamples: 5,
        currentSamples: 5,
      });
    });
    it("a distance method takes its p-value from the pooled table", () => {
      const reference = h4([1, 500, 499, 0]);
      const current = h4([0, 480, 518, 2]);
      const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method: "hellinger" }));
      const pooled = value(chiSquareTest([501, 499], [480, 520]));
      expect(r).toMatchObject({ significanceTest: "chi2", dof: 1, statistic: pooled.statistic, pValue: pooled.pValue });
    });
    it("chi2 pools sparse tail buckets into their neighbours", () => {
      const reference = h4([1, 500, 499, 0]);
      const current = h4([0, 480, 518, 2]);
      const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method: "chi2" }));
      const pooled = value(chiSquareTest([501, 499], [480, 520]));
      expect(r).toMatchObject({ dof: 1, statistic: pooled.statistic, pValue: pooled.pValue, score: pooled.cramersV });
    });
    it("a real shift in enough data is critical", () => {
      const reference = h4([250, 250, 250, 250]);
      const current = h4([50, 150, 300, 500]);
      for (const method of DRIFT_METHODS) {
        const r = asValue(evaluateFeatureDrift({ ...base, reference, current, method }));
        expect(r.severity).toBe("critical");
        expect(r.pValue).toBeLessThan(1e-30);
        expect(r.significanceTest).toBe(significanceTestOf(method));
      }
    });
  });

  describe("insufficient data", () => {
    it("below minSamples on either side, naming which", () => {
      const r = evaluateFeatureDrift({ reference: h4([1, 2, 3, 4]), current: h4([50, 50, 50, 50]), method: "psi", minSamples: 100 });
      expect(r).toEqual({
        state: "InsufficientData",
        reason: "The reference window has 10 observations, fewer than the 100 required (minSamples).",
        referenceSamples: 10,
        currentSamples: 200,
      });
      const both = evaluateFeatureDrift({ reference: h4([1, 2, 3, 4]), current: h4([0, 0, 0, 0]), method: "ks", minSamples: 100 });
      expect(both).toMatchObject({
        state: "InsufficientData",
        reason: "The reference window has 10 observations and the current window has 0 observations, fewer than the 100 required (minSamples).",
      });
    });
    it("an empty window is insufficient even with minSamples 0", () => {
      expect(evaluateFeatureDrift({ reference: h4([1, 2, 3, 4]), current: h4([0, 0, 0, 0]), method: "js", minSamples: 0 })).toMatchObject({
        state: "InsufficientData",
        currentSamples: 0,
      });
    });
  });

  describe("errors", () => {
    const ok4 = h4([1, 2, 3, 4]);
    it.each([
      [{ reference: h4([1, Number.NaN, 3, 4]), current: ok4, method: "psi" }, "the reference histogram has a NaN count in bucket le=2"],
      [{ reference: ok4, current: h4([1, 2, Infinity, 4]), method: "psi" }, "the current histogram has an infinite count in bucket le=3"],
      [
        { reference: ok4, current: hist([1, 2, 5, Infinity], [1, 2, 3, 4]), method: "psi" },
        "the bucket layouts differ: bucket 3 of 4 is le=3 in the reference histogram and le=5 in the current one",
      ],
      [{ reference: ok4, current: hist([1, Infinity], [1, 2]), method: "ks" }, "the bucket layouts differ"],
      [{ reference: h4([0, 10, 0, 0]), current: ok4, method: "wasserstein" }, "reference standard deviation"],
      [{ reference: ok4, current: ok4, method: "cosine" }, 'the drift method "cosine" is unknown'],
      [{ reference: ok4, current: ok4, method: "psi", thresholds: { warning: -1 } }, "the warning threshold (-1) must be a finite non-negative number"],
      [{ reference: ok4, current: ok4, method: "ks", alpha: 1 }, "alpha (1) must be a number strictly between 0 and 1"],
      [{ reference: ok4, current: ok4, method: "kl", epsilon: 0 }, "epsilon (0)"],
      [{ reference: ok4, current: ok4, method: "psi", noiseLevel: 0 }, "noiseLevel (0) must be a number in (0, 1]"],
      [{ reference: ok4, current: ok4, method: "psi", noiseLevel: 1.5 }, "noiseLevel (1.5) must be a number in (0, 1]"],
      [{ reference: ok4, current: ok4, method: "kl", minSamples: Number.NaN }, "minSamples (NaN)"],
    ])("%# %s", (input, expected) => {
      const r = evaluateFeatureDrift({ minSamples: 1, ...(input as { reference: Histogram; current: Histogram; method: DriftMethod }) });
      expect(r.state).toBe("Error");
      expect((r as { reason: string }).reason).toContain(expected);
    });
  });
});

describe("the noise gate", () => {
  // the KS pair of evaluateDatasetDrift's tests: D = 0.165 between windows of 200, p ≈ 0.0087
  const reference = h2(100, 100);
  const current = h2(67, 133);

  it("spends FALSE_FINDINGS_PER_30_DAYS over the evaluations of 30 days", () => {
    expect(FALSE_FINDINGS_PER_30_DAYS).toBe(0.05);
    expect(noiseLevelForInterval(60_000)).toBeCloseTo(0.05 / 43_200, 18);
    expect(noiseLevelForInterval(3_600_000)).toBeCloseTo(0.05 / 720, 15);
    // the operator's floor of one second, and never more than 1
    expect(noiseLevelForInterval(10)).toBe(noiseLevelForInterval(1000));
    expect(noiseLevelForInterval(Number.NaN)).toBe(noiseLevelForInterval(1000));
    expect(noiseLevelForInterval(1e15)).toBe(1);
  });

  it("a finding needs p < min(alpha, noiseLevel); alpha is reported as that level", () => {
    const base = { reference, current, method: "ks" as const, minSamples: 1 };
    const p = asValue(evaluateFeatureDrift(base)).pValue;
    expect(p).toBeGreaterThan(0.005);
    expect(p).toBeLessThan(0.01);
    expect(evaluateFeatureDrift(base)).toMatchObject({ severity: "warning", alpha: 0.05 });
    expect(evaluateFeatureDrift({ ...base, noiseLevel: 0.01 })).toMatchObject({ severity: "warning", alpha: 0.01 });
    expect(evaluateFeatureDrift({ ...base, noiseLevel: 0.005 })).toMatchObject({ severity: "none", alpha: 0.005, pValue: p });
    // alpha below the noise level stays the level
    expect(evaluateFeatureDrift({ ...base, noiseLevel: 0.5, alpha: 0.001 })).toMatchObject({ severity: "none", alpha: 0.001 });
  });

  it("is family-wise: the correction over features divides the noise level", () => {
    const features = { a: { reference, current }, b: { reference, current: reference } };
    const at = (noiseLevel: number) => value(evaluateDatasetDrift({ features, method: "ks", minSamples: 1, noiseLevel }));
    expect(at(0.02).features.a).toMatchObject({ severity: "warning", alpha: 0.01 });
    expect(at(0.015).features.a).toMatchObject({ severity: "none", alpha: 0.0075 });
    expect(at(0.015).alpha).toBe(0.05);
  });
});

describe("evaluateDatasetDrift", () => {
  // n = m = 200 per window, two bins: D = k/200 for a shift of k observations, n_eff = 100
  const shifted = (k: number) => ({ reference: h2(100, 100), current: h2(100 - k, 100 + k) });
  const a = shifted(33); // D = 0.165, p ≈ 0.0087
  const b = shifted(29); // D = 0.145, p ≈ 0.030
  const pOf = (f: { reference: Histogram; current: Histogram }) => value(ksTest(f.reference, f.current)).pValue;

  it("has the premise the correction tests rely on", () => {
    expect(pOf(a)).toBeLessThan(0.025);
    expect(pOf(b)).toBeGreaterThan(0.025);
    expect(pOf(b)).toBeLessThan(0.05);
  });

  it("Bonferroni compares each p-value with alpha / tested features", () => {
    const r = value(evaluateDatasetDrift({ features: { b, a }, method: "ks", minSamples: 10 }));
    expect(r.correction).toBe("bonferroni");
    expect(r.features.a).toMatchObject({ state: "Value", severity: "warning", alpha: 0.025 });
    expect(r.features.b).toMatchObject({ state: "Value", severity: "none", alpha: 0.025 });
    expect(r.driftedFeatures).toEqual(["a"]);
    expect(r.testedFeatures).toBe(2);
    expect(r.driftedShare).toBe(0.5);
    expect(r.datasetDrift).toBe(true);
    expect(r.worstSeverity).toBe("warning");
  });

  it("Holm steps down: the second smallest p-value faces alpha / (m − 1)", () => {
    const r = value(evaluateDatasetDrift({ features: { a, b }, method: "ks", minSamples: 10, correction: "holm" }));
    expect(r.features.a).toMatchObject({ severity: "warning", alpha: 0.025 });
    expect(r.features.b).toMatchObject({ severity: "warning", alpha: 0.05 });
    expect(r.driftedFeatures).toEqual(["a", "b"]);
  });

  it("Holm stops at the first p-value that is not below its level", () => {
    const c = shifted(10); // p ≈ 0.8
    const r = value(evaluateDatasetDrift({ features: { a, b, c }, method: "ks", minSamples: 10, correction: "holm" }));
    // a: p < 0.05/3 ✓; b: p ≈ 0.03 ≥ 0.05/2 -> stop; c is not significant either
    expect(r.driftedFeatures).toEqual(["a"]);
    expect(r.features.b).toMatchObject({ severity: "none", alpha: 0.025 });
    expect(r.features.c).toMatchObject({ severity: "none", alpha: 0.05 });
  });

  it("without correction each p-value faces alpha", () => {
    const r = value(evaluateDatasetDrift({ features: { a, b }, method: "ks", minSamples: 10, correction: "none" }));
    expect(r.driftedFeatures).toEqual(["a", "b"]);
  });

  it("counts only features that had a value, and keeps the others with their reason", () => {
    const tiny = { reference: h2(2, 2), current: h2(0, 4) };
    const broken = { reference: h2(2, 2), current: hist([1, Infinity], [2, 2]) };
    const r = value(evaluateDatasetDrift({ features: { a, b, tiny, broken }, method: "ks", minSamples: 10 }));
    expect(r.testedFeatures).toBe(2);
    expect(r.features.a).toMatchObject({ alpha: 0.025 });
    expect(r.features.tiny).toMatchObject({ state: "InsufficientData", referenceSamples: 4, currentSamples: 4 });
    expect(r.features.broken).toMatchObject({ state: "Error" });
    expect(Object.keys(r.features)).toEqual(["a", "b", "broken", "tiny"]);
  });

  describe("the correction applies to the distance methods too", () => {
    // n = m = 100 over four buckets; no pooling, dof 3
    const reference = h4([25, 25, 25, 25]);
    const p = { reference, current: h4([10, 20, 30, 40]) }; // psi ≈ 0.228, p ≈ 0.012
    const q = { reference, current: h4([10, 24, 30, 36]) }; // psi ≈ 0.187, p ≈ 0.031
    const chiP = (f: { reference: Histogram; current: Histogram }) => value(chiSquareTest(f.reference, f.current)).pValue;

    it("has the premise the tests rely on", () => {
      expect(value(psi(p.reference, p.current))).toBeGreaterThan(0.1);
      expect(value(psi(q.reference, q.current))).toBeGreaterThan(0.1);
      expect(chiP(p)).toBeLessThan(0.025);
      expect(chiP(q)).toBeGreaterThan(0.025);
      expect(chiP(q)).toBeLessThan(0.05);
      // alone, each is a finding
      expect(asValue(evaluateFeatureDrift({ ...q, method: "psi", minSamples: 10 })).severity).toBe("warning");
    });
    it("Bonferroni", () => {
      const r = value(evaluateDatasetDrift({ features: { p, q }, method: "psi", minSamples: 10 }));
      expect(r.features.p).toMatchObject({ severity: "warning", alpha: 0.025, pValue: chiP(p), significanceTest: "chi2" });
      expect(r.features.q).toMatchObject({ severity: "none", alpha: 0.025, pValue: chiP(q) });
      expect(r.driftedFeatures).toEqual(["p"]);
    });
    it("Holm", () => {
      const r = value(evaluateDatasetDrift({ features: { p, q }, method: "psi", minSamples: 10, correction: "holm" }));
      expect(r.features.p).toMatchObject({ severity: "warning", alpha: 0.025 });
      expect(r.features.q).toMatchObject({ severity: "warning", alpha: 0.05 });
    });
    it("none", () => {
      const r = value(evaluateDatasetDrift({ features: { p, q }, method: "wasserstein", minSamples: 10, correction: "none" }));
      expect(r.features.q).toMatchObject({ alpha: 0.05, pValue: chiP(q) });
      expect(r.driftedFeatures).toEqual(["p", "q"]);
    });
  });

  it("declares dataset drift from the share of drifted features", () => {
    const calm = { reference: h4([10, 20, 30, 40]), current: h4([10, 20, 30, 40]) };
    const moved = { reference: h4([25, 25, 25, 25]), current: h4([5, 10, 25, 60]) };
    const features = { z: moved, y: calm, x: moved };
    const r = value(evaluateDatasetDrift({ features, method: "psi", minSamples: 10, datasetDriftShare: 0.6 }));
    expect(r.driftedFeatures).toEqual(["x", "z"]);
    expect(r.driftedShare).toBeCloseTo(2 / 3, 15);
    expect(r.datasetDrift).toBe(true);
    expect(r.worstSeverity).toBe("critical");
    expect(value(evaluateDatasetDrift({ features, method: "psi", minSamples: 10, datasetDriftShare: 0.7 })).datasetDrift).toBe(false);
    // a share of 0 still needs at least one drifted feature
    expect(value(evaluateDatasetDrift({ features: { y: calm }, method: "psi", minSamples: 10, datasetDriftShare: 0 })).datasetDrift).toBe(false);
  });

  it("reports an empty feature set as nothing tested", () => {
    expect(value(evaluateDatasetDrift({ features: {}, method: "chi2", minSamples: 10 }))).toMatchObject({
      testedFeatures: 0,
      driftedShare: 0,
      datasetDrift: false,
      worstSeverity: "none",
      driftedFeatures: [],
    });
  });

  it("refuses an invalid configuration with a reason", () => {
    const bad = (extra: object) => evaluateDatasetDrift({ features: { a }, method: "ks", minSamples: 10, ...extra });
    expect(bad({ correction: "sidak" })).toEqual({ ok: false, reason: 'the correction "sidak" is unknown; expected one of bonferroni, holm, none' });
    expect(bad({ datasetDriftShare: 1.5 })).toMatchObject({ ok: false });
    expect(bad({ alpha: 0 })).toMatchObject({ ok: false });
    expect(bad({ method: "euclidean" })).toMatchObject({ ok: false });
  });
});
