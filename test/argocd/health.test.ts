// The Argo CD health checks (config/argocd/modelguardian.dev/<Kind>/health.lua) run on a real
// Lua 5.1 interpreter, in the environment Argo CD gives them (test/stage/argocd-harness.lua): every case of each
// health_test.yaml (Argo CD's own convention: inputPath, expected status and message) on the
// fixtures captured from real objects (test/fixtures/argocd/), and objects without a status or
// with a status of the wrong shape, which must never make a script fail.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { modelMonitorStatusSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicyStatusSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { modelRolloutStatusSchema } from "../../src/api/v1alpha1/rollout.ts";
import { luaAvailable, runHealth, type HealthResult } from "../stage/argocd-lua.ts";
import { CUSTOMIZATIONS, GROUP, healthScripts, ROOT } from "./render.ts";

const FIXTURES = join(ROOT, "test/fixtures/argocd");
/** What Argo CD accepts from a script (util/lua/lua.go, isValidHealthStatusCode). */
const HEALTH_CODES = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"];
const STATUS_SCHEMAS: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> = {
  ModelMonitor: modelMonitorStatusSchema,
  RetrainPolicy: retrainPolicyStatusSchema,
  ModelRollout: modelRolloutStatusSchema,
};

interface HealthTest {
  inputPath: string;
  healthStatus: { status: string; message: string };
}
interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A manifest as Argo CD reads it (sigs.k8s.io/yaml, YAML 1.1 like kubectl). */
const readManifest = (file: string) => parse(readFileSync(file, "utf8"), { version: "1.1" }) as KubeObject;

const kinds = healthScripts().map((s) => {
  const dir = join(CUSTOMIZATIONS, GROUP, s.kind);
  const { tests } = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as { tests: HealthTest[] };
  const fixtureDir = join(FIXTURES, s.kind);
  const fixtures = existsSync(fixtureDir)
    ? readdirSync(fixtureDir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => join(fixtureDir, f))
    : [];
  return { kind: s.kind, dir, script: join(dir, "health.lua"), tests, fixtures };
});

const ok = (status: string, message: string): HealthResult => ({ kind: "ok", status, message });

beforeAll(() => {
  const lua = luaAvailable();
  if (!lua.ok) throw new Error(lua.message);
});

describe("the health checks' layout", () => {
  it("has a health.lua and a health_test.yaml for each of the operator's kinds", () => {
    expect(kinds.map((k) => k.kind).sort()).toEqual(["ModelMonitor", "ModelRollout", "RetrainPolicy"]);
    for (const k of kinds) expect(k.tests.length, k.kind).toBeGreaterThan(0);
  });

  it.each(kinds)(
    "$kind: every case reads a fixture of its kind, every fixture is a case, every status is one Argo CD accepts",
    ({ kind, dir, tests, fixtures }) => {
      const inputs = tests.map((t) => join(dir, t.inputPath));
      for (const input of inputs) {
        expect(existsSync(input), input).toBe(true);
        expect(relative(join(FIXTURES, kind), input).startsWith(".."), input).toBe(false);
        const obj = readManifest(input);
        expect(obj.apiVersion).toBe(`${GROUP}/v1alpha1`);
        expect(obj.kind).toBe(kind);
      }
      expect([...new Set(inputs)].sort()).toEqual(fixtures);
      for (const t of tests) {
        expect(HEALTH_CODES).toContain(t.healthStatus.status);
        expect(t.healthStatus.message, t.inputPath).toBeTruthy();
      }
      // each kind can be each of these, and a case shows it
      expect(new Set(tests.map((t) => t.healthStatus.status))).toEqual(new Set(["Healthy", "Progressing", "Degraded", "Suspended"]));
    },
  );

  it.each(kinds)("$kind: every fixture's status is one the operator writes (its status schema parses it)", ({ kind, fixtures }) => {
    const schema = STATUS_SCHEMAS[kind] as (typeof STATUS_SCHEMAS)[string];
    for (const file of fixtures) {
      const obj = readManifest(file);
      if (obj.status === undefined) continue;
      const r = schema.safeParse(obj.status);
      expect(r.success, `${basename(file)}: ${JSON.stringify(r.error)}`).toBe(true);
    }
  });

  it("fixtures read the same in YAML 1.1 (kubectl, Argo CD) and YAML 1.2", () => {
    for (const k of kinds)
      for (const file of [...k.fixtures, join(k.dir, "health_test.yaml")]) {
        const text = readFileSync(file, "utf8");
        expect(parse(text, { version: "1.1" }), file).toEqual(parse(text, { version: "1.2" }));
      }
  });
});

for (const { kind, script, tests, dir } of kinds) {
  describe(`${kind}: health_test.yaml`, () => {
    it.each(tests.map((t) => ({ ...t, fixture: basename(t.inputPath, ".yaml") })))("$fixture: $healthStatus.status", ({ inputPath, healthStatus }) => {
      const [result] = runHealth(script, [readManifest(join(dir, inputPath))]);
      expect(result).toEqual(ok(healthStatus.status, healthStatus.message));
    });
  });
}

describe("objects without a status, or with one of the wrong shape", () => {
  const WAITING: Record<string, string> = {
    ModelMonitor: "Waiting for the operator to evaluate the monitor",
    RetrainPolicy: "Waiting for the operator to check the policy",
    ModelRollout: "Waiting for the operator to start the rollout",
  };

  it.each(kinds)("$kind: every fixture without its status is Progressing, waiting for the operator", ({ kind, script, fixtures }) => {
    const objects = fixtures.map((f) => {
      const { status: _status, ...rest } = readManifest(f);
      return rest;
    });
    const results = runHealth(script, objects);
    results.forEach((r, i) => expect(r, basename(fixtures[i] as string)).toEqual(ok("Progressing", WAITING[kind] as string)));
  });

  it.each(kinds)("$kind: bare and malformed objects never make the script fail", ({ kind, script }) => {
    const meta = { apiVersion: `${GROUP}/v1alpha1`, kind, metadata: { name: "x", generation: 1 } };
    const objects: unknown[] = [
      {},
      { metadata: {} },
      meta,
      { ...meta, status: {} },
      { ...meta, status: { conditions: [] } },
      { ...meta, status: { observedGeneration: 1 } },
      { ...meta, status: { observedGeneration: 1, conditions: [] } },
      { ...meta, status: "Healthy" },
      { ...meta, spec: "x", status: [] },
      { ...meta, status: { observedGeneration: "1", conditions: "Ready" } },
      { ...meta, metadata: { generation: "2" }, status: { observedGeneration: 1, conditions: [1, "x", { type: 3 }, { type: "Ready", status: "False" }] } },
      { ...meta, status: { observedGeneration: 1, health: "Unknown", signals: [{}, "x", { state: "Error", reason: "QueryRejected" }], findings: "x" } },
      { ...meta, status: { observedGeneration: 1, health: "Critical", findings: [{ severity: "critical", description: 7 }] } },
      { ...meta, status: { observedGeneration: 1, phase: "Paused", reason: 5, message: { a: 1 }, pauseReason: [] } },
      { ...meta, status: { observedGeneration: 1, phase: "Promoting", conditions: [{ type: "Ready", status: "False", reason: {} }] } },
      { ...meta, status: { observedGeneration: 1, active: "2", conditions: [{ type: "Ready", status: "True", message: 3 }] } },
    ];
    const results = runHealth(script, objects);
    results.forEach((r, i) => {
      expect(r.kind, JSON.stringify(objects[i])).toBe("ok");
      if (r.kind === "ok") {
        expect(HEALTH_CODES).toContain(r.status);
        expect(r.message).not.toBe("");
      }
    });
    // nothing the operator wrote: waiting for it
    expect(results.slice(0, 5)).toEqual(Array(5).fill(ok("Progressing", WAITING[kind] as string)));
  });

  it.each(kinds)("$kind: real statuses with fields replaced by arbitrary JSON never make the script fail", ({ script, fixtures }) => {
    const bases = fixtures.map(readManifest).filter((o) => o.status !== undefined);
    const keys = [...new Set(bases.flatMap((o) => Object.keys(o.status as object)))];
    const mutated = fc
      .sample(
        fc.tuple(
          fc.constantFrom(...bases),
          fc.dictionary(fc.constantFrom(...keys, "conditions", "observedGeneration"), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
          fc.boolean(),
        ),
        { numRuns: 300, seed: 20261201 },
      )
      .map(([base, replaced, dropGeneration]) => ({
        ...base,
        metadata: dropGeneration ? { name: base.metadata?.name } : base.metadata,
        status: { ...base.status, ...replaced },
      }));
    const results = runHealth(script, mutated);
    results.forEach((r, i) => {
      expect(r.kind, JSON.stringify(mutated[i]?.status)).toBe("ok");
      if (r.kind === "ok") expect(HEALTH_CODES, JSON.stringify(mutated[i]?.status)).toContain(r.status);
    });
  });
});

describe("the harness is Argo CD's environment", () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), "argocd-health-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const probe = (lua: string) => {
    const file = join(dir, "probe.lua");
    writeFileSync(file, lua);
    return runHealth(file, [{ metadata: { name: "x" }, status: { phase: "Done" } }])[0];
  };

  it("gives the script obj, the base and table libraries and os.time, as Argo CD does", () => {
    expect(probe('local t = {}; table.insert(t, obj.status.phase); return {status = "Healthy", message = tostring(#t) .. t[1] .. type(os.time())}')).toEqual(
      ok("Healthy", "1Donenumber"),
    );
  });

  it("has no string, math, io or debug library, and strings have no methods (useOpenLibs off)", () => {
    expect(probe('return {status = string.upper("x")}')).toMatchObject({ kind: "error", message: expect.stringMatching(/attempt to index global 'string'/) });
    expect(probe('return {status = ("x"):upper()}')).toMatchObject({ kind: "error", message: expect.stringMatching(/attempt to index a string value/) });
    expect(probe("return {status = tostring(math.floor(1))}")).toMatchObject({
      kind: "error",
      message: expect.stringMatching(/attempt to index global 'math'/),
    });
    expect(probe('io.write("x") return {}')).toMatchObject({ kind: "error", message: expect.stringMatching(/attempt to index global 'io'/) });
    expect(probe("return {message = debug.traceback()}")).toMatchObject({ kind: "error", message: expect.stringMatching(/attempt to index global 'debug'/) });
  });

  it("reports what Argo CD would refuse: a script error, a result that is not a table", () => {
    expect(probe('error("boom")')).toMatchObject({ kind: "error", message: expect.stringMatching(/boom/) });
    expect(probe('return "Healthy"')).toEqual({ kind: "error", message: "expect table output from Lua script, not string" });
  });

  it("passes any text through, quotes and newlines included", () => {
    expect(probe('return {status = "Degraded", message = obj.metadata.name .. "\\"\\n\\t\\0 é"}')).toEqual(ok("Degraded", 'x"\n\t\0 é'));
  });
});
