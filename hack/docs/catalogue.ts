// Reads a catalogue written as `export const Name = { /** what it means */ Key: "Key", ... } as const`
// from its source file, with each entry's doc comment: a reason catalogue documents itself, and
// the generated pages list it without a second copy of its meanings.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface CatalogueEntry {
  key: string;
  doc: string;
}

/** The entries of `export const <name> = { ... }` in `source`, each with the doc comment just above it. */
export function catalogueEntries(source: string, name: string): CatalogueEntry[] {
  const start = source.search(new RegExp(`export const ${name}\\b[^=]*=\\s*\\{`));
  if (start < 0) throw new Error(`no export const ${name} = { ... } found`);
  const body = source.slice(source.indexOf("{", start) + 1, source.indexOf("\n}", start));
  const entries: CatalogueEntry[] = [];
  for (const m of body.matchAll(/(?:\/\*\*([\s\S]*?)\*\/\s*)?(\w+):\s*["'`]/g)) {
    const doc = (m[1] ?? "")
      .split("\n")
      .map((l) => l.replace(/^\s*\*\s?/, "").trim())
      .filter(Boolean)
      .join(" ");
    entries.push({ key: m[2] as string, doc });
  }
  return entries;
}

/** The same, read from a file of the repository. */
export const catalogueEntriesOf = (file: string, name: string): CatalogueEntry[] =>
  catalogueEntries(readFileSync(join(import.meta.dirname, "..", "..", file), "utf8"), name);
