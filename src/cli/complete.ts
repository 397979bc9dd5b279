// Completion: which words may come next on a kubectl-modelguardian line, for the bash and zsh
// scripts `completion` prints and for kubectl's own plugin completion (kubectl 1.26+ runs
// kubectl_complete-modelguardian). Pure: the names of objects are asked for, not fetched here.
import { ROLLOUT_VERBS } from "../domain/rollout/actions.ts";
import { RESOURCE_NAMES } from "./args.ts";

export const COMMANDS = ["get", ...ROLLOUT_VERBS, "report", "completion", "help"] as const;
const FLAGS = ["--namespace", "--kubeconfig", "--context", "--watch", "--help"];
const VALUED = new Set(["-n", "--namespace", "--kubeconfig", "--context"]);

/** Words to offer, or the kind of object whose names (in the line's namespace) are to be offered. */
export type Candidates = { words: string[] } | { names: "rollouts" | "monitors" | "namespaces" | "files" };

/** `words`: the line after the command, the last being the word being completed ("" for a new one). */
export function candidates(words: readonly string[]): Candidates {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  const previous = before.at(-1);
  if (previous === "-n" || previous === "--namespace") return { names: "namespaces" };
  if (previous === "--kubeconfig") return { names: "files" };
  if (previous === "--context") return { words: [] };
  if (current.startsWith("-")) return { words: FLAGS };
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    if (VALUED.has(w)) i++;
    else if (!w.startsWith("-")) positionals.push(w);
  }
  const [command, ...args] = positionals;
  if (command === undefined) return { words: [...COMMANDS] };
  if (command === "get") {
    if (args.length === 0) return { words: ["rollout", "monitor"] };
    if (args.length === 1)
      return RESOURCE_NAMES.monitor.includes(args[0] as string)
        ? { names: "monitors" }
        : RESOURCE_NAMES.rollout.includes(args[0] as string)
          ? { names: "rollouts" }
          : { words: [] };
    return { words: [] };
  }
  if ((ROLLOUT_VERBS as readonly string[]).includes(command)) return args.length === 0 ? { names: "rollouts" } : { words: [] };
  if (command === "report") return args.length === 0 ? { names: "monitors" } : { words: [] };
  if (command === "completion") return args.length === 0 ? { words: ["bash", "zsh"] } : { words: [] };
  return { words: [] };
}

/** The namespace the line names (-n NS, --namespace NS, --namespace=NS), for names to complete in. */
export function lineNamespace(words: readonly string[]): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    const w = words[i] as string;
    if ((w === "-n" || w === "--namespace") && i + 1 < words.length - 1) return words[i + 1];
    if (w.startsWith("--namespace=")) return w.slice("--namespace=".length);
  }
  return undefined;
}

/** Cobra's directive codes, which kubectl's plugin completion understands: 4 = no file completion, 0 = default. */
export const NO_FILES = ":4";
export const DEFAULT = ":0";

export function completionScript(shell: "bash" | "zsh"): string {
  if (shell === "bash")
    return `# bash completion for kubectl-modelguardian: source <(kubectl-modelguardian completion bash)
# (kubectl 1.26+ completes "kubectl modelguardian ..." itself through kubectl_complete-modelguardian)
_kubectl_modelguardian() {
  local IFS=$'\\n'
  local out
  out=$(kubectl-modelguardian __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [[ "\${out##*$'\\n'}" == ":0" ]]; then
    COMPREPLY=( $(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}") )
    return
  fi
  COMPREPLY=( $(printf '%s\\n' "$out" | grep -v '^:') )
}
complete -F _kubectl_modelguardian kubectl-modelguardian
`;
  return `#compdef kubectl-modelguardian
# zsh completion for kubectl-modelguardian: source <(kubectl-modelguardian completion zsh)
_kubectl_modelguardian() {
  local -a out
  out=("\${(@f)$(kubectl-modelguardian __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${out[-1]}" == ":0" ]]; then
    _files
    return
  fi
  compadd -- "\${(@)out:#:*}"
}
compdef _kubectl_modelguardian kubectl-modelguardian
`;
}
