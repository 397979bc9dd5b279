// Every example under examples/ is valid for the controller's own schemas.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { modelMonitorSpecSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { retrainPolicySpecSchema } from "../../src/api/v1alpha1/retrainpolicy.ts";

const dir = join(import.meta.dirname, "..", "..", "examples");
const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml"));

describe("examples", () => {
  it.each(files)("%s parses", async (file) => {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), "utf8"))) {
      const obj = doc.toJS();
      const schema = obj.kind === "ModelMonitor" ? modelMonitorSpecSchema : retrainPolicySpecSchema;
      const r = schema.safeParse(obj.spec);
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    }
  });
});
