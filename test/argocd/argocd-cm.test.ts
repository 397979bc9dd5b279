// The ways to register the health checks in Argo CD carry the scripts unchanged: the kustomize
// Component (config/argocd/kustomization.yaml) names the files themselves; the argocd-cm
// snippet and the argo-cd Helm values are rendered from them (render.ts) and kept in step here:
// a script changed without `npx vitest run test/argocd -u` fails this test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { CUSTOMIZATIONS, GROUP, healthScripts, renderArgocdCm, renderHelmValues, ROOT } from "./render.ts";

const scripts = healthScripts();
const read = (file: string) => readFileSync(join(CUSTOMIZATIONS, file), "utf8");
/** Read as kubectl, kustomize and Helm read YAML (1.1), after checking a YAML 1.2 reader agrees. */
const readYaml = (text: string) => {
  const yaml11 = parse(text, { version: "1.1" }) as Record<string, unknown>;
  expect(yaml11).toEqual(parse(text, { version: "1.2" }));
  return yaml11;
};
const expected = Object.fromEntries(scripts.map((s) => [s.key, s.lua]));

describe("registering the health checks in Argo CD", () => {
  it("one key per kind of the operator's CRDs: resource.customizations.health.<group>_<kind>", () => {
    const crdKinds = ["modelmonitors", "modelrollouts", "retrainpolicies"].map(
      (plural) =>
        (parseAllDocuments(readFileSync(join(ROOT, "crds", `${GROUP}_${plural}.yaml`), "utf8"))[0]?.toJS() as { spec: { names: { kind: string } } }).spec.names
          .kind,
    );
    expect(scripts.map((s) => s.kind)).toEqual([...crdKinds].sort());
    expect(scripts.map((s) => s.key)).toEqual(crdKinds.sort().map((k) => `resource.customizations.health.modelguardian.dev_${k}`));
  });

  it("config/argocd/argocd-cm.yaml is rendered from the scripts", async () => {
    const rendered = renderArgocdCm(scripts);
    await expect(rendered).toMatchFileSnapshot(join(CUSTOMIZATIONS, "argocd-cm.yaml"));
    const cm = readYaml(rendered) as {
      kind: string;
      metadata: { name: string; namespace?: string; labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.kind).toBe("ConfigMap");
    // no namespace: `kubectl -n <Argo CD's namespace> patch` refuses a body naming another one
    expect(cm.metadata).toEqual({ name: "argocd-cm", labels: { "app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd" } });
    expect(cm.data).toEqual(expected);
  });

  it("config/argocd/argo-cd-values.yaml (the argo-cd Helm chart's configs.cm) is rendered from the scripts", async () => {
    const rendered = renderHelmValues(scripts);
    await expect(rendered).toMatchFileSnapshot(join(CUSTOMIZATIONS, "argo-cd-values.yaml"));
    expect((readYaml(rendered) as { configs: { cm: Record<string, string> } }).configs.cm).toEqual(expected);
  });

  it("the kustomize Component merges every script, by its file, into argocd-cm", () => {
    const k = readYaml(read("kustomization.yaml")) as {
      kind: string;
      configMapGenerator: { name: string; behavior: string; options: Record<string, unknown>; files: string[] }[];
    };
    expect(k.kind).toBe("Component");
    expect(k.configMapGenerator).toHaveLength(1);
    const [generator] = k.configMapGenerator;
    expect(generator).toMatchObject({ name: "argocd-cm", behavior: "merge", options: { disableNameSuffixHash: true } });
    const files = Object.fromEntries((generator?.files ?? []).map((f) => f.split("=") as [string, string]));
    expect(Object.fromEntries(Object.entries(files).map(([key, path]) => [key, read(path)]))).toEqual(expected);
  });
});
