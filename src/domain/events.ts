// The catalogue of Event reasons. Every Event the operator records uses one of these.
import type { FindingType, Severity } from "../api/v1alpha1/common.ts";

export const EventReason = {
  HealthCritical: "HealthCritical",
  HealthWarning: "HealthWarning",
  HealthRecovered: "HealthRecovered",
  HealthUnknown: "HealthUnknown",
  // the metrics source (Prometheus) failing and answering again, whatever the health
  MetricsSourceFailing: "MetricsSourceFailing",
  MetricsSourceRecovered: "MetricsSourceRecovered",
  BaselinePinned: "BaselinePinned",
  InvalidSpec: "InvalidSpec",
  SpecAccepted: "SpecAccepted",
  // actions (RetrainPolicy)
  RetrainTriggered: "RetrainTriggered",
  ReindexTriggered: "ReindexTriggered",
  DryRunAction: "DryRunAction",
  CooldownActive: "CooldownActive",
  BackoffActive: "BackoffActive",
  MaxActiveJobsReached: "MaxActiveJobsReached",
  BudgetExhausted: "BudgetExhausted",
  PolicySuspended: "PolicySuspended",
  PolicyNotFound: "PolicyNotFound",
  PolicyInvalid: "PolicyInvalid",
  JobCreateFailed: "JobCreateFailed",
  JobAdopted: "JobAdopted",
  JobSucceeded: "JobSucceeded",
  JobFailed: "JobFailed",
  JobDisappeared: "JobDisappeared",
  CandidateRecorded: "CandidateRecorded",
  NoVersionReported: "NoVersionReported",
  InvalidJobTemplate: "InvalidJobTemplate",
  JobTemplateNotAllowed: "JobTemplateNotAllowed",
  // rollouts (ModelRollout, and the monitor that owns them)
  RolloutCreated: "RolloutCreated",
  RolloutStarted: "RolloutStarted",
  CandidateDeploying: "CandidateDeploying",
  StepStarted: "StepStarted",
  ShadowStarted: "ShadowStarted",
  ShadowPassed: "ShadowPassed",
  AnalysisSuccessful: "AnalysisSuccessful",
  AnalysisFailed: "AnalysisFailed",
  AnalysisInconclusive: "AnalysisInconclusive",
  AnalysisError: "AnalysisError",
  RolloutPaused: "RolloutPaused",
  RolloutResumed: "RolloutResumed",
  PromotionStarted: "PromotionStarted",
  Promoted: "Promoted",
  BakeStarted: "BakeStarted",
  BakeFailed: "BakeFailed",
  RollbackStarted: "RollbackStarted",
  RollbackStep: "RollbackStep",
  RollbackAccelerated: "RollbackAccelerated",
  RolledBack: "RolledBack",
  Aborted: "Aborted",
  Quarantined: "Quarantined",
  RetryStarted: "RetryStarted",
  ManualAction: "ManualAction",
  ApprovalRequired: "ApprovalRequired",
  RolloutInProgress: "RolloutInProgress",
  Approved: "Approved",
  Rejected: "Rejected",
  UnknownAction: "UnknownAction",
  ManualWeightChange: "ManualWeightChange",
  InvalidStrategy: "InvalidStrategy",
  RouterError: "RouterError",
  RolloutBlocked: "RolloutBlocked",
  TargetNotOptedIn: "TargetNotOptedIn",
  StableVersionChanged: "StableVersionChanged",
  // governance reports (ModelMonitor spec.report)
  ReportWritten: "ReportWritten",
  ReportFailed: "ReportFailed",
  // notification webhooks (RetrainPolicy)
  NotificationFailed: "NotificationFailed",
} as const;

export type FindingEventReason = `${FindingType}Detected` | `${FindingType}Cleared`;
export type EventReasonValue = (typeof EventReason)[keyof typeof EventReason] | FindingEventReason;

export interface MonitorEvent {
  type: "Normal" | "Warning";
  reason: EventReasonValue;
  message: string;
  /** The severity behind a finding or health Event; notifications filter on it. */
  severity?: Severity;
}

/** What a reason means, for docs/reference/events.md (`npm run docs:gen`); a test checks every reason has one. */
export interface EventReasonDoc {
  /** Where it belongs: the kind it is recorded on, and the part of the work. */
  section: string;
  type: "Normal" | "Warning" | "Normal or Warning" | "(no Event)";
  meaning: string;
}

const MONITOR = "ModelMonitor: health and metrics";
const ACTIONS = "ModelMonitor: retraining Jobs (its RetrainPolicy)";
const POLICY = "RetrainPolicy";
const ROLLOUT = "ModelRollout (and the ModelMonitor that owns it)";
const REPORTS = "Governance reports and notifications";

// Partial, so that a reason added to the catalogue compiles at once; the test names it until it has a meaning.
export const EVENT_REASON_DOCS: { readonly [R in keyof typeof EventReason]?: EventReasonDoc } = {
  HealthCritical: { section: MONITOR, type: "Warning", meaning: "Health became Critical; the message names the worst finding." },
  HealthWarning: { section: MONITOR, type: "Warning", meaning: "Health became Warning; the message names the worst finding." },
  HealthRecovered: { section: MONITOR, type: "Normal", meaning: "Health became Healthy again (not recorded for a first evaluation that is Healthy)." },
  HealthUnknown: {
    section: MONITOR,
    type: "Warning",
    meaning: "Health became Unknown: some rule could not be judged; the message says why (no data, no baseline, too few samples, an error).",
  },
  MetricsSourceFailing: {
    section: MONITOR,
    type: "Warning",
    meaning: "The metrics source (Prometheus) fails: unreachable, refused, timed out or unauthorised; the message has the cause.",
  },
  MetricsSourceRecovered: { section: MONITOR, type: "Normal", meaning: "The metrics source answers again." },
  BaselinePinned: { section: MONITOR, type: "Normal", meaning: "A pinned baseline (a signal's value or a drift check's reference distribution) was taken." },
  InvalidSpec: {
    section: MONITOR,
    type: "Warning",
    meaning:
      "The object's spec is invalid (the message names the fields), or the API server refused a ModelRollout the monitor created. Also recorded on a RetrainPolicy.",
  },
  SpecAccepted: { section: MONITOR, type: "(no Event)", meaning: "Declared, not recorded at present." },
  RetrainTriggered: { section: ACTIONS, type: "Normal", meaning: "A retraining Job was created for the findings the message names." },
  ReindexTriggered: { section: ACTIONS, type: "Normal", meaning: "A re-indexing Job was created for the findings the message names." },
  DryRunAction: { section: ACTIONS, type: "Normal", meaning: "Dry run: the Job that would have been created." },
  CooldownActive: { section: ACTIONS, type: "Normal", meaning: "A triggered action waits for the policy's cooldown; the message says until when." },
  BackoffActive: { section: ACTIONS, type: "Warning", meaning: "A triggered action waits for the backoff after failed Jobs." },
  MaxActiveJobsReached: { section: ACTIONS, type: "Normal", meaning: "A triggered action waits: maxActiveJobs Jobs are running for this monitor." },
  BudgetExhausted: { section: ACTIONS, type: "Warning", meaning: "A triggered action waits: the policy's budget of Jobs per window is spent." },
  PolicySuspended: { section: ACTIONS, type: "Warning", meaning: "A triggered action was not started: the RetrainPolicy is suspended." },
  PolicyNotFound: { section: ACTIONS, type: "Warning", meaning: "spec.policyRef names a RetrainPolicy that does not exist in the namespace." },
  PolicyInvalid: { section: ACTIONS, type: "Warning", meaning: "The RetrainPolicy the monitor names is invalid; nothing is started until it is fixed." },
  JobCreateFailed: {
    section: ACTIONS,
    type: "Warning",
    meaning: "The API server refused the Job; it counts as a failed attempt and is retried after the backoff.",
  },
  JobAdopted: {
    section: ACTIONS,
    type: "Normal",
    meaning: "A Job the status did not record yet (a restart between creating it and writing status) is followed.",
  },
  JobSucceeded: { section: ACTIONS, type: "Normal", meaning: "An action's Job succeeded." },
  JobFailed: { section: ACTIONS, type: "Warning", meaning: "An action's Job failed; the message says when the next attempt may start." },
  JobDisappeared: { section: ACTIONS, type: "Warning", meaning: "A running Job was deleted before it finished; it is not retried for the same findings." },
  CandidateRecorded: {
    section: ACTIONS,
    type: "Normal",
    meaning: "A retraining Job reported a model version: recorded as the candidate a rollout can promote.",
  },
  NoVersionReported: { section: ACTIONS, type: "Warning", meaning: "A retraining Job succeeded but reported no model version (or an unreadable one)." },
  InvalidJobTemplate: {
    section: POLICY,
    type: "Warning",
    meaning: "An action's Job template fails the API server's dry run; the message names the action and the field.",
  },
  JobTemplateNotAllowed: {
    section: POLICY,
    type: "Warning",
    meaning: "An action's Job template asks for what the operator's Job limits forbid; the message names each refusal.",
  },
  RolloutCreated: {
    section: ROLLOUT,
    type: "Normal",
    meaning: "The monitor created a ModelRollout for a new version (a changed spec.model.version or a retrained candidate).",
  },
  RolloutStarted: { section: ROLLOUT, type: "Normal", meaning: "The rollout started: candidate against stable, with its steps." },
  CandidateDeploying: { section: ROLLOUT, type: "Normal", meaning: "The candidate's version and URI are being put in place on the candidate Deployment." },
  StepStarted: { section: ROLLOUT, type: "Normal", meaning: "A canary step started: the candidate's weight and the hold." },
  ShadowStarted: {
    section: ROLLOUT,
    type: "Normal",
    meaning: "The shadow phase started: a share of requests is mirrored to the candidate, whose answers are not served.",
  },
  ShadowPassed: { section: ROLLOUT, type: "Normal", meaning: "The candidate passed its shadow phase; live traffic starts." },
  AnalysisSuccessful: { section: ROLLOUT, type: "Normal", meaning: "A step's analysis passed." },
  AnalysisFailed: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "An analysis failed: the candidate is worse than tolerated; past failureLimit it is rolled back.",
  },
  AnalysisInconclusive: {
    section: ROLLOUT,
    type: "Normal",
    meaning: "Too few samples for a verdict: the step is extended; past inconclusiveLimit the rollout pauses.",
  },
  AnalysisError: { section: ROLLOUT, type: "Warning", meaning: "The metrics could not be read for an analysis; past errorLimit the rollout pauses." },
  RolloutPaused: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "The rollout paused (a person, too many inconclusive or erroneous analyses, a weight changed by hand).",
  },
  RolloutResumed: { section: ROLLOUT, type: "Normal", meaning: "The rollout carries on (resumed, unblocked, or its serving objects opted in again)." },
  PromotionStarted: { section: ROLLOUT, type: "Normal", meaning: "Every step passed; the candidate is being promoted to stable." },
  Promoted: { section: ROLLOUT, type: "Normal", meaning: "The candidate is the stable version and has all traffic." },
  BakeStarted: { section: ROLLOUT, type: "Normal", meaning: "After the promotion the previous version stays ready for the bake duration." },
  BakeFailed: { section: ROLLOUT, type: "Warning", meaning: "A finding at bake.minSeverity appeared while baking: back to the previous version." },
  RollbackStarted: { section: ROLLOUT, type: "Warning", meaning: "The rollout is rolling back, at once or by steps (gradual)." },
  RollbackStep: { section: ROLLOUT, type: "Normal", meaning: "Gradual rollback: the candidate's weight stepped down." },
  RollbackAccelerated: { section: ROLLOUT, type: "Warning", meaning: "A gradual rollback went to stable at once (an abort, a critical finding)." },
  RolledBack: { section: ROLLOUT, type: "Warning", meaning: "The rollout ended rolled back: stable has all traffic." },
  Aborted: { section: ROLLOUT, type: "Warning", meaning: "The rollout ended aborted by a person: stable has all traffic." },
  Quarantined: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "The candidate version is quarantined: not rolled out again until its version or URI changes or a person retries it.",
  },
  RetryStarted: { section: ROLLOUT, type: "Normal", meaning: "A person retried the rollout: the candidate leaves quarantine and is rolled out again." },
  ManualAction: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "A person's rollout action was refused (it does not fit the phase; the message says why), or an abort.",
  },
  ApprovalRequired: {
    section: ROLLOUT,
    type: "Normal",
    meaning: "approval: manual: the rollout (or, on the monitor, a Job) waits for a person; the message has the command.",
  },
  RolloutInProgress: { section: ACTIONS, type: "Normal", meaning: "A triggered action waits while a rollout of the model is in progress." },
  Approved: { section: ROLLOUT, type: "Normal", meaning: "A person approved the rollout; it starts." },
  Rejected: { section: ROLLOUT, type: "Normal or Warning", meaning: "A person rejected the rollout (Warning) or a Job waiting for approval (Normal)." },
  UnknownAction: { section: ROLLOUT, type: "Warning", meaning: "The modelguardian.dev/rollout-action annotation holds no known verb." },
  ManualWeightChange: { section: ROLLOUT, type: "Warning", meaning: "The route's weights were changed outside the rollout; it pauses." },
  InvalidStrategy: {
    section: ROLLOUT,
    type: "(no Event)",
    meaning: "The reason of a rollout held Pending because the RetrainPolicy's rollout strategy is invalid (condition Ready=False); notifications carry it.",
  },
  RouterError: { section: ROLLOUT, type: "Warning", meaning: "Setting the route's weights or a Deployment failed; retried." },
  RolloutBlocked: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "Nothing can move: the monitor is missing or invalid, or has no spec.serving; the message says which.",
  },
  TargetNotOptedIn: {
    section: ROLLOUT,
    type: "Warning",
    meaning: "A serving object lacks the opt-in label modelguardian.dev/rollout-target=true: the rollout holds and touches nothing.",
  },
  StableVersionChanged: {
    section: ROLLOUT,
    type: "Normal",
    meaning: "The monitor watches another stable version (a promotion, or spec.model.version changed without serving).",
  },
  ReportWritten: { section: REPORTS, type: "Normal", meaning: "The governance report was written to its ConfigMap." },
  ReportFailed: { section: REPORTS, type: "Warning", meaning: "The governance report could not be written; retried at the next evaluation." },
  NotificationFailed: { section: REPORTS, type: "Warning", meaning: "A notification webhook was given up after its retries (recorded on the RetrainPolicy)." },
};
