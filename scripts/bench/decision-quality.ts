// Decision-quality benchmark for the drift statistics (a benchmark, not a test): how often each
// method raises a finding when nothing changed, and how many evaluations it needs to notice a
// real shift. Run: npm run bench:decisions [-- --seed 7 --reps 2000 --detection-reps 500 --sizes 200,500]
//
// Data: a standard normal feature observed through 10 Prometheus-style buckets
// (le = -2, -1.5, ..., 2, +Inf). Stationary: reference and current windows both from N(0, 1).
// Shift: the current windows from N(0.5, 1), a mean shift of half a standard deviation; the
// reference window is drawn once per repetition and every evaluation sees a fresh current window.
// Windows of up to 2,000 observations are sampled observation by observation; larger ones as a
// multinomial by conditional binomials with the normal approximation (variance ≥ ~30 here).
import {
  DEFAULT_DRIFT_THRESHOLDS,
  DRIFT_METHODS,
  evaluateFeatureDrift,
  regularizedGammaP,
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
const UPPER = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, Infinity];

// ------------------------------------------------------------------ seeded PRNG (sfc32 + splitmix32)
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 16; i++) this.next32();
  }
  next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992;
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
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
  return evaluateFeatureDrift({ reference, current, method, minSamples: 1, alpha: ALPHA, thresholds: DEFAULT_DRIFT_THRESHOLDS[method] });
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
    for (const m of DRIFT_METHODS) {
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
    const pending = new Set<DriftMethod>(DRIFT_METHODS);
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
const header = line("method", SIZES.map((n) => `n=${sizeLabel(n)}`));
const thresholdText = (m: DriftMethod) => {
  const t = DEFAULT_DRIFT_THRESHOLDS[m];
  return `${t.warning}/${t.critical} & p<${ALPHA} (${significanceTestOf(m)})`;
};

console.log(`Drift decision quality — seed ${SEED}; 10 buckets (le=-2..2 step 0.5, +Inf); N(0,1) reference; minSamples 1`);
console.log(`Default thresholds (warning/critical): ${DRIFT_METHODS.map((m) => `${m} ${thresholdText(m)}`).join(", ")}`);
console.log(`chi2 scores Cramér's V after pooling buckets to expected counts >= 5; ks scores D; wasserstein is W1 / reference sd.`);
console.log(`Significance: ks its own p-value; every other method the chi-square test on the pooled buckets.`);
console.log("");
console.log(`False-alarm rate: share of evaluations with severity != none, reference and current both N(0,1) (${FALSE_ALARM_REPS} repetitions)`);
console.log(header);
for (const m of DRIFT_METHODS)
  console.log(line(m, SIZES.map((n) => `${(((falseAlarms.get(key(m, n)) ?? 0) / FALSE_ALARM_REPS) * 100).toFixed(1)}%`)));
console.log("");
console.log(`Mean score, stationary -> shifted by ${SHIFT} sd (${FALSE_ALARM_REPS} repetitions)`);
console.log(header);
const fmtScore = (x: number | undefined) => (x === undefined ? "-" : x < 0.0095 ? x.toExponential(0) : x.toFixed(2));
for (const m of DRIFT_METHODS) console.log(line(m, SIZES.map((n) => `${fmtScore(meanScoreH0.get(key(m, n)))}>${fmtScore(meanScoreH1.get(key(m, n)))}`)));
console.log("");
console.log(`Evaluations until detection of a ${SHIFT} sd mean shift, fresh current window each time: mean (share detected within ${MAX_EVALS}), ${DETECTION_REPS} repetitions`);
console.log(header);
for (const m of DRIFT_METHODS)
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
console.log("");
console.log(`Stationary bucket probabilities: ${P0.map((p) => p.toFixed(4)).join(" ")}`);
console.log(`Ran in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
