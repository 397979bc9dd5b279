import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCrd, crdFiles, RESOURCES, toPortableYaml, toStructural } from "../../src/api/crd.ts";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";

const dir = join(import.meta.dirname, "..", "..", "crds");
const chartDir = join(import.meta.dirname, "..", "..", "charts", "model-guardian", "files", "crds");

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
      expect.arrayContaining(["Model", "Health", "Judged", "Signal", "Last Eval"]),
    );
    const signal = version.schema.openAPIV3Schema.properties.spec.properties.signals.items;
    expect(signal["x-kubernetes-validations"][0].message).toMatch(/exactly one of classification/);
  });
});

describe("generated YAML is read the same by every reader", () => {
  it.each(RESOURCES.map((r) => r.plural))("%s: a YAML 1.1 reader (kubectl's) and a YAML 1.2 reader both get exactly the generated object", (plural) => {
    const resource = RESOURCES.find((r) => r.plural === plural)!;
    const text = crdFiles().get(`modelguardian.dev_${plural}.yaml`) as string;
    const expected = JSON.parse(JSON.stringify(buildCrd(resource)));
    expect(parse(text, { version: "1.1" })).toEqual(expected);
    expect(parse(text, { version: "1.2" })).toEqual(expected);
  });

  it("every key of the generated CRDs is a string to a YAML 1.1 reader", () => {
    const keys: unknown[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object")
        for (const [k, v] of Object.entries(node)) {
          keys.push(k);
          walk(v);
        }
    };
    for (const text of crdFiles().values()) walk(parse(text, { version: "1.1", mapAsMap: false }));
    expect(keys.filter((k) => ["true", "false", "null"].includes(k as string))).toEqual([]);
  });

  it.each([{ on: "x" }, { y: "n" }, { off: ["yes", "no", "Y", "N", "On", "OFF", "~", "null", "0o17", "0x1f", "1_000", "1e3", "12:30", ".inf", "2026-12-01"] }])(
    "quotes YAML 1.1 and 1.2 traps in keys and values: %j",
    (value) => {
      const text = toPortableYaml(value);
      expect(parse(text, { version: "1.1" })).toEqual(value);
      expect(parse(text, { version: "1.2" })).toEqual(value);
    },
  );
});

describe("the CRD generator carries every constraint or fails", () => {
  it("turns a map's key constraints into a CEL rule that names the bad keys", () => {
    const out = toStructural({
      type: "object",
      propertyNames: { type: "string", minLength: 1, maxLength: 10, pattern: "^[a-z]+$" },
      additionalProperties: { type: "string" },
    }) as Record<string, unknown>;
    expect(out.propertyNames).toBeUndefined();
    expect(out["x-kubernetes-validations"]).toEqual([
      expect.objectContaining({
        rule: "self.all(k, size(k) >= 1 && size(k) <= 10 && k.matches(r'^[a-z]+$'))",
        messageExpression: expect.stringMatching(/strings\.quote\(self\.filter/),
      }),
    ]);
  });
  it.each([
    [{ type: "string", format: "uri" }, /format uri/],
    [{ type: "string", format: "email" }, /format email/],
    [{ anyOf: [{ type: "string" }] }, /keyword anyOf/],
    [{ type: "object", properties: { a: { not: {} } } }, /\$\.a: JSON Schema keyword not/],
    [{ type: "object", propertyNames: { type: "string", format: "uuid" } }, /propertyNames keyword format/],
  ])("refuses %j instead of dropping it", (schema, message) => {
    expect(() => toStructural(schema)).toThrow(message);
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
