// The shared test stage: one typed builder for what an integration test stands up before it acts,
// read as Argo Rollouts' e2e reads its Given():
//
//   const stage = useStage(given("report").withModel({ model, version: "v1", segments, seed: 7 }).withOperator());
//   it("…", async () => { await apply(monitor(stage.ns)); … metricSum(stage.operator, …) … });
//
// up() builds a namespace of its own, then each part in the order the builder was told: simulated
// models Prometheus scrapes, Traefik as the Gateway API data plane, objects, steps of the file's
// own, the operator as a real process (`node src/main.ts`, the shipped ServiceAccount). down()
// stops the operator and takes away what was built, last first; a part that failed to build leaves
// nothing to take down. No vitest in here: test/stage/vitest.ts ties a stage to beforeAll/afterAll,
// and a script can call up() and down() itself.
import type { ModelServerOptions } from "../../sim/behaviour.ts";
import type { ModelServer } from "../../sim/model-server.ts";
import { apply, createNamespace, deleteNamespace, startOperator, startScrapedModel, stopScrapedModel, type Operator } from "./cluster.ts";
import { startDataPlane, type DataPlane, type DataPlaneOptions } from "./dataplane.ts";

export interface OperatorOptions {
  /** The name of its log, .local/logs/operator-<name>.log (default: the namespace), or a function of the namespace giving it. */
  name?: string | ((ns: string) => string);
  /** Environment on top of startOperator's defaults (a KUBECONFIG here replaces the shipped identity), or a function giving it when the operator starts. */
  env?: Record<string, string> | (() => Record<string, string>);
  /** Another checkout (an unpacked image) to run src/main.ts from. */
  root?: string;
}

/** A part of the stage: runs in up() in the order given; a function it returns is its teardown, run by down(). */
export type StageStep = (stage: Stage) => Promise<unknown>;

export class Stage {
  readonly #prefix: string;
  /** What up() does, in the order the builder was told; each part may leave its teardown. */
  readonly #parts: StageStep[] = [];
  readonly #teardowns: (() => unknown)[] = [];
  #ns: string | undefined;
  #operator: Operator | undefined;
  #dataPlane: DataPlane | undefined;
  /** The simulated model servers, in the order given. */
  readonly sims: ModelServer[] = [];

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** A simulated model server that the local Prometheus scrapes (up() waits for its first scrape). */
  withModel(options: ModelServerOptions): this {
    return this.withStep(async (s) => {
      const sim = await startScrapedModel(options);
      s.sims.push(sim);
      return () => stopScrapedModel(sim, options.model);
    });
  }

  /** Objects applied in the stage's namespace (kubectl apply, as users do); `objects` may read the namespace. */
  withObjects(objects: (ns: string) => unknown[]): this {
    return this.withStep(async (s) => {
      for (const o of objects(s.ns)) {
        const r = await apply(o);
        if (r.code !== 0) throw new Error(`applying ${(o as { kind?: string }).kind}: ${r.stderr}`);
      }
    });
  }

  /** Anything else the stage needs, in order; what it returns is called by down(). */
  withStep(step: StageStep): this {
    this.#parts.push(step);
    return this;
  }

  /** The Gateway API router's data plane: Traefik, a real one, for the stage's namespace (test/stage/dataplane.ts). */
  withDataPlane(options: Omit<DataPlaneOptions, "namespace"> = {}): this {
    return this.withStep(async (s) => {
      s.#dataPlane = await startDataPlane({ namespace: s.ns, ...options });
      return () => s.#dataPlane?.stop();
    });
  }

  /** The operator as a real process watching the stage's namespace; down() stops the one running then. */
  withOperator(options: OperatorOptions = {}): this {
    return this.withStep(async (s) => {
      const { name, env = {}, root } = options;
      s.#operator = await startOperator([s.ns], typeof name === "function" ? name(s.ns) : (name ?? s.ns), typeof env === "function" ? env() : env, root);
      return () => s.#operator?.stop();
    });
  }

  get ns(): string {
    if (this.#ns === undefined) throw new Error(`stage ${this.#prefix}: no namespace before up()`);
    return this.#ns;
  }

  /** The first simulated model server. */
  get sim(): ModelServer {
    const sim = this.sims[0];
    if (!sim) throw new Error(`stage ${this.#prefix}: no simulated model`);
    return sim;
  }

  get dataPlane(): DataPlane {
    if (!this.#dataPlane) throw new Error(`stage ${this.#prefix}: no data plane`);
    return this.#dataPlane;
  }

  get operator(): Operator {
    if (!this.#operator) throw new Error(`stage ${this.#prefix}: no operator`);
    return this.#operator;
  }

  /** A test that stops the operator and starts another leaves it here, so down() stops that one. */
  set operator(operator: Operator) {
    this.#operator = operator;
  }

  /** Builds the namespace, then each part in the order given. */
  async up(): Promise<this> {
    this.#ns = await createNamespace(this.#prefix);
    for (const part of this.#parts) {
      const teardown = await part(this);
      if (typeof teardown === "function") this.#teardowns.unshift(teardown as () => unknown);
    }
    return this;
  }

  /** Stops the operator, takes down what up() built, last first, then deletes the namespace. */
  async down(): Promise<void> {
    // first, whoever started it: a test may have put an operator of its own in place
    await this.#operator?.stop();
    for (const teardown of this.#teardowns.splice(0)) await teardown();
    if (this.#ns) await deleteNamespace(this.#ns);
  }
}

/** A stage whose namespace's name starts with `prefix`. */
export const given = (prefix: string): Stage => new Stage(prefix);
