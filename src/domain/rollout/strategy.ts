// The strategy a rollout follows: its monitor's RetrainPolicy's spec.rollout, else the defaults.
// One rule for the operator and for kubectl-modelguardian, which shows the steps it follows.
import { retrainPolicySpecSchema } from "../../api/v1alpha1/retrainpolicy.ts";
import { rolloutStrategySchema, type RolloutStrategy } from "../../api/v1alpha1/rollout.ts";
import { formatIssues } from "../../api/validation.ts";

export const DEFAULT_STRATEGY: RolloutStrategy = rolloutStrategySchema.parse({});

/** undefined policy: the monitor names none (or it is gone); an invalid one falls back to the defaults with the problem. */
export function strategyOf(policy: { metadata: { name?: string }; spec?: unknown } | undefined): { strategy: RolloutStrategy; problem?: string } {
  if (!policy) return { strategy: DEFAULT_STRATEGY };
  const parsed = retrainPolicySpecSchema.safeParse(policy.spec ?? {});
  if (!parsed.success)
    return { strategy: DEFAULT_STRATEGY, problem: `RetrainPolicy ${policy.metadata.name} is invalid: ${formatIssues(parsed.error, "spec")}` };
  return { strategy: parsed.data.rollout ?? DEFAULT_STRATEGY };
}
