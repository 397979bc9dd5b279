import fc from "fast-check";
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
    const hostile = ['"', '\\"', "\\", '"}[5m]) or vector(1) #', '\n"', '\\\\"'];
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

describe("template expansion cannot be steered by a label value", () => {
  const template = 'count(absent_over_time(x{ {{selector}}, job="api" }[{{window}}] {{offset}}))';
  it.each([
    ["$'", 'x{ model="$\'", job="api" }'],
    ["$`", 'x{ model="$`", job="api" }'],
    ["$&", 'x{ model="$&", job="api" }'],
    ["$$", 'x{ model="$$", job="api" }'],
    ["{{window}}", 'x{ model="{{window}}", job="api" }'],
    ["{{offset}}{{selector}}", 'x{ model="{{offset}}{{selector}}", job="api" }'],
  ])("a value %j is pasted as it is, once", (value, selector) => {
    expect(expandTemplate(template, { model: value }, "60s", "1d")).toBe(`count(absent_over_time(${selector}[60s] offset 1d))`);
  });

  it("for any label values, the expansion is the template with each placeholder replaced once", () => {
    const seed = Number(process.env.FC_SEED ?? 20261201);
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), fc.string({ unit: "binary", maxLength: 40 }), { minKeys: 1, maxKeys: 4 }),
        fc.array(fc.constantFrom("{{selector}}", "{{window}}", "{{offset}}", "x{", "}", "[", "]", " or ", "$'", "$&", "{{", "}}"), { maxLength: 10 }),
        (labels, parts) => {
          const template = parts.join("");
          const expected = template
            .split(/(\{\{(?:selector|window|offset)\}\})/)
            .map((piece) => (piece === "{{selector}}" ? matchers(labels) : piece === "{{window}}" ? "60s" : piece === "{{offset}}" ? "offset 1d" : piece));
          expect(expandTemplate(template, labels, "60s", "1d")).toBe(expected.join(""));
        },
      ),
      { seed, numRuns: 500 },
    );
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
