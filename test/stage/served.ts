// A model served by two simulated model servers in served mode, one behind the stable Deployment
// and one behind the candidate's, both scraped by the local Prometheus (targets <model>-stable and
// <model>-candidate). The Deployments' pods run on kwok's node and answer nothing: the servers stand
// in for them, each playing the version its Deployment was last told (followDeployments), with the
// behaviour `behaviour` gives that version. A part of a stage: `.withStep(pair.step)`.
import type { SegmentBehaviour } from "../../sim/behaviour.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";
import { removePrometheusTarget, writePrometheusTarget } from "../../sim/targets.ts";
import { getJson, TARGETS_DIR } from "./cluster.ts";
import { followDeployments } from "./follow.ts";
import type { Stage } from "./stage.ts";

export interface ServedPairOptions {
  model: string;
  /** The servers' seeds: stable's, then the candidate's. */
  seeds: [number, number];
  /** How the servers' one segment, `a`, behaves at first (both play v1). */
  initial: Partial<SegmentBehaviour>;
  /** How a version behaves once a Deployment is told it. */
  behaviour(version: string): Partial<SegmentBehaviour>;
  /** The Deployments the servers stand in for (default model-stable, model-candidate). */
  deployments?: [string, string];
  /** Whether the follower knows from the start that both play v1 (it then acts on the first change only). */
  knownVersion?: boolean;
}

/** The version the Deployment's first container is told (MODEL_VERSION, as modelDeployment writes it). */
export const deploymentModelVersion = async (namespace: string, deployment: string) =>
  (
    await getJson<{ spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } } }>("deployment", deployment, namespace)
  ).spec.template.spec.containers[0]?.env?.find((e) => e.name === "MODEL_VERSION")?.value;

export class ServedPair {
  readonly #o: ServedPairOptions;
  #stable: ModelServer | undefined;
  #candidate: ModelServer | undefined;

  constructor(options: ServedPairOptions) {
    this.#o = options;
  }

  get stable(): ModelServer {
    if (!this.#stable) throw new Error("the served pair is not started");
    return this.#stable;
  }

  get candidate(): ModelServer {
    if (!this.#candidate) throw new Error("the served pair is not started");
    return this.#candidate;
  }

  /** Starts the two servers and their Prometheus targets; the teardown closes them. */
  readonly servers = async () => {
    const { model, seeds, initial } = this.#o;
    this.#stable = await startModelServer({ model, version: "v1", segments: { a: initial }, traffic: "served", seed: seeds[0] });
    this.#candidate = await startModelServer({ model, version: "v1", segments: { a: initial }, traffic: "served", seed: seeds[1] });
    await writePrometheusTarget(TARGETS_DIR, `${model}-stable`, this.#stable.port);
    await writePrometheusTarget(TARGETS_DIR, `${model}-candidate`, this.#candidate.port);
    return async () => {
      await this.#stable?.close();
      await this.#candidate?.close();
      await removePrometheusTarget(TARGETS_DIR, `${model}-stable`);
      await removePrometheusTarget(TARGETS_DIR, `${model}-candidate`);
    };
  };

  /** Makes each server play what its Deployment is told from now on; the teardown stops following. */
  readonly follow = async (stage: Stage) => {
    const [stableDeployment, candidateDeployment] = this.#o.deployments ?? ["model-stable", "model-candidate"];
    const version = this.#o.knownVersion ? { version: "v1" } : {};
    const follower = followDeployments({
      servers: [
        { server: this.stable, deployment: stableDeployment, ...version },
        { server: this.candidate, deployment: candidateDeployment, ...version },
      ],
      readVersion: (deployment) => deploymentModelVersion(stage.ns, deployment),
      onVersion: (server, v) => server.setBehaviour(this.#o.behaviour(v)),
    });
    return () => follower.stop();
  };
}
