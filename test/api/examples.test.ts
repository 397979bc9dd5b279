// Every example under examples/ is valid for the controller's own schemas.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicySpecSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { modelRolloutSpecSchema } from "../../src/api/v1alpha1/rollout.ts";

// the operator's kinds are checked here with its own schemas; every other kind an example carries
// (HTTPRoute, Deployment) goes through the API server in test/integration/install.test.ts
const SCHEMAS: Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: unknown } } }> = {
  ModelMonitor: modelMonitorSpecSchema,
  RetrainPolicy: retrainPolicySpecSchema,
  ModelRollout: modelRolloutSpecSchema,
};

const dir = join(import.meta.dirname, "..", "..", "examples");
const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml"));

// kubectl reads YAML 1.1, where a plain on/off/yes/no/y/n is a boolean: a manifest must mean the
// same thing to a YAML 1.1 and a YAML 1.2 reader, or a key or value is silently changed.
const readBoth = (text: string) => ({
  yaml11: parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS()),
  yaml12: parseAllDocuments(text, { version: "1.2" }).map((d) => d.toJS()),
});

describe("examples", () => {
  it.each(files)("%s reads the same in YAML 1.1 (kubectl) and YAML 1.2", async (file) => {
    const { yaml11, yaml12 } = readBoth(await readFile(join(dir, file), "utf8"));
    expect(yaml11).toEqual(yaml12);
  });

  it("so does every other YAML file the project ships (config/, the chart, the cluster's stages)", async () => {
    const root = join(dir, "..");
    const shipped = [
      "config/manager/manager.yaml",
      "config/rbac/role.yaml",
      "config/kustomization.yaml",
      "charts/model-guardian/Chart.yaml",
      "charts/model-guardian/values.yaml",
      "scripts/cluster/kwok-stages.yaml",
    ];
    for (const file of shipped) {
      const { yaml11, yaml12 } = readBoth(await readFile(join(root, file), "utf8"));
      expect(yaml11, file).toEqual(yaml12);
    }
  });

  it("so do the YAML snippets of the README and the docs", async () => {
    const pages = [
      "README.md",
      ...(await readdir(join(dir, "..", "docs"), { recursive: true }))
        .filter((f) => f.endsWith(".md") && !f.startsWith(".vitepress"))
        .map((f) => join("docs", f)),
    ];
    let count = 0;
    for (const page of pages) {
      const text = await readFile(join(dir, "..", page), "utf8");
      for (const [, block] of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
        const { yaml11, yaml12 } = readBoth(block as string);
        expect(yaml11, `${page}: ${block}`).toEqual(yaml12);
        count++;
        // a whole object of ours (not a fragment of a spec) must also be valid
        for (const doc of parseAllDocuments(block as string, { version: "1.1" })) {
          const obj = doc.toJS() as { apiVersion?: string; kind?: string; spec?: unknown } | null;
          const schema = obj?.apiVersion?.startsWith("modelguardian.dev/") ? SCHEMAS[obj.kind as string] : undefined;
          if (!schema) continue;
          const r = schema.safeParse(obj?.spec);
          expect(r.success, `${page}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
        }
      }
    }
    expect(count).toBeGreaterThan(20);
  });

  it.each(files)("%s parses", async (file) => {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), "utf8"), { version: "1.1" })) {
      const obj = doc.toJS();
      const schema = SCHEMAS[obj.kind];
      if (!schema) continue;
      const r = schema.safeParse(obj.spec);
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    }
  });
});
