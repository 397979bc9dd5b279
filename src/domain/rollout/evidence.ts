// What a canary comparison knows about one version's signal: its value, its sample count and
// the counts a test needs (successes of trials for rates, moments for means, the histogram for
// quantiles). Built from the same summed counts as the monitor's own observations.
import type { SignalSpec } from "../../api/v1alpha1/modelmonitor.ts";
import type { QueryResult } from "../observation.ts";
import { histogramOfTotals, signalTotals, type GroupScope } from "../signals.ts";
import { momentsFromBins, type Histogram } from "../stats/index.ts";

/** The statistics behind a value, by the test they allow. */
export type Basis =
  | { test: "twoProportion"; successes: number; trials: number }
  | { test: "welch"; mean: number; variance: number; n: number }
  | { test: "quantileShare"; histogram: Histogram; q: number }
  | { test: "none" };

export type Evidence =
  | { state: "Value"; value: number; samples: number; basis: Basis }
  | { state: "NoData"; message: string; samples?: number }
  | { state: "Error"; message: string };

/** The signal whose buckets give a histogram mean its variance (the mean itself comes from _sum/_count). */
export const bucketSignalOf = (s: SignalSpec): SignalSpec | undefined =>
  s.histogram?.measure === "mean" ? { ...s, histogram: { ...s.histogram, measure: "median" } } : undefined;

export function evidenceOf(
  s: SignalSpec,
  results: Record<string, QueryResult | undefined>,
  bucketResults: Record<string, QueryResult | undefined> | undefined,
  scope?: GroupScope,
): Evidence {
  // every sample counts here: the comparison, not the observation, decides what is too few
  const { observation, totals } = signalTotals(s, results, 0, scope);
  if (observation.state === "Error") return { state: "Error", message: observation.message };
  if (observation.state === "NoData")
    return { state: "NoData", message: observation.message, ...(observation.samples !== undefined ? { samples: observation.samples } : {}) };
  const value = observation.value;
  const samples = observation.samples ?? 0;
  const get = (k: string) => totals?.get(k) ?? 0;
  const proportion = (successes: number, trials: number): Basis => ({ test: "twoProportion", successes, trials });
  let basis: Basis = { test: "none" };
  if (totals && s.classification) {
    const o = s.classification.outcomes;
    const [tp, fp, tn, fn] = [o.truePositive, o.falsePositive, o.trueNegative, o.falseNegative].map((x) => get(`outcome:${x}`)) as [
      number,
      number,
      number,
      number,
    ];
    const m = s.classification.measure;
    if (m === "accuracy") basis = proportion(tp + tn, tp + fp + tn + fn);
    else if (m === "precision") basis = proportion(tp, tp + fp);
    else if (m === "recall") basis = proportion(tp, tp + fn);
  } else if (totals && s.ratio) {
    // a ratio of counts of the same events (refusals of responses) is a rate; any other ratio has no test here
    if (get("num") <= get("den")) basis = proportion(get("num"), get("den"));
  } else if (totals && s.regression?.measure === "mae" && s.regression.squaredErrorSum) {
    const n = get("count");
    basis = { test: "welch", mean: value, variance: Math.max(0, get("sq") / n - value * value) * (n / Math.max(1, n - 1)), n };
  } else if (totals && s.histogram) {
    const h = s.histogram;
    if (h.measure === "mean") {
      const bucketSignal = bucketSignalOf(s) as SignalSpec;
      const buckets = bucketResults ? signalTotals(bucketSignal, bucketResults, 0, scope) : undefined;
      if (buckets?.observation.state === "Error") return { state: "Error", message: buckets.observation.message };
      const hist = buckets?.totals ? histogramOfTotals(buckets.totals) : undefined;
      const moments = hist?.ok ? momentsFromBins(hist.value, { sum: get("sum") }) : undefined;
      if (moments?.ok) basis = { test: "welch", mean: value, variance: moments.value.variance, n: get("count") };
    } else {
      const hist = histogramOfTotals(totals);
      if (hist.ok) {
        const n = hist.value.total;
        if (h.measure === "shareBelow") basis = proportion(value * n, n);
        else if (h.measure === "shareAbove") basis = proportion(value * n, n);
        else basis = { test: "quantileShare", histogram: hist.value, q: h.measure === "median" ? 0.5 : (h.quantile ?? 0.5) };
      }
    }
  }
  return { state: "Value", value, samples, basis };
}
