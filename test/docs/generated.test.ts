// The generated pages of docs/ are what the code says today: regenerated == committed.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { limitsOf, typeOf } from "../../hack/docs/api-reference.ts";
import { catalogueEntries } from "../../hack/docs/catalogue.ts";
import { undocumentedReasons } from "../../hack/docs/events.ts";
import { cell } from "../../hack/docs/markdown.ts";
import { operatorMetrics } from "../../hack/docs/metrics.ts";
import { generatedPages } from "../../hack/docs/pages.ts";
import { EventReason } from "../../src/domain/events.ts";

const docs = join(import.meta.dirname, "..", "..", "docs");

describe("generated docs pages", () => {
  it("docs/reference is exactly what `npm run docs:gen` writes (API reference, Events, metrics)", async () => {
    const pages = await generatedPages();
    expect([...pages.keys()].sort()).toEqual([
      "reference/api/index.md",
      "reference/api/modelmonitor.md",
      "reference/api/modelrollout.md",
      "reference/api/retrainpolicy.md",
      "reference/events.md",
      "reference/metrics.md",
    ]);
    for (const [path, content] of pages) expect(await readFile(join(docs, path), "utf8"), `${path}: run npm run docs:gen`).toBe(content);
  });

  it("every Event reason of the catalogue has a meaning", () => {
    expect(undocumentedReasons()).toEqual([]);
  });

  it("the Events page lists every reason", async () => {
    const page = (await generatedPages()).get("reference/events.md") as string;
    for (const reason of Object.keys(EventReason)) expect(page).toContain(`\`${reason}\``);
    expect(page).toContain("`AccuracyDriftDetected`");
  });

  it("the metrics page lists the operator's metrics with the labels their series carry", async () => {
    const metrics = await operatorMetrics();
    expect(metrics.find((m) => m.name === "modelguardian_signal_value")?.labels).toEqual(["namespace", "monitor", "signal", "segment"]);
    expect(metrics.find((m) => m.name === "modelguardian_rollout_phase")?.labels).toEqual(["namespace", "rollout", "model", "phase"]);
    expect(metrics.every((m) => m.name.startsWith("modelguardian_"))).toBe(true);
  });
});

describe("reference rendering", () => {
  it("says types and limits as a reader needs them", () => {
    expect(typeOf({ type: "array", items: { type: "object" } })).toBe("[]object");
    expect(typeOf({ type: "object", additionalProperties: { type: "string" } })).toBe("map[string]string");
    expect(limitsOf({ type: "integer", minimum: 0, maximum: 2147483647 })).toEqual(["≥ 0"]);
    expect(limitsOf({ type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1 })).toEqual(["> 0", "≤ 1"]);
    expect(limitsOf({ type: "string", minLength: 1, maxLength: 63, pattern: "^a|b$" })).toEqual(["not empty", "at most 63 characters", "matches `^a\\|b$`"]);
    expect(limitsOf({ type: "string", "x-kubernetes-validations": [{ rule: "x", message: "must be between 1s and 7d" }] })).toEqual([
      "must be between 1s and 7d",
    ]);
  });

  it("keeps text that a Vue template or a table would misread out of harm's way", () => {
    expect(cell("{model: <name>} a|b")).toBe("&#123;model: &lt;name&gt;&#125; a\\|b");
  });
});

describe("self-documented catalogues", () => {
  it("reads each entry of an `as const` catalogue with the doc comment above it", () => {
    const source = [
      "export const Other = { X: 'X' };",
      "/** Why. */",
      "export const BlockedReason = {",
      "  /** The spec does not parse. */",
      '  InvalidSpec: "InvalidSpec",',
      "  /**",
      "   * spec.monitorRef names no",
      "   * ModelMonitor.",
      "   */",
      '  MonitorNotFound: "MonitorNotFound",',
      '  Undocumented: "Undocumented",',
      "} as const;",
      'export const Later = { Y: "Y" };',
    ].join("\n");
    expect(catalogueEntries(source, "BlockedReason")).toEqual([
      { key: "InvalidSpec", doc: "The spec does not parse." },
      { key: "MonitorNotFound", doc: "spec.monitorRef names no ModelMonitor." },
      { key: "Undocumented", doc: "" },
    ]);
    expect(() => catalogueEntries(source, "Missing")).toThrow(/Missing/);
  });
});
