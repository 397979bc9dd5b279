import { describe, expect, it } from "vitest";
import { parseMonitorSpec } from "../../../src/domain/monitor/spec-cache.ts";

describe("the parsed spec, once per spec object", () => {
  const text = () => ({ model: { name: "fraud" }, signals: [{ name: "accuracy", classification: { metric: "p_total" } }] });

  it("parses a spec object once and answers the same result after", () => {
    const spec = text();
    const first = parseMonitorSpec(spec);
    expect(first.success).toBe(true);
    expect(parseMonitorSpec(spec)).toBe(first);
    // another object (the watch's next version of the monitor) is parsed afresh
    const next = parseMonitorSpec(text());
    expect(next).not.toBe(first);
    expect(next.data).toEqual(first.data);
  });

  it("freezes the shared result, so no caller can change it for the next one", () => {
    const parsed = parseMonitorSpec(text());
    expect(() => (parsed.data?.signals as unknown[]).push({})).toThrow(TypeError);
    expect(Object.isFrozen(parsed.data?.model)).toBe(true);
  });

  it("reports an invalid spec as the schema does, and parses a missing one as {}", () => {
    const bad = parseMonitorSpec({ model: {} });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["model", "name"]);
    expect(parseMonitorSpec(undefined).success).toBe(false);
  });
});
