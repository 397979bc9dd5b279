// The API reference, one page per kind, generated from the CRDs that src/api/crd.ts builds out of
// the zod schemas: what `kubectl explain` shows, plus types, defaults, limits and required-ness.
import { buildCrd, RESOURCES } from "../../src/api/crd.ts";
import { API_VERSION } from "../../src/api/v1alpha1/common.ts";
import { cell, code, GENERATED_NOTE, table } from "./markdown.ts";

interface Schema {
  type?: string;
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  "x-kubernetes-validations"?: { rule: string; message?: string; messageExpression?: string }[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
}

/** The bounds of a 32-bit integer say nothing a reader needs. */
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function typeOf(s: Schema): string {
  if (s.type === "array") return `[]${s.items ? typeOf(s.items) : "any"}`;
  if (s.type === "object" && typeof s.additionalProperties === "object") return `map[string]${typeOf(s.additionalProperties)}`;
  if (s.type === "object" && s["x-kubernetes-preserve-unknown-fields"]) return "object (free-form)";
  if (s.format === "date-time") return "string (date-time)";
  return s.type ?? "any";
}

/** Every limit the API server checks on this field, in words. */
export function limitsOf(s: Schema): string[] {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map((v) => code(String(v))).join(", ")}`);
  if (s.minimum !== undefined && s.minimum !== INT32_MIN) out.push(`${s.exclusiveMinimum ? ">" : "≥"} ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum !== INT32_MAX) out.push(`${s.exclusiveMaximum ? "<" : "≤"} ${s.maximum}`);
  if (s.minLength === 1) out.push("not empty");
  else if (s.minLength !== undefined && s.minLength > 1) out.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
  if (s.pattern !== undefined) out.push(`matches ${code(s.pattern)}`);
  if (s.minItems === 1) out.push("at least 1 item");
  else if (s.minItems !== undefined && s.minItems > 1) out.push(`at least ${s.minItems} items`);
  if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
  if (s.minProperties !== undefined && s.minProperties > 0) out.push(`at least ${s.minProperties} entries`);
  if (s.maxProperties !== undefined) out.push(`at most ${s.maxProperties} entries`);
  if (s["x-kubernetes-list-type"] === "map") out.push(`${(s["x-kubernetes-list-map-keys"] ?? []).join(", ")} unique`);
  for (const v of s["x-kubernetes-validations"] ?? []) {
    if (v.message) out.push(cell(v.message));
    else if (v.messageExpression?.includes("a key must ")) out.push(cell(`keys ${v.messageExpression.split("a key must ")[1]!.replace(/'$/, "")}`));
    else out.push(`CEL: ${code(v.rule)}`);
  }
  // a map's values and a list's scalar items carry limits of their own
  if (typeof s.additionalProperties === "object" && !s.additionalProperties.properties) {
    const inner = limitsOf(s.additionalProperties);
    if (inner.length) out.push(`values: ${inner.join("; ")}`);
  }
  if (s.items && !s.items.properties) {
    const inner = limitsOf(s.items);
    if (inner.length) out.push(`items: ${inner.join("; ")}`);
  }
  return out;
}

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  limits: string[];
  description: string;
}

/** The fields under a schema, depth first, each with its full path. */
export function fieldsOf(schema: Schema, path: string): FieldRow[] {
  const rows: FieldRow[] = [];
  const visit = (s: Schema, at: string) => {
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      const here = `${at}.${name}`;
      rows.push({
        path: here,
        type: typeOf(child),
        required: (s.required ?? []).includes(name),
        ...(child.default !== undefined ? { default: child.default } : {}),
        limits: limitsOf(child),
        description: child.description ?? "",
      });
      visit(child, here);
      if (child.items) visit(child.items, `${here}[]`);
      if (typeof child.additionalProperties === "object") visit(child.additionalProperties, `${here}{}`);
    }
  };
  visit(schema, path);
  return rows;
}

/** Two columns, so the table fits a page: what the field is, and what it means and accepts. */
function fieldTable(rows: FieldRow[]): string {
  return table(
    ["Field", "Description"],
    rows.map((r) => {
      const details = [
        ...(r.default === undefined ? [] : [`Default: ${code(JSON.stringify(r.default))}.`]),
        ...(r.limits.length ? [`Limits: ${r.limits.join("; ")}.`] : []),
      ];
      return [`${code(r.path)}<br>${cell(r.type)}${r.required ? ", required" : ""}`, [cell(r.description), ...details].filter(Boolean).join("<br>")];
    }),
  );
}

type Resource = (typeof RESOURCES)[number];

export const pageName = (r: Resource) => r.kind.toLowerCase();

export function renderKind(resource: Resource): string {
  const crd = buildCrd(resource) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
  const spec = root.properties!.spec!;
  const status = root.properties!.status!;
  const columns = table(
    ["Column", "Type", "JSONPath", "Shown", "Description"],
    resource.printerColumns.map((c) => [
      cell(c.name),
      c.type,
      code(c.jsonPath),
      "priority" in c && c.priority ? "with -o wide" : "always",
      cell("description" in c && c.description ? c.description : ""),
    ]),
  );
  return [
    // the site gives the wide tables the whole width
    "---\naside: false\npageClass: api-reference\n---",
    "",
    GENERATED_NOTE("npm run docs:gen", "the zod schemas in src/api/v1alpha1 (through src/api/crd.ts)"),
    "",
    `# ${resource.kind}`,
    "",
    cell(resource.description),
    "",
    table(
      ["", ""],
      [
        ["apiVersion", code(API_VERSION)],
        ["kind", code(resource.kind)],
        ["Scope", "Namespaced"],
        ["Short names", resource.shortNames.map(code).join(", ")],
        ["Categories", resource.categories.map(code).join(", ")],
        ["CRD", code(`crds/${crdFile(resource)}`)],
      ],
    ),
    "",
    "Every field below has the same text in `kubectl explain`, e.g. " + code(`kubectl explain ${resource.singular}.spec`) + ".",
    "Limits are checked by the API server when the object is applied (an object that breaks one is refused, naming the field).",
    "",
    "## Columns of `kubectl get`",
    "",
    columns,
    "",
    "## spec",
    "",
    cell(spec.description ?? ""),
    "",
    fieldTable(fieldsOf(spec, "spec")),
    "",
    "## status",
    "",
    cell(status.description ?? ""),
    "",
    fieldTable(fieldsOf(status, "status")),
    "",
  ].join("\n");
}

const crdFile = (r: Resource) => `modelguardian.dev_${r.plural}.yaml`;

export function renderIndex(): string {
  return [
    GENERATED_NOTE("npm run docs:gen", "the zod schemas in src/api/v1alpha1"),
    "",
    "# API reference",
    "",
    `The three kinds of ${code(API_VERSION)}, generated from the zod schemas that are also the source of the CRDs.`,
    "",
    table(
      ["Kind", "Short name", "What it is"],
      RESOURCES.map((r) => [`[${r.kind}](./${pageName(r)})`, r.shortNames.map(code).join(", "), cell(r.description)]),
    ),
    "",
    "Also generated from the code: the [Events](../events) the operator records and the [metrics](../metrics) it exports.",
    "",
  ].join("\n");
}

/** File path (under docs/) -> content. */
export function apiReferencePages(): Map<string, string> {
  const pages = new Map<string, string>([["reference/api/index.md", renderIndex()]]);
  for (const r of RESOURCES) pages.set(`reference/api/${pageName(r)}.md`, renderKind(r));
  return pages;
}
