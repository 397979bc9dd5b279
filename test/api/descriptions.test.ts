// Every field of every kind explains itself: `kubectl explain` and the API reference show the
// CRD's descriptions, so a field without one is a field nobody can look up.
import { describe, expect, it } from "vitest";
import { buildCrd, RESOURCES } from "../../src/api/crd.ts";

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

/** Paths of the properties (not list items or map values, which their field describes) that have no description. */
function undescribed(schema: Schema, path: string): string[] {
  const out: string[] = [];
  const visit = (s: Schema, at: string, isField: boolean) => {
    if (isField && !s.description?.trim()) out.push(at);
    for (const [name, child] of Object.entries(s.properties ?? {})) visit(child, `${at}.${name}`, true);
    if (s.items) visit(s.items, `${at}[]`, false);
    if (typeof s.additionalProperties === "object") visit(s.additionalProperties, `${at}{}`, false);
  };
  visit(schema, path, true);
  return out;
}

const rootOf = (resource: (typeof RESOURCES)[number]) =>
  (buildCrd(resource) as { spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, Schema> } } }[] } }).spec.versions[0]!.schema
    .openAPIV3Schema.properties;

describe("every field has a description", () => {
  for (const resource of RESOURCES) {
    it(`${resource.kind} spec`, () => {
      expect(undescribed(rootOf(resource).spec!, `${resource.kind}.spec`)).toEqual([]);
    });
    it(`${resource.kind} status`, () => {
      expect(undescribed(rootOf(resource).status!, `${resource.kind}.status`)).toEqual([]);
    });
  }

  it("finds a field without one (the walk itself works)", () => {
    const schema: Schema = { description: "root", properties: { a: { description: "a" }, b: { items: { properties: { c: {} } }, description: "b" } } };
    expect(undescribed(schema, "x")).toEqual(["x.b[].c"]);
  });
});
