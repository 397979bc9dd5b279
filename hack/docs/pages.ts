// Every generated page of the docs site, by path under docs/. `npm run docs:gen` writes them; a
// test checks the committed pages are what this returns.
import { apiReferencePages } from "./api-reference.ts";
import { renderEvents } from "./events.ts";
import { renderMetrics } from "./metrics.ts";

export async function generatedPages(): Promise<Map<string, string>> {
  const pages = apiReferencePages();
  pages.set("reference/events.md", renderEvents());
  pages.set("reference/metrics.md", await renderMetrics());
  return pages;
}
