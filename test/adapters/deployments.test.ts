// What a Deployment says about the model it serves and whether it is ready.
import { describe, expect, it } from "vitest";
import { workloadStateOf } from "../../src/adapters/kubernetes/deployments.ts";

const env = { version: "MODEL_VERSION", uri: "MODEL_URI" };
const deployment = (status: Record<string, unknown>, generation = 2) => ({
  metadata: { generation },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "model", env: [{ name: "MODEL_VERSION", value: "v4" }, { name: "MODEL_URI", value: "s3://m/v4" }] }] } } },
  status,
});

describe("workloadStateOf", () => {
  it("reads the version and URI from the container's env", () => {
    const s = workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), env, "d");
    expect(s).toEqual({ found: true, version: "v4", uri: "s3://m/v4", ready: true, message: "Deployment d is ready" });
  });

  it("is not ready until the new spec is observed, updated and available everywhere", () => {
    expect(workloadStateOf(deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), env, "d").ready).toBe(false);
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }), env, "d").message).toMatch(/1 of 2 replicas updated/);
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), env, "d").message).toMatch(/old replicas/);
    expect(workloadStateOf(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), env, "d").message).toMatch(/1 of 2 replicas available/);
  });

  it("names a container that is not there", () => {
    expect(workloadStateOf(deployment({}), { ...env, container: "server" }, "d")).toMatchObject({ found: false, ready: false });
  });
});
