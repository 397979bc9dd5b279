import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { crdFiles } from "../../src/api/crd.ts";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";

const dir = join(import.meta.dirname, "..", "..", "crds");
const chartDir = join(import.meta.dirname, "..", "..", "charts", "model-guardian", "crds");

describe("generated CRDs", () => {
  it("crds/ is exactly what `npm run crds` generates from the zod schemas", async () => {
    const generated = crdFiles();
    const committed = (await readdir(dir)).filter((f) => f.startsWith("modelguardian.dev_")).sort();
    expect(committed).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) expect(await readFile(join(dir, name), "utf8"), name).toBe(content);
  });

  it("the Helm chart carries the same CRDs", async () => {
    for (const [name, content] of crdFiles()) expect(await readFile(join(chartDir, name), "utf8"), name).toBe(content);
  });

  it("is structural: no $ref, anyOf/oneOf, propertyNames or additionalProperties: false", () => {
    for (const [name, content] of crdFiles()) {
      expect(content, name).not.toMatch(/\$ref|\$defs|anyOf|oneOf|allOf|propertyNames|additionalProperties: false|\$schema/);
      const crd = parse(content);
      expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    }
  });

  it("keeps CEL rules and printer columns", () => {
    const mm = parse(crdFiles().get("modelguardian.dev_modelmonitors.yaml") as string);
    const version = mm.spec.versions[0];
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(["Model", "Health", "Signal", "Last Eval"]),
    );
    const signal = version.schema.openAPIV3Schema.properties.spec.properties.signals.items;
    expect(signal["x-kubernetes-validations"][0].message).toMatch(/exactly one of classification/);
  });
});

describe("ModelMonitor spec schema", () => {
  it("fills defaults", () => {
    const spec = modelMonitorSpecSchema.parse({ model: { name: "m" }, signals: [{ name: "accuracy", classification: { metric: "p_total" } }] });
    expect(spec.interval).toBe("1m");
    expect(spec.minSamples).toBe(100);
    expect(spec.signals[0]?.classification?.outcomes.truePositive).toBe("tp");
  });
  it("names the field of a bad value", () => {
    const r = modelMonitorSpecSchema.safeParse({ model: { name: "m" }, interval: "5 minutes", minSamples: -1 });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["interval", "minSamples"]));
  });
});
