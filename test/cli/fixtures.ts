// Rollouts and monitors as the API server returns them, for the renderer's tests.
import { modelRolloutSpecSchema, modelRolloutStatusSchema, rolloutStrategySchema } from "../../src/api/v1alpha1/rollout.ts";
import type { RolloutTreeInput } from "../../src/cli/render.ts";

export const strategy = rolloutStrategySchema.parse({
  steps: [
    { weight: 10, hold: "5m" },
    { weight: 50, hold: "5m" },
    { weight: 100, hold: "10m" },
  ],
  analysis: { compare: [{ signal: "accuracy", maxDecrease: 0.02 }], bounds: [{ signal: "p95_latency", max: 0.3 }] },
});

export const progressing = (): RolloutTreeInput => ({
  name: "fraud-v2",
  namespace: "ml",
  spec: modelRolloutSpecSchema.parse({ monitorRef: { name: "fraud" }, candidate: { version: "v2", uri: "s3://models/fraud/v2" } }),
  annotations: {},
  strategy,
  strategySource: "RetrainPolicy fraud (spec.rollout)",
  status: modelRolloutStatusSchema.parse({
    phase: "Progressing",
    reason: "StepStarted",
    message: "step 2/3: 50 % to v2 for 5m",
    stable: { version: "v1" },
    attempt: 1,
    startTime: "2026-12-06T21:00:00.000Z",
    stepIndex: 1,
    stepWeight: 50,
    stepStartTime: "2026-12-06T21:06:00.000Z",
    nextAnalysisTime: "2026-12-06T21:11:00.000Z",
    desiredWeights: { stable: 50, candidate: 50 },
    weights: { stable: 50, candidate: 50 },
    counters: { successful: 1, failed: 0, inconclusive: 0, errors: 0, consecutiveInconclusive: 0, consecutiveErrors: 0 },
    lastAnalysis: "Successful (step 1/3)",
    analyses: [
      {
        step: 0,
        weight: 10,
        time: "2026-12-06T21:05:59.500Z",
        window: "5m",
        outcome: "Successful",
        message: "every comparison passed",
        comparisons: [
          {
            signal: "accuracy",
            check: "maxDecrease",
            limit: 0.02,
            outcome: "Passed",
            stable: 0.9213333333,
            candidate: 0.92,
            difference: -0.0013333333,
            pValue: 0.41234,
            test: "twoProportion",
            stableSamples: 5400,
            candidateSamples: 600,
          },
          { signal: "p95_latency", check: "max", limit: 0.3, outcome: "Passed", candidate: 0.1234567, test: "none", candidateSamples: 600 },
        ],
      },
    ],
  }),
  serving: {
    router: "HTTPRoute fraud",
    stableDeployment: "fraud-stable",
    candidateDeployment: "fraud-candidate",
    live: {
      weights: { kind: "weights", weights: { stable: 50, candidate: 50 }, mirror: 0 },
      stable: { found: true, version: "v1", ready: true, message: "Deployment fraud-stable is ready" },
      candidate: { found: true, version: "v2", ready: false, message: "Deployment fraud-candidate: 1 of 2 replicas available" },
    },
  },
});
