// Writes the generated pages of docs/ (API reference, Events, metrics) from the code. `npm run docs:gen`.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generatedPages } from "../hack/docs/pages.ts";

const docs = join(import.meta.dirname, "..", "docs");
const pages = await generatedPages();
for (const [path, content] of pages) {
  await mkdir(dirname(join(docs, path)), { recursive: true });
  await writeFile(join(docs, path), content);
}
console.log(`wrote ${pages.size} generated pages to docs/`);
