// The anytime-valid normal-mixture test, checked against the mixture integral evaluated by mpmath
// (scripts/fixtures/make-stats-fixtures.py, section `sequential`), and the property it exists
// for: over many looks at a candidate exactly at the tolerance it fails at most α of them, on a
// seeded simulation (deterministic: it cannot flake, it fails only when the code is wrong).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  logNormalCdf,
  mixtureBoundary,
  mixtureLogEvidence,
  proportionMarginTest,
  sequentialMeanTest,
  sequentialProportionTest,
  sequentialShareTest,
  type MeanSample,
  type ProportionSample,
  type SequentialResult,
  type Tolerance,
  type Worse,
} from "../../../src/domain/stats/index.ts";
import { reason, value } from "./support.ts";

type Checked = {
  alpha: number;
  worseness: number;
  excess: number;
  standardError?: number;
  mixingSd?: number;
  boundary?: number;
  logEvidence?: number;
  lower: number;
  upper: number;
  reject: boolean;
};
type TestCase =
  | ({ kind: "proportion"; name: string; stable: ProportionSample; candidate: ProportionSample; worse: Worse; tolerance: Tolerance } & Checked)
  | ({ kind: "mean"; name: string; stable: MeanSample; candidate: MeanSample; worse: Worse; tolerance: Tolerance } & Checked)
  | ({ kind: "share"; name: string; count: number; total: number; p0: number } & Checked);
interface Fixtures {
  boundaries: { u: number; alpha: number; boundary: number }[];
  evidence: { z: number; u: number; logEvidence: number }[];
  tests: TestCase[];
}
const fixtures = (JSON.parse(readFileSync(new URL("../../fixtures/stats/reference-values.json", import.meta.url), "utf8")) as { sequential: Fixtures })
  .sequential;

const close = (a: number, b: number, rel: number, what: string) => {
  if (!(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300))) throw new Error(`${what}: ${a} vs ${b}`);
};

const run = (c: TestCase): SequentialResult =>
  c.kind === "proportion"
    ? value(sequentialProportionTest(c.stable, c.candidate, c.worse, c.tolerance, { alpha: c.alpha }))
    : c.kind === "mean"
      ? value(sequentialMeanTest(c.stable, c.candidate, c.worse, c.tolerance, { alpha: c.alpha }))
      : value(sequentialShareTest(c.count, c.total, c.p0, { alpha: c.alpha }));

describe("the normal-mixture boundary against mpmath's quadrature of the mixture", () => {
  // the closed form against a 40-digit integral: 1e-12 leaves room for ln Φ's 1e-14 and the
  // rounding of ½z²r − ln(…) when z reaches 200
  it.each(fixtures.boundaries)("u=$u alpha=$alpha", (c) => close(mixtureBoundary(c.u, c.alpha), c.boundary, 1e-12, "boundary"));
  it.each(fixtures.evidence)("ln Λ at z=$z u=$u", (c) => close(mixtureLogEvidence(c.z, c.u), c.logEvidence, 1e-12, "logEvidence"));
  it.each(fixtures.tests)("$kind $name", (c) => {
    const r = run(c);
    close(r.worseness, c.worseness, 1e-12, "worseness");
    close(r.excess, c.excess, 1e-12, "excess");
    if (c.standardError !== undefined) close(r.standardError, c.standardError, 1e-12, "standardError");
    if (c.mixingSd !== undefined) close(r.mixingSd, c.mixingSd, 1e-12, "mixingSd");
    if (c.boundary !== undefined) close(r.boundary, c.boundary, 1e-11, "boundary");
    if (c.logEvidence !== undefined) close(r.logEvidence, c.logEvidence, 1e-11, "logEvidence");
    // the bounds are differences of nearby numbers: absolute agreement on the scale of the excess
    expect(Math.abs(r.lower - c.lower)).toBeLessThan(1e-11 * (Math.abs(c.excess) + (c.standardError ?? 0) * 10));
    expect(Math.abs(r.upper - c.upper)).toBeLessThan(1e-11 * (Math.abs(c.excess) + (c.standardError ?? 0) * 10));
    expect(r.reject).toBe(c.reject);
  });
  it("the fixtures hold rejections and acceptances of every kind", () => {
    for (const kind of ["proportion", "mean", "share"])
      expect(new Set(fixtures.tests.filter((c) => c.kind === kind).map((c) => c.reject))).toEqual(new Set([true, false]));
  });
});

describe("the sequential test", () => {
  it("fails the candidate exactly when the lower anytime-valid bound on the excess is above 0", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 200_000 }),
        fc.integer({ min: 200, max: 20_000 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.double({ min: -0.05, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (ns, nc, ps, shift, margin) => {
          const pc = Math.min(1, Math.max(0, ps + shift));
          const r = value(
            sequentialProportionTest({ successes: ps * ns, trials: ns }, { successes: pc * nc, trials: nc }, "greater", { margin }, { alpha: 0.05 }),
          );
          return r.reject === r.lower > 0 && r.lower <= r.excess && r.excess <= r.upper;
        },
      ),
    );
  });

  it("is stricter than one fixed-horizon test at the same level, and the price shrinks only slowly with the information", () => {
    // one look at z = 1.645 suffices for a fixed test at 0.05; anytime validity needs more
    for (const u of [0.1, 1, 10, 100]) expect(mixtureBoundary(u, 0.05)).toBeGreaterThan(1.645);
    // tightest near u ≈ 2 ln(1/α): the mixture is tuned to the information where an excess of τ is seen
    expect(mixtureBoundary(6, 0.05)).toBeLessThan(mixtureBoundary(0.5, 0.05));
    expect(mixtureBoundary(6, 0.05)).toBeLessThan(mixtureBoundary(100, 0.05));
  });

  it("answers from the cumulative counts alone: the same counts give the same answer, whatever came before", () => {
    const stable = { successes: 150, trials: 15_000 };
    const candidate = { successes: 40, trials: 1_000 };
    const a = value(sequentialProportionTest(stable, candidate, "greater", { margin: 0.01 }, { alpha: 0.05 }));
    sequentialProportionTest({ successes: 1, trials: 200 }, { successes: 199, trials: 200 }, "greater", { margin: 0.01 }, { alpha: 0.05 });
    expect(value(sequentialProportionTest(stable, candidate, "greater", { margin: 0.01 }, { alpha: 0.05 }))).toEqual(a);
  });

  it("treats a relative tolerance as the contrast candidate − (1 + L)·stable, with the stable version's noise", () => {
    const r = value(
      sequentialMeanTest({ mean: 0.2, variance: 0.01, n: 5000 }, { mean: 0.26, variance: 0.02, n: 400 }, "greater", { relative: 0.2 }, { alpha: 0.05 }),
    );
    close(r.excess, 0.26 - 1.2 * 0.2, 1e-12, "excess");
    close(r.standardError, Math.sqrt(0.02 / 400 + 1.44 * (0.01 / 5000)), 1e-12, "se");
    close(r.mixingSd, 0.2 * 0.2, 1e-12, "tau");
    const less = value(
      sequentialProportionTest({ successes: 900, trials: 1000 }, { successes: 800, trials: 1000 }, "less", { relative: 0.05 }, { alpha: 0.05 }),
    );
    close(less.excess, 0.95 * 0.9 - 0.8, 1e-12, "excess less");
  });

  it("gives the figures of the worked example in docs/statistics.md", () => {
    const r = value(
      sequentialProportionTest({ successes: 100, trials: 10_000 }, { successes: 40, trials: 1_000 }, "greater", { margin: 0.01 }, { alpha: 0.05 }),
    );
    close(r.standardError, 0.0062761, 1e-4, "se");
    close(r.logEvidence, 3.70039, 1e-5, "ln Λ");
    close(r.boundary, 2.86393, 1e-5, "z*");
    close(r.lower, 0.0020256, 1e-4, "lower");
    close(r.upper, 0.037974, 1e-4, "upper");
    expect(r.reject).toBe(true);
  });

  it("with no noise at all, the excess is certain", () => {
    const broken = value(
      sequentialProportionTest({ successes: 0, trials: 1000 }, { successes: 200, trials: 200 }, "greater", { margin: 0.01 }, { alpha: 0.05 }),
    );
    expect(broken).toMatchObject({ reject: true, standardError: 0, lower: 0.99 });
    expect(
      value(sequentialProportionTest({ successes: 0, trials: 1000 }, { successes: 0, trials: 200 }, "greater", { margin: 0 }, { alpha: 0.05 })).reject,
    ).toBe(false);
  });

  it("refuses bad input, naming it", () => {
    const s = { successes: 10, trials: 1000 };
    expect(reason(sequentialProportionTest(s, s, "greater", { margin: 0.01 }, { alpha: 1 }))).toMatch(/alpha \(1\)/);
    expect(reason(sequentialProportionTest(s, s, "greater", { margin: -1 }, { alpha: 0.05 }))).toMatch(/margin \(-1\)/);
    expect(reason(sequentialProportionTest(s, s, "greater", { margin: 0.01 }, { alpha: 0.05, mixingSd: 0 }))).toMatch(/mixing standard deviation \(0\)/);
    expect(reason(sequentialProportionTest(s, { successes: 1, trials: 0 }, "greater", { margin: 0.01 }, { alpha: 0.05 }))).toMatch(
      /candidate version has 0 trials/,
    );
    expect(reason(sequentialMeanTest({ mean: 1, variance: 1, n: 1 }, { mean: 1, variance: 1, n: 10 }, "less", { relative: 0.1 }, { alpha: 0.05 }))).toMatch(
      /stable version has n=1/,
    );
    expect(reason(sequentialMeanTest({ mean: 1, variance: 1, n: 10 }, { mean: 1, variance: 1, n: 10 }, "less", { relative: 2 }, { alpha: 0.05 }))).toMatch(
      /at most 1/,
    );
    expect(reason(sequentialShareTest(5, 10, 0, { alpha: 0.05 }))).toMatch(/strictly between 0 and 1/);
  });

  it("ln Φ keeps its precision in the far lower tail", () => {
    // values from mpmath.log(mpmath.ncdf(x)) at 30 digits
    close(logNormalCdf(-40), -804.6084420137538, 1e-13, "ln Φ(-40)");
    close(logNormalCdf(-37), -689.0305855768906, 1e-13, "ln Φ(-37)");
    close(logNormalCdf(-36.99), -688.660365663659, 1e-13, "ln Φ(-36.99)");
  });
});

// ------------------------------------------------------------------ a seeded simulation
/** sfc32 seeded through splitmix32: the benchmarks' generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let [a, b, c, d] = [next(), next(), next(), next()];
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}
/** Binomial(n, p) by inversion; exact, and quick for the small n·p drawn here. */
function binomial(u: () => number, n: number, p: number): number {
  const q = 1 - p;
  let pk = q ** n;
  let cdf = pk;
  const x = u();
  let k = 0;
  while (x > cdf && k < n) {
    pk *= ((n - k) / (k + 1)) * (p / q);
    cdf += pk;
    k++;
  }
  return k;
}

describe("over many looks, at exactly the tolerance", () => {
  // 1,000 step-long streams: stable 5 % errors, candidate 6 % with a tolerance of +0.01, so every
  // candidate sits exactly on the boundary of H0 (the least favourable case). 5 % of 1,000 requests
  // per look go to the candidate; 150 looks, the first with 200 candidate requests (minSamples).
  const SEQUENCES = 1000;
  const LOOKS = 150;
  const ALPHA = 0.05;
  const simulate = (candidateRate: number) => {
    const u = rng(20261206);
    let sequential = 0;
    let repeatedFixed = 0;
    for (let i = 0; i < SEQUENCES; i++) {
      const s = { successes: 0, trials: 0 };
      const c = { successes: 0, trials: 0 };
      let seqHit = false;
      let fixedHit = false;
      for (let look = 1; look <= LOOKS && !(seqHit && fixedHit); look++) {
        s.successes += binomial(u, 950, 0.05);
        s.trials += 950;
        c.successes += binomial(u, 50, candidateRate);
        c.trials += 50;
        if (c.trials < 200) continue;
        if (!seqHit) seqHit = value(sequentialProportionTest(s, c, "greater", { margin: 0.01 }, { alpha: ALPHA })).reject;
        if (!fixedHit) fixedHit = value(proportionMarginTest(s, c, "greater", 0.01)).pValue < ALPHA;
      }
      if (seqHit) sequential++;
      if (fixedHit) repeatedFixed++;
    }
    return { sequential: sequential / SEQUENCES, repeatedFixed: repeatedFixed / SEQUENCES };
  };

  it("fails at most α of the candidates (plus three binomial standard errors of the simulation), where a fixed test repeated at every look fails far more", () => {
    const at = simulate(0.06);
    // with this seed: 0.009 and 0.25
    expect(at.sequential).toBeLessThanOrEqual(ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / SEQUENCES));
    expect(at.repeatedFixed).toBeGreaterThan(2 * ALPHA);
  });

  it("and catches almost every candidate worse by twice the tolerance", () => {
    expect(simulate(0.08).sequential).toBeGreaterThan(0.9);
  });
});
