// docs/reference/events.md from the Event reason catalogue (src/domain/events.ts).
import { FINDING_TYPES } from "../../src/api/v1alpha1/common.ts";
import { EVENT_REASON_DOCS, EventReason } from "../../src/domain/events.ts";
import { cell, code, GENERATED_NOTE, table } from "./markdown.ts";

/** Reasons the catalogue declares that have no entry in EVENT_REASON_DOCS. */
export function undocumentedReasons(): string[] {
  return Object.keys(EventReason).filter((r) => !(r in EVENT_REASON_DOCS));
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
    [code(`${t}Detected`), "Warning", cell(`A ${t} finding appeared (or grew more severe); the message says its severity and numbers.`)],
    [code(`${t}Cleared`), "Normal", cell(`A ${t} finding is gone.`)],
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
  return out.join("\n");
}
