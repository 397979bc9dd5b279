// docs/monitoring/signals.md says what a model must export: its monitors must be valid, every
// metric they read must be one its exporters export (and the other way round), and the Node
// exporter must be the simulated model server's own names and labels.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createMetrics } from "../../sim/metrics.ts";
import { modelMonitorSpecSchema, type ModelMonitorSpec } from "../../src/api/v1alpha1/modelmonitor.ts";

const guide = await readFile(join(import.meta.dirname, "..", "..", "docs", "monitoring", "signals.md"), "utf8");
const blocks = (lang: string) => [...guide.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] as string);

const monitors = blocks("yaml")
  .flatMap((block) => parseAllDocuments(block, { version: "1.1" }).map((d) => d.toJS() as { kind?: string; spec?: unknown }))
  .filter((o) => o.kind === "ModelMonitor");

/** The metric names a monitor reads (histograms by their base name). */
function metricsRead(spec: ModelMonitorSpec): string[] {
  const names: string[] = [];
  for (const s of spec.signals) {
    if (s.classification) names.push(s.classification.metric);
    if (s.regression)
      names.push(
        ...[s.regression.count, s.regression.absErrorSum, s.regression.squaredErrorSum, s.regression.targetSum, s.regression.targetSquaredSum].filter(
          (x): x is string => !!x,
        ),
      );
    if (s.histogram) names.push(s.histogram.metric);
    if (s.ratio) names.push(s.ratio.numerator.metric, s.ratio.denominator.metric);
  }
  for (const d of spec.drift) names.push(d.histogram?.metric ?? (d.embedding?.metric as string));
  return names;
}

/** Names the Node snippet exports: `name: "..."` of each prom-client metric. */
const nodeNames = () =>
  blocks("ts").flatMap((b) =>
    [...b.matchAll(/new (Counter|Gauge|Histogram)\(\{ name: "([a-z_:]+)"/g)].map((m) => ({ kind: m[1] as string, name: m[2] as string })),
  );

/** Names the Python snippet exports: prometheus_client ends every counter in _total. */
const pythonNames = () =>
  blocks("python").flatMap((b) =>
    [...b.matchAll(/= (Counter|Gauge|Histogram)\("([a-z_:]+)"/g)].map((m) =>
      m[1] === "Counter" && !(m[2] as string).endsWith("_total") ? `${m[2]}_total` : (m[2] as string),
    ),
  );

describe("the instrumentation guide", () => {
  it("has monitors, and each reads the same in YAML 1.1 and 1.2 and is valid for the CRD's schema", () => {
    expect(monitors.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks("yaml")) {
      const y11 = parseAllDocuments(block, { version: "1.1" }).map((d) => d.toJS());
      const y12 = parseAllDocuments(block, { version: "1.2" }).map((d) => d.toJS());
      expect(y11, block).toEqual(y12);
    }
    for (const m of monitors) {
      const r = modelMonitorSpecSchema.safeParse(m.spec);
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    }
  });

  it("every metric a monitor of the guide reads is exported by one of its exporters, and every metric they export is read", () => {
    const read = new Set(monitors.flatMap((m) => metricsRead(modelMonitorSpecSchema.parse(m.spec))));
    const exported = new Set([...nodeNames().map((n) => n.name), ...pythonNames()]);
    expect(nodeNames().length).toBeGreaterThanOrEqual(8);
    expect(pythonNames().length).toBeGreaterThanOrEqual(8);
    expect([...read].filter((n) => !exported.has(n))).toEqual([]);
    expect([...exported].filter((n) => !read.has(n))).toEqual([]);
  });

  it("the Node exporter is the simulated model server's: the same names, kinds and labels", () => {
    const registry = new Registry();
    createMetrics(registry, "plant");
    const sim = new Map(registry.getMetricsAsArray().map((m) => [m.name, m as unknown as { labelNames: string[]; constructor: { name: string } }]));
    const guideBlock = blocks("ts").join("\n");
    for (const { kind, name } of nodeNames()) {
      const metric = sim.get(name);
      expect(metric, name).toBeDefined();
      expect(metric?.constructor.name, name).toBe(kind);
      // the labels of the snippet's line, with `base` written out
      const line = guideBlock.split("\n").find((l) => l.includes(`name: "${name}"`)) as string;
      const labels = (/labelNames: (\[[^\]]*\]|base)/.exec(line)?.[1] as string)
        .replace("...base", '"model", "version", "plant"')
        .replace(/^base$/, '["model", "version", "plant"]');
      expect([...(JSON.parse(labels) as string[])].sort(), name).toEqual([...(metric?.labelNames ?? [])].sort());
    }
  });
});
