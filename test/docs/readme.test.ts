// The README is the door: short, and every link in it leads somewhere.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("README.md", async () => {
  const readme = await readFile(join(root, "README.md"), "utf8");

  it("stays short: the details live in docs/", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(200);
  });

  it("links only to files that exist", () => {
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => (m[1] as string).split("#")[0] as string).filter((t) => t && !/^https?:/.test(t));
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((t) => !existsSync(join(root, t)))).toEqual([]);
  });

  it("names the command CI runs", () => {
    expect(readme).toContain("npm test");
  });
});
