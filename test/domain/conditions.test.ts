import { describe, expect, it } from "vitest";
import { ownedStatus, withOwnedStatus } from "../../src/domain/conditions.ts";

describe("status ownership", () => {
  const owner = { fields: ["health", "conditions", "findings"], conditionTypes: ["Ready", "Degraded"] };
  const c = (type: string, status = "True") => ({ type, status, reason: "R", message: "", lastTransitionTime: "2026-11-01T00:00:00Z" });
  it("a controller's part is its fields and its own condition types", () => {
    const status = { health: "Healthy", rollout: { phase: "Progressing" }, conditions: [c("Ready"), c("RolloutProgressing"), c("Degraded")] };
    expect(ownedStatus(status, owner)).toEqual({ health: "Healthy", conditions: [c("Ready"), c("Degraded")] });
    expect(ownedStatus(undefined, owner)).toEqual({});
  });
  it("applying its part keeps every other writer's fields and conditions, and drops what it no longer writes", () => {
    const current = { health: "Healthy", findings: [1], rollout: { phase: "Progressing" }, conditions: [c("Ready"), c("RolloutProgressing")] };
    const owned = { health: "Critical", conditions: [c("Degraded"), c("Ready", "False")] };
    expect(withOwnedStatus(current, owned, owner)).toEqual({
      health: "Critical",
      rollout: { phase: "Progressing" },
      conditions: [c("Degraded"), c("Ready", "False"), c("RolloutProgressing")],
    });
  });
});
