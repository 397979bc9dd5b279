// docs/reference/events.md from the Event reason catalogue (src/domain/events.ts).
import { FINDING_TYPES } from "../../src/api/v1alpha1/common.ts";
import { MONITOR_CONDITION_TYPES } from "../../src/api/v1alpha1/modelmonitor.ts";
import { POLICY_CONDITION_TYPES } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { ROLLOUT_CONDITION_TYPES } from "../../src/api/v1alpha1/rollout.ts";
import { EVENT_REASON_DOCS, EventReason } from "../../src/domain/events.ts";
import { ERROR_REASONS, NO_DATA_REASONS, OBSERVATION_REASON_DOCS } from "../../src/domain/observation.ts";
import { catalogueEntriesOf } from "./catalogue.ts";
import { cell, code, GENERATED_NOTE, table } from "./markdown.ts";

/**
 * Reason catalogues that document themselves (a doc comment above each entry, read by
 * catalogue.ts), each rendered as a section of its own. To list another, add a line: for example
 * { title: "Why a rollout is blocked", file: "src/domain/rollout/reconcile.ts", name: "RolloutBlockedReason" }.
 */
export const SELF_DOCUMENTED_CATALOGUES: { title: string; file: string; name: string; intro?: string }[] = [
  {
    title: "Why a rollout is blocked",
    file: "src/domain/rollout/reconcile.ts",
    name: "RolloutBlockedReason",
    intro:
      "The reason in a blocked ModelRollout's status and Ready condition; a RolloutBlocked Warning Event carries the message. The rollout is retried until the cause is fixed.",
  },
];

/** Reasons the catalogues declare that have no meaning yet (EVENT_REASON_DOCS, OBSERVATION_REASON_DOCS). */
export function undocumentedReasons(): string[] {
  return [
    ...Object.keys(EventReason).filter((r) => !(r in EVENT_REASON_DOCS)),
    ...[...NO_DATA_REASONS, ...ERROR_REASONS].filter((r) => !(r in OBSERVATION_REASON_DOCS)),
    ...SELF_DOCUMENTED_CATALOGUES.flatMap((c) =>
      catalogueEntriesOf(c.file, c.name)
        .filter((e) => !e.doc)
        .map((e) => `${c.name}.${e.key}`),
    ),
  ];
}

/** Why a value is missing: status.signals[].reason, and the reason of the MetricsAvailable condition. */
function observationReasons(): string {
  const row = (state: string) => (r: (typeof NO_DATA_REASONS)[number] | (typeof ERROR_REASONS)[number]) => [
    code(r),
    state,
    cell(OBSERVATION_REASON_DOCS[r] ?? ""),
  ];
  return [
    "## Why a value is missing",
    "",
    "The reason of a signal or drift check without a value (`status.signals[].reason`), also the reason of the monitor's `MetricsAvailable` condition",
    "and of `HealthUnknown` and `MetricsSourceFailing` messages. NoData is no verdict yet; Error is a failure to fix or wait out.",
    "",
    table(["Reason", "State", "Meaning"], [...NO_DATA_REASONS.map(row("NoData")), ...ERROR_REASONS.map(row("Error"))]),
    "",
    "## Condition types",
    "",
    "Each kind's controller writes these conditions (a list keyed by type; each controller owns its own types under server-side apply):",
    "",
    table(
      ["Kind", "Condition types"],
      [
        ["ModelMonitor", MONITOR_CONDITION_TYPES.map(code).join(", ")],
        ["RetrainPolicy", POLICY_CONDITION_TYPES.map(code).join(", ")],
        ["ModelRollout", ROLLOUT_CONDITION_TYPES.map(code).join(", ")],
      ],
    ),
    "",
  ].join("\n");
}

export function renderEvents(): string {
  const sections = new Map<string, string[][]>();
  for (const reason of Object.keys(EventReason)) {
    const doc = EVENT_REASON_DOCS[reason as keyof typeof EventReason];
    const section = doc?.section ?? "Not yet described";
    const rows = sections.get(section) ?? [];
    rows.push([code(reason), doc?.type ?? "", cell(doc?.meaning ?? "")]);
    sections.set(section, rows);
  }
  const findings = FINDING_TYPES.flatMap((t) => [
    [code(`${t}Detected`), "Warning", cell(`A finding of type ${t} appeared (or grew more severe); the message says its severity and numbers.`)],
    [code(`${t}Cleared`), "Normal", cell(`A finding of type ${t} is gone.`)],
  ]);
  const out = [
    GENERATED_NOTE("npm run docs:gen", "the Event reason catalogue in src/domain/events.ts"),
    "",
    "# Events",
    "",
    "Every Event the operator records has one of these reasons. Read them with `kubectl events --for modelmonitor/NAME` (or `kubectl describe`);",
    "notification webhooks (RetrainPolicy `spec.notifications`) are told of the same Events.",
    "",
    "## Findings",
    "",
    "One pair per finding type, on the ModelMonitor:",
    "",
    table(["Reason", "Type", "Meaning"], findings),
    "",
  ];
  for (const [section, rows] of sections) out.push(`## ${section}`, "", table(["Reason", "Type", "Meaning"], rows), "");
  for (const c of SELF_DOCUMENTED_CATALOGUES) {
    const rows = catalogueEntriesOf(c.file, c.name).map((e) => [code(e.key), cell(e.doc)]);
    out.push(`## ${c.title}`, "", ...(c.intro ? [c.intro, ""] : []), `From ${code(c.name)} in ${code(c.file)}.`, "", table(["Reason", "Meaning"], rows), "");
  }
  out.push(observationReasons());
  return out.join("\n");
}
