// The Gateway API data plane of the canary tests (dataplane.ts): Traefik, built from its Go
// module, sends real HTTP requests to two model servers on 127.0.0.1 in the proportions of an
// HTTPRoute's backendRef weights, and follows a weight patch (what the operator will do).
import { createServer } from "node:http";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDataPlane, type BackendRef, type DataPlane } from "../stage/dataplane.ts";
import { apply, createNamespace, deleteNamespace, getJson, kubectlOk, waitFor } from "../stage/index.ts";

interface CountingServer {
  name: string;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that counts its requests and answers with its name. */
async function countingServer(name: string): Promise<CountingServer> {
  const counter = { hits: 0 };
  const server = createServer((_req, res) => {
    counter.hits++;
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    name,
    port,
    get hits() {
      return counter.hits;
    },
    set hits(n: number) {
      counter.hits = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let ns: string;
let dp: DataPlane | undefined;
let stable: CountingServer;
let canary: CountingServer;
let refs: { stable: BackendRef; canary: BackendRef };
const agent = new Agent({ connections: 8 });

/** One request through the Gateway: the answering backend's name, or `HTTP <status>`. */
async function once(): Promise<string> {
  const res = await request(`${dp!.url}/predict`, { dispatcher: agent });
  const body = await res.body.text();
  return res.statusCode === 200 ? body : `HTTP ${res.statusCode}`;
}

/** `n` requests, 8 at a time; answers counted by who answered. */
async function send(n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let left = n;
  const worker = async () => {
    while (left > 0) {
      left--;
      const who = await once();
      counts[who] = (counts[who] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return counts;
}

const rules = (stableWeight: number, canaryWeight: number) => [
  {
    backendRefs: [
      { ...refs.stable, weight: stableWeight },
      { ...refs.canary, weight: canaryWeight },
    ],
  },
];

beforeAll(async () => {
  ns = await createNamespace("dataplane");
  dp = await startDataPlane({ namespace: ns });
  stable = await countingServer("stable");
  canary = await countingServer("canary");
  refs = { stable: await dp.backend("model-stable", stable.port), canary: await dp.backend("model-canary", canary.port) };
});

afterAll(async () => {
  const pid = dp?.pid;
  await dp?.stop();
  await agent.close();
  await stable?.close();
  await canary?.close();
  await deleteNamespace(ns);
  // stop() leaves no process behind
  if (pid !== undefined) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
});

describe("the Traefik Gateway API data plane", () => {
  it("splits 1,000 requests by the HTTPRoute's weights (90/10)", async () => {
    const route = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "model", namespace: ns },
      spec: { parentRefs: [dp!.parentRef], rules: rules(90, 10) },
    };
    const r = await apply(route);
    expect(r.stderr).toBe("");
    await waitFor("HTTPRoute accepted by traefik with its refs resolved", async () => {
      const got = await getJson<{ status?: { parents?: { controllerName: string; conditions: { type: string; status: string }[] }[] } }>(
        "httproute",
        "model",
        ns,
      );
      const parent = got.status?.parents?.find((p) => p.controllerName === "traefik.io/gateway-controller");
      return ["Accepted", "ResolvedRefs"].every((t) => parent?.conditions.some((c) => c.type === t && c.status === "True"));
    });
    await waitFor("the route to answer through the Gateway", async () => ["stable", "canary"].includes(await once()), 30_000, 100);
    stable.hits = 0;
    canary.hits = 0;

    const counts = await send(1000);
    console.log(`90/10 over 1000 requests: stable ${counts.stable ?? 0}, canary ${counts.canary ?? 0} (answers ${JSON.stringify(counts)})`);
    expect(counts).toEqual({ stable: stable.hits, canary: canary.hits }); // every answer came from a backend, none failed
    expect(stable.hits + canary.hits).toBe(1000);
    const sd = Math.sqrt(1000 * 0.9 * 0.1); // binomial, about 9.5
    expect(Math.abs(canary.hits - 100)).toBeLessThanOrEqual(4 * sd);
  });

  it("follows a weight patch (0/100): after it takes effect every request goes to the second backend", async () => {
    const t0 = performance.now();
    await kubectlOk(["patch", "httproute", "model", "-n", ns, "--type=merge", "-p", JSON.stringify({ spec: { rules: rules(0, 100) } })]);
    const patched = performance.now();
    // The new split has taken effect at the first request of a run of 20 that all reach the
    // canary (under 90/10 that run has probability 1e-20).
    let runStart: number | undefined;
    let run = 0;
    await waitFor(
      "the weight patch to take effect",
      async () => {
        const sentAt = performance.now();
        if ((await once()) === "canary") {
          if (run++ === 0) runStart = sentAt;
        } else {
          run = 0;
        }
        return run >= 20;
      },
      30_000,
      0,
    );
    const tookEffect = runStart! - patched;
    console.log(
      `weight patch took effect ${tookEffect.toFixed(0)} ms after kubectl patch returned (${(runStart! - t0).toFixed(0)} ms after it started; the patch call took ${(patched - t0).toFixed(0)} ms)`,
    );

    stable.hits = 0;
    canary.hits = 0;
    const counts = await send(200);
    expect(counts).toEqual({ canary: 200 });
    expect({ stable: stable.hits, canary: canary.hits }).toEqual({ stable: 0, canary: 200 });
  });
});
