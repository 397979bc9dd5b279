// Drift and canary statistics core: pure functions, no I/O. See docs/statistics.md for the conventions.
export type { Result } from "./result.ts";
export { ok, fail } from "./result.ts";
export type { Bin, Histogram, CumulativeBucket } from "./histogram.ts";
export {
  binsFromCumulative,
  validateHistogram,
  sameLayout,
  upperBounds,
  histogramQuantile,
  histogramMedian,
  shareBelow,
  representativePoints,
} from "./histogram.ts";
export type { Counts } from "./counts.ts";
export type { EpsilonOption, WassersteinResult } from "./divergence.ts";
export { DEFAULT_EPSILON, psi, klDivergence, jensenShannonDistance, hellingerDistance, wasserstein1, wassersteinDistance } from "./divergence.ts";
export type { KsResult, ChiSquareResult, PooledCounts } from "./hypothesis.ts";
export { ksTest, chiSquareTest, poolAdjacentBins } from "./hypothesis.ts";
export { cosineDistance, euclideanDistance } from "./vectors.ts";
export {
  logGamma,
  regularizedGammaP,
  regularizedGammaQ,
  chiSquareSurvival,
  kolmogorovSurvival,
  regularizedIncompleteBeta,
  studentTSurvival,
  normalSurvival,
} from "./special.ts";
export type { Alternative, ProportionSample, TwoProportionResult, MeanSample, WelchResult, MomentsOptions } from "./compare.ts";
export { ALTERNATIVES, DEFAULT_MAX_INF_BUCKET_SHARE, twoProportionTest, welchTest, momentsFromBins, countAbove } from "./compare.ts";
export type {
  DriftMethod,
  DriftSeverity,
  DriftThresholds,
  FeatureDriftInput,
  FeatureDriftResult,
  Correction,
  DatasetDriftInput,
  DatasetDriftReport,
  SignificanceTest,
} from "./drift.ts";
export {
  DRIFT_METHODS,
  CORRECTIONS,
  DEFAULT_DRIFT_THRESHOLDS,
  DEFAULT_ALPHA,
  DEFAULT_DATASET_DRIFT_SHARE,
  CHI2_MIN_EXPECTED,
  FALSE_FINDINGS_PER_30_DAYS,
  noiseLevelForInterval,
  hasPValue,
  significanceTestOf,
  severityOf,
  evaluateFeatureDrift,
  evaluateDatasetDrift,
} from "./drift.ts";
export type { Worse, MarginResult } from "./margin.ts";
export { proportionMarginTest, meanMarginTest, shareExcessTest } from "./margin.ts";
export type { Tolerance, SequentialOptions, SequentialResult } from "./sequential.ts";
export {
  logNormalCdf,
  mixtureLogEvidence,
  mixtureBoundary,
  defaultMixingSd,
  normalMixtureTest,
  sequentialProportionTest,
  sequentialMeanTest,
  sequentialShareTest,
} from "./sequential.ts";
