// RetrainPolicy: which findings of a ModelMonitor start which Job, and the limits that keep
// the operator from starting too many. A ModelMonitor names its policy in spec.policyRef (same
// namespace); one policy can serve many monitors. Cooldown, backoff, active Jobs and budget are
// counted per monitor, that is per model.
import { z } from "zod";
import { rolloutStrategySchema } from "./rollout.ts";
import {
  boundedRecord,
  conditions,
  DAY,
  DNS_SUBDOMAIN_PATTERN,
  duration,
  FINDING_TYPES,
  identifier,
  listMap,
  SECOND,
  severity,
  text,
  time,
  withRules,
} from "./common.ts";

const COOLDOWN = { min: 0, max: 90 * DAY };
const BACKOFF = { min: SECOND, max: 30 * DAY };
const BUDGET_WINDOW = { min: SECOND, max: 365 * DAY };

/** Marks a free-form object the API server keeps as written (Job fields we do not model). */
const preserve = { "x-kubernetes-preserve-unknown-fields": true } as const;

// Only the parts of a JobTemplateSpec the operator relies on are modelled, so the API server
// rejects the commonest mistakes at apply time; every other field passes through untouched and
// the controller checks the whole template with a server-side dry run.
const objectMeta = () =>
  z
    .looseObject({
      labels: z.record(z.string(), z.string()).optional().describe("Labels of the object; the operator adds its own."),
      annotations: z.record(z.string(), z.string()).optional().describe("Annotations of the object; the operator adds its own."),
    })
    .meta(preserve)
    .optional()
    .describe("Standard object metadata: labels and annotations (other fields are kept as written).");
const container = z
  .looseObject({
    name: z.string().min(1).max(63).describe("The container's name."),
    image: z.string().min(1).max(1024).describe("The container image that trains (or re-indexes) the model."),
  })
  .meta(preserve);
const podTemplate = z
  .looseObject({
    metadata: objectMeta(),
    spec: z
      .looseObject({
        restartPolicy: z.enum(["Never", "OnFailure"]).describe("A Job's pods must not restart forever."),
        containers: z.array(container).min(1).max(16).describe("The pod's containers (a core/v1 Container each; other fields are kept as written)."),
      })
      .meta(preserve)
      .describe("A core/v1 PodSpec; restartPolicy and containers are checked, the rest is kept as written."),
  })
  .meta(preserve)
  .describe("The Job's pod template (core/v1 PodTemplateSpec).");
const jobTemplate = z
  .strictObject({
    metadata: objectMeta(),
    spec: z
      .looseObject({ template: podTemplate })
      .meta(preserve)
      .describe("A batch/v1 JobSpec; template is checked, every other field (backoffLimit, activeDeadlineSeconds, ...) is kept as written."),
  })
  .describe("A batch/v1 JobTemplateSpec. The operator adds labels, annotations, environment and an owner reference.");

export const ACTION_PURPOSES = ["retrain", "reindex"] as const;
export type ActionPurpose = (typeof ACTION_PURPOSES)[number];

/** Configuration keys become parts of environment variable names and annotation keys. */
export const CONFIG_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]*$/;

const action = withRules(
  z.strictObject({
    name: identifier("action name").describe("The action's name, unique in spec.actions; triggers refer to it and it is part of the Job's name."),
    purpose: z
      .enum(ACTION_PURPOSES)
      .optional()
      .describe("retrain (accuracy or behaviour drift) or reindex (embedding drift); defaults to the name when it is one of them."),
    jobTemplate,
    config: boundedRecord(
      z.string().min(1).max(253).regex(CONFIG_KEY_PATTERN, { message: "must start with a letter, then letters, digits, '_', '.' or '-'" }),
      text(4096),
      64,
    )
      .optional()
      .describe("Training configuration (epochs, batchSize, ...), handed to the Job as MG_CONFIG (JSON), MG_CONFIG_<KEY> variables and an annotation."),
  }),
  {
    rule: "has(self.purpose) || self.name == 'retrain' || self.name == 'reindex'",
    message: "purpose is required unless the action is named retrain or reindex",
    holds: (a) => a.purpose !== undefined || a.name === "retrain" || a.name === "reindex",
  },
);
export type ActionSpec = z.infer<typeof action>;

/** What an action is for: its purpose, or its name when that is retrain or reindex. */
export const actionPurpose = (a: Pick<ActionSpec, "name" | "purpose">): ActionPurpose => a.purpose ?? (a.name === "reindex" ? "reindex" : "retrain");

const trigger = z.strictObject({
  findings: z.array(z.enum(FINDING_TYPES)).min(1).max(16).describe("Finding types that fire this trigger."),
  minSeverity: severity().default("warning").describe("Findings below this severity do not fire the trigger."),
  sources: z.array(text(253)).max(32).optional().describe("Only findings of these signals, drift checks or fairness checks."),
  features: z.array(text(253)).max(64).optional().describe("Only drift findings in which one of these features drifted."),
  segments: z.array(text(256)).max(64).optional().describe("Only findings of these segments (an overall finding has no segment)."),
  action: identifier("action name").describe("The name of an entry in spec.actions."),
});
export type TriggerSpec = z.infer<typeof trigger>;

/** What a notification webhook can be told of: the Events of each kind the operator records. */
export const NOTIFICATION_TOPICS = ["Findings", "Jobs", "Rollouts"] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];
export const NOTIFICATION_FORMATS = ["slack", "json"] as const;

const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;
const notification = z.strictObject({
  name: identifier("notification name").describe("The webhook's name, unique in spec.notifications; Events about deliveries name it."),
  format: z
    .enum(NOTIFICATION_FORMATS)
    .default("json")
    .describe("slack: a Slack-compatible incoming-webhook message ({text, attachments}); json: the notice as a JSON object."),
  urlSecretRef: z
    .strictObject({
      name: z
        .string()
        .min(1)
        .max(253)
        .regex(DNS_SUBDOMAIN_PATTERN, { message: "must be a lower-case DNS subdomain name" })
        .describe("The Secret's name (same namespace)."),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(SECRET_KEY_PATTERN, { message: "must be a Secret data key: letters, digits, '-', '_' or '.'" })
        .default("url")
        .describe("The key of the Secret's data holding the URL."),
    })
    .describe("The Secret (same namespace) and key holding the webhook URL: the URL is a credential and never appears in the policy, logs or Events."),
  topics: z
    .array(z.enum(NOTIFICATION_TOPICS))
    .min(1)
    .max(3)
    .default([...NOTIFICATION_TOPICS])
    .describe(
      "Findings (health changes, findings detected and cleared), Jobs (started, held, finished, their candidate), Rollouts (steps, analyses that fail, promotion, rollback, pauses).",
    ),
  minSeverity: severity().default("warning").describe("Findings and health changes below this severity are not sent; recoveries and clearings always are."),
});
export type NotificationSpec = z.infer<typeof notification>;

export const retrainPolicySpecSchema = withRules(
  z.strictObject({
    triggers: z
      .array(trigger)
      .max(16)
      .default([])
      .describe("Which findings start which action; the findings every trigger of an action matches start one Job of it."),
    actions: listMap(z.array(action).max(8), "name")
      .default([])
      .describe("The Jobs the policy can start, each from a Job template, with training configuration."),
    cooldown: duration(COOLDOWN).default("6h").describe("No second Job of the same action for the same monitor within this time."),
    maxActiveJobs: z.int32().min(1).max(100).default(1).describe("At most this many running Jobs per monitor."),
    backoff: z
      .strictObject({ initial: duration(BACKOFF).default("10m"), max: duration(BACKOFF).default("6h") })
      .default({ initial: "10m", max: "6h" })
      .describe("After a failed Job, the next attempt waits initial, doubling per consecutive failure, up to max."),
    budget: z
      .strictObject({
        maxJobs: z.int32().min(1).max(100).describe("At most this many Jobs per monitor within the window."),
        per: duration(BUDGET_WINDOW).describe("The window's length."),
      })
      .optional()
      .describe("At most maxJobs Jobs per monitor within any window of this length."),
    historyLimit: z.int32().min(1).max(100).default(20).describe("Actions kept in status."),
    successfulJobsHistoryLimit: z
      .int32()
      .min(0)
      .max(100)
      .default(3)
      .describe("Finished successful Jobs kept per monitor and action; older ones are deleted (their record stays in status)."),
    failedJobsHistoryLimit: z
      .int32()
      .min(0)
      .max(100)
      .default(1)
      .describe("Failed Jobs kept per monitor and action; older ones are deleted (their record stays in status)."),
    approval: z
      .enum(["none", "manual"])
      .default("none")
      .describe(
        "manual: each Job waits until a person approves it on the monitor (modelguardian.dev/approve=<trigger>) or rejects it (modelguardian.dev/reject=<trigger>).",
      ),
    dryRun: z.boolean().default(false).describe("Record what would be done, create nothing."),
    suspend: z.boolean().default(false).describe("Start no new Job; running Jobs are still followed."),
    rollout: rolloutStrategySchema
      .optional()
      .describe("Roll a candidate a retraining Job reports out by canary steps; the wiring is on each monitor's spec.serving."),
    notifications: listMap(z.array(notification).max(8), "name")
      .default([])
      .describe("Webhooks told of the findings, Jobs and rollouts of every monitor that names this policy; delivered with retries."),
  }),
  {
    rule: "self.triggers.all(t, self.actions.exists(a, a.name == t.action))",
    message: "every triggers[].action must name an entry in spec.actions",
    fieldPath: ".triggers",
    holds: (spec) => spec.triggers.every((t) => spec.actions.some((a) => a.name === t.action)),
  },
);
export type RetrainPolicySpec = z.infer<typeof retrainPolicySpecSchema>;
export type RetrainPolicySpecInput = z.input<typeof retrainPolicySpecSchema>;

export const JOB_OUTCOMES = ["Active", "Succeeded", "Failed", "CreateFailed", "DryRun", "Rejected"] as const;

/** One action taken (or, in dry-run, that would have been taken): the audit trail. */
export const actionRecord = z.object({
  time: time().describe("When the Job was created (or the dry-run decision made)."),
  action: z.string().describe("The action (spec.actions[].name)."),
  purpose: z.enum(ACTION_PURPOSES).describe("retrain or reindex."),
  trigger: z.string().describe("Identifies the findings that caused it; part of the Job name."),
  reason: z.string().describe("The findings that caused it, in short."),
  severity: severity().describe("The worst severity of the findings behind it."),
  job: z.string().describe("The Job's name (the name it would have had, in dry-run)."),
  attempt: z.int32().min(1).describe("1 for the first Job of a trigger, counting retries after failures."),
  outcome: z.enum(JOB_OUTCOMES).describe("Active while the Job runs; Succeeded, Failed, CreateFailed, DryRun or Rejected."),
  finishedTime: time().optional().describe("When the Job finished."),
  message: z.string().max(4096).optional().describe("What happened, in a sentence (a failure's cause)."),
  version: z.string().optional().describe("Model version the Job reported."),
  uri: z.string().optional().describe("Where the Job stored that model."),
  monitor: z.string().optional().describe("The ModelMonitor (only in a RetrainPolicy's status)."),
});
export type ActionRecord = z.infer<typeof actionRecord>;

/** The condition types this resource's own controller writes (and owns, under server-side apply). */
export const POLICY_CONDITION_TYPES = ["Ready"] as const;

export const retrainPolicyStatusSchema = z.object({
  observedGeneration: z.number().int().min(0).optional().describe("The metadata.generation of the spec last checked."),
  conditions: conditions(),
  monitors: z.int32().min(0).optional().describe("ModelMonitors that refer to this policy."),
  active: z.int32().min(0).optional().describe("Running Jobs across those monitors."),
  activeJobs: z
    .array(
      z.object({
        monitor: z.string().describe("The ModelMonitor the Job is for."),
        job: z.string().describe("The Job's name."),
        action: z.string().describe("The action it runs."),
        startTime: time().describe("When it was created."),
      }),
    )
    .max(50)
    .default([])
    .describe("The oldest running Jobs, at most 50 (active counts them all)."),
  lastActionTime: time().optional().describe("When the latest action was taken."),
  history: z.array(actionRecord).default([]).describe("The latest actions across all monitors, newest first."),
});
export type RetrainPolicyStatus = z.infer<typeof retrainPolicyStatusSchema>;

export const RETRAIN_POLICY = {
  kind: "RetrainPolicy",
  plural: "retrainpolicies",
  singular: "retrainpolicy",
  shortNames: ["rp"],
  categories: ["modelguardian"],
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: "Why the policy is (not) ready" },
    { name: "Monitors", type: "integer", jsonPath: ".status.monitors" },
    { name: "Active", type: "integer", jsonPath: ".status.active", description: "Running Jobs across its monitors" },
    { name: "Last Action", type: "date", jsonPath: ".status.lastActionTime" },
    { name: "Last Outcome", type: "string", jsonPath: ".status.history[0].outcome", description: "How the latest action ended (Active while its Job runs)" },
    { name: "Suspended", type: "boolean", jsonPath: ".spec.suspend" },
    { name: "Dry Run", type: "boolean", jsonPath: ".spec.dryRun", priority: 1 },
    { name: "Last Job", type: "string", jsonPath: ".status.history[0].job", priority: 1 },
    { name: "Message", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
} as const;
