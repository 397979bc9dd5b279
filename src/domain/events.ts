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
