// Tests against a tolerance (non-inferiority tests): is the candidate worse than the stable
// version by MORE than the tolerated margin? A canary fails only when the answer is yes at the
// chosen significance; a candidate exactly as good as stable then fails with a probability far
// below the significance (it would need noise beyond the margin), not with the significance
// itself as a test of "any difference" would give on every analysis.
import { fail, fmt, ok, type Result } from "./result.ts";
import { normalSurvival, studentTSurvival } from "./special.ts";
import { meanSampleProblem, proportionProblem, welchDf, type MeanSample, type ProportionSample } from "./compare.ts";

/** The direction in which the candidate is worse: "greater" (error rates, latency) or "less" (accuracy). */
export type Worse = "greater" | "less";

export interface MarginResult {
  /** How much worse the candidate is: (candidate − stable) for "greater", (stable − candidate) for "less". */
  worseness: number;
  /** The standardised excess over the margin: (worseness − margin) / standard error. */
  statistic: number;
  /** P(statistic this large | the candidate is worse by exactly the margin): small means really worse than tolerated. */
  pValue: number;
  /** Welch–Satterthwaite degrees of freedom, for means. */
  df?: number;
}

function checkMargin(margin: number, worse: Worse): string | undefined {
  if (!Number.isFinite(margin) || margin < 0) return `the margin (${fmt(margin)}) must be a finite non-negative number`;
  if (worse !== "greater" && worse !== "less") return `worse must be "greater" or "less", not ${JSON.stringify(worse)}`;
  return undefined;
}

/** With no noise at all, the excess is certain either way. */
const certain = (worseness: number, margin: number): MarginResult => ({
  worseness,
  statistic: worseness > margin ? Infinity : -Infinity,
  pValue: worseness > margin ? 0 : 1,
});

/**
 * Two rates, H0: worseness ≤ margin, by the Wald statistic with the unpooled standard error
 * sqrt(p_s(1−p_s)/n_s + p_c(1−p_c)/n_c) (pooling assumes equal rates, which a margin denies).
 */
export function proportionMarginTest(stable: ProportionSample, candidate: ProportionSample, worse: Worse, margin: number): Result<MarginResult> {
  const problem = proportionProblem(stable, "stable") ?? proportionProblem(candidate, "candidate") ?? checkMargin(margin, worse);
  if (problem) return fail(problem);
  const ps = stable.successes / stable.trials;
  const pc = candidate.successes / candidate.trials;
  const qs = (stable.trials - stable.successes) / stable.trials;
  const qc = (candidate.trials - candidate.successes) / candidate.trials;
  const worseness = worse === "greater" ? pc - ps : ps - pc;
  const se = Math.sqrt((ps * qs) / stable.trials + (pc * qc) / candidate.trials);
  if (!(se > 0)) return ok(certain(worseness, margin));
  const statistic = (worseness - margin) / se;
  const p = normalSurvival(statistic);
  return p.ok ? ok({ worseness, statistic, pValue: p.value }) : p;
}

/** Two means, H0: worseness ≤ margin, by Welch's statistic and degrees of freedom. */
export function meanMarginTest(stable: MeanSample, candidate: MeanSample, worse: Worse, margin: number): Result<MarginResult> {
  const problem = meanSampleProblem(stable, "stable") ?? meanSampleProblem(candidate, "candidate") ?? checkMargin(margin, worse);
  if (problem) return fail(problem);
  const worseness = worse === "greater" ? candidate.mean - stable.mean : stable.mean - candidate.mean;
  const sum = stable.variance / stable.n + candidate.variance / candidate.n;
  if (!(sum > 0)) return ok(certain(worseness, margin));
  const df = welchDf(stable, candidate);
  const statistic = (worseness - margin) / Math.sqrt(sum);
  const p = studentTSurvival(statistic, df);
  return p.ok ? ok({ worseness, statistic, pValue: p.value, df }) : p;
}

/**
 * One share against a bound, H0: share ≤ p0, by the score statistic (k/n − p0)/sqrt(p0(1−p0)/n).
 * For quantiles: the candidate's q-quantile is above a boundary exactly when more than 1 − q of
 * its observations lie above it.
 */
export function shareExcessTest(count: number, total: number, p0: number): Result<MarginResult> {
  if (!(Number.isFinite(total) && total > 0)) return fail(`${fmt(total)} observations; at least one is needed`);
  if (!(Number.isFinite(count) && count >= 0 && count <= total)) return fail(`${fmt(count)} of ${fmt(total)} observations is not a count`);
  if (!(p0 > 0 && p0 < 1)) return fail(`the bound on the share (${fmt(p0)}) must lie strictly between 0 and 1`);
  const share = count / total;
  const statistic = (share - p0) / Math.sqrt((p0 * (1 - p0)) / total);
  const p = normalSurvival(statistic);
  return p.ok ? ok({ worseness: share - p0, statistic, pValue: p.value }) : p;
}
