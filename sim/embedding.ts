// Query embeddings of the simulated model: a baseline centroid, the direction drift rotates it
// towards, and the expected centroid for a given shift.

export const EMBEDDING_DIMENSIONS = 8;

/** Time constant of the exponential moving average of the embedding centroid. */
export const EMBEDDING_EMA_SECONDS = 1;
/** Per-dimension sd of the noise of a single query embedding. */
export const EMBEDDING_NOISE_SD = 0.25;
/**
 * Rotation (radians) of the expected centroid per unit of embeddingShift:
 * acos(0.9), so the expected cosine distance to the baseline is
 * 1 - cos(0.451 * s): s=0.5 -> 0.025, 1 -> 0.10, 2 -> 0.38, 3 -> 0.78
 * (measured at 50 rps: 0.027, 0.096, 0.375, 0.787; at s=0 noise gives ~0.002);
 * the angle is capped at pi (distance 2).
 */
export const EMBEDDING_RADIANS_PER_SHIFT = Math.acos(0.9);

/** Unit vector: expected query-embedding centroid at embeddingShift 0. */
export const BASELINE_EMBEDDING: readonly number[] = normalize([0.42, -0.18, 0.33, 0.05, -0.27, 0.51, 0.12, -0.09]);
/** Unit vector orthogonal to the baseline: the direction of drift. */
export const DRIFT_DIRECTION: readonly number[] = orthonormalize([0.1, 0.35, -0.2, 0.45, 0.3, -0.05, -0.4, 0.25], BASELINE_EMBEDDING);

/** Expected (noise-free) centroid direction for a given embeddingShift. */
export function expectedEmbeddingCentroid(embeddingShift: number): number[] {
  const theta = Math.min(Math.max(embeddingShift, 0) * EMBEDDING_RADIANS_PER_SHIFT, Math.PI);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return BASELINE_EMBEDDING.map((b, i) => c * b + s * (DRIFT_DIRECTION[i] ?? 0));
}

export function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function orthonormalize(v: number[], against: readonly number[]): number[] {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += (v[i] ?? 0) * (against[i] ?? 0);
  return normalize(v.map((x, i) => x - dot * (against[i] ?? 0)));
}
