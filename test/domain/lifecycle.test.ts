import { describe, expect, it } from "vitest";
import { modelMonitorStatusSchema } from "../../src/api/v1alpha1/modelmonitor.ts";
import { evaluationDue } from "../../src/domain/lifecycle.ts";

const T = Date.parse("2026-11-01T00:00:00Z");
const status = (extra: Record<string, unknown> = {}) =>
  modelMonitorStatusSchema.parse({ observedGeneration: 3, lastEvaluationTime: new Date(T).toISOString(), ...extra });

describe("evaluationDue", () => {
  it.each([
    ["never evaluated", modelMonitorStatusSchema.parse({}), 3, {}, T, { due: true }],
    ["within the interval", status(), 3, {}, T + 20_000, { due: false, afterMs: 40_000 }],
    ["interval passed", status(), 3, {}, T + 60_000, { due: true }],
    ["spec changed", status(), 4, {}, T + 1_000, { due: true }],
    ["re-pin requested", status(), 3, { "modelguardian.dev/repin": "a" }, T + 1_000, { due: true }],
    ["re-pin already handled", status({ repinToken: "a" }), 3, { "modelguardian.dev/repin": "a" }, T + 1_000, { due: false, afterMs: 59_000 }],
    ["last evaluation in the future (clock skew)", status(), 3, {}, T - 5_000, { due: true }],
  ])("%s", (_, s, generation, annotations, now, expected) => {
    expect(evaluationDue(s, generation, annotations, 60_000, now)).toEqual(expected);
  });

  it.each([0, -1, Number.NaN, 10])("an interval of %d ms is never shorter than the 1 s floor", (interval) => {
    expect(evaluationDue(status(), 3, {}, interval, T + 100)).toEqual({ due: false, afterMs: 900 });
    expect(evaluationDue(status(), 3, {}, interval, T + 1_000)).toEqual({ due: true });
  });
});
