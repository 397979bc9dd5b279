// RetrainPolicy: what to do about a monitor's findings. Only the shape is declared for now
// (the retraining and rollout issues implement it); it is validated like ModelMonitor.
import { z } from "zod";
import { cel, condition, duration, FINDING_TYPES, severity } from "./common.ts";

const jobTemplate = z
  .object({
    metadata: z.record(z.string(), z.unknown()).optional().meta({ "x-kubernetes-preserve-unknown-fields": true }),
    spec: z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true }),
  })
  .describe("A batch/v1 JobTemplateSpec.");

const action = z.object({
  jobTemplate,
  config: z.record(z.string(), z.string().max(4096)).optional().describe("Handed to the Job as environment and a ConfigMap."),
});

export const retrainPolicySpecSchema = z.object({
  triggers: z
    .array(
      z.object({
        findings: z.array(z.enum(FINDING_TYPES)).min(1).max(16),
        minSeverity: severity().default("warning"),
        action: z.enum(["retrain", "reindex"]),
      }),
    )
    .max(16)
    .default([]),
  actions: z
    .object({ retrain: action.optional(), reindex: action.optional() })
    .default({}),
  cooldown: duration().default("6h"),
  maxActiveJobs: z.int32().min(1).max(100).default(1),
  budget: z.object({ maxJobs: z.int32().min(1), per: duration() }).optional(),
  requireApproval: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  suspend: z.boolean().default(false),
}).meta(
  cel({
    rule: "self.triggers.all(t, (t.action == 'retrain' && has(self.actions.retrain)) || (t.action == 'reindex' && has(self.actions.reindex)))",
    message: "every triggers[].action needs the matching entry in spec.actions",
    fieldPath: ".triggers",
  }),
);
export type RetrainPolicySpec = z.infer<typeof retrainPolicySpecSchema>;

export const retrainPolicyStatusSchema = z.object({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(condition()).default([]),
});
export type RetrainPolicyStatus = z.infer<typeof retrainPolicyStatusSchema>;

export const RETRAIN_POLICY = {
  kind: "RetrainPolicy",
  plural: "retrainpolicies",
  singular: "retrainpolicy",
  shortNames: ["rp"],
  categories: ["modelguardian"],
  printerColumns: [
    { name: "Suspended", type: "boolean", jsonPath: ".spec.suspend" },
    { name: "Cooldown", type: "string", jsonPath: ".spec.cooldown" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
} as const;
