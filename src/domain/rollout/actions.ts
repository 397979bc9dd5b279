// Which verb a person may give a rollout in which phase, and how it is written: the one rule the
// state machine (handling modelguardian.dev/rollout-action) and kubectl-modelguardian (refusing
// a verb before writing it) share, so the plugin never says yes to what the operator then ignores.
import type { ModelRolloutSpec, ModelRolloutStatus, RolloutPhase } from "../../api/v1alpha1/rollout.ts";
import { TERMINAL_PHASES } from "../../api/v1alpha1/rollout.ts";
import { actionVerb, ROLLOUT_ACTION_ANNOTATION, type RolloutAction } from "./names.ts";

/** The verbs of `kubectl modelguardian`: the annotation's actions, and pause (spec.paused). */
export const ROLLOUT_VERBS = ["promote", "abort", "pause", "resume", "retry", "approve", "reject"] as const;
export type RolloutVerb = (typeof ROLLOUT_VERBS)[number];

/** What an action's rule looks at. */
export interface ActionView {
  /** Undefined before the operator's first reconcile, which starts the rollout as Pending. */
  phase: RolloutPhase | undefined;
  /** Pending, approval manual, not approved yet. */
  awaitingApproval: boolean;
  /** A gradual rollback is stepping the candidate's weight down (abort makes it immediate). */
  gradualRollback: boolean;
}

/** Why an annotation action does not fit the rollout's phase; undefined when it does. */
export function actionRefusal(verb: RolloutAction, v: ActionView): string | undefined {
  const phase = v.phase ?? "Pending";
  switch (verb) {
    case "approve":
    case "reject":
      return v.awaitingApproval ? undefined : "nothing is waiting for approval";
    case "abort":
      if (phase === "RollingBack" && v.gradualRollback) return undefined;
      return TERMINAL_PHASES.includes(phase) || phase === "RollingBack" ? `the rollout is already ${phase}` : undefined;
    case "promote":
      return phase === "Pending" || phase === "Shadowing" || phase === "Progressing" || phase === "Paused"
        ? undefined
        : `a ${phase} rollout cannot be promoted`;
    case "resume":
      return phase === "Paused" ? undefined : `only a Paused rollout resumes (it is ${phase})`;
    case "retry":
      return phase === "RolledBack" || phase === "Aborted" ? undefined : `only a RolledBack or Aborted rollout is retried (it is ${phase})`;
  }
}

/** A rollout as a client reads it: what the verbs are decided from. */
export interface RolloutObjectView {
  spec: Pick<ModelRolloutSpec, "paused">;
  status: Pick<ModelRolloutStatus, "phase" | "reason" | "approvedTime" | "rollbackStepIndex" | "pauseReason" | "handledAction">;
  annotations: Readonly<Record<string, string>>;
}

/**
 * What a verb writes: an action annotation, spec.paused, or both (resuming a rollout that is
 * paused by spec.paused and for another reason too). `note` tells the person what follows.
 */
export type VerbPlan = { kind: "refuse"; reason: string } | { kind: "write"; annotation?: { key: string; value: string }; paused?: boolean; note: string };

/**
 * The plan for a verb on a rollout as read. Approval is judged from what the operator published
 * (phase Pending, reason AwaitingApproval): the client need not read the strategy. `token` makes
 * the annotation's value new (the operator acts on a value it has not handled yet).
 */
export function planVerb(verb: RolloutVerb, r: RolloutObjectView, token: string): VerbPlan {
  const s = r.status;
  const phase = s.phase;
  const shown = phase ?? "Pending";
  const view: ActionView = {
    phase,
    awaitingApproval: (phase === undefined || phase === "Pending") && s.reason === "AwaitingApproval" && s.approvedTime === undefined,
    gradualRollback: s.rollbackStepIndex !== undefined,
  };
  const pending = r.annotations[ROLLOUT_ACTION_ANNOTATION];
  const annotate = (action: RolloutAction, note: string, extra: { paused?: boolean } = {}): VerbPlan => {
    if (pending !== undefined && pending !== s.handledAction && actionVerb(pending) !== undefined)
      return { kind: "refuse", reason: `${ROLLOUT_ACTION_ANNOTATION}=${pending} is not handled yet: wait for the operator to act on it` };
    const refusal = actionRefusal(action, view);
    if (refusal) return { kind: "refuse", reason: refusal };
    return { kind: "write", annotation: { key: ROLLOUT_ACTION_ANNOTATION, value: `${action}-${token}` }, note, ...extra };
  };
  switch (verb) {
    case "pause":
      if (r.spec.paused) return { kind: "refuse", reason: "spec.paused is already true" };
      if (phase === "Paused") return { kind: "refuse", reason: `the rollout is already Paused (${s.pauseReason ?? s.reason ?? "paused"})` };
      if (phase !== undefined && phase !== "Pending" && phase !== "Shadowing" && phase !== "Progressing")
        return { kind: "refuse", reason: `a ${shown} rollout cannot be paused: only Pending, Shadowing and Progressing rollouts hold their steps` };
      return {
        kind: "write",
        paused: true,
        note:
          shown === "Pending"
            ? "spec.paused set: the rollout holds when its first step (or shadow) starts"
            : "spec.paused set: the rollout holds at its current weights",
      };
    case "resume":
      if (r.spec.paused && (phase !== "Paused" || s.pauseReason === "PausedBySpec"))
        return { kind: "write", paused: false, note: "spec.paused cleared: the rollout goes on, its step's hold starting again" };
      if (r.spec.paused) return annotate("resume", "spec.paused cleared and resume requested", { paused: false });
      return annotate("resume", "resume requested: the step's hold starts again");
    case "promote":
      return annotate("promote", "promotion requested: the remaining steps are skipped");
    case "abort":
      return annotate("abort", "abort requested: all traffic goes back to stable");
    case "retry":
      return annotate("retry", "retry requested: the candidate leaves quarantine and is rolled out again");
    case "approve":
      return annotate("approve", "approved: the rollout starts");
    case "reject":
      return annotate("reject", "rejection requested: the candidate is quarantined without being put in place");
  }
}
