// The contract between test/, scripts/ and hack/ (issue 22): the shared stage in test/stage is the
// one place both the tests and the entry points in scripts/ import; tests never import scripts/,
// the stage imports nothing of test/ outside itself, and hack/ (build recipes, libraries of the
// scripts) imports neither. So no cycle between the folders can form.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "node_modules" ? [] : sources(join(dir, e.name))) : /\.(ts|mts)$/.test(e.name) ? [join(dir, e.name)] : [],
  );

/** Every relative import of a file (static, type-only, re-exports and dynamic), as paths from the repo root. */
const importsOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g)].map((m) =>
    relative(ROOT, normalize(join(dirname(file), (m[1] ?? m[2]) as string))),
  );

/** "file imports target" for each import of the files below `folder` that `allowed` refuses. */
const breaches = (folder: string, allowed: (target: string) => boolean): string[] =>
  sources(join(ROOT, folder)).flatMap((f) =>
    importsOf(f)
      .filter((t) => !allowed(t))
      .map((t) => `${relative(ROOT, f)} imports ${t}`),
  );

const within =
  (...folders: string[]) =>
  (target: string) =>
    folders.some((f) => target.startsWith(`${f}/`));

describe("the contract between test/, scripts/ and hack/", () => {
  it("tests never import scripts/ (entry points); the libraries they share live in test/stage and hack/", () => {
    expect(breaches("test", (t) => !within("scripts")(t))).toEqual([]);
  });

  it("the stage imports itself, src/ and sim/ only: nothing of the tests it serves", () => {
    expect(breaches("test/stage", within("test/stage", "src", "sim"))).toEqual([]);
  });

  it("scripts/ reaches into test/ through the stage only", () => {
    expect(breaches("scripts", (t) => !t.startsWith("test/") || t.startsWith("test/stage/"))).toEqual([]);
  });

  it("hack/ imports neither test/ nor scripts/", () => {
    expect(breaches("hack", (t) => !within("test", "scripts")(t))).toEqual([]);
  });

  it("every file an npm script runs exists (the recipes moved to hack/)", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const files = Object.values(scripts).flatMap((command) => [...command.matchAll(/(?:node|bash) ([\w./-]+\.(?:ts|sh))/g)].map((m) => m[1] as string));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });

  it("every shell recipe a TypeScript file names by its path from the root exists (the faults' istio-crds.sh was missed once)", () => {
    const named = ["test", "scripts", "hack", "src", "sim"].flatMap((folder) =>
      sources(join(ROOT, folder)).flatMap((f) =>
        [...readFileSync(f, "utf8").matchAll(/"((?:scripts|hack)\/[\w./-]+\.sh)"/g)].map((m) => ({ file: relative(ROOT, f), path: m[1] as string })),
      ),
    );
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((n) => !existsSync(join(ROOT, n.path)))).toEqual([]);
  });

  it("scripts/ holds entry points only: no library folder beside them", () => {
    expect(sources(join(ROOT, "scripts")).filter((f) => relative(ROOT, f).startsWith("scripts/lib/"))).toEqual([]);
  });
});
