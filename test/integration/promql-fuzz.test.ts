// Label values cannot change a query: for any values, a user's template expanded by the
// operator parses in the real Prometheus and carries each value as one whole label value.
// absent_over_time() of a metric that does not exist answers with exactly the equality
// matchers of its selector as labels, so the answer shows what Prometheus read.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandTemplate, vectorSelector } from "../../src/domain/promql.ts";
import { PROMETHEUS_URL } from "../stage/index.ts";

const SEED = Number(process.env.FC_SEED ?? 20261201);
const RUNS = Number(process.env.FC_RUNS ?? 300);

async function prometheus(path: string, query: string): Promise<{ status: string; data?: unknown; error?: string }> {
  const res = await fetch(`${PROMETHEUS_URL}${path}`, { method: "POST", body: new URLSearchParams({ query }) });
  return (await res.json()) as { status: string; data?: unknown; error?: string };
}

const hostile = fc.constantFrom(
  "$'",
  "$`",
  "$&",
  "$$",
  "$1",
  "{{window}}",
  "{{selector}}",
  "{{offset}}",
  '"',
  '"}',
  "\\",
  '\\"',
  "\n",
  "\r\t",
  '", job="evil',
  "} or vector(1) or {",
  "[5m]",
  "\u0000",
  "\u007f",
  "\u2028",
  "\u{1F600}",
);
const labelValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.array(fc.oneof(hostile, fc.string({ maxLength: 3 })), { maxLength: 6 }).map((parts) => parts.join("")),
);
const labels = fc.dictionary(
  fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,10}$/).filter((name) => name !== "job"),
  labelValue,
  { minKeys: 1, maxKeys: 4 },
);
const expected = (l: Record<string, string>) => ({ job: "api", ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== "")) });

describe("templates and escaping against the real Prometheus", () => {
  it(`a user's template: ${RUNS} label sets, seed ${SEED}`, async () => {
    await fc.assert(
      fc.asyncProperty(labels, async (l) => {
        const query = expandTemplate('absent_over_time(mg_fuzz_no_such_metric{ {{selector}}, job="api" }[{{window}}] {{offset}})', l, "60s", "1m");
        const formatted = await prometheus("/api/v1/format_query", query);
        expect(formatted.status, `${query}: ${formatted.error}`).toBe("success");
        const answer = await prometheus("/api/v1/query", query);
        expect(answer.status, `${query}: ${answer.error}`).toBe("success");
        const result = (answer.data as { result: { metric: Record<string, string> }[] }).result;
        expect(result.map((r) => r.metric)).toEqual([expected(l)]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`the operator's own selectors: ${RUNS} label sets, seed ${SEED}`, async () => {
    await fc.assert(
      fc.asyncProperty(labels, async (l) => {
        const query = `absent(${vectorSelector("mg_fuzz_no_such_metric", { ...l, job: "api" })})`;
        const answer = await prometheus("/api/v1/query", query);
        expect(answer.status, `${query}: ${answer.error}`).toBe("success");
        expect((answer.data as { result: { metric: Record<string, string> }[] }).result.map((r) => r.metric)).toEqual([expected(l)]);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});
