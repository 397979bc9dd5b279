// What a Deployment says about the model it serves and whether it is ready.
import { describe, expect, it } from "vitest";
import { parkPatch, workloadStateOf } from "../../src/adapters/kubernetes/deployments.ts";
import { PARKED_REPLICAS_ANNOTATION } from "../../src/domain/rollout/names.ts";

const env = { version: "MODEL_VERSION", uri: "MODEL_URI" };
const deployment = (status: Record<string, unknown>, generation = 2) => ({
  metadata: { generation },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          {
            name: "model",
            env: [
              { name: "MODEL_VERSION", value: "v4" },
              { name: "MODEL_URI", value: "s3://m/v4" },
            ],
          },
        ],
      },
    },
  },
  status,
});

describe("workloadStateOf", () => {
  it("reads the version and URI from the container's env", () => {
    const s = workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), env, "d");
    expect(s).toEqual({ found: true, version: "v4", uri: "s3://m/v4", ready: true, parked: false, message: "Deployment d is ready" });
  });

  it("is not ready until the new spec is observed, updated and available everywhere", () => {
    expect(workloadStateOf(deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), env, "d").ready).toBe(false);
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }), env, "d").message).toMatch(
      /1 of 2 replicas updated/,
    );
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), env, "d").message).toMatch(
      /old replicas/,
    );
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), env, "d").message).toMatch(
      /1 of 2 replicas available/,
    );
  });

  it("names a container that is not there", () => {
    expect(workloadStateOf(deployment({}), { ...env, container: "server" }, "d")).toMatchObject({ found: false, ready: false });
  });
});

describe("a candidate Deployment scaled to zero between rollouts", () => {
  const scaled = (replicas: number, kept?: string) => ({
    metadata: { generation: 3, ...(kept !== undefined ? { annotations: { [PARKED_REPLICAS_ANNOTATION]: kept } } : {}) },
    spec: { replicas, template: { spec: { containers: [{ name: "model", env: [{ name: "MODEL_VERSION", value: "v4" }] }] } } },
    status: { observedGeneration: 3, replicas: 0, updatedReplicas: 0, availableReplicas: 0 },
  });

  it("reads as parked, and never as ready, only with zero replicas and the annotation the operator wrote", () => {
    expect(workloadStateOf(scaled(0, "3"), env, "d")).toMatchObject({ found: true, parked: true, ready: false, version: "v4" });
    expect(workloadStateOf(scaled(0), env, "d")).toMatchObject({ parked: false }); // a person's zero is theirs
    expect(workloadStateOf(scaled(2, "3"), env, "d")).toMatchObject({ parked: false, ready: false });
  });

  it("is parked and woken by one merge patch each, which keeps the count and changes nothing when repeated", () => {
    expect(parkPatch(scaled(3), true)).toEqual({ metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: "3" } }, spec: { replicas: 0 } });
    expect(parkPatch(scaled(0, "3"), true)).toBeUndefined();
    expect(parkPatch(scaled(0, "3"), false)).toEqual({ metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: null } }, spec: { replicas: 3 } });
    expect(parkPatch(scaled(3), false)).toBeUndefined();
    // scaled up by a person meanwhile: their count stays, the annotation goes
    expect(parkPatch(scaled(5, "3"), false)).toEqual({ metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: null } } });
    // an annotation that is not a count: one replica
    expect(parkPatch(scaled(0, "x"), false)).toMatchObject({ spec: { replicas: 1 } });
  });
});
