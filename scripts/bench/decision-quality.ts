// Decision-quality benchmark for the drift statistics (a benchmark, not a test): how often each
// method raises a finding when nothing changed, and how many evaluations it needs to notice a
// real shift. Run: npm run bench:decisions [-- --seed 7 --reps 2000 --detection-reps 500 --sizes 200,500
// --days 100 --window-minutes 60 --sliding-reps 200 --methods psi,ks --tail-pairs 2000000]
//
// Data: a standard normal feature observed through 10 Prometheus-style buckets
// (le = -2, -1.5, ..., 2, +Inf). Stationary: reference and current windows both from N(0, 1).
// Shift: the current windows from N(0.5, 1), a mean shift of half a standard deviation; the
// reference window is drawn once per repetition and every evaluation sees a fresh current window.
// Windows of up to 2,000 observations are sampled observation by observation; larger ones as a
// multinomial by conditional binomials with the normal approximation (variance ≥ ~30 here).
// Those per-evaluation sections use the operator's decision at one evaluation a minute (alpha 0.05
// and the noise gate, noiseLevelForInterval(60 s)).
//
// Sliding windows (what a monitor sees): each minute brings Poisson(n/W · p_j) new observations in
// bucket j; the current window is the sum of the last W minutes (W = 60, spec.window 1h at
// interval 1m), so consecutive evaluations share W − 1 of their minutes. The reference is either an
// offset window (an independent stationary stream, sliding the same way) or pinned (one window
// drawn at the start of each monitor-day). False findings are counted as episodes: an evaluation
// with a finding after one without. "before" is the decision without the noise gate (p < alpha
// only), "after" the operator's; both come from the same evaluations.
import { Rng as SeededRng } from "../../hack/lib/rng.ts";
import {
  DEFAULT_DRIFT_THRESHOLDS,
  DRIFT_METHODS,
  evaluateFeatureDrift,
  noiseLevelForInterval,
  regularizedGammaP,
  severityOf,
  significanceTestOf,
  type DriftMethod,
  type Histogram,
} from "../../src/domain/stats/index.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ""), String(process.argv[i + 1]));
const SEED = Number(args.get("seed") ?? 20240611);
const FALSE_ALARM_REPS = Number(args.get("reps") ?? 2000);
const DETECTION_REPS = Number(args.get("detection-reps") ?? 500);
const MAX_EVALS = 50;
const SIZES = args.has("sizes") ? String(args.get("sizes")).split(",").map(Number) : [50, 100, 1000, 10_000, 100_000, 1_000_000];
const SHIFT = 0.5;
const ALPHA = 0.05;
const DAYS = Number(args.get("days") ?? 100);
const WINDOW_MINUTES = Number(args.get("window-minutes") ?? 60);
const SLIDING_REPS = Number(args.get("sliding-reps") ?? 200);
const METHODS: readonly DriftMethod[] = args.has("methods") ? (String(args.get("methods")).split(",") as DriftMethod[]) : DRIFT_METHODS;
for (const m of METHODS) if (!DRIFT_METHODS.includes(m)) throw new Error(`--methods: ${m} is not one of ${DRIFT_METHODS.join(", ")}`);
const EVALUATIONS_PER_DAY = 1440;
/** Independent stationary pairs per size for the tail calibration of the pooled chi-square test; 0 skips it. */
const TAIL_PAIRS = Number(args.get("tail-pairs") ?? 0);
/** The operator's noise gate at one evaluation a minute. */
const NOISE_LEVEL = noiseLevelForInterval(60_000);
const UPPER = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, Infinity];

// ------------------------------------------------------------------ seeded PRNG (hack/lib/rng.ts) with the draws this benchmark needs
class Rng extends SeededRng {
  binomial(n: number, p: number): number {
    if (p <= 0 || n === 0) return 0;
    if (p >= 1) return n;
    if (n <= 2000) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
      return k;
    }
    const x = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * this.normal());
    return Math.min(Math.max(x, 0), n);
  }
  /** Poisson(lambda): by multiplication up to 30, else the normal approximation (sd ≥ 5.5). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = this.uniform();
    while (prod > limit) {
      k++;
      prod *= this.uniform();
    }
    return k;
  }
}

// ------------------------------------------------------------------ the feature
function phi(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const r = regularizedGammaP(0.5, (z * z) / 2);
  if (!r.ok) throw new Error(r.reason);
  return 0.5 * (1 + Math.sign(z) * r.value);
}
function binProbabilities(mean: number): number[] {
  let prev = 0;
  return UPPER.map((u) => {
    const c = phi(u - mean);
    const p = c - prev;
    prev = c;
    return p;
  });
}
const P0 = binProbabilities(0);
const P1 = binProbabilities(SHIFT);

function window(rng: Rng, probs: number[], n: number): Histogram {
  const counts = new Array<number>(probs.length).fill(0);
  if (n <= 2000) {
    const cum: number[] = [];
    let s = 0;
    for (const p of probs) cum.push((s += p));
    for (let i = 0; i < n; i++) {
      const u = rng.uniform() * s;
      let j = 0;
      while (j < cum.length - 1 && u >= (cum[j] as number)) j++;
      counts[j] = (counts[j] as number) + 1;
    }
  } else {
    let left = n;
    let pLeft = 1;
    for (let j = 0; j < probs.length - 1 && left > 0; j++) {
      const k = rng.binomial(left, Math.min((probs[j] as number) / pLeft, 1));
      counts[j] = k;
      left -= k;
      pLeft -= probs[j] as number;
    }
    counts[probs.length - 1] = left;
  }
  return { bins: UPPER.map((u, i) => ({ lower: i === 0 ? -Infinity : (UPPER[i - 1] as number), upper: u, count: counts[i] as number })), total: n };
}

function evaluate(method: DriftMethod, reference: Histogram, current: Histogram) {
  return evaluateFeatureDrift({
    reference,
    current,
    method,
    minSamples: 1,
    alpha: ALPHA,
    noiseLevel: NOISE_LEVEL,
    thresholds: DEFAULT_DRIFT_THRESHOLDS[method],
  });
}

/** The decisions of one evaluation without the noise gate (before) and with it (after). */
function decide(method: DriftMethod, reference: Histogram, current: Histogram): { before: boolean; after: boolean; pValue: number } {
  const r = evaluate(method, reference, current);
  if (r.state !== "Value") return { before: false, after: false, pValue: 1 };
  return { before: severityOf(r.score, DEFAULT_DRIFT_THRESHOLDS[method], r.pValue < ALPHA) !== "none", after: r.severity !== "none", pValue: r.pValue };
}

// ------------------------------------------------------------------ runs
const started = performance.now();
const rng = new Rng(SEED);
const falseAlarms = new Map<string, number>();
const meanScoreH0 = new Map<string, number>();
const meanScoreH1 = new Map<string, number>();
const detection = new Map<string, number[]>();
const key = (m: DriftMethod, n: number) => `${m}|${n}`;

for (const n of SIZES) {
  for (let rep = 0; rep < FALSE_ALARM_REPS; rep++) {
    const reference = window(rng, P0, n);
    const current = window(rng, P0, n);
    const shifted = window(rng, P1, n);
    for (const m of METHODS) {
      const r = evaluate(m, reference, current);
      if (r.state === "Value") {
        if (r.severity !== "none") falseAlarms.set(key(m, n), (falseAlarms.get(key(m, n)) ?? 0) + 1);
        meanScoreH0.set(key(m, n), (meanScoreH0.get(key(m, n)) ?? 0) + r.score / FALSE_ALARM_REPS);
      }
      const s = evaluate(m, reference, shifted);
      if (s.state === "Value") meanScoreH1.set(key(m, n), (meanScoreH1.get(key(m, n)) ?? 0) + s.score / FALSE_ALARM_REPS);
    }
  }
  for (let rep = 0; rep < DETECTION_REPS; rep++) {
    const reference = window(rng, P0, n);
    const pending = new Set<DriftMethod>(METHODS);
    for (let t = 1; t <= MAX_EVALS && pending.size > 0; t++) {
      const current = window(rng, P1, n);
      for (const m of [...pending]) {
        const r = evaluate(m, reference, current);
        if (r.state === "Value" && r.severity !== "none") {
          pending.delete(m);
          const list = detection.get(key(m, n)) ?? [];
          list.push(t);
          detection.set(key(m, n), list);
        }
      }
    }
  }
}

// ------------------------------------------------------------------ report
const sizeLabel = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const pad = (s: string, w: number) => s.padStart(w);
const line = (first: string, cells: string[]) => `${first.padEnd(13)}${cells.map((c) => pad(c, 12)).join("")}`;
const header = line(
  "method",
  SIZES.map((n) => `n=${sizeLabel(n)}`),
);
const thresholdText = (m: DriftMethod) => {
  const t = DEFAULT_DRIFT_THRESHOLDS[m];
  return `${t.warning}/${t.critical} & p<min(${ALPHA}, ${NOISE_LEVEL.toPrecision(3)}) (${significanceTestOf(m)})`;
};

console.log(`Drift decision quality — seed ${SEED}; 10 buckets (le=-2..2 step 0.5, +Inf); N(0,1) reference; minSamples 1`);
console.log(`Default thresholds (warning/critical): ${METHODS.map((m) => `${m} ${thresholdText(m)}`).join(", ")}`);
console.log(`chi2 scores Cramér's V after pooling buckets to expected counts >= 5; ks scores D; wasserstein is W1 / reference sd.`);
console.log(`Significance: ks its own p-value; every other method the chi-square test on the pooled buckets; the noise gate at one evaluation a minute.`);
console.log("");
console.log(`False-alarm rate: share of evaluations with severity != none, reference and current both N(0,1) (${FALSE_ALARM_REPS} repetitions)`);
console.log(header);
for (const m of METHODS)
  console.log(
    line(
      m,
      SIZES.map((n) => `${(((falseAlarms.get(key(m, n)) ?? 0) / FALSE_ALARM_REPS) * 100).toFixed(1)}%`),
    ),
  );
console.log("");
console.log(`Mean score, stationary -> shifted by ${SHIFT} sd (${FALSE_ALARM_REPS} repetitions)`);
console.log(header);
const fmtScore = (x: number | undefined) => (x === undefined ? "-" : x < 0.0095 ? x.toExponential(0) : x.toFixed(2));
for (const m of METHODS)
  console.log(
    line(
      m,
      SIZES.map((n) => `${fmtScore(meanScoreH0.get(key(m, n)))}>${fmtScore(meanScoreH1.get(key(m, n)))}`),
    ),
  );
console.log("");
console.log(
  `Evaluations until detection of a ${SHIFT} sd mean shift, fresh current window each time: mean (share detected within ${MAX_EVALS}), ${DETECTION_REPS} repetitions`,
);
console.log(header);
for (const m of METHODS)
  console.log(
    line(
      m,
      SIZES.map((n) => {
        const list = detection.get(key(m, n)) ?? [];
        if (list.length === 0) return "never";
        const mean = list.reduce((a, b) => a + b, 0) / list.length;
        const share = list.length / DETECTION_REPS;
        return share === 1 ? mean.toFixed(2) : `${mean.toFixed(1)}(${Math.floor(share * 1000) / 10}%)`;
      }),
    ),
  );

// ------------------------------------------------------------------ sliding windows
/** The last W minutes of bucket counts of one stream, summed. */
class SlidingWindow {
  private readonly minutes: number[][] = [];
  readonly sum: number[];
  private readonly rng: Rng;
  private readonly perMinute: number;
  constructor(rng: Rng, perMinute: number, probs: number[]) {
    this.rng = rng;
    this.perMinute = perMinute;
    this.sum = new Array<number>(UPPER.length).fill(0);
    for (let i = 0; i < WINDOW_MINUTES; i++) this.advance(probs);
  }
  advance(probs: number[]): void {
    const counts = probs.map((p) => this.rng.poisson(this.perMinute * p));
    this.minutes.push(counts);
    counts.forEach((c, j) => (this.sum[j] = (this.sum[j] as number) + c));
    if (this.minutes.length > WINDOW_MINUTES) {
      const out = this.minutes.shift() as number[];
      out.forEach((c, j) => (this.sum[j] = (this.sum[j] as number) - c));
    }
  }
  histogram(): Histogram {
    return histogramOf(this.sum);
  }
}
const histogramOf = (counts: readonly number[]): Histogram => ({
  bins: UPPER.map((u, i) => ({ lower: i === 0 ? -Infinity : (UPPER[i - 1] as number), upper: u, count: counts[i] as number })),
  total: counts.reduce((a, b) => a + b, 0),
});

type ReferenceKind = "offset" | "pinned";
const REFERENCE_KINDS: ReferenceKind[] = ["offset", "pinned"];

/** Episodes of false findings over DAYS monitor-days of stationary data, per method, before and after. */
interface EpisodeCounts {
  before: number;
  after: number;
  evaluationsAfter: number;
  /** Evaluations whose p-value is below 1e-3 and 1e-4: the tail of the test, which the gate extrapolates. */
  below1e3: number;
  below1e4: number;
}
function falseEpisodes(n: number, kind: ReferenceKind): Map<DriftMethod, EpisodeCounts> {
  const out = new Map(METHODS.map((m): [DriftMethod, EpisodeCounts] => [m, { before: 0, after: 0, evaluationsAfter: 0, below1e3: 0, below1e4: 0 }]));
  const perMinute = n / WINDOW_MINUTES;
  for (let day = 0; day < DAYS; day++) {
    const reference = new SlidingWindow(rng, perMinute, P0);
    const current = new SlidingWindow(rng, perMinute, P0);
    const previous = new Map(METHODS.map((m) => [m, { before: false, after: false }]));
    let pinned = reference.histogram();
    for (let t = 0; t < EVALUATIONS_PER_DAY; t++) {
      current.advance(P0);
      if (kind === "offset") {
        reference.advance(P0);
        pinned = reference.histogram();
      }
      const cur = current.histogram();
      for (const m of METHODS) {
        const d = decide(m, pinned, cur);
        const was = previous.get(m) as { before: boolean; after: boolean };
        const o = out.get(m) as EpisodeCounts;
        if (d.before && !was.before) o.before++;
        if (d.after && !was.after) o.after++;
        if (d.after) o.evaluationsAfter++;
        if (d.pValue < 1e-3) o.below1e3++;
        if (d.pValue < 1e-4) o.below1e4++;
        previous.set(m, d);
      }
    }
  }
  return out;
}

/**
 * Evaluations until the first finding after a change to probs, against an offset reference.
 * step: the first evaluation already sees a window of changed data only (then it slides on);
 * onset: the change starts with the first evaluation's new minute, so the window fills with it.
 */
function detectionDelays(n: number, probs: number[], mode: "step" | "onset", maxEvals: number): Map<DriftMethod, { before: number[]; after: number[] }> {
  const out = new Map(METHODS.map((m) => [m, { before: [] as number[], after: [] as number[] }]));
  const perMinute = n / WINDOW_MINUTES;
  for (let rep = 0; rep < SLIDING_REPS; rep++) {
    const reference = new SlidingWindow(rng, perMinute, P0);
    const current = new SlidingWindow(rng, perMinute, mode === "step" ? probs : P0);
    const pending = new Map(METHODS.map((m) => [m, { before: true, after: true }]));
    for (let t = 1; t <= maxEvals; t++) {
      reference.advance(P0);
      current.advance(probs);
      const ref = reference.histogram();
      const cur = current.histogram();
      let open = false;
      for (const m of METHODS) {
        const p = pending.get(m) as { before: boolean; after: boolean };
        if (!p.before && !p.after) continue;
        const d = decide(m, ref, cur);
        const o = out.get(m) as { before: number[]; after: number[] };
        if (p.before && d.before) {
          o.before.push(t);
          p.before = false;
        }
        if (p.after && d.after) {
          o.after.push(t);
          p.after = false;
        }
        open = open || p.before || p.after;
      }
      if (!open) break;
    }
  }
  return out;
}

/** Population PSI between two bucket probability vectors. */
const populationPsi = (p: number[], q: number[]) => p.reduce((s, pi, i) => s + ((q[i] as number) - pi) * Math.log((q[i] as number) / pi), 0);
/** The mean shift (in sd) whose bucket probabilities have a population PSI of target against N(0, 1). */
function shiftWithPsi(target: number): number {
  let lo = 0;
  let hi = 3;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (populationPsi(P0, binProbabilities(mid)) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
const PSI_TARGET = 0.3;
const PSI_SHIFT = shiftWithPsi(PSI_TARGET);
const P_PSI = binProbabilities(PSI_SHIFT);

const slidingStarted = performance.now();
const episodes = new Map<string, Map<DriftMethod, EpisodeCounts>>();
for (const kind of REFERENCE_KINDS) for (const n of SIZES) episodes.set(`${kind}|${n}`, falseEpisodes(n, kind));
const STEP_MAX = 20;
const ONSET_MAX = 3 * WINDOW_MINUTES;
const delays = new Map<string, Map<DriftMethod, { before: number[]; after: number[] }>>();
for (const n of SIZES) {
  delays.set(`half-sd|step|${n}`, detectionDelays(n, P1, "step", STEP_MAX));
  delays.set(`psi|step|${n}`, detectionDelays(n, P_PSI, "step", STEP_MAX));
  delays.set(`half-sd|onset|${n}`, detectionDelays(n, P1, "onset", ONSET_MAX));
}

const perDay = (x: number) => {
  const v = x / DAYS;
  return v === 0 ? "0" : v >= 10 ? v.toFixed(0) : v >= 0.1 ? v.toFixed(1) : v.toFixed(2);
};
console.log("");
console.log(
  `Sliding windows: ${WINDOW_MINUTES}-minute windows, one evaluation a minute (each adds a minute of Poisson counts), minSamples 1, ${DAYS} monitor-days per cell; noise gate p < ${NOISE_LEVEL.toPrecision(3)} (noiseLevelForInterval(1m)).`,
);
for (const kind of REFERENCE_KINDS) {
  console.log("");
  console.log(`False findings per monitor-day (episodes), stationary data, ${kind} reference: before -> after`);
  console.log(header);
  for (const m of METHODS)
    console.log(
      line(
        m,
        SIZES.map((n) => {
          const e = episodes.get(`${kind}|${n}`)?.get(m) as EpisodeCounts;
          return `${perDay(e.before)}->${perDay(e.after)}`;
        }),
      ),
    );
}
console.log("");
console.log(
  `The tail the gate relies on: share of these stationary evaluations with p < 1e-3 and p < 1e-4 (nominal 0.1 % and 0.01 %), chi-square test (psi) and ks, offset and pinned reference`,
);
console.log(header);
for (const kind of REFERENCE_KINDS)
  for (const m of (["psi", "ks"] as const).filter((x) => METHODS.includes(x)))
    console.log(
      line(
        `${m === "psi" ? "chi2" : "ks"} ${kind}`,
        SIZES.map((n) => {
          const e = episodes.get(`${kind}|${n}`)?.get(m) as EpisodeCounts;
          const total = DAYS * EVALUATIONS_PER_DAY;
          return `${((e.below1e3 / total) * 100).toFixed(3)}/${((e.below1e4 / total) * 100).toFixed(3)}`;
        }),
      ),
    );
let totalAfter = 0;
let totalEvaluationsAfter = 0;
for (const e of episodes.values())
  for (const x of e.values()) {
    totalAfter += x.after;
    totalEvaluationsAfter += x.evaluationsAfter;
  }
const cellDays = DAYS * SIZES.length * REFERENCE_KINDS.length * METHODS.length;
// with 0 events in N days the one-sided 95 % upper bound of a Poisson rate is -ln(0.05)/N ≈ 3/N per day
const upper = totalAfter === 0 ? -Math.log(0.05) / DAYS : undefined;
console.log(
  `After, all cells together: ${totalAfter} episodes (${totalEvaluationsAfter} evaluations with a finding) in ${cellDays} monitor-days, ` +
    `${((totalAfter / cellDays) * 30).toFixed(3)} per monitor-month; at most ${(cellDays * EVALUATIONS_PER_DAY * NOISE_LEVEL).toFixed(2)} evaluations past the gate were expected at its nominal level` +
    (upper !== undefined ? `; per cell of ${DAYS} days the 95 % upper bound is ${(upper * 30).toFixed(2)} episodes per monitor-month.` : "."),
);

const delayCell = (list: number[], within: number) => {
  if (list.length === 0) return "never";
  const mean = list.reduce((a, b) => a + b, 0) / list.length;
  const share = list.filter((t) => t <= within).length / SLIDING_REPS;
  return `${mean.toFixed(1)}/${Math.max(...list)}${share < 1 ? `(${Math.floor(share * 1000) / 10}%)` : ""}`;
};
const delayTable = (title: string, keyPrefix: string, within: number) => {
  console.log("");
  console.log(title);
  console.log(header);
  for (const m of METHODS)
    for (const which of ["before", "after"] as const)
      console.log(
        line(
          `${m} ${which}`,
          SIZES.map((n) => delayCell(delays.get(`${keyPrefix}|${n}`)?.get(m)?.[which] ?? [], within)),
        ),
      );
};
delayTable(
  `Evaluations until detection, ${SHIFT} sd mean shift, sliding window of changed data from the first evaluation (offset reference): mean/max (share within 3 when below 100 %), ${SLIDING_REPS} repetitions, up to ${STEP_MAX}`,
  "half-sd|step",
  3,
);
delayTable(
  `Evaluations until detection, a PSI-${PSI_TARGET} shift (mean shift ${PSI_SHIFT.toFixed(3)} sd), as above: mean/max (share within 2 when below 100 %)`,
  "psi|step",
  2,
);
delayTable(
  `Evaluations from the onset of a ${SHIFT} sd shift (each evaluation adds one shifted minute to the ${WINDOW_MINUTES}-minute window): mean/max (share within ${WINDOW_MINUTES} when below 100 %), up to ${ONSET_MAX}`,
  "half-sd|onset",
  WINDOW_MINUTES,
);
if (TAIL_PAIRS > 0) {
  const levels = [1e-3, 1e-4, 1e-5, 1e-6];
  console.log("");
  console.log(
    `Tail calibration of the pooled chi-square test: ${TAIL_PAIRS} independent stationary pairs of windows per size; rejections at each level, observed / expected`,
  );
  for (const n of [50, 100, 200, 400]) {
    const hits = levels.map(() => 0);
    for (let i = 0; i < TAIL_PAIRS; i++) {
      const r = evaluateFeatureDrift({ reference: window(rng, P0, n), current: window(rng, P0, n), method: "chi2", minSamples: 1 });
      if (r.state === "Value") levels.forEach((l, k) => (hits[k] = (hits[k] as number) + (r.pValue < l ? 1 : 0)));
    }
    console.log(`n=${String(n).padEnd(5)}${levels.map((l, k) => `  p<${l}: ${hits[k]} / ${(l * TAIL_PAIRS).toFixed(1)}`).join("")}`);
  }
}
console.log(`Sliding-window sections ran in ${((performance.now() - slidingStarted) / 1000).toFixed(1)} s.`);
console.log("");
console.log(`Stationary bucket probabilities: ${P0.map((p) => p.toFixed(4)).join(" ")}`);
console.log(`Ran in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
