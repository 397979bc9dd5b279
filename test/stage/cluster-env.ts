// The local cluster's settings as `npm run cluster:up` writes them to .local/env
// (KUBECONFIG, PROMETHEUS_URL, ports): one reader for the tests, the benchmarks and the data plane.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

/** The variables of .local/env; empty when the cluster was never started. */
export function clusterEnv(root: string = REPO_ROOT): Record<string, string> {
  const file = join(root, ".local/env");
  const env: Record<string, string> = {};
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = (m[2] as string).replace(/^["']|["']$/g, "");
  }
  return env;
}
