// The argocd-cm snippet and the argo-cd Helm values, rendered from the health scripts in
// config/argocd/modelguardian.dev/<Kind>/health.lua, the one source. argocd-cm.test.ts holds
// the rendered files in config/argocd/ to it (`npx vitest run test/argocd -u` rewrites them).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CUSTOMIZATIONS = join(ROOT, "config", "argocd");
export const GROUP = "modelguardian.dev";

export interface HealthScript {
  kind: string;
  /** The argocd-cm key: resource.customizations.health.<group>_<kind>. */
  key: string;
  /** Path from config/argocd/. */
  path: string;
  lua: string;
}

export function healthScripts(): HealthScript[] {
  const groupDir = join(CUSTOMIZATIONS, GROUP);
  return readdirSync(groupDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((kind) => {
      const file = join(groupDir, kind, "health.lua");
      return { kind, key: `resource.customizations.health.${GROUP}_${kind}`, path: relative(CUSTOMIZATIONS, file), lua: readFileSync(file, "utf8") };
    });
}

const block = (lua: string, indent: string) =>
  lua
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => (l === "" ? "" : indent + l))
    .join("\n");

const header = (what: string) =>
  [
    `# Generated from config/argocd/${GROUP}/*/health.lua by test/argocd/argocd-cm.test.ts:`,
    "# do not edit; `npx vitest run test/argocd -u` rewrites it after a script changed.",
    `# ${what} docs/operations/gitops.md, says how to register the checks.`,
  ].join("\n");

/** A ConfigMap to merge into Argo CD's argocd-cm (kubectl -n <namespace> patch --type merge); it names no namespace. */
export function renderArgocdCm(scripts: readonly HealthScript[]): string {
  const data = scripts.map((s) => `  ${s.key}: |\n${block(s.lua, "    ")}`).join("\n");
  return [
    header("The health checks of model-guardian's resources, as argocd-cm keys."),
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: argocd-cm",
    "  labels:",
    "    app.kubernetes.io/name: argocd-cm",
    "    app.kubernetes.io/part-of: argocd",
    "data:",
    data,
    "",
  ].join("\n");
}

/** Values for the argo-cd Helm chart (argoproj/argo-helm): configs.cm entries go into argocd-cm. */
export function renderHelmValues(scripts: readonly HealthScript[]): string {
  const data = scripts.map((s) => `    ${s.key}: |\n${block(s.lua, "      ")}`).join("\n");
  return [header("The same checks as values of the argo-cd Helm chart (helm -f this-file)."), "configs:", "  cm:", data, ""].join("\n");
}
