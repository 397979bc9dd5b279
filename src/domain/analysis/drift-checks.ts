// Drift checks of one analysis: distribution drift per feature of a histogram (reference
// window or pinned reference) and embedding-centroid drift against a pinned baseline. Each
// returns its status and its contribution (findings, pins taken, events). Pure.
import type { DriftSpec, DriftStatus } from "../../api/v1alpha1/modelmonitor.ts";
import { EventReason } from "../events.ts";
import { errorReasonOf, queryKey, round, type QueryRequest, type QueryResult } from "../observation.ts";
import { parseLe } from "../signals.ts";
import { binsFromCumulative, cosineDistance, euclideanDistance, evaluateDatasetDrift, noiseLevelForInterval, type Histogram } from "../stats/index.ts";
import { tierOf, worseSeverity, type Severity } from "../stats/severity.ts";
import { human, humanP } from "../format.ts";
import { emptyOutcome, pinOf, type AnalysisMemory, type CheckOutcome } from "./outcome.ts";
import type { PlannedDrift, Results } from "./plan.ts";

/** A feature's reason when its reference window or pin has no distribution (yet). */
export const NO_REFERENCE = "no reference distribution";

export interface DriftCheck {
  status: DriftStatus;
  outcome: CheckOutcome;
}

/** intervalMs: how often the monitor is evaluated; the noise gate spends its false-finding budget over those evaluations. */
export function checkHistogramDrift(
  d: PlannedDrift,
  results: Results,
  memory: AnalysisMemory,
  nowIso: string,
  defaultMinSamples: number,
  intervalMs: number,
): DriftCheck {
  const outcome = emptyOutcome();
  return { status: histogramDriftStatus(d, results, memory, outcome, nowIso, defaultMinSamples, intervalMs), outcome };
}

function histogramDriftStatus(
  d: PlannedDrift,
  results: Results,
  memory: AnalysisMemory,
  outcome: CheckOutcome,
  nowIso: string,
  defaultMinSamples: number,
  intervalMs: number,
): DriftStatus {
  const spec = d.drift;
  const h = spec.histogram as NonNullable<DriftSpec["histogram"]>;
  const base = { name: spec.name, method: spec.method, features: [] };
  const current = bucketsByFeature(results.get(queryKey(d.current.bucket as QueryRequest)), h.featureLabel, h.metric);
  if (!current.ok) return { ...base, state: "Error", reason: current.reason };
  if (current.value.size === 0) return { ...base, state: "NoData", reason: `no series of ${h.metric}_bucket in the window` };
  let reference: Map<string, Histogram>;
  if (d.reference) {
    const r = bucketsByFeature(results.get(queryKey(d.reference.bucket as QueryRequest)), h.featureLabel, h.metric);
    if (!r.ok) return { ...base, state: "Error", reason: `reference window: ${r.reason}` };
    reference = r.value;
  } else {
    reference = new Map();
    for (const [feature, bins] of current.value) {
      const key = `drift:${spec.name}:${feature}`;
      const pin = pinOf(outcome, memory, key);
      const stale = spec.reference.pinned?.when === "VersionChange" && pin !== undefined && pin.version !== memory.version;
      if ((!pin?.bins || stale) && bins.total >= (spec.minSamples ?? defaultMinSamples)) {
        outcome.pins[key] = {
          bins: bins.bins.map((b) => finiteLe({ le: b.upper, count: b.count })),
          at: nowIso,
          ...(memory.version ? { version: memory.version } : {}),
        };
        outcome.events.push({
          type: "Normal",
          reason: EventReason.BaselinePinned,
          message: `pinned reference distribution of ${spec.name}/${feature}${memory.repinRequested ? " (re-pin requested)" : ""}`,
        });
      }
      const pinned = pinOf(outcome, memory, key)?.bins;
      if (pinned) {
        const cumulative = toCumulative(pinned.map(infiniteLe));
        const b = binsFromCumulative(cumulative);
        if (b.ok) reference.set(feature, b.value);
      }
    }
  }
  const features: Record<string, { reference: Histogram; current: Histogram }> = {};
  const missing: DriftStatus["features"] = [];
  for (const [feature, cur] of current.value) {
    const ref = reference.get(feature);
    if (ref) features[feature] = { reference: ref, current: cur };
    else missing.push({ feature, state: "InsufficientData", reason: NO_REFERENCE, currentSamples: cur.total });
  }
  const reportResult = evaluateDatasetDrift({
    features,
    method: spec.method as Exclude<DriftSpec["method"], "cosine" | "euclidean">,
    thresholds: spec.threshold,
    minSamples: spec.minSamples ?? defaultMinSamples,
    alpha: spec.alpha,
    noiseLevel: noiseLevelForInterval(intervalMs),
    correction: spec.correction,
    datasetDriftShare: spec.datasetDriftShare,
    epsilon: spec.epsilon,
  });
  if (!reportResult.ok) return { ...base, state: "Error", reason: reportResult.reason };
  const report = reportResult.value;
  const featureStatuses: DriftStatus["features"] = [
    ...Object.entries(report.features).map(([feature, r]) =>
      r.state === "Value"
        ? {
            feature,
            state: "Value" as const,
            score: round(r.score, 6),
            ...(r.pValue !== undefined ? { pValue: Number(r.pValue.toPrecision(4)) } : {}),
            severity: r.severity,
            referenceSamples: r.referenceSamples,
            currentSamples: r.currentSamples,
          }
        : r.state === "InsufficientData"
          ? { feature, state: "InsufficientData" as const, reason: r.reason, referenceSamples: r.referenceSamples, currentSamples: r.currentSamples }
          : { feature, state: "Error" as const, reason: r.reason },
    ),
    ...missing,
  ].sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  const drifted = featureStatuses.filter((f) => f.severity === "warning" || f.severity === "critical");
  if (drifted.length > 0) {
    const sev = drifted.reduce<Severity | undefined>((acc, f) => worseSeverity(acc, f.severity as Severity), undefined) as Severity;
    const list = drifted
      .map(
        (f) =>
          `${f.feature} (${spec.method} ${f.score !== undefined ? human(f.score) : "?"}${f.pValue !== undefined ? `, p ${humanP(f.pValue)}` : ""}, ${f.severity})`,
      )
      .join(", ");
    outcome.findings.push({
      type: "DataDrift",
      severity: sev,
      source: spec.name,
      description: `data drift in ${drifted.length} of ${featureStatuses.length} features: ${list}${report.datasetDrift ? " (dataset drift)" : ""}`,
      value: round(Math.max(...drifted.map((f) => f.score ?? 0)), 6),
      features: drifted.map((f) => f.feature),
      since: nowIso,
    });
  }
  const anyValue = featureStatuses.some((f) => f.state === "Value");
  // without any scored feature the check has no value: an error if a feature failed, else no data
  const state = anyValue ? "Value" : featureStatuses.some((f) => f.state === "Error") ? "Error" : "NoData";
  return {
    ...base,
    state,
    ...(anyValue ? {} : { reason: featureStatuses.map((f) => `${f.feature}: ${f.reason}`).join("; ") }),
    driftedFeatures: drifted.map((f) => f.feature),
    driftedShare: round(report.driftedShare, 6),
    datasetDrift: report.datasetDrift,
    features: featureStatuses,
  };
}

// JSON has no Infinity: the +Inf bucket is stored without an upper bound
const finiteLe = (b: { le: number; count: number }) => (Number.isFinite(b.le) ? b : { count: b.count });
const infiniteLe = (b: { le?: number | undefined; count: number }) => ({ le: b.le ?? Infinity, count: b.count });
function toCumulative(bins: { le: number; count: number }[]): { le: number; count: number }[] {
  let total = 0;
  return bins.map((b) => ({ le: b.le, count: (total += b.count) }));
}

function bucketsByFeature(
  r: QueryResult | undefined,
  featureLabel: string | undefined,
  metric: string,
): { ok: true; value: Map<string, Histogram> } | { ok: false; reason: string } {
  if (!r) return { ok: false, reason: "query was not run" };
  if (r.kind === "error") return { ok: false, reason: `${errorReasonOf(r.error)}: ${r.message}` };
  const raw = new Map<string, { le: number; count: number }[]>();
  for (const s of r.samples) {
    const feature = featureLabel ? (s.labels[featureLabel] ?? "") : metric;
    const le = parseLe(s.labels.le ?? "");
    if (le === undefined) return { ok: false, reason: `series of ${feature} without a numeric le label` };
    const list = raw.get(feature) ?? [];
    list.push({ le, count: s.value });
    raw.set(feature, list);
  }
  const out = new Map<string, Histogram>();
  for (const [feature, buckets] of raw) {
    const bins = binsFromCumulative(buckets);
    if (!bins.ok) return { ok: false, reason: `${feature}: ${bins.reason}` };
    out.set(feature, bins.value);
  }
  return { ok: true, value: out };
}

export function checkEmbeddingDrift(d: PlannedDrift, results: Results, memory: AnalysisMemory, nowIso: string): DriftCheck {
  const outcome = emptyOutcome();
  return { status: embeddingDriftStatus(d, results, memory, outcome, nowIso), outcome };
}

function embeddingDriftStatus(d: PlannedDrift, results: Results, memory: AnalysisMemory, outcome: CheckOutcome, nowIso: string): DriftStatus {
  const spec = d.drift;
  const e = spec.embedding as NonNullable<DriftSpec["embedding"]>;
  const base = { name: spec.name, method: spec.method, features: [] };
  const r = results.get(queryKey(d.current.vector as QueryRequest));
  if (!r) return { ...base, state: "Error", reason: "query was not run" };
  if (r.kind === "error") return { ...base, state: "Error", reason: `${errorReasonOf(r.error)}: ${r.message}` };
  if (r.samples.length === 0) return { ...base, state: "NoData", reason: `no series of ${e.metric}` };
  const dims = r.samples
    .map((s) => ({ dim: s.labels[e.dimensionLabel] ?? "", value: s.value }))
    .sort((a, b) => Number(a.dim) - Number(b.dim) || a.dim.localeCompare(b.dim));
  if (dims.some((x) => !Number.isFinite(x.value))) return { ...base, state: "Error", reason: `${e.metric} has a non-finite dimension` };
  const vector = dims.map((x) => x.value);
  const key = `drift:${spec.name}`;
  const version = memory.version;
  const pin = pinOf(outcome, memory, key);
  const stale = spec.reference.pinned?.when === "VersionChange" && pin !== undefined && pin.version !== version;
  if (!pin?.vector || stale || pin.vector.length !== vector.length) {
    outcome.pins[key] = { vector: vector.map((v) => round(v, 8)), at: nowIso, ...(version ? { version } : {}) };
    outcome.events.push({
      type: "Normal",
      reason: EventReason.BaselinePinned,
      message: `pinned baseline centroid of ${spec.name} (${vector.length} dimensions)${memory.repinRequested ? " (re-pin requested)" : ""}`,
    });
  }
  const reference = pinOf(outcome, memory, key)?.vector as number[];
  const distance = spec.method === "euclidean" ? euclideanDistance(reference, vector) : cosineDistance(reference, vector);
  if (!distance.ok) return { ...base, state: "Error", reason: distance.reason };
  const score = distance.value;
  const t = spec.threshold;
  // the edge convention of every rule and method (domain/stats/severity.ts)
  const hit = tierOf(score, t);
  const sev: Severity | undefined = hit?.severity;
  if (sev)
    outcome.findings.push({
      type: "EmbeddingDrift",
      severity: sev,
      source: spec.name,
      description: `${spec.method} distance ${human(score)} between the current query-embedding centroid and the baseline exceeds ${hit?.threshold}`,
      value: round(score, 6),
      threshold: hit?.threshold as number,
      since: nowIso,
    });
  return {
    ...base,
    state: "Value",
    driftedFeatures: sev ? ["centroid"] : [],
    features: [{ feature: "centroid", state: "Value", score: round(score, 6), severity: sev ?? "none" }],
  };
}

/** One feature's binned distributions as the check compared them: `upper` absent for the +Inf bin. */
export interface FeatureDistribution {
  feature: string;
  reference?: { upper?: number; count: number }[];
  current: { upper?: number; count: number }[];
}

/**
 * The binned reference and current distributions of a histogram drift check, re-read from the
 * same query results and pins the check used: what the HTML report draws side by side.
 */
export function driftDistributions(
  d: PlannedDrift,
  results: Results,
  pinned: Record<string, { bins?: { le?: number | undefined; count: number }[] | undefined }> | undefined,
): FeatureDistribution[] {
  const h = d.drift.histogram;
  if (!h) return [];
  const current = bucketsByFeature(results.get(queryKey(d.current.bucket as QueryRequest)), h.featureLabel, h.metric);
  if (!current.ok) return [];
  const reference = d.reference ? bucketsByFeature(results.get(queryKey(d.reference.bucket as QueryRequest)), h.featureLabel, h.metric) : undefined;
  const plain = (x: Histogram) => x.bins.map((b) => (Number.isFinite(b.upper) ? { upper: b.upper, count: b.count } : { count: b.count }));
  return [...current.value]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([feature, cur]) => {
      let ref: { upper?: number; count: number }[] | undefined;
      if (reference?.ok) {
        const r = reference.value.get(feature);
        if (r) ref = plain(r);
      } else if (!d.reference) {
        const bins = pinned?.[`drift:${d.drift.name}:${feature}`]?.bins;
        if (bins) ref = bins.map((b) => (b.le !== undefined ? { upper: b.le, count: b.count } : { count: b.count }));
      }
      return { feature, current: plain(cur), ...(ref ? { reference: ref } : {}) };
    });
}
