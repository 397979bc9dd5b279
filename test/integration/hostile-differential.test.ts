// The API server and the operator agree: many generated objects (valid ones, invalid ones and
// mutations of the examples) go through a server-side dry run on the local API server and
// through the operator's zod schemas. For each, both accept or both refuse; and an accepted
// object, as the server would store it (defaults filled, unknown fields pruned), parses with
// zod to the same value as the object sent. The seed is fixed (FC_SEED overrides it) and
// fast-check prints it, with the smallest failing object, when the property fails.
// Nulls are not generated: the API server prunes a null before validating, a documented
// difference that never reaches the operator, which only reads stored objects.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { dryRunCreate, given, ROOT, useStage } from "../stage/index.ts";
import {
  apiObject,
  clone,
  DELETE,
  fullMonitorSpec,
  fullPolicySpec,
  operatorVerdict,
  pathsOf,
  setAt,
  type ApiObject,
  type Json,
  type Path,
} from "./hostile/objects.ts";

const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 600);

let bases: { kind: ApiObject["kind"]; spec: Json }[];
/** The property's starting points: every field of both kinds, the smallest objects, and the examples people copy. */
const readBases = async () => {
  const examples: { kind: ApiObject["kind"]; spec: Json }[] = [];
  for (const file of (await readdir(join(ROOT, "examples"))).filter((f) => f.endsWith(".yaml"))) {
    // read as kubectl reads it: YAML 1.1
    for (const doc of parseAllDocuments(await readFile(join(ROOT, "examples", file), "utf8"), { version: "1.1" })) {
      const obj = doc.toJS() as { kind: ApiObject["kind"]; spec: Json };
      // the examples also carry Deployments, HTTPRoutes and ModelRollouts; this property is about the two resources people write most
      if (obj.kind === "ModelMonitor" || obj.kind === "RetrainPolicy") examples.push({ kind: obj.kind, spec: obj.spec });
    }
  }
  bases = [
    { kind: "ModelMonitor", spec: fullMonitorSpec() },
    { kind: "RetrainPolicy", spec: fullPolicySpec() },
    { kind: "ModelMonitor", spec: { model: { name: "m" } } },
    { kind: "RetrainPolicy", spec: {} },
    ...examples,
  ];
};
const stage = useStage(given("differential").withStep(readBases));

const UNITS = ["ms", "s", "m", "h", "d", "w"] as const;
const durationText = fc.oneof(
  fc.tuple(fc.constantFrom(0, 1, 7, 30, 90, 99, 100, 365, 366, 999, 1000, 86_400_000), fc.constantFrom(...UNITS)).map(([n, u]) => `${n}${u}`),
  fc.tuple(fc.nat({ max: 400 }), fc.constantFrom(...UNITS), fc.nat({ max: 999 }), fc.constantFrom(...UNITS)).map(([a, u, b, v]) => `${a}${u}${b}${v}`),
  fc.constantFrom("1.5h", "0.5s", "0.999s", "1.0s", "7d1ms", "30d", "5m30s", "1e3s", "-1s", "1 s", "1y", "", "99999999999999999999d"),
);
const tricky = fc.constantFrom(
  "",
  "0s",
  "1s",
  "on",
  "off",
  "yes",
  "no",
  "y",
  "n",
  "true",
  "~",
  "null",
  "app.kubernetes.io/name",
  "model-name",
  'model"}',
  "batch size",
  "_x",
  "Model",
  "A1",
  "a".repeat(64),
  "m".repeat(254),
  "http://prometheus:9090",
  "https://[::1]:9090/prom",
  "ftp://x",
  "javascript:alert(1)",
  "file:///etc/passwd",
  "prometheus.monitoring:9090",
  "http://u:p@h",
  "http://h/?q=1",
  "accuracy",
  "psi",
  "cosine",
  "quantile",
  "mae",
  "r2",
  "shareAbove",
  "retrain",
  "reindex",
  "VersionChange",
  "Never",
  "Always",
  "AccuracyDrift",
  "$'",
  "{{window}}",
  "\u0000",
  // astral characters: one code point (as the API server counts), two UTF-16 units
  "\u{1F600}".repeat(100),
  "\u{1F600}".repeat(129),
  "\u{1F600}".repeat(200),
  "\u{1F600}".repeat(600),
);
const numberValue = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, 1.5, 2, 100, 101, 2 ** 31, 2 ** 31 - 1, 1e-9, 0.05, 0.95),
  fc.integer({ min: -10, max: 200 }),
  fc.double({ min: -2, max: 2, noNaN: true }),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: tricky },
  { weight: 3, arbitrary: durationText },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.\/-]{0,8}$/) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 1, 0.5, 1.5, 2, 100, 101, 2 ** 31, 1e-9) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 200 }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom<Json>([], {}, ["eu"], { a: "b" }, { warning: 0.1 }, { pinned: {} }, { when: "VersionChange" }) },
);
const extraKey = fc.oneof(tricky, fc.constantFrom("intervall", "on", "true", "when", "pinned", "purpose", "matchLabels"));

/** Candidates for a set; most sets pick the one of the current value's kind, to reach edges of valid objects. */
interface Candidates {
  typed: boolean;
  duration: string;
  text: Json;
  number: number;
  bool: boolean;
  any: Json;
}
const candidates: fc.Arbitrary<Candidates> = fc.record({
  typed: fc.nat({ max: 4 }).map((n) => n > 0),
  duration: durationText,
  text: fc.oneof(tricky, fc.string({ unit: "binary", maxLength: 12 }), fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.\/-]{0,8}$/), fc.webUrl()),
  number: numberValue,
  bool: fc.boolean(),
  any: value,
});
function pick(current: Json | undefined, c: Candidates): Json {
  if (!c.typed) return c.any;
  if (typeof current === "string") return /^[0-9.]+(ms|s|m|h|d|w)/.test(current) ? c.duration : c.text;
  if (typeof current === "number") return c.number;
  if (typeof current === "boolean") return c.bool;
  return c.any;
}

type Mutation =
  | { op: "set"; at: number; value: Candidates }
  | { op: "delete"; at: number }
  | { op: "addKey"; at: number; key: string; value: Json }
  | { op: "renameKey"; at: number; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.noBias(fc.nat()), value: candidates }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.noBias(fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("addKey" as const), at: fc.noBias(fc.nat()), key: extraKey, value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("renameKey" as const), at: fc.noBias(fc.nat()), key: extraKey }) },
);

/** Applies mutations in turn; each picks its path among the current object's paths. */
function mutate(spec: Json, mutations: Mutation[]): Json {
  let out = clone(spec);
  for (const m of mutations) {
    const paths = pathsOf(out).filter((p) => p.length > 0);
    const objects = pathsOf(out).filter((p) => isObject(at(out, p)));
    if (m.op === "set" && paths.length) {
      const p = paths[m.at % paths.length] as Path;
      out = setAt(out, p, pick(at(out, p), m.value));
    } else if (m.op === "delete" && paths.length) out = setAt(out, paths[m.at % paths.length] as Path, DELETE);
    else if (m.op === "addKey" && objects.length) {
      const p = objects[m.at % objects.length] as Path;
      out = p.length ? setAt(out, [...p, m.key], m.value) : { ...(out as Record<string, Json>), [m.key]: m.value };
    } else if (m.op === "renameKey" && objects.length) {
      const p = objects[m.at % objects.length] as Path;
      const obj = at(out, p) as Record<string, Json>;
      const keys = Object.keys(obj);
      if (!keys.length) continue;
      const old = keys[m.at % keys.length] as string;
      const renamed = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k === old ? m.key : k, v]));
      out = p.length ? setAt(out, p, renamed) : renamed;
    }
  }
  return out;
}
const isObject = (v: Json | undefined): boolean => v !== null && typeof v === "object" && !Array.isArray(v);
function at(root: Json, path: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const p of path) node = (node as Record<string | number, Json>)[p];
  return node;
}

describe("the API server and the operator agree on every object", () => {
  it(`${RUNS} generated objects, seed ${SEED}`, async () => {
    const tally = { accepted: 0, refused: 0 };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.noBias(fc.nat()),
        fc.oneof({ weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 1 }) }, fc.array(mutation, { maxLength: 3 })),
        async (pick, mutations) => {
          const base = bases[pick % bases.length] as { kind: ApiObject["kind"]; spec: Json };
          const spec = mutate(base.spec, mutations);
          const server = await dryRunCreate(apiObject(base.kind, `diff-${n++}`, stage.ns, spec));
          const operator = operatorVerdict(base.kind, spec);
          const says = `API server: ${server.accepted ? "accepted" : server.message}; operator: ${operator.accepted ? "accepted" : operator.message}`;
          expect(operator.accepted, says).toBe(server.accepted);
          tally[server.accepted ? "accepted" : "refused"]++;
          if (server.accepted && operator.accepted) {
            const stored = operatorVerdict(base.kind, server.object?.spec as Json);
            expect(stored.accepted, "the stored object no longer parses").toBe(true);
            if (stored.accepted) expect(stored.value).toEqual(operator.value);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // a generator that produced only valid or only invalid objects would prove little
    expect(tally.accepted).toBeGreaterThan(RUNS * 0.1);
    expect(tally.refused).toBeGreaterThan(RUNS * 0.3);
  });
});
