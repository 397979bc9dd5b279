// src/domain is pure: the statistics core imports only sibling domain files and uses no clock,
// no randomness and no I/O.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dir = new URL("../../../src/domain/stats/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

describe.each(files)("src/domain/stats/%s", (file) => {
  const text = readFileSync(new URL(file, dir), "utf8");
  it("imports only relative .ts files", () => {
    const specifiers = [...text.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2]);
    for (const s of specifiers) expect(s).toMatch(/^\.\/[\w.-]+\.ts$/);
  });
  it("uses no clock, randomness, process or require", () => {
    expect(text).not.toMatch(/Date\.now|new Date\(|Math\.random|performance\.now|process\.|require\(|globalThis/);
  });
});
