// The rollout half of the API: how a model's versions are served (ModelMonitor spec.serving),
// the reusable strategy (RetrainPolicy spec.rollout), and ModelRollout, one rollout of one
// candidate version whose status is the rollout's whole state.
import { z } from "zod";
import { conditions, DAY, duration, exactlyOneOf, HOUR, identifier, localObjectReference, SECOND, severity, text, time, withRules } from "./common.ts";

// ---------------------------------------------------------------- serving (on the ModelMonitor)

/** Environment variable names, as the API server accepts them in a container's env. */
export const ENV_NAME_PATTERN = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const envName = () => z.string().min(1).max(253).regex(ENV_NAME_PATTERN, { message: "must be an environment variable name" });

// Names the serving objects can have, by the rules of the system that owns them: a name no object
// can have is refused at apply time rather than found wrong at the first rollout.

/** A DNS-1123 label (Kubernetes: a container's name, a Gateway API SectionName such as a rule's name). */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1035 label (Kubernetes: a Service's name): starts with a letter. */
export const DNS_1035_LABEL_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Gateway API's Group: empty (the core group) or a DNS subdomain. */
export const GATEWAY_GROUP_PATTERN = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Gateway API's Kind. */
export const GATEWAY_KIND_PATTERN = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/**
 * A backend's name: a Kubernetes object name (DNS subdomain), optionally with Traefik's
 * `@provider` suffix (a TraefikService such as demo-stable@file). No space, upper case or
 * look-alike Unicode.
 */
export const BACKEND_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(@[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;
/** An Istio destination host: a short name or FQDN of DNS-1123 labels (Istio accepts either case), no scheme, port, path or wildcard. */
export const ISTIO_HOST_PATTERN = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
/** An Istio DestinationRule subset name: a DNS-1123 label as Istio checks it (either case). */
export const ISTIO_SUBSET_PATTERN = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** A Gateway API BackendObjectReference: a Service unless group and kind say otherwise. */
const backendRef = withRules(
  z.strictObject({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(BACKEND_NAME_PATTERN, { message: "must be a lower-case object name (a DNS subdomain, optionally with a Traefik @provider suffix)" })
      .describe("The backend's name: a Service's name, or the object of group and kind (a TraefikService may carry its @provider suffix)."),
    group: z
      .string()
      .max(253)
      .regex(GATEWAY_GROUP_PATTERN, { message: "must be empty (the core group) or an API group such as traefik.io" })
      .default("")
      .describe("API group of the backend; empty for the core group (a Service)."),
    kind: z
      .string()
      .min(1)
      .max(63)
      .regex(GATEWAY_KIND_PATTERN, { message: "must be a Kind such as Service" })
      .default("Service")
      .describe("Kind of the backend: Service unless the data plane supports another."),
  }),
  {
    rule: "self.group != '' || self.kind != 'Service' || (size(self.name) <= 63 && self.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$'))",
    message: "a Service's name is a DNS-1035 label: at most 63 lower-case letters, digits and '-', starting with a letter",
    fieldPath: ".name",
    holds: (b) => b.group !== "" || b.kind !== "Service" || (b.name.length <= 63 && DNS_1035_LABEL_PATTERN.test(b.name)),
  },
);
export type BackendRefSpec = z.infer<typeof backendRef>;

/** An Istio destination: a host (a Service name or FQDN, as the VirtualService writes it) and an optional DestinationRule subset. */
const destination = z.strictObject({
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(ISTIO_HOST_PATTERN, { message: "must be a host name such as model-stable or model-stable.ns.svc.cluster.local (no scheme, port, path or space)" })
    .describe("destination.host exactly as the VirtualService's route names it."),
  subset: z
    .string()
    .min(1)
    .max(63)
    .regex(ISTIO_SUBSET_PATTERN, { message: "must be a DestinationRule subset name (a DNS-1123 label)" })
    .optional()
    .describe("The DestinationRule subset, when the two versions share a host."),
});
export type DestinationSpec = z.infer<typeof destination>;

const servedVersion = z.strictObject({
  backendRef: backendRef.optional().describe("Gateway API: the backend of this version in the HTTPRoute."),
  destination: destination.optional().describe("Istio: the destination of this version in the VirtualService's route."),
  deployment: localObjectReference().describe("The Deployment serving this version; the operator sets its model version and URI."),
});

export const ROUTERS = ["gatewayAPI", "istio", "kserve"] as const;
export type RouterKind = (typeof ROUTERS)[number];

export const servingSchema = withRules(
  z.strictObject({
    router: withRules(
      z.strictObject({
        gatewayAPI: z
          .strictObject({
            httpRoute: localObjectReference().describe("The HTTPRoute in the monitor's namespace whose backend weights the operator sets."),
            ruleName: z
              .string()
              .min(1)
              .max(253)
              .regex(DNS_LABEL_PATTERN, { message: "must be a Gateway API SectionName (a DNS-1123 label)" })
              .optional()
              .describe("The rule holding both backends; by default the first rule that refers to the stable backend."),
            requestMirror: z
              .boolean()
              .default(false)
              .describe(
                "The data plane implements the HTTPRoute RequestMirror filter with percent (an Extended feature of Gateway API). Off by default: a shadow phase is refused without it, since some data planes accept such a route and then fail its requests (Traefik's provider answers 500 while the route says Accepted).",
              ),
          })
          .optional()
          .describe("Gateway API (for example Traefik): the operator sets the weights of the two backendRefs of an HTTPRoute rule."),
        istio: z
          .strictObject({
            virtualService: localObjectReference().describe(
              "The VirtualService (networking.istio.io) in the monitor's namespace whose destination weights the operator sets.",
            ),
            routeName: z
              .string()
              .min(1)
              .max(253)
              .optional()
              .describe("The spec.http[] route holding both destinations; by default the first that routes to the stable destination."),
          })
          .optional()
          .describe("Istio: the operator sets the weights of the two destinations of a VirtualService route."),
        kserve: z
          .strictObject({
            // KServe's own rule for an InferenceService's name: a DNS-1035 label
            inferenceService: z
              .strictObject({
                name: z
                  .string()
                  .min(1)
                  .max(63)
                  .regex(DNS_1035_LABEL_PATTERN, {
                    message: "must be an InferenceService name (a DNS-1035 label: lower-case letters, digits and '-', starting with a letter)",
                  })
                  .describe("The InferenceService's name."),
              })
              .describe(
                "The InferenceService (serving.kserve.io/v1beta1, Serverless mode) in the monitor's namespace: the operator sets spec.predictor.model's storageUri and model version env var, and spec.predictor.canaryTrafficPercent.",
              ),
          })
          .optional()
          .describe("KServe: the operator sets the candidate's model and canaryTrafficPercent of an InferenceService."),
      }),
      exactlyOneOf(["gatewayAPI", "istio", "kserve"], "a router must be given: exactly one of gatewayAPI, istio or kserve"),
    ).describe("What splits the traffic between the versions: exactly one of gatewayAPI, istio or kserve."),
    stable: servedVersion.optional().describe("Where the stable version is served (gatewayAPI and istio; not with kserve, whose InferenceService holds both)."),
    candidate: servedVersion.optional().describe("Where the candidate version is served (gatewayAPI and istio; not with kserve)."),
    modelEnv: withRules(
      z.strictObject({
        container: z
          .string()
          .min(1)
          .max(63)
          .regex(DNS_LABEL_PATTERN, { message: "must be a container name (a DNS-1123 label: lower-case letters, digits and '-')" })
          .optional()
          .describe("The container holding the model; by default the first one."),
        version: envName().default("MODEL_VERSION").describe("The variable that tells the Deployment its model version."),
        uri: envName().default("MODEL_URI").describe("The variable that tells the Deployment its model URI."),
      }),
      {
        rule: "self.version != self.uri",
        message: "version and uri must be different variables: one would overwrite the other",
        fieldPath: ".uri",
        holds: (e) => e.version !== e.uri,
      },
    )
      .default({ version: "MODEL_VERSION", uri: "MODEL_URI" })
      .describe("Environment variables through which a Deployment is told its model version and URI."),
  }),
  {
    rule: "has(self.router.kserve) || (has(self.stable) && has(self.candidate))",
    message: "the gatewayAPI and istio routers need stable and candidate",
    reason: "FieldValueRequired",
    holds: (s) => s.router.kserve !== undefined || (s.stable !== undefined && s.candidate !== undefined),
  },
  {
    rule: "!has(self.router.kserve) || (!has(self.stable) && !has(self.candidate))",
    message: "the kserve router takes no stable or candidate: its InferenceService serves both versions",
    holds: (s) => s.router.kserve === undefined || (s.stable === undefined && s.candidate === undefined),
  },
  {
    rule: "!has(self.stable) || !has(self.candidate) || self.stable.deployment.name != self.candidate.deployment.name",
    message: "stable and candidate must be different Deployments",
    holds: (s) => !s.stable || !s.candidate || s.stable.deployment.name !== s.candidate.deployment.name,
  },
  {
    rule: "!has(self.router.gatewayAPI) || !has(self.stable) || !has(self.candidate) || (has(self.stable.backendRef) && has(self.candidate.backendRef))",
    message: "the gatewayAPI router needs stable.backendRef and candidate.backendRef",
    reason: "FieldValueRequired",
    holds: (s) => s.router.gatewayAPI === undefined || !s.stable || !s.candidate || (s.stable.backendRef !== undefined && s.candidate.backendRef !== undefined),
  },
  {
    rule: "!has(self.router.istio) || !has(self.stable) || !has(self.candidate) || (has(self.stable.destination) && has(self.candidate.destination))",
    message: "the istio router needs stable.destination and candidate.destination",
    reason: "FieldValueRequired",
    holds: (s) => s.router.istio === undefined || !s.stable || !s.candidate || (s.stable.destination !== undefined && s.candidate.destination !== undefined),
  },
  {
    rule: "!has(self.stable) || !has(self.candidate) || !has(self.stable.backendRef) || !has(self.candidate.backendRef) || self.stable.backendRef.name != self.candidate.backendRef.name || self.stable.backendRef.kind != self.candidate.backendRef.kind",
    message: "stable and candidate must be different backends",
    holds: (s) =>
      !s.stable?.backendRef ||
      !s.candidate?.backendRef ||
      s.stable.backendRef.name !== s.candidate.backendRef.name ||
      s.stable.backendRef.kind !== s.candidate.backendRef.kind,
  },
  {
    rule: "!has(self.stable) || !has(self.candidate) || !has(self.stable.destination) || !has(self.candidate.destination) || self.stable.destination.host != self.candidate.destination.host || (has(self.stable.destination.subset) ? self.stable.destination.subset : '') != (has(self.candidate.destination.subset) ? self.candidate.destination.subset : '')",
    message: "stable and candidate must be different destinations (another host, or another subset)",
    holds: (s) =>
      !s.stable?.destination ||
      !s.candidate?.destination ||
      s.stable.destination.host !== s.candidate.destination.host ||
      (s.stable.destination.subset ?? "") !== (s.candidate.destination.subset ?? ""),
  },
);
export type ServingSpec = z.infer<typeof servingSchema>;

// ---------------------------------------------------------------- strategy (on the RetrainPolicy)

const HOLD = { min: SECOND, max: 30 * DAY };
const RETRY = { min: SECOND, max: HOUR };
/** Interim checks: no more often than every 10 s (each check is one set of queries per comparison). */
const CHECK_INTERVAL = { min: 10 * SECOND, max: DAY };
const READY_TIMEOUT = { min: SECOND, max: DAY };
const BAKE = { min: 0, max: 30 * DAY };

export const ROLLBACK_MODES = ["immediate", "gradual"] as const;

export const COMPARISON_LIMITS = ["maxRelativeIncrease", "maxRelativeDecrease", "maxIncrease", "maxDecrease"] as const;
export type ComparisonLimit = (typeof COMPARISON_LIMITS)[number];

const comparison = withRules(
  z.strictObject({
    signal: identifier("signal name").describe("The signal compared (a name in the monitor's spec.signals), measured for each version by its versionLabel."),
    maxRelativeIncrease: z.number().min(0).max(1000).optional().describe("Candidate at most this fraction above stable (0.5 = +50 %)."),
    maxRelativeDecrease: z.number().min(0).max(1).optional().describe("Candidate at most this fraction below stable."),
    maxIncrease: z.number().min(0).optional().describe("Candidate at most this much above stable (absolute)."),
    maxDecrease: z.number().min(0).optional().describe("Candidate at most this much below stable (absolute)."),
  }),
  exactlyOneOf([...COMPARISON_LIMITS]),
);
export type ComparisonSpec = z.infer<typeof comparison>;

const bound = withRules(
  z.strictObject({
    signal: identifier("signal name").describe("The signal bounded (a name in the monitor's spec.signals), measured on the candidate."),
    min: z.number().optional().describe("The candidate's value must not fall below this."),
    max: z.number().optional().describe("The candidate's value must not exceed this."),
  }),
  {
    rule: "has(self.min) || has(self.max)",
    message: "a bound needs min or max",
    holds: (b) => b.min !== undefined || b.max !== undefined,
  },
  {
    rule: "!has(self.min) || !has(self.max) || self.min <= self.max",
    message: "min must not exceed max: no value could pass",
    fieldPath: ".min",
    holds: (b) => b.min === undefined || b.max === undefined || b.min <= b.max,
  },
);
export type BoundSpec = z.infer<typeof bound>;

export const ANALYSIS_PRESETS = ["rollback-sop"] as const;

const analysis = z.strictObject({
  presets: z
    .array(z.enum(ANALYSIS_PRESETS))
    .max(4)
    .default([])
    .describe("rollback-sop: safety incidents +0.01, feedback -0.5, p95 latency +50 %, for the signals the monitor declares."),
  compare: z.array(comparison).max(32).default([]).describe("Candidate against stable over the same window."),
  bounds: z.array(bound).max(32).default([]).describe("Absolute bounds on the candidate."),
  minSamples: z.int32().min(1).default(200).describe("Fewer samples of either version: inconclusive, the step is extended."),
  significance: z
    .number()
    .gt(0)
    .max(0.5)
    .default(0.05)
    .describe(
      "The chance, over the whole rollout (every check, step and extension), of failing a candidate that is within its tolerance: at most this per comparison.",
    ),
  failureLimit: z.int32().min(0).max(100).default(0).describe("Failed analyses tolerated; one more rolls back."),
  inconclusiveLimit: z.int32().min(0).max(1000).default(6).describe("Consecutive inconclusive analyses of one step tolerated; one more pauses."),
  errorLimit: z.int32().min(0).max(1000).default(5).describe("Consecutive analyses with metrics errors tolerated; one more pauses."),
  retryInterval: duration(RETRY).default("10s").describe("How soon an analysis that met a metrics error is retried."),
  interval: duration(CHECK_INTERVAL)
    .default("30s")
    .describe(
      "Check every step (and the shadow phase) this often while it holds, over the data since it began: an anytime-valid test fails the candidate as soon as it is worse than tolerated, and a bound fails at the first check with minSamples; a step still passes only at the end of its hold. Each check costs one query per version and measure. At least 10s; an interval as long as the hold looks only at its end, with the same test.",
    ),
});

const shadow = z.strictObject({
  percent: z.int32().min(1).max(100).default(100).describe("Share (%) of live requests also sent to the candidate; its answers are discarded."),
  hold: duration(HOLD).default("10m").describe("How long the shadow lasts before it is analysed (an inconclusive analysis extends it)."),
});

const step = z.strictObject({
  weight: z.int32().min(1).max(100).describe("Percent of traffic to the candidate."),
  hold: duration(HOLD).default("10m").describe("How long the step lasts before it is analysed."),
});

export const DEFAULT_STEPS = [5, 25, 50, 100].map((weight) => ({ weight, hold: "10m" }));

export const rolloutStrategySchema = withRules(
  z.strictObject({
    approval: z
      .enum(["none", "manual"])
      .default("none")
      .describe("manual: a rollout waits, touching nothing, until a person approves it (modelguardian.dev/rollout-action=approve) or rejects it."),
    shadow: shadow
      .optional()
      .describe(
        "A shadow phase before any live weight: the route mirrors a share of the requests to the candidate, whose answers are not served, and the analysis compares the two versions over the same window. A failed shadow rolls back (quarantined) without the candidate ever serving a request.",
      ),
    steps: z
      .array(step)
      .min(1)
      .max(20)
      .default(DEFAULT_STEPS)
      .describe("The candidate's weights (%), increasing, each held and analysed before the next; the last at 100 promotes after its analysis."),
    analysis: analysis
      .default({
        presets: [],
        compare: [],
        bounds: [],
        minSamples: 200,
        significance: 0.05,
        failureLimit: 0,
        inconclusiveLimit: 6,
        interval: "30s",
        errorLimit: 5,
        retryInterval: "10s",
      })
      .describe(
        "How each step is judged: candidate against stable (compare), absolute bounds, sample sizes, significance and the limits on failed, inconclusive and erroneous analyses.",
      ),
    readyTimeout: duration(READY_TIMEOUT)
      .default("10m")
      .describe("How long the candidate Deployment may take to become ready; then the rollout is rolled back."),
    keepCandidateWarm: z
      .boolean()
      .default(false)
      .describe(
        "false: when a rollout ends (promoted and baked, rolled back or aborted) the candidate Deployment is scaled to zero, its replicas kept in the annotation modelguardian.dev/parked-replicas, and scaled back when the next rollout starts. true: it keeps its replicas between rollouts. KServe revisions are scaled by KServe either way.",
      ),
    bake: z
      .strictObject({
        duration: duration(BAKE).default("0s").describe("How long after a promotion the previous version is kept ready on the candidate Deployment."),
        minSeverity: severity()
          .default("critical")
          .describe("A finding of the monitor at least this severe on the promoted version, during the bake, rolls back to the previous version."),
      })
      .default({ duration: "0s", minSeverity: "critical" })
      .describe("After a promotion: how long the previous version stays ready to take the traffic back, and what sends it back."),
    rollback: withRules(
      z.strictObject({
        mode: z
          .enum(ROLLBACK_MODES)
          .default("immediate")
          .describe(
            "immediate: 100 % stable in the reconcile that decides it. gradual: a failed analysis steps the candidate's weight down by spec.rollback.steps; an abort, a critical finding of the monitor or a failure after a promotion still go to stable at once.",
          ),
        steps: z
          .array(z.strictObject({ weight: z.int32().min(0).max(99).describe("The candidate's weight (%) on the way down."), hold: duration(HOLD) }))
          .min(1)
          .max(10)
          .optional()
          .describe("gradual: the candidate's weights on the way down, each held this long; after the last, 0."),
      }),
      {
        rule: "self.mode != 'gradual' || has(self.steps)",
        message: "gradual rollback needs steps",
        fieldPath: ".steps",
        reason: "FieldValueRequired",
        holds: (x) => x.mode !== "gradual" || x.steps !== undefined,
      },
      {
        rule: "self.mode == 'gradual' || !has(self.steps)",
        message: "steps apply to gradual rollback only",
        fieldPath: ".steps",
        holds: (x) => x.mode === "gradual" || x.steps === undefined,
      },
      {
        rule: "!has(self.steps) || (self.steps.all(s, self.steps.filter(t, t.weight == s.weight).size() == 1) && self.steps.map(s, -s.weight).isSorted())",
        message: "rollback step weights must decrease from one step to the next",
        fieldPath: ".steps",
        holds: (x) => !x.steps || x.steps.every((st, i) => i === 0 || st.weight < (x.steps as { weight: number }[])[i - 1]!.weight),
      },
    )
      .default({ mode: "immediate" })
      .describe("How a failed candidate's traffic goes back to stable: at once, or down by steps."),
  }),
  {
    rule: "self.steps.all(s, self.steps.filter(t, t.weight == s.weight).size() == 1) && self.steps.map(s, s.weight).isSorted()",
    message: "step weights must increase from one step to the next",
    fieldPath: ".steps",
    holds: (s) => s.steps.every((x, i) => i === 0 || x.weight > (s.steps[i - 1] as { weight: number }).weight),
  },
);
export type RolloutStrategy = z.infer<typeof rolloutStrategySchema>;
export type RolloutStrategyInput = z.input<typeof rolloutStrategySchema>;

// ---------------------------------------------------------------- ModelRollout

/** A model version: not blank, no leading or trailing space, no control character. */
export const VERSION_PATTERN = /^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$/;
/** The schemes model stores use (KServe's storage initializer, MLflow, the clouds' object stores, OCI registries, Hugging Face). */
export const MODEL_URI_SCHEMES = [
  "s3",
  "gs",
  "gcs",
  "hf",
  "http",
  "https",
  "oci",
  "pvc",
  "hdfs",
  "webhdfs",
  "abfs",
  "abfss",
  "wasb",
  "wasbs",
  "azureml",
  "dbfs",
  "file",
  "models",
  "runs",
  "mlflow-artifacts",
] as const;
/** A model URI of one of those schemes, or an absolute path; no space or control character anywhere. */
export const MODEL_URI_PATTERN = new RegExp(`^((${MODEL_URI_SCHEMES.join("|")}):|/)[^\\x00-\\x20\\x7f]*$`);

export const modelRolloutSpecSchema = z.strictObject({
  monitorRef: localObjectReference().describe("The ModelMonitor of the model (same namespace)."),
  candidate: z
    .strictObject({
      version: text(128)
        .min(1)
        .regex(VERSION_PATTERN, { message: "must be a version such as v4: not blank, no leading or trailing space, no control character" })
        .describe("The candidate's model version, as the versionLabel of its metrics says it."),
      uri: text(2048)
        .regex(MODEL_URI_PATTERN, {
          message: `must be a model URI: ${MODEL_URI_SCHEMES.join(":, ")}: or an absolute path, without spaces or control characters`,
        })
        .optional()
        .describe(
          `Where the candidate model is stored, passed to the Deployment: a URI of a model store (${MODEL_URI_SCHEMES.join(", ")}) or an absolute path.`,
        ),
    })
    .describe("The version rolled out."),
  paused: z.boolean().default(false).describe("Hold the rollout at its current weights."),
});
export type ModelRolloutSpec = z.infer<typeof modelRolloutSpecSchema>;

export const ROLLOUT_PHASES = [
  "Pending",
  "Shadowing",
  "Progressing",
  "Paused",
  "Promoting",
  "Baking",
  "RollingBack",
  "Succeeded",
  "RolledBack",
  "Aborted",
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export const TERMINAL_PHASES: readonly RolloutPhase[] = ["Succeeded", "RolledBack", "Aborted"];

export const ANALYSIS_OUTCOMES = ["Successful", "Failed", "Inconclusive", "Error"] as const;
export type AnalysisOutcome = (typeof ANALYSIS_OUTCOMES)[number];

const weights = z.object({
  stable: z.int32().min(0).describe("The stable version's weight (%)."),
  candidate: z.int32().min(0).describe("The candidate's weight (%)."),
});
export type Weights = z.infer<typeof weights>;

export const comparisonRecord = z.object({
  signal: z.string().describe("The signal compared."),
  check: z.string().describe("maxRelativeIncrease, maxDrop, max, ...: the limit this comparison holds to."),
  limit: z.number().describe("The limit's value."),
  outcome: z
    .enum(["Passed", "Failed", "Inconclusive", "Error"])
    .describe("Passed, Failed, Inconclusive (too few samples or no verdict yet) or Error (a query failed)."),
  stable: z.number().optional().describe("The stable version's value over the window."),
  candidate: z.number().optional().describe("The candidate's value over the window."),
  difference: z.number().optional().describe("candidate - stable (relative for relative limits)."),
  pValue: z.number().optional().describe("One-sided p-value of the test that the candidate is worse than the limit tolerates."),
  test: z.string().optional().describe("twoProportion, welch, quantileShare, sequential or none."),
  lowerBound: z.number().optional().describe("sequential: the anytime-valid interval on the difference, lower end (relative for relative limits)."),
  upperBound: z.number().optional().describe("sequential: the anytime-valid interval on the difference, upper end."),
  boundary: z.number().optional().describe("sequential, for a quantile: the bucket boundary whose share beyond it is tested, kept for the whole step."),
  logEvidence: z
    .number()
    .optional()
    .describe(
      "sequential: ln Λ, the evidence in this step's counts that the candidate is worse than tolerated; a passed step's is carried into the next (status.carriedEvidence).",
    ),
  stableSamples: z.number().optional().describe("The stable version's samples behind its value."),
  candidateSamples: z.number().optional().describe("The candidate's samples behind its value."),
  message: z.string().optional().describe("The comparison in a sentence."),
});
export type ComparisonRecord = z.infer<typeof comparisonRecord>;

export const analysisRecord = z.object({
  step: z.int32().min(0).describe("The step analysed, counted from 0."),
  weight: z.int32().min(0).describe("The candidate's weight (%) during the step."),
  shadow: z.boolean().optional().describe("An analysis of the shadow phase (the candidate saw mirrored requests only)."),
  interim: z.boolean().optional().describe("A check before the hold's end (analysis.interval); recorded only when it failed or met an error."),
  time: time().describe("When the analysis ran."),
  window: z.string().describe("The window both versions were measured over."),
  outcome: z.enum(ANALYSIS_OUTCOMES).describe("Successful, Failed, Inconclusive or Error: the worst of its comparisons."),
  message: z.string().optional().describe("The analysis in a sentence."),
  comparisons: z.array(comparisonRecord).max(64).default([]).describe("Each comparison and bound, with both versions' numbers."),
});
export type AnalysisRecord = z.infer<typeof analysisRecord>;

export const ROLLOUT_CONDITION_TYPES = ["Ready", "Progressing", "Paused", "Completed"] as const;

export const modelRolloutStatusSchema = z.object({
  observedGeneration: z.number().int().min(0).optional().describe("The metadata.generation of the spec last acted on."),
  phase: z
    .enum(ROLLOUT_PHASES)
    .optional()
    .describe("Where the rollout is: Pending, Shadowing, Progressing, Paused, Promoting, Baking, RollingBack, or ended: Succeeded, RolledBack, Aborted."),
  reason: z.string().optional().describe("Why the rollout is in its phase, as an UpperCamelCase reason."),
  message: z.string().optional().describe("Why the rollout is in its phase, in one sentence."),
  stable: z
    .object({ version: z.string().describe("The stable model version."), uri: z.string().optional().describe("Where its model is stored.") })
    .optional()
    .describe("The version served when the rollout started."),
  attempt: z.int32().min(1).optional().describe("1, then one more at each retry."),
  startTime: time().optional().describe("When this attempt started."),
  phaseTime: time().optional().describe("When the current phase began."),
  stepIndex: z.int32().min(0).optional().describe("The step in progress, counted from 0 (status.step says it as people count)."),
  step: z.string().optional().describe("The step in progress as people count it, e.g. 1/4 (as the messages say it), or shadow; for kubectl get."),
  stableVersion: z
    .string()
    .optional()
    .describe("The version serving stable traffic now: the candidate once promoted (and not rolled back), else stable.version; for kubectl get."),
  blocked: z
    .object({
      reason: z.string().describe("Why nothing can move, as an UpperCamelCase reason."),
      resumeReason: z.string().optional().describe("The phase's reason to show again once the rollout can move."),
      resumeMessage: z.string().optional().describe("The phase's message to show again once the rollout can move."),
    })
    .optional()
    .describe("Nothing can move (the monitor is missing or invalid, or has no spec.serving): why, as the Ready condition says it."),
  stepWeight: z.int32().min(0).optional().describe("The candidate's weight (%) of the step in progress."),
  stepStartTime: time().optional().describe("When the step in progress began."),
  nextAnalysisTime: time().optional().describe("When the next analysis (or check) is due."),
  holdEndTime: time().optional().describe("When the step's (or shadow's) hold ends, extensions included; checks before it can only fail the candidate."),
  stepChecks: z.int32().min(0).optional().describe("The checks of the current step (or shadow) so far."),
  stepBoundaries: z
    .record(z.string(), z.number())
    .optional()
    .describe(
      "Per quantile comparison (by signal), the bucket boundary its anytime-valid test counts beyond, chosen at the step's first look that had one and kept for the step.",
    ),
  carriedEvidence: z
    .record(z.string(), z.number().min(0))
    .optional()
    .describe(
      "Per comparison (signal:check), the evidence carried from the passed steps that measured stable beside the candidate (the shadow phase, steps under 100 %): it sets the level of the current step's anytime-valid test, so a regression seen a little in each step adds up (docs/statistics.md).",
    ),
  rollbackStepIndex: z.int32().min(0).optional().describe("gradual rollback: the step down the candidate's weight is at."),
  rollbackStepStartTime: time().optional().describe("gradual rollback: when that step began."),
  desiredWeights: weights.optional().describe("The weights the operator sets on the route."),
  desiredMirror: z
    .int32()
    .min(0)
    .max(100)
    .optional()
    .describe("The share (%) of requests the operator has the route mirror to the candidate (shadow phase); 0 or absent: none."),
  mirror: z.int32().min(0).max(100).optional().describe("The mirrored share read back from the route."),
  weights: weights.optional().describe("The weights read back from the route."),
  counters: z
    .object({
      successful: z.int32().min(0).default(0).describe("Successful analyses."),
      failed: z.int32().min(0).default(0).describe("Failed analyses (checked against failureLimit)."),
      inconclusive: z.int32().min(0).default(0).describe("Inconclusive analyses."),
      errors: z.int32().min(0).default(0).describe("Analyses that met a metrics error."),
      consecutiveInconclusive: z.int32().min(0).default(0).describe("Inconclusive analyses in a row (checked against inconclusiveLimit)."),
      consecutiveErrors: z.int32().min(0).default(0).describe("Analyses with errors in a row (checked against errorLimit)."),
    })
    .optional()
    .describe("The analyses of this attempt, counted by outcome."),
  lastAnalysis: z.string().optional().describe("The last analysis in short, for kubectl get."),
  analyses: z.array(analysisRecord).max(32).default([]).describe("The analyses of this attempt, oldest first (the last 32)."),
  pauseReason: z.string().optional().describe("Why the rollout is paused (a person, too many inconclusive or erroneous analyses)."),
  exposure: z
    .object({
      signal: z.string().describe("The comparison that failed the candidate."),
      samples: z.number().min(0).describe("The candidate's samples of that signal (requests, labelled predictions) over the steps it served."),
    })
    .optional()
    .describe(
      "Rolled back by an analysis: how much traffic the candidate served while it was worse than tolerated, as far as the counts tell (from its first live request: the counts cannot say when it became worse).",
    ),
  candidateParked: z
    .boolean()
    .optional()
    .describe("The rollout has ended and the candidate Deployment was read back scaled to zero (keepCandidateWarm false)."),
  quarantined: z.boolean().optional().describe("Rolled back or aborted: not rolled out again until retried or changed."),
  handledAction: z.string().optional().describe("The last handled value of the modelguardian.dev/rollout-action annotation."),
  approvedTime: time().optional().describe("When a person approved this attempt (with approval: manual)."),
  promotedTime: time().optional().describe("When the candidate became the stable version; a rollback after it restores the previous version."),
  serving: servingSchema.optional().describe("The monitor's spec.serving as last seen: deleting the monitor mid-way still restores all traffic to stable."),
  finishTime: time().optional().describe("When the rollout ended."),
  conditions: conditions(),
});
export type ModelRolloutStatus = z.infer<typeof modelRolloutStatusSchema>;

export const MODEL_ROLLOUT = {
  kind: "ModelRollout",
  plural: "modelrollouts",
  singular: "modelrollout",
  shortNames: ["mro"],
  categories: ["modelguardian"],
  printerColumns: [
    { name: "Candidate", type: "string", jsonPath: ".spec.candidate.version" },
    { name: "Stable", type: "string", jsonPath: ".status.stableVersion", description: "The version serving stable traffic now: the candidate once promoted" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Reason", type: "string", jsonPath: ".status.reason", description: "Why the rollout is in its phase (a blocked or held rollout says why)" },
    { name: "Step", type: "string", jsonPath: ".status.step", description: "The step in progress as the message counts it (1/4), or shadow" },
    { name: "Weight", type: "integer", jsonPath: ".status.weights.candidate", description: "Candidate weight read back from the route" },
    { name: "Last Analysis", type: "string", jsonPath: ".status.lastAnalysis", description: "The last analysis of this attempt" },
    { name: "Monitor", type: "string", jsonPath: ".spec.monitorRef.name", priority: 1 },
    { name: "Message", type: "string", jsonPath: ".status.message", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
} as const;
