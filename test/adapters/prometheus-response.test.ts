import { describe, expect, it } from "vitest";
import { parseQueryResponse } from "../../src/adapters/prometheus/client.ts";

const ok = (result: unknown, resultType = "vector") => JSON.stringify({ status: "success", data: { resultType, result } });

describe("parseQueryResponse", () => {
  it("reads a vector, including NaN and infinities as numbers", () => {
    const r = parseQueryResponse(
      200,
      ok([
        { metric: { le: "0.5" }, value: [1, "12"] },
        { metric: { le: "+Inf" }, value: [1, "NaN"] },
        { metric: {}, value: [1, "+Inf"] },
      ]),
    );
    expect(r.kind).toBe("vector");
    if (r.kind !== "vector") return;
    expect(r.samples.map((s) => s.value)).toEqual([12, NaN, Infinity]);
  });
  it("an empty vector is a vector, not an error", () => {
    expect(parseQueryResponse(200, ok([]))).toEqual({ kind: "vector", samples: [] });
  });
  it.each([
    [400, JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }), "BadQuery"],
    [422, JSON.stringify({ status: "error", errorType: "execution", error: "many-to-many" }), "BadQuery"],
    [503, JSON.stringify({ status: "error", errorType: "unavailable", error: "down" }), "HttpError"],
    [502, "<html>bad gateway</html>", "HttpError"],
    [200, "not json", "ParseError"],
    [401, "Unauthorized", "Unauthorized"],
    [200, ok([], "matrix"), "ParseError"],
    [200, ok([{ metric: {}, value: [1] }]), "ParseError"],
  ])("HTTP %d %s -> %s", (status, body, kind) => {
    const r = parseQueryResponse(status, body);
    expect(r.kind === "error" && r.error).toBe(kind);
  });
});
