// Canary decision benchmark (a benchmark, not a test; issue 20): how often each analysis policy
// rolls back a good candidate, how fast it catches a bad one, and how many requests the bad one
// serves meanwhile. Pure and seeded: no cluster, no clock. Run:
//   npm run bench:canary [-- --seed 7 --reps 10000 --machine-reps 1000 --hold-min 10]
//
// One simulated stream per rollout that every policy reads, interval by interval. The first four
// policies drive the decision functions directly; the fifth ticks the rollout machine itself:
//   today      one fixed-horizon analysis at the end of each step's hold, with the operator's own
//              compareVersions (src/domain/rollout/comparisons.ts) on the counts since the step
//              began; Failed rolls back (failureLimit 0), Inconclusive extends the step by a hold
//              (at most inconclusiveLimit 6 times in a row, then the rollout pauses);
//   flagger    a Flagger-style rule without statistics: every interval, a check fails when the
//              candidate's value over that interval alone is beyond stable's (same interval) by more
//              than the tolerance; the 5th failed check rolls back (Flagger's `threshold`);
//   sequential what the machine does with analysis.interval: the anytime-valid test
//              (src/domain/stats/sequential.ts) at every interval on the
//              counts since the step began, once both versions have minSamples; a rejection rolls
//              back at once. A step passes at the end of its hold unless a comparison's estimate is
//              beyond its tolerance (then it is extended as today). α = significance/steps per
//              comparison, so the whole rollout's chance of failing a candidate within tolerance
//              is at most significance per comparison (docs/statistics.md, "Anytime-valid
//              comparisons"), with sequentialComparison, the machine's own judgement;
//   seq+carry  the same, but each comparison's evidence is carried from step to step (the product
//              of the completed steps' final Λ and the current one, at significance per comparison
//              for the whole rollout). In the operator a 100 % step reads stable over the window before it, which
//              overlaps the previous step's data, so that step would need its own share of α; here
//              stable's pre-step window is drawn afresh (a simplification in its favour);
//   machine    decideRollout (src/domain/rollout/machine.ts) with analysis.interval 30s, ticked at
//              every look it plans, on the first --machine-reps streams (it is slower): the check
//              that the machine's schedule, extensions and limits are the sequential policy's.
// Both versions are read at the same instants (every 30 s), as the operator reads them. Steps keep
// the same schedule under every policy (Flagger would also advance faster when checks pass).
//
// Traffic: 50 requests/s split by the step's weight (5/25/50/100 %, hold 10 min each); at 100 %
// stable is read over an equally long window before the step (simulated as 25 requests/s, its
// share in the step before). Two comparisons: the error rate (stable 1 %, maxIncrease 0.01) and
// the mean latency (stable N(0.2 s, 0.1 s) per request, maxRelativeIncrease 0.2), the latter from
// its count, sum and sum of squares. Scenarios name the candidate's error-rate worseness in units
// of the tolerance δ = 0.01: equal (0), at the tolerance (1δ), and worse than tolerated by 1×, 2×
// and 10× the tolerance (worseness 2δ, 3δ, 11δ: candidate error rates 3 %, 4 %, 12 %); broken:
// every request an error and latency ×10. Latency is otherwise equal. A bad candidate is bad from
// its first request, so "time to detection" is the time from the rollout's start to the rollback
// (weights back to 100 % stable in the same reconcile), and "served" counts the candidate's
// requests until the rollout ends (rollback, pause or promotion).
// Counts are drawn per 30 s interval: binomial errors by inversion (exact) when n·min(p, 1 − p) < 30,
// else by the normal approximation; latency sums and sums of squares by the normal approximation
// of sums of n independent requests.
import { Rng as SeededRng } from "../../hack/lib/rng.ts";
import {
  modelRolloutStatusSchema,
  rolloutStrategySchema,
  type ComparisonRecord,
  type ComparisonSpec,
  type ModelRolloutStatus,
  type Weights,
} from "../../src/api/v1alpha1/rollout.ts";
import { boundaryKey, carriedEvidence, judged, stageAlpha, stageOf } from "../../src/domain/rollout/analysis.ts";
import { analysisDue, decideRollout, interimCheckDue, isTerminal } from "../../src/domain/rollout/machine.ts";
import { compareVersions, limitOf, sequentialComparison } from "../../src/domain/rollout/comparisons.ts";
import type { Evidence } from "../../src/domain/rollout/evidence.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ""), String(process.argv[i + 1]));
const SEED = Number(args.get("seed") ?? 20261206);
const REPS = Number(args.get("reps") ?? 10_000);
/** The machine policy ticks decideRollout at every look: slower, so it runs on the first of the same streams. */
const MACHINE_REPS = Math.min(REPS, Number(args.get("machine-reps") ?? 1_000));

const RPS = 50;
const INTERVAL_S = 30;
const STEPS = [5, 25, 50, 100];
const HOLD_INTERVALS = Math.round((Number(args.get("hold-min") ?? 10) * 60) / 30); // 10 min by default
const MIN_SAMPLES = 200;
const SIGNIFICANCE = 0.05;
const INCONCLUSIVE_LIMIT = 6;
const FLAGGER_THRESHOLD = 5;
const STABLE_ERROR = 0.01;
const ERROR_TOLERANCE = 0.01;
const LATENCY_MEAN = 0.2;
const LATENCY_SD = 0.1;
const LATENCY_TOLERANCE = 0.2;
const COMPARISONS: ComparisonSpec[] = [
  { signal: "error_rate", maxIncrease: ERROR_TOLERANCE },
  { signal: "latency_mean", maxRelativeIncrease: LATENCY_TOLERANCE },
];
/** A fresh test per step: significance over the steps, per comparison (the machine before evidence was carried). */
const PER_STEP_ALPHA = SIGNIFICANCE / STEPS.length;

interface Scenario {
  name: string;
  errorRate: number;
  latencyFactor: number;
  bad: boolean;
}
const SCENARIOS: Scenario[] = [
  { name: "equal", errorRate: STABLE_ERROR, latencyFactor: 1, bad: false },
  { name: "at tolerance (1δ)", errorRate: STABLE_ERROR + ERROR_TOLERANCE, latencyFactor: 1, bad: false },
  { name: "1× beyond (2δ)", errorRate: STABLE_ERROR + 2 * ERROR_TOLERANCE, latencyFactor: 1, bad: true },
  { name: "2× beyond (3δ)", errorRate: STABLE_ERROR + 3 * ERROR_TOLERANCE, latencyFactor: 1, bad: true },
  { name: "10× beyond (11δ)", errorRate: STABLE_ERROR + 11 * ERROR_TOLERANCE, latencyFactor: 1, bad: true },
  { name: "broken", errorRate: 1, latencyFactor: 10, bad: true },
];

// ------------------------------------------------------------------ seeded PRNG (hack/lib/rng.ts) with the binomial draws of this benchmark
class Rng extends SeededRng {
  binomial(n: number, p: number): number {
    if (p <= 0 || n === 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    if (n * p >= 30) return Math.min(Math.max(Math.round(n * p + Math.sqrt(n * p * (1 - p)) * this.normal()), 0), n);
    const q = 1 - p;
    let pk = q ** n;
    let cdf = pk;
    const x = this.uniform();
    let k = 0;
    while (x > cdf && k < n) {
      pk *= ((n - k) / (k + 1)) * (p / q);
      cdf += pk;
      k++;
    }
    return k;
  }
}

// ------------------------------------------------------------------ the simulated stream
interface Side {
  requests: number;
  errors: number;
  latencySum: number;
  latencySquares: number;
}
interface Interval {
  stable: Side;
  candidate: Side;
}
const emptySide = (): Side => ({ requests: 0, errors: 0, latencySum: 0, latencySquares: 0 });
const add = (a: Side, b: Side): Side => ({
  requests: a.requests + b.requests,
  errors: a.errors + b.errors,
  latencySum: a.latencySum + b.latencySum,
  latencySquares: a.latencySquares + b.latencySquares,
});

function draw(rng: Rng, n: number, errorRate: number, mean: number, sd: number): Side {
  if (n === 0) return emptySide();
  const m2 = mean * mean + sd * sd;
  const varSquares = 4 * mean * mean * sd * sd + 2 * sd ** 4; // Var(X²) for a normal X
  return {
    requests: n,
    errors: rng.binomial(n, errorRate),
    latencySum: n * mean + Math.sqrt(n) * sd * rng.normal(),
    latencySquares: Math.max(0, n * m2 + Math.sqrt(n * varSquares) * rng.normal()),
  };
}

/** One rollout's traffic: interval j of step s is drawn once, from a generator of the step's own, whichever policy asks first. */
class Stream {
  private readonly steps: { rng: Rng; intervals: Interval[] }[];
  private readonly scenario: Scenario;
  constructor(seed: number, scenario: Scenario) {
    this.scenario = scenario;
    this.steps = STEPS.map((_, s) => ({ rng: new Rng((seed * 31 + s * 7919 + 1) >>> 0), intervals: [] }));
  }
  at(step: number, j: number): Interval {
    const st = this.steps[step] as { rng: Rng; intervals: Interval[] };
    while (st.intervals.length <= j) {
      const weight = STEPS[step] as number;
      const perInterval = RPS * INTERVAL_S;
      const nc = Math.round((perInterval * weight) / 100);
      const ns = weight >= 100 ? perInterval / 2 : perInterval - nc;
      const sc = this.scenario;
      st.intervals.push({
        stable: draw(st.rng, ns, STABLE_ERROR, LATENCY_MEAN, LATENCY_SD),
        candidate: draw(st.rng, nc, sc.errorRate, LATENCY_MEAN * sc.latencyFactor, LATENCY_SD * sc.latencyFactor),
      });
    }
    return st.intervals[j] as Interval;
  }
}

// ------------------------------------------------------------------ evidence, as evidence.ts builds it
function errorEvidence(x: Side): Evidence {
  if (x.requests === 0) return { state: "NoData", message: "no requests" };
  return { state: "Value", value: x.errors / x.requests, samples: x.requests, basis: { test: "twoProportion", successes: x.errors, trials: x.requests } };
}
const meanOf = (x: Side) => ({
  mean: x.latencySum / x.requests,
  variance: Math.max(0, (x.latencySquares - (x.latencySum * x.latencySum) / x.requests) / (x.requests - 1)),
  n: x.requests,
});
function latencyEvidence(x: Side): Evidence {
  if (x.requests < 2) return { state: "NoData", message: "fewer than two requests" };
  const m = meanOf(x);
  return { state: "Value", value: m.mean, samples: x.requests, basis: { test: "welch", ...m } };
}

// ------------------------------------------------------------------ policies
interface Ending {
  outcome: "rolledBack" | "promoted" | "paused";
  seconds: number;
  served: number;
}
type Policy = (stream: Stream) => Ending;

/** Runs the steps with one callback per interval: "rollback", "pass" (the step ends), "pause" or undefined (go on). */
function walk(stream: Stream, onInterval: (step: number, j: number, sum: Interval, last: Interval) => "rollback" | "pass" | "pause" | undefined): Ending {
  let seconds = 0;
  let served = 0;
  for (let s = 0; s < STEPS.length; s++) {
    let sum: Interval = { stable: emptySide(), candidate: emptySide() };
    for (let j = 0; ; j++) {
      const x = stream.at(s, j);
      sum = { stable: add(sum.stable, x.stable), candidate: add(sum.candidate, x.candidate) };
      seconds += INTERVAL_S;
      served += x.candidate.requests;
      const verdict = onInterval(s, j, sum, x);
      if (verdict === "rollback") return { outcome: "rolledBack", seconds, served };
      if (verdict === "pause") return { outcome: "paused", seconds, served };
      if (verdict === "pass") break;
    }
  }
  return { outcome: "promoted", seconds, served };
}

const today: Policy = (stream) => {
  let inconclusive = 0;
  return walk(stream, (_s, j, sum) => {
    if (j === 0) inconclusive = 0;
    if ((j + 1) % HOLD_INTERVALS !== 0) return undefined;
    const o = { minSamples: MIN_SAMPLES, significance: SIGNIFICANCE };
    const records = [
      compareVersions(COMPARISONS[0] as ComparisonSpec, errorEvidence(sum.stable), errorEvidence(sum.candidate), o),
      compareVersions(COMPARISONS[1] as ComparisonSpec, latencyEvidence(sum.stable), latencyEvidence(sum.candidate), o),
    ];
    if (records.some((r) => r.outcome === "Failed")) return "rollback";
    if (records.some((r) => r.outcome !== "Passed")) return ++inconclusive > INCONCLUSIVE_LIMIT ? "pause" : undefined;
    return "pass";
  });
};

const flagger: Policy = (stream) => {
  let failedChecks = 0;
  return walk(stream, (_s, j, _sum, x) => {
    const s = x.stable;
    const c = x.candidate;
    const errorsBeyond = c.errors / c.requests > s.errors / s.requests + ERROR_TOLERANCE;
    const latencyBeyond = c.latencySum / c.requests > (s.latencySum / s.requests) * (1 + LATENCY_TOLERANCE);
    if (errorsBeyond || latencyBeyond) failedChecks++;
    if (failedChecks >= FLAGGER_THRESHOLD) return "rollback";
    return (j + 1) % HOLD_INTERVALS === 0 ? "pass" : undefined;
  });
};

const perStep: Policy = (stream) => {
  let inconclusive = 0;
  const o = { minSamples: MIN_SAMPLES, alpha: PER_STEP_ALPHA };
  return walk(stream, (_s, j, sum) => {
    if (j === 0) inconclusive = 0;
    const records = [
      sequentialComparison(COMPARISONS[0] as ComparisonSpec, errorEvidence(sum.stable), errorEvidence(sum.candidate), o),
      sequentialComparison(COMPARISONS[1] as ComparisonSpec, latencyEvidence(sum.stable), latencyEvidence(sum.candidate), o),
    ];
    if (records.some((r) => r.outcome === "Failed")) return "rollback";
    if ((j + 1) % HOLD_INTERVALS !== 0) return undefined;
    if (records.some((r) => r.outcome !== "Passed")) return ++inconclusive > INCONCLUSIVE_LIMIT ? "pause" : undefined;
    return "pass";
  });
};

/**
 * The machine's judgement (src/domain/rollout/analysis.ts): the same test at every look, each
 * comparison at its stage's level (stageAlpha) given the evidence carried from the steps before
 * (carriedEvidence); the 100 % step stands alone at α/K.
 */
const sequential: Policy = (stream) => {
  let inconclusive = 0;
  let carried: Record<string, number> | undefined;
  let last: ComparisonRecord[] = [];
  return walk(stream, (s, j, sum) => {
    if (j === 0) inconclusive = 0;
    const stage = { shadow: false, index: s };
    const alpha = (c: ComparisonSpec) => stageAlpha(MACHINE_STRATEGY, stage, carried?.[boundaryKey({ signal: c.signal, check: limitOf(c).check })]);
    const [rate, latency] = COMPARISONS as [ComparisonSpec, ComparisonSpec];
    last = [
      sequentialComparison(rate, errorEvidence(sum.stable), errorEvidence(sum.candidate), { minSamples: MIN_SAMPLES, alpha: alpha(rate) }),
      sequentialComparison(latency, latencyEvidence(sum.stable), latencyEvidence(sum.candidate), { minSamples: MIN_SAMPLES, alpha: alpha(latency) }),
    ];
    if (last.some((r) => r.outcome === "Failed")) return "rollback";
    if ((j + 1) % HOLD_INTERVALS !== 0) return undefined;
    if (last.some((r) => r.outcome !== "Passed")) return ++inconclusive > INCONCLUSIVE_LIMIT ? "pause" : undefined;
    carried = carriedEvidence(MACHINE_STRATEGY, stage, carried, last);
    return "pass";
  });
};

/**
 * The rollout machine itself (src/domain/rollout/machine.ts) with analysis.interval, ticked at
 * every planned look: its own schedule, extensions, limits and judgement (sequentialComparison
 * records judged as judgeSequentialAnalysis judges them), fed the same streams. Weights and
 * workloads take effect at once; the candidate is in place and ready from the start.
 */
const MACHINE_STRATEGY = rolloutStrategySchema.parse({
  steps: STEPS.map((weight) => ({ weight, hold: `${HOLD_INTERVALS * INTERVAL_S}s` })),
  analysis: { interval: `${INTERVAL_S}s`, minSamples: MIN_SAMPLES, significance: SIGNIFICANCE, inconclusiveLimit: INCONCLUSIVE_LIMIT, compare: COMPARISONS },
});
const machine: Policy = (stream) => {
  let status: ModelRolloutStatus = modelRolloutStatusSchema.parse({});
  let weights: Weights = { stable: 100, candidate: 0 };
  let now = Date.parse("2026-12-01T00:00:00Z");
  let started: number | undefined;
  const reached = new Map<number, number>(); // intervals of each step the machine has seen
  const ready = (version: string) => ({ found: true, version, ready: true, message: "ready" });
  const served = () =>
    [...reached].reduce(
      (n, [step, intervals]) => n + Array.from({ length: intervals }, (_, j) => stream.at(step, j).candidate.requests).reduce((a, b) => a + b, 0),
      0,
    );
  for (let tick = 0; tick < 10_000; tick++) {
    let analysis;
    if (analysisDue(status, now)) {
      const step = status.stepIndex ?? 0;
      const intervals = Math.round((now - Date.parse(status.stepStartTime as string)) / (INTERVAL_S * 1000));
      reached.set(step, Math.max(reached.get(step) ?? 0, intervals));
      let sum: Interval = { stable: emptySide(), candidate: emptySide() };
      for (let j = 0; j < intervals; j++) {
        const x = stream.at(step, j);
        sum = { stable: add(sum.stable, x.stable), candidate: add(sum.candidate, x.candidate) };
      }
      // as judgeAnalysis judges: each comparison at its stage's level, from the evidence carried in status
      const alpha = (c: ComparisonSpec) =>
        stageAlpha(MACHINE_STRATEGY, stageOf(status), status.carriedEvidence?.[boundaryKey({ signal: c.signal, check: limitOf(c).check })]);
      const [rate, latency] = COMPARISONS as [ComparisonSpec, ComparisonSpec];
      const records = [
        sequentialComparison(rate, errorEvidence(sum.stable), errorEvidence(sum.candidate), { minSamples: MIN_SAMPLES, alpha: alpha(rate) }),
        sequentialComparison(latency, latencyEvidence(sum.stable), latencyEvidence(sum.candidate), { minSamples: MIN_SAMPLES, alpha: alpha(latency) }),
      ];
      analysis = { ...judged(records), ...(interimCheckDue(status, now) ? { interim: true } : {}), window: `${intervals * INTERVAL_S}s` };
    }
    const d = decideRollout(
      { generation: 1, spec: { monitorRef: { name: "m" }, candidate: { version: "v2" }, paused: false }, annotations: {}, status, deleting: false },
      {
        now,
        strategy: MACHINE_STRATEGY,
        stable: { version: "v1" },
        weights: { kind: "weights", weights, mirror: 0 },
        stableWorkload: ready("v1"),
        candidateWorkload: ready("v2"),
        analysis,
      },
    );
    status = d.status;
    for (const e of d.effects) if (e.kind === "setWeights") weights = e.weights;
    if (started === undefined && status.stepStartTime) started = Date.parse(status.stepStartTime);
    const seconds = (now - (started ?? now)) / 1000;
    if (status.phase === "RollingBack" || isTerminal(status.phase)) return { outcome: "rolledBack", seconds, served: served() };
    if (status.phase === "Paused") return { outcome: "paused", seconds, served: served() };
    if (status.phase === "Promoting") return { outcome: "promoted", seconds, served: served() };
    now = status.nextAnalysisTime ? Math.max(now, Date.parse(status.nextAnalysisTime)) : now + 500;
  }
  throw new Error("the machine did not finish the rollout");
};

const POLICIES: [string, Policy][] = [
  ["today", today],
  ["flagger", flagger],
  ["per-step", perStep],
  ["sequential", sequential],
  ["machine", machine],
];

// ------------------------------------------------------------------ runs
const started = performance.now();
interface Tally {
  rolledBack: number;
  paused: number;
  times: number[];
  served: number;
}
const results = new Map<string, Tally>();
for (const [si, scenario] of SCENARIOS.entries()) {
  for (let rep = 0; rep < REPS; rep++) {
    const stream = new Stream((SEED + si * 1_000_003 + rep * 7) >>> 0, scenario);
    for (const [name, policy] of POLICIES) {
      if (name === "machine" && rep >= MACHINE_REPS) continue;
      const key = `${scenario.name}|${name}`;
      const t = results.get(key) ?? { rolledBack: 0, paused: 0, times: [], served: 0 };
      const e = policy(stream);
      if (e.outcome === "rolledBack") {
        t.rolledBack++;
        t.times.push(e.seconds);
      }
      if (e.outcome === "paused") t.paused++;
      t.served += e.served;
      results.set(key, t);
    }
  }
}

// ------------------------------------------------------------------ the least exposure any test can have
/**
 * Wald's lower bound on the expected sample size of ANY sequential test (of any design, looking
 * as often as it likes) whose chance of failing a candidate exactly at the tolerance is at most α
 * and that catches this candidate with probability 1 − β: E[N] ≥ ((1 − β) ln((1 − β)/α) + β ln(β/(1 − α))) / KL,
 * KL the information per candidate request between the candidate's error rate and the tolerated
 * one. Computed as if stable's rate were known exactly (which only lowers it), for the error rate
 * (the latency is equal in these scenarios). At a 5 % step every candidate request is one sample.
 */
function lowerBounds(): string {
  const kl = (p: number, q: number) => (p > 0 ? p * Math.log(p / q) : 0) + (p < 1 ? (1 - p) * Math.log((1 - p) / (1 - q)) : 0);
  const wald = (alpha: number, beta: number) => (1 - beta) * Math.log((1 - beta) / alpha) + beta * Math.log(beta / (1 - alpha));
  const lines = [
    `Least mean exposure of any test with at most ${pct(SIGNIFICANCE)} false rollbacks at the tolerance that catches the candidate 95 % of the time (Wald's bound), against today's policy's mean:`,
  ];
  for (const sc of SCENARIOS.filter((x) => x.bad)) {
    const bound = wald(SIGNIFICANCE, 0.05) / kl(sc.errorRate, STABLE_ERROR + ERROR_TOLERANCE);
    const today = (results.get(`${sc.name}|today`) as Tally).served / REPS;
    lines.push(
      `  ${sc.name.padEnd(18)} ≥ ${Math.ceil(bound).toLocaleString("en-US").padStart(6)} requests: at most ${(today / Math.max(bound, MIN_SAMPLES * (sc.errorRate >= 1 ? 1 : 0), 1)).toFixed(1)}× less than today's ${Math.round(today).toLocaleString("en-US")}${sc.errorRate >= 1 ? ` (minSamples ${MIN_SAMPLES} binds first)` : ""}`,
    );
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ report
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
};
const minutes = (s: number) => (Number.isNaN(s) ? "-" : s < 600 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)} %`;
const cols = ["scenario", "policy", "rolled back", "paused", "median t", "p95 t", "served (mean)"];
const widths = [20, 12, 13, 9, 10, 10, 15];
const row = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(" | ")} |`;

console.log(`Canary decision benchmark — seed ${SEED}; ${REPS} rollouts per scenario; the same streams for every policy`);
console.log(
  `${RPS} req/s; steps ${STEPS.join("/")} %, hold ${(HOLD_INTERVALS * INTERVAL_S) / 60} min; a look every ${INTERVAL_S} s; minSamples ${MIN_SAMPLES}; significance ${SIGNIFICANCE}`,
);
console.log(
  `error rate: stable ${STABLE_ERROR}, maxIncrease ${ERROR_TOLERANCE} (δ); latency mean: N(${LATENCY_MEAN} s, ${LATENCY_SD} s), maxRelativeIncrease ${LATENCY_TOLERANCE}`,
);
console.log(
  `today: fixed-horizon test at each hold's end; flagger: ${FLAGGER_THRESHOLD} failed per-interval checks; per-step: mixture SPRT every ${INTERVAL_S} s, a fresh test per step at α = ${PER_STEP_ALPHA}; sequential and machine: the same test with evidence carried across steps (stageAlpha), α = ${SIGNIFICANCE} per comparison over the rollout`,
);
console.log(
  `"rolled back" is the false rollback rate for equal / at tolerance, the detection rate otherwise; times from the first candidate request to the rollback`,
);
console.log("");
console.log(row(cols));
console.log(`|${widths.map((w, i) => (i < 2 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
for (const scenario of SCENARIOS)
  for (const [name] of POLICIES) {
    const t = results.get(`${scenario.name}|${name}`) as Tally;
    const reps = name === "machine" ? MACHINE_REPS : REPS;
    console.log(
      row([
        scenario.name,
        name,
        pct(t.rolledBack / reps),
        pct(t.paused / reps),
        minutes(quantile(t.times, 0.5)),
        minutes(quantile(t.times, 0.95)),
        Math.round(t.served / reps).toLocaleString("en-US"),
      ]),
    );
  }
console.log("");
console.log(lowerBounds());
console.log("");
console.log(`Ran in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
