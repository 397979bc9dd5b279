// Writes crds/*.yaml from the zod schemas (src/api). `npm run crds`.
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crdFiles } from "../src/api/crd.ts";
import { GROUP } from "../src/api/v1alpha1/common.ts";

// crds/ is the source for kubectl and kustomize; the Helm chart carries the same files in
// files/crds/, rendered by its templates/crds.yaml
const dirs = [join(import.meta.dirname, "..", "crds"), join(import.meta.dirname, "..", "charts", "model-guardian", "files", "crds")];
const files = crdFiles();
for (const dir of dirs) {
  await mkdir(dir, { recursive: true });
  for (const existing of await readdir(dir)) {
    // only files this generator owns; crds/Kustomization is hand-written
    if (existing.startsWith(`${GROUP}_`) && !files.has(existing)) await rm(join(dir, existing));
  }
  for (const [name, content] of files) await writeFile(join(dir, name), content);
}
console.log(`wrote ${files.size} CRDs to crds/ and charts/model-guardian/files/crds/`);
