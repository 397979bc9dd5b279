// The docs site's navigation matches its pages, and it keeps failing on dead links.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import config from "../../docs/.vitepress/config.ts";

const docs = join(import.meta.dirname, "..", "..", "docs");

interface Item {
  link?: string;
  items?: Item[];
}
const links = (items: Item[]): string[] => items.flatMap((i) => [...(i.link ? [i.link] : []), ...links(i.items ?? [])]);
const sidebar = links((config.themeConfig?.sidebar ?? []) as Item[]);
/** A site link (/routers/, /routers/istio) as the page file it is built from. */
const pageOf = (link: string) => (link.endsWith("/") ? `${link.slice(1)}index.md` : `${link.slice(1)}.md`);

describe("docs site", () => {
  it("every sidebar entry is a page", () => {
    expect(sidebar.filter((l) => !existsSync(join(docs, pageOf(l))))).toEqual([]);
  });

  it("every page is in the sidebar (the home page aside)", async () => {
    const pages = (await readdir(docs, { recursive: true })).filter((f) => f.endsWith(".md") && !f.startsWith(".vitepress") && f !== "index.md");
    const listed = new Set(sidebar.map(pageOf));
    expect(pages.filter((p) => !listed.has(p)).sort()).toEqual([]);
  });

  it("fails the build on a dead link: only local addresses are let through", () => {
    const ignored = config.ignoreDeadLinks;
    expect(Array.isArray(ignored)).toBe(true);
    for (const pattern of ignored as RegExp[]) {
      expect(pattern.test("http://localhost:8080/ui/")).toBe(true);
      expect(pattern.test("./monitoring/missing")).toBe(false);
    }
  });
});
