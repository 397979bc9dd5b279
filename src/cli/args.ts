// The command line of kubectl-modelguardian, parsed into one command. Pure: tested on arrays.
import { parseArgs } from "node:util";
import { ROLLOUT_VERBS, type RolloutVerb } from "../domain/rollout/actions.ts";

export interface Connection {
  /** -n / --namespace; else the kubeconfig context's namespace; else "default". */
  namespace?: string | undefined;
  /** --kubeconfig; else $KUBECONFIG or ~/.kube/config (or the in-cluster account). */
  kubeconfig?: string | undefined;
  /** --context; else the kubeconfig's current context. */
  context?: string | undefined;
}

export type Resource = "rollout" | "monitor";

export type Command =
  | { kind: "help"; text: "main" | "get" | "verbs" }
  | { kind: "get"; resource: Resource; name: string; watch: boolean }
  | { kind: "verb"; verb: RolloutVerb; name: string }
  | { kind: "report"; name: string; html: boolean }
  | { kind: "completion"; shell: "bash" | "zsh" }
  /** The shells' (and kubectl's plugin) completion asks for the candidates of the last word. */
  | { kind: "complete"; words: string[] };

export type Parsed = { ok: true; command: Command; connection: Connection } | { ok: false; error: string };

/** The names a person may give each resource (kubectl's own names for the kinds, and short ones). */
export const RESOURCE_NAMES: Record<Resource, readonly string[]> = {
  rollout: ["rollout", "rollouts", "ro", "modelrollout", "modelrollouts", "mro"],
  monitor: ["monitor", "monitors", "mon", "modelmonitor", "modelmonitors", "mm"],
};

const resourceOf = (word: string | undefined): Resource | undefined =>
  (Object.keys(RESOURCE_NAMES) as Resource[]).find((r) => word !== undefined && RESOURCE_NAMES[r].includes(word.toLowerCase()));

const OPTIONS = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  watch: { type: "boolean", short: "w" },
  html: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseCommandLine(argv: readonly string[]): Parsed {
  // completion asks about a line that may be unfinished or wrong: it is not parsed
  if (argv[0] === "__complete") return { ok: true, command: { kind: "complete", words: argv.slice(1) }, connection: {} };
  let values: { namespace?: string; kubeconfig?: string; context?: string; watch?: boolean; html?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    return { ok: false, error: (err as Error).message.split("\n")[0] ?? String(err) };
  }
  const connection: Connection = { namespace: values.namespace, kubeconfig: values.kubeconfig, context: values.context };
  if (values.namespace === "") return { ok: false, error: "--namespace (-n) needs a namespace" };
  const ok = (command: Command): Parsed => ({ ok: true, command, connection });
  const [first, ...rest] = positionals;
  if (first === undefined || first === "help") return ok({ kind: "help", text: rest[0] === "get" ? "get" : "main" });
  const onlyOne = (what: string, words: string[]): string | Parsed => {
    if (words.length === 0) return { ok: false, error: `${what}: a name is required` };
    if (words.length > 1) return { ok: false, error: `${what}: one name only (got ${words.join(" ")})` };
    return words[0] as string;
  };
  if (first === "get") {
    if (values.help) return ok({ kind: "help", text: "get" });
    const resource = resourceOf(rest[0]);
    if (!resource) return { ok: false, error: rest[0] === undefined ? "get: rollout or monitor?" : `get: unknown resource "${rest[0]}" (rollout or monitor)` };
    const name = onlyOne(`get ${resource}`, rest.slice(1));
    if (typeof name !== "string") return name;
    return ok({ kind: "get", resource, name, watch: values.watch === true });
  }
  if (values.help) return ok({ kind: "help", text: (ROLLOUT_VERBS as readonly string[]).includes(first) ? "verbs" : "main" });
  if (values.watch) return { ok: false, error: `${first}: -w (--watch) applies to get only` };
  if (values.html && first !== "report") return { ok: false, error: `${first}: --html applies to report only` };
  if ((ROLLOUT_VERBS as readonly string[]).includes(first)) {
    // `promote rollout NAME` reads as well as `promote NAME`
    const words = resourceOf(rest[0]) === "rollout" ? rest.slice(1) : rest;
    const name = onlyOne(first, words);
    if (typeof name !== "string") return name;
    return ok({ kind: "verb", verb: first as RolloutVerb, name });
  }
  if (first === "report") {
    const words = resourceOf(rest[0]) === "monitor" ? rest.slice(1) : rest;
    const name = onlyOne("report", words);
    if (typeof name !== "string") return name;
    return ok({ kind: "report", name, html: values.html === true });
  }
  if (first === "completion") {
    if (rest[0] !== "bash" && rest[0] !== "zsh") return { ok: false, error: "completion: bash or zsh" };
    return ok({ kind: "completion", shell: rest[0] });
  }
  return { ok: false, error: `unknown command "${first}"` };
}

export const HELP = {
  main: `kubectl modelguardian: watch and drive model-guardian's ModelRollouts and ModelMonitors

Usage:
  kubectl modelguardian get rollout NAME [-w]   the rollout as a tree: steps, analyses, workloads, route (-w: live)
  kubectl modelguardian get monitor NAME [-w]   a monitor: health, coverage, findings, versions, its rollout
  kubectl modelguardian promote NAME            skip the remaining steps and promote the candidate
  kubectl modelguardian abort NAME              all traffic back to stable; the candidate is quarantined
  kubectl modelguardian pause NAME              hold at the current weights (sets spec.paused)
  kubectl modelguardian resume NAME             go on after a pause (the step's hold starts again)
  kubectl modelguardian retry NAME              roll a RolledBack or Aborted candidate out again
  kubectl modelguardian approve NAME            start a rollout that waits for approval
  kubectl modelguardian reject NAME             quarantine a candidate that waits for approval
  kubectl modelguardian report MONITOR [--html] print the monitor's latest governance report (Markdown; --html: the page with plots)
  kubectl modelguardian completion bash|zsh     print a shell completion script

Verbs write the modelguardian.dev/rollout-action annotation (pause and resume: spec.paused)
and are refused, with the reason, when they do not fit the rollout's phase.

Flags:
  -n, --namespace NS     the namespace (default: the kubeconfig context's, else "default")
      --kubeconfig FILE  the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME     the kubeconfig context (default: the current one)
  -w, --watch            get: print the view again whenever it changes
  -h, --help             this help
`,
  get: `Usage:
  kubectl modelguardian get rollout NAME [-w] [-n NS]
  kubectl modelguardian get monitor NAME [-w] [-n NS]

rollout: its phase and why, the steps (weight and hold, the current one marked), every analysis
of this attempt with each comparison's numbers, both versions' Deployments and readiness, and
the route's weights as read back. monitor: health, rule coverage, findings, versions, the
rollout in progress. -w (--watch) prints the view again at each change until interrupted.
`,
  verbs: `Usage:
  kubectl modelguardian promote|abort|pause|resume|retry|approve|reject NAME [-n NS]

promote  Pending, Shadowing, Progressing or Paused: skip the remaining steps.
abort    any rollout not over (a gradual rollback goes to stable at once).
pause    Pending, Shadowing or Progressing: sets spec.paused (held at the current weights).
resume   Paused: clears spec.paused, or asks the operator to resume its own pause.
retry    RolledBack or Aborted: the candidate leaves quarantine and is rolled out again.
approve  Pending, waiting for approval: the rollout starts.
reject   Pending, waiting for approval: the candidate is quarantined untouched.
`,
} as const;
