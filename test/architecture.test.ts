// The import contract of src/, checked on every import (kopf-style, not by convention): each
// layer names the layers it may import, and nothing imports upward. api ← domain ← ports ←
// adapters and controller ← cli and main. Also: no import cycle anywhere in src/.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { MAY_IMPORT, type Layer } from "./architecture-contract.ts";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

const layerOf = (file: string): Layer => {
  const rel = relative(SRC, file);
  if (rel === "ports.ts") return "ports";
  if (rel === "config.ts") return "config";
  if (rel === "main.ts") return "main";
  const top = rel.split("/")[0] as string;
  if (top in MAY_IMPORT) return top as Layer;
  throw new Error(`src/${rel}: in no layer of the contract (add it to MAY_IMPORT)`);
};

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

/** The relative imports of a file (static, type-only, re-exports and dynamic), resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g)].map((m) => (m[1] ?? m[2]) as string);
  return specifiers.map((s) => normalize(join(dirname(file), s)));
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("the import contract of src/", () => {
  it("every import goes to a layer its own may import", () => {
    const upward: string[] = [];
    for (const [file, imports] of graph)
      for (const target of imports) {
        const from = layerOf(file);
        const to = layerOf(target);
        if (!MAY_IMPORT[from].includes(to)) upward.push(`src/${relative(SRC, file)} (${from}) imports src/${relative(SRC, target)} (${to})`);
      }
    expect(upward).toEqual([]);
  });

  it("every relative import names a file that exists", () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((t) => !graph.has(t)).map((t) => `src/${relative(SRC, file)} imports ${relative(SRC, t)}`),
    );
    expect(missing).toEqual([]);
  });

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => relative(SRC, x)).join(" → "));
        else if (!state.has(t) && graph.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("the contract itself only ever points down or sideways", () => {
    const rank: Record<Layer, number> = { api: 0, domain: 1, ports: 2, config: 2, adapters: 3, controller: 3, cli: 4, main: 5 };
    for (const [from, allowed] of Object.entries(MAY_IMPORT))
      for (const to of allowed) expect(rank[to], `${from} → ${to}`).toBeLessThanOrEqual(rank[from as Layer]);
  });
});
