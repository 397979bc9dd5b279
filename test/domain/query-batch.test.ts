import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sumIncrease, expandTemplate } from "../../src/domain/promql.ts";
import { batchedQuery, batchShapeKey, parseSumIncrease, splitBatched } from "../../src/domain/query-batch.ts";
import { metricLookup } from "../../src/domain/analysis/queries.ts";
import type { Sample } from "../../src/domain/observation.ts";
import { HOSTILE_LABELS } from "../fixtures/hostile-labels.ts";

const labelValue = fc.oneof(fc.constantFrom(...HOSTILE_LABELS, "", "a.b", "a|b", "(x)*", "\\d+", "\u0000\u007f"), fc.string({ unit: "binary", maxLength: 12 }));
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);

describe("recognising the queries sumIncrease builds", () => {
  it("parses every query it builds back into its parts (hostile label values included)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
        fc.dictionary(labelName, labelValue, { maxKeys: 4 }),
        fc.uniqueArray(labelName, { maxLength: 3 }),
        fc.constantFrom("60s", "3600s", "86400s"),
        fc.option(fc.constantFrom("1d", "3600s"), { nil: undefined }),
        (metric, labels, by, window, offset) => {
          const expr = sumIncrease(metric, labels, { window, offset, by });
          expect(parseSumIncrease(expr)).toEqual({ metric, labels, window, offset, by });
        },
      ),
      { seed: 20261207, numRuns: 500 },
    );
  });

  it("leaves every other query alone", () => {
    const others = [
      expandTemplate("sum(rate(x{ {{selector}} }[{{window}}]))", { model: "m" }, "60s"),
      metricLookup("m_total", "3600s", 0).expr,
      'avg by (dim) (emb{model="m"})',
      'sum by (plant) (increase(m_total{model="m"}[60s])) or vector(1)',
      'sum by (plant) (increase(m_total{model=~"m"}[60s]))',
      'sum by (plant) (increase(m_total{model="m",}[60s]))',
      'sum by (plant) (increase(m_total{model="m"\n}[60s]))',
      // a text sumIncrease would write otherwise (unsorted labels) is not its own
      'sum by () (increase(m_total{version="1",model="m"}[60s]))',
    ];
    for (const expr of others) expect(parseSumIncrease(expr), expr).toBeUndefined();
  });
});

describe("a batched query", () => {
  const member = (model: string, extra: Record<string, string> = {}) =>
    parseSumIncrease(sumIncrease("p_total", { model, ...extra }, { window: "3600s", by: ["outcome", "plant"] }))!;

  it("shares its shape only with queries that differ in label values alone", () => {
    expect(batchShapeKey(member("a"))).toBe(batchShapeKey(member("b")));
    expect(batchShapeKey(member("a"))).not.toBe(batchShapeKey(member("a", { refusal: "true" })));
    const other = parseSumIncrease(sumIncrease("p_total", { model: "a" }, { window: "60s", by: ["outcome", "plant"] }))!;
    expect(batchShapeKey(member("a"))).not.toBe(batchShapeKey(other));
  });

  it("keeps shared labels as equality matchers and groups by the ones that differ, escaped as literals", () => {
    const q = batchedQuery([member("a.b", { refusal: "true" }), member('x"|y', { refusal: "true" })]);
    expect(q.differing).toEqual(["model"]);
    expect(q.expr).toBe('sum by (outcome, plant, model) (increase(p_total{model=~"a\\\\.b|x\\"\\\\|y",refusal="true"}[3600s]))');
  });

  it("splits the answer per member, without the labels added for the split", () => {
    const samples: Sample[] = [
      { labels: { outcome: "tp", plant: "1", model: "a" }, value: 1 },
      { labels: { outcome: "tp", plant: "1", model: "b" }, value: 2 },
      { labels: { outcome: "tp", plant: "2" }, value: 3 },
    ];
    const split = splitBatched(samples, ["model"], ["outcome", "plant"]);
    expect(split.get("a")).toEqual([{ labels: { outcome: "tp", plant: "1" }, value: 1 }]);
    expect(split.get("b")).toEqual([{ labels: { outcome: "tp", plant: "1" }, value: 2 }]);
    // a series without the label belongs to a member selecting model=""
    expect(split.get("")).toEqual([{ labels: { outcome: "tp", plant: "2" }, value: 3 }]);
    // a label the members group by themselves stays
    expect(splitBatched(samples, ["model"], ["model"]).get("a")?.[0]?.labels).toEqual({ outcome: "tp", plant: "1", model: "a" });
  });
});
