// Turns the zod schemas into CustomResourceDefinitions. Pure: the generator script writes the
// result to crds/ and a test checks the committed files are identical.
import { z } from "zod";
import { Document, parse, Scalar, visit } from "yaml";
import { GROUP, VERSION } from "./v1alpha1/common.ts";
import { MODEL_MONITOR, modelMonitorSpecSchema, modelMonitorStatusSchema } from "./v1alpha1/modelmonitor.ts";
import { RETRAIN_POLICY, retrainPolicySpecSchema, retrainPolicyStatusSchema } from "./v1alpha1/retrainpolicy.ts";
import { MODEL_ROLLOUT, modelRolloutSpecSchema, modelRolloutStatusSchema } from "./v1alpha1/rollout.ts";

type JsonSchema = Record<string, unknown>;

interface ResourceDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  categories: readonly string[];
  printerColumns: readonly { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
  spec: z.ZodType;
  status: z.ZodType;
  description: string;
  /** What spec and status hold, for kubectl explain and the API reference. */
  specDescription: string;
  statusDescription: string;
}

export const RESOURCES: ResourceDefinition[] = [
  {
    ...MODEL_MONITOR,
    spec: modelMonitorSpecSchema,
    status: modelMonitorStatusSchema,
    description: "ModelMonitor watches a model through its Prometheus metrics and reports its health, drift and findings.",
    specDescription: "What to watch (model, metrics source, signals, drift), what healthy means (rules, fairness), and optionally how its versions are served.",
    statusDescription:
      "Written by the operator: health, each signal's value, drift scores, findings, the retraining and rollout state, and the model's versions.",
  },
  {
    ...RETRAIN_POLICY,
    spec: retrainPolicySpecSchema,
    status: retrainPolicyStatusSchema,
    description: "RetrainPolicy says which Job to start for which finding, with cooldowns and limits, and how to roll out.",
    specDescription: "Triggers (findings) and actions (Job templates), the limits on Jobs, the rollout strategy and notification webhooks.",
    statusDescription: "Written by the operator: the monitors using this policy, their running Jobs and the latest actions.",
  },
  {
    ...MODEL_ROLLOUT,
    spec: modelRolloutSpecSchema,
    status: modelRolloutStatusSchema,
    description: "ModelRollout is one rollout of one candidate model version: canary steps analysed against stable, promotion or rollback.",
    specDescription: "The monitor whose model is rolled out, the candidate version, and whether the rollout is paused.",
    statusDescription: "Written by the operator: the rollout's whole state (phase, step, weights, each analysis with its comparisons).",
  },
];

/** JSON Schema keywords the API server's structural schemas understand, carried as they are. */
const CARRIED = new Set([
  "type",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "description",
  "default",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "format",
]);

/**
 * Rewrites zod's JSON Schema into a structural OpenAPI v3 schema the API server accepts:
 * no $schema, date-times as `format` without zod's huge regex, OpenAPI v3.0 exclusive bounds,
 * and map keys (propertyNames, which structural schemas lack) checked by a CEL rule. A keyword
 * it cannot carry is an error, never dropped: a dropped constraint is one the API server would
 * not check.
 */
export function toStructural(schema: unknown, path = "$"): unknown {
  if (Array.isArray(schema)) return schema.map((s, i) => toStructural(s, `${path}[${i}]`));
  if (schema === null || typeof schema !== "object") return schema;
  const source = schema as JsonSchema;
  const out: JsonSchema = {};
  const preserveUnknown = source["x-kubernetes-preserve-unknown-fields"] === true;
  for (const [key, value] of Object.entries(source)) {
    // free-form objects (a Job template) are kept as they are, without a value schema
    if (preserveUnknown && key === "additionalProperties") continue;
    if (key === "$schema") continue;
    if (key === "pattern" && source.format === "date-time") continue;
    // unknown fields are refused by the API server's structural schema already
    if (key === "additionalProperties" && value === false) continue;
    if (key === "propertyNames") {
      const rule = keyRule(value as JsonSchema, path);
      if (rule) out["x-kubernetes-validations"] = [...((out["x-kubernetes-validations"] as unknown[]) ?? []), rule];
      continue;
    }
    // JSON Schema 2020-12 exclusive bounds are numbers; OpenAPI v3.0 wants a bound plus a flag
    if (key === "exclusiveMinimum" || key === "exclusiveMaximum") {
      out[key === "exclusiveMinimum" ? "minimum" : "maximum"] = value;
      out[key] = true;
      continue;
    }
    if (key === "format" && value !== "date-time") throw new Error(`${path}: format ${String(value)} is not checked the same way by the API server`);
    if (key === "x-kubernetes-validations") {
      out[key] = [...((out[key] as unknown[]) ?? []), ...(value as unknown[])];
      continue;
    }
    if (!CARRIED.has(key) && !key.startsWith("x-kubernetes-"))
      throw new Error(`${path}: JSON Schema keyword ${key} cannot be carried into a structural schema`);
    if (key === "properties") {
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, toStructural(v, `${path}.${k}`)]));
      continue;
    }
    // enums and defaults are values, not schemas
    out[key] = key === "enum" || key === "default" ? value : toStructural(value, `${path}.${key}`);
  }
  return out;
}

/** The CEL rule that checks a map's keys as zod's propertyNames does, naming the bad keys. */
function keyRule(names: JsonSchema, path: string): { rule: string; messageExpression: string } | undefined {
  const checks: string[] = [];
  const said: string[] = [];
  for (const [key, value] of Object.entries(names)) {
    if (key === "type") continue;
    if (key === "minLength") checks.push(`size(k) >= ${Number(value)}`);
    else if (key === "maxLength") checks.push(`size(k) <= ${Number(value)}`);
    else if (key === "pattern") {
      const pattern = String(value);
      if (pattern.includes("'")) throw new Error(`${path}: a key pattern with a quote cannot be written in CEL`);
      checks.push(`k.matches(r'${pattern}')`);
    } else throw new Error(`${path}: propertyNames keyword ${key} has no CEL translation`);
  }
  if (checks.length === 0) return undefined;
  if (names.pattern !== undefined) said.push(`match ${String(names.pattern)}`);
  if (names.maxLength !== undefined) said.push(`have ${Number(names.minLength ?? 0)} to ${Number(names.maxLength)} characters`);
  else if (names.minLength !== undefined) said.push(`have at least ${Number(names.minLength)} characters`);
  const ok = checks.join(" && ");
  return {
    rule: `self.all(k, ${ok})`,
    // the first bad key only: listing them all is beyond the API server's cost budget
    messageExpression: `'invalid key ' + strings.quote(self.filter(k, !(${ok}))[0]) + ': a key must ${said.join(" and ")}'`,
  };
}

export function buildCrd(resource: ResourceDefinition): Record<string, unknown> {
  const jsonSchema = (s: z.ZodType) => toStructural(z.toJSONSchema(s, { io: "input", unrepresentable: "throw" }));
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${resource.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.singular,
        shortNames: [...resource.shortNames],
        categories: [...resource.categories],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: resource.printerColumns.map((c) => ({ ...c })),
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: resource.description,
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: { ...(jsonSchema(resource.spec) as JsonSchema), description: resource.specDescription },
                status: { ...(jsonSchema(resource.status) as JsonSchema), description: resource.statusDescription },
              },
              required: ["spec"],
            },
          },
        },
      ],
    },
  };
}

/**
 * YAML that every reader takes the same way. kubectl and the API server read YAML 1.1, where
 * plain on, off, yes, no, y, n are booleans and 0o17 or 1_000 may be numbers; a YAML 1.2 reader
 * differs on others. Every string key or value that either version would not read back as the
 * same string is double-quoted.
 */
export function toPortableYaml(value: unknown): string {
  const doc = new Document(value, { version: "1.1" });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || node.value === "") return;
      const plain = node.value;
      const sameIn = (version: "1.1" | "1.2") => {
        try {
          return parse(plain, { version, logLevel: "silent" }) === plain;
        } catch {
          return false;
        }
      };
      if (!sameIn("1.1") || !sameIn("1.2")) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function crdFiles(): Map<string, string> {
  const header = "# Generated by `npm run crds` from src/api/v1alpha1 (zod). Do not edit.\n";
  return new Map(RESOURCES.map((r) => [`${GROUP}_${r.plural}.yaml`, header + toPortableYaml(buildCrd(r))]));
}
