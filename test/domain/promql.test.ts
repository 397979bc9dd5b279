import { describe, expect, it } from "vitest";
import { escapeLabelValue, expandTemplate, matchers, sumIncrease } from "../../src/domain/promql.ts";
import { parseDuration, promDuration } from "../../src/domain/duration.ts";

describe("label value escaping", () => {
  it.each([
    ["plain", "plain"],
    ['a"b', 'a\\"b'],
    ["back\\slash", "back\\\\slash"],
    ["line\nbreak", "line\\nbreak"],
    ["} or vector(1) {", "} or vector(1) {"],
    ['x"} or up{a="', 'x\\"} or up{a=\\"'],
    ["tab\there", "tab\\there"],
    ["bell\u0007", "bell\\u0007"],
  ])("%j -> %j", (input, expected) => {
    expect(escapeLabelValue(input)).toBe(expected);
  });

  it("no value can close the string literal", () => {
    const hostile = ['"', '\\"', '\\', '"}[5m]) or vector(1) #', "\n\"", "\\\\\""];
    for (const v of hostile) {
      const m = matchers({ model: v });
      // the literal starts after model=" and must end exactly at the final quote
      const body = m.slice('model="'.length, -1);
      let i = 0;
      for (; i < body.length; i++) {
        if (body[i] === "\\") i++;
        else expect(body[i]).not.toBe('"');
      }
      expect(i).toBe(body.length);
    }
  });

  it("rejects label names that could change the query", () => {
    expect(() => matchers({ 'a="x"} or up{b': "1" })).toThrow(/invalid label name/);
  });
});

describe("query building", () => {
  it("sums increases by the given labels", () => {
    expect(sumIncrease("m_total", { model: "fraud", version: "v3" }, { window: "3600s", by: ["outcome", "plant"] })).toBe(
      'sum by (outcome, plant) (increase(m_total{model="fraud",version="v3"}[3600s]))',
    );
  });
  it("expands templates with escaped selectors", () => {
    expect(expandTemplate("avg_over_time(x{ {{selector}} }[{{window}}])", { model: 'a"b' }, "60s")).toBe('avg_over_time(x{ model="a\\"b" }[60s])');
  });
});

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["7d", 604_800_000],
    ["250ms", 250],
    ["1.5h", 5_400_000],
  ])("%s = %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(["", "5", "5 minutes", "-1s", "1y", "h"])("%j is not a duration", (text) => expect(parseDuration(text)).toBeUndefined());
  it("PromQL ranges are whole seconds", () => expect(promDuration(90_500)).toBe("91s"));
});
