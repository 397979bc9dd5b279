// docs/architecture.md checked against the code: its tables of layers, controllers, reconcile
// steps and routers must name what src/ has, and all of it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTROLLER } from "../src/controller/controller-names.ts";
import { MAY_IMPORT } from "./architecture-contract.ts";

const ROOT = join(import.meta.dirname, "..");
const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");

/** The rows of a checked table: its cells, in order, without the header and the separator. */
function table(name: string): string[][] {
  const match = doc.match(new RegExp(`<!-- checked: ${name} -->\\n([\\s\\S]*?)<!-- end: ${name} -->`));
  if (!match) throw new Error(`docs/architecture.md has no checked table "${name}"`);
  return (match[1] as string)
    .trim()
    .split("\n")
    .slice(2)
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** The `code` spans of a cell. */
const codes = (cell: string | undefined): string[] => [...(cell ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

describe("docs/architecture.md", () => {
  it("states the import contract test/architecture.test.ts enforces", () => {
    const stated = Object.fromEntries(table("layers").map(([layer, , allowed]) => [layer, (allowed ?? "").split(",").map((s) => s.trim())]));
    expect(stated).toEqual(MAY_IMPORT);
  });

  it("lists every controller, with its reconciler, setup function and watches where it says", () => {
    const rows = table("controllers");
    expect(rows.map((r) => r[0]).sort()).toEqual(Object.values(CONTROLLER).sort());
    for (const [, reconciler, setup, watches] of rows) {
      const [reconcilerClass, reconcilerFile] = codes(reconciler);
      const [setupFunction, setupFile] = codes(setup);
      expect(read(reconcilerFile as string)).toMatch(new RegExp(`export class ${reconcilerClass}\\b`));
      expect(read(setupFile as string)).toMatch(new RegExp(`export function ${setupFunction}\\(`));
      expect(existsSync(join(ROOT, codes(watches)[0] as string))).toBe(true);
      // main.ts sets every controller up
      expect(read("src/main.ts")).toContain(`${setupFunction}(`);
    }
    // and every setup file is in the table
    const setupFiles = readdirSync(join(ROOT, "src/controller")).filter((f) => f.endsWith("-setup.ts"));
    expect(setupFiles.map((f) => `src/controller/${f}`).sort()).toEqual(rows.map((r) => codes(r[2])[1]).sort());
  });

  it("names reconcile steps each reconciler has", () => {
    const files: Record<string, string> = Object.fromEntries(table("controllers").map(([, reconciler]) => codes(reconciler) as [string, string]));
    const rows = table("steps");
    expect(rows.map((r) => r[0]).sort()).toEqual(Object.keys(files).sort());
    for (const [reconciler, steps] of rows) {
      const source = read(files[reconciler as string] as string);
      for (const step of codes(steps))
        expect(source, `${reconciler}: ${step}`).toMatch(new RegExp(`(private (async )?${step}\\(|this\\.${step}\\(|\\b${step}\\()`));
    }
  });

  it("lists every router file, and names the router field each answers to", () => {
    const rows = table("routers");
    const shared = ["index.ts", "deployments.ts", "patched-object.ts"];
    const routerFiles = readdirSync(join(ROOT, "src/adapters/routers")).filter((f) => f.endsWith(".ts") && !shared.includes(f));
    expect(rows.map((r) => codes(r[1])[0]).sort()).toEqual(routerFiles.map((f) => `src/adapters/routers/${f}`).sort());
    const factory = read("src/adapters/routers/index.ts");
    for (const [field] of rows) expect(factory).toContain(`serving.router.${field}`);
  });
});
