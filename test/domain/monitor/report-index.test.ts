// The web view's index: a row per monitor with its health, coverage, rollout and report link,
// every value from a spec or status escaped, bounded at MAX_INDEX_ROWS rows.
import { describe, expect, it } from "vitest";
import { MAX_INDEX_ROWS, monitorRowOf, renderReportIndex } from "../../../src/domain/monitor/report-index.ts";
import { esc } from "../../../src/domain/monitor/report-svg.ts";
import { assertOnlyOwnMarkup, HOSTILE_LABELS } from "../../fixtures/hostile-labels.ts";

const NOW = Date.parse("2026-11-01T01:00:00Z");
const monitor = (name: string, text = "fraud") => ({
  metadata: { namespace: "ml", name },
  spec: { model: { name: text }, report: {} },
  status: {
    health: "Warning",
    summary: `accuracy=0.84 ${text}`,
    judgedRules: "2/3",
    worstFinding: `warning AccuracyDrift accuracy[${text}]`,
    stableVersion: text,
    rollout: { name: `${name}-v4`, candidate: text, phase: "Progressing", weight: 25 },
    report: { configMap: `${name}-report`, lastTime: "2026-11-01T00:00:00Z" },
  },
});

describe("the web view's index", () => {
  it.each(HOSTILE_LABELS.map((h, i) => [i, h] as const))("#%d shows a hostile value as text: %j", (_i, hostile) => {
    const page = renderReportIndex([monitorRowOf(monitor("a", hostile))], NOW);
    assertOnlyOwnMarkup(page);
    expect(page).toContain(`<td>${esc(hostile)}</td>`);
    expect(page).toContain(`<td>${esc(`a-v4: ${hostile}, Progressing, 25%`)}</td>`);
    expect(page).toContain('<td><a href="/ui/ml/a">ml/a</a></td>');
    expect(page).toContain('<a href="/ui/ml/a">report</a>');
  });

  it("reads a malformed status loosely and lists at most MAX_INDEX_ROWS monitors, counting the rest", () => {
    expect(monitorRowOf({ metadata: { namespace: "ml", name: "x" }, spec: { model: 3 }, status: { health: 1, rollout: { name: 2 } } })).toMatchObject({
      model: undefined,
      health: undefined,
      rollout: undefined,
      reportAsked: false,
    });
    const page = renderReportIndex(
      Array.from({ length: MAX_INDEX_ROWS + 5 }, (_, i) => monitorRowOf(monitor(`m${String(i).padStart(5, "0")}`))),
      NOW,
    );
    expect(page.match(/<tr><td>/g)).toHaveLength(MAX_INDEX_ROWS);
    expect(page).toContain("5 more monitors are not listed");
    expect(page).toContain(`${MAX_INDEX_ROWS + 5} monitors (Warning ${MAX_INDEX_ROWS + 5})`);
  });
});
