// The kwok node's heartbeat against kube-controller-manager's node-monitor grace period (see
// scripts/cluster/README.md, "Node heartbeat"): a Deployment on the simulated node becomes
// Available and stays Available, with the node Ready and its Lease renewed on time, for about
// two minutes. If the heartbeat were slower than the grace period the node controller would
// mark the node NotReady, and with it the node's pods, which kwok never makes Ready again:
// the rollout readiness gate would then wait forever.
import { describe, expect, it } from "vitest";
import { env, given, kubectl, kubectlOk, useStage, waitFor } from "../stage/index.ts";

const NODE = env.MG_NODE_NAME ?? "kwok-node-0";
const DEPLOYMENT = "model-server";
const REPLICAS = 2;
const WATCH_MS = 120_000;
const EVERY_MS = 3_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}
interface Node {
  kind: "Node";
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: Condition[] };
}
interface Deployment {
  kind: "Deployment";
  status?: { conditions?: Condition[]; replicas?: number; readyReplicas?: number; availableReplicas?: number; unavailableReplicas?: number };
}
interface Lease {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

const stage = useStage(given("node-ready"));

const condition = (obj: { status?: { conditions?: Condition[] } }, type: string) => obj.status?.conditions?.find((c) => c.type === type);
const show = (c: Condition | undefined) => (c ? JSON.stringify(c) : "absent");
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The node and the Deployment in one kubectl call (one process per poll, not two). */
async function nodeAndDeployment(): Promise<{ node: Node; deployment: Deployment }> {
  const list = JSON.parse(await kubectlOk(["get", `node/${NODE}`, `deployment/${DEPLOYMENT}`, "-n", stage.ns, "-o", "json"])) as {
    items: (Node | Deployment)[];
  };
  const node = list.items.find((i): i is Node => i.kind === "Node");
  const deployment = list.items.find((i): i is Deployment => i.kind === "Deployment");
  if (!node || !deployment) throw new Error(`kubectl get returned ${list.items.map((i) => i.kind).join(", ")}`);
  return { node, deployment };
}

async function nodeLease(): Promise<Lease | undefined> {
  const r = await kubectl(["get", "lease", NODE, "-n", "kube-node-lease", "-o", "json"]);
  if (r.code === 0) return JSON.parse(r.stdout) as Lease;
  if (/NotFound/.test(r.stderr)) return undefined;
  throw new Error(`kubectl get lease ${NODE} -n kube-node-lease failed: ${r.stderr}`);
}

describe("the kwok node keeps its heartbeat within the node-monitor grace period", () => {
  it("a Deployment on the kwok node becomes Available", async () => {
    await kubectlOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: DEPLOYMENT, namespace: stage.ns },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: DEPLOYMENT } },
          // no replica may be unavailable: Available=True then means every replica is Ready
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: { app: DEPLOYMENT } },
            spec: {
              nodeSelector: { "kubernetes.io/hostname": NODE },
              containers: [{ name: "model", image: "registry.example/model-server:1" }],
            },
          },
        },
      }),
    );
    const available = await waitFor(
      `Deployment ${stage.ns}/${DEPLOYMENT} Available with ${REPLICAS} ready replicas`,
      async () => {
        const { deployment } = await nodeAndDeployment();
        return condition(deployment, "Available")?.status === "True" && deployment.status?.readyReplicas === REPLICAS && deployment;
      },
      60_000,
      500,
    );
    expect(available.status?.availableReplicas).toBe(REPLICAS);
    const pods = JSON.parse(await kubectlOk(["get", "pods", "-n", stage.ns, "-l", `app=${DEPLOYMENT}`, "-o", "json"])) as {
      items: { spec: { nodeName?: string } }[];
    };
    expect(pods.items.map((p) => p.spec.nodeName)).toEqual(Array(REPLICAS).fill(NODE));
  });

  it(
    `stays Available with the node Ready and its Lease renewed on time for ${WATCH_MS / 1000} s`,
    async () => {
      // What cluster:up configured (exported in .local/env): kwok renews the Lease every
      // quarter of its duration; kube-controller-manager waits the grace period before NotReady.
      const graceSeconds = Number(env.MG_NODE_MONITOR_GRACE_SECONDS);
      const started = Date.now();
      const renewals: number[] = []; // distinct Lease renewTimes seen, ms since epoch
      const statusHeartbeats: number[] = []; // distinct Ready lastHeartbeatTimes seen
      let maxRenewSeconds: number | undefined; // the longest a renewal may take: from the Lease
      let polls = 0;
      while (Date.now() - started < WATCH_MS) {
        polls++;
        const at = `after ${seconds(Date.now() - started)} s (poll ${polls})`;
        const [{ node, deployment }, lease] = await Promise.all([nodeAndDeployment(), nodeLease()]);
        const renewTime = lease?.spec?.renewTime;
        const evidence =
          `Lease kube-node-lease/${NODE}: ${lease ? JSON.stringify(lease.spec) : "absent"}; ` +
          `Ready heartbeats seen at ${statusHeartbeats.map((t) => seconds(t - started)).join(", ")} s; ` +
          `kube-controller-manager --node-monitor-grace-period: ${graceSeconds || "unknown"} s`;

        const ready = condition(node, "Ready");
        expect(ready?.status, `${at} node ${NODE} is not Ready: ${show(ready)}; ${evidence}`).toBe("True");
        const taints = (node.spec?.taints ?? []).filter((t) => /^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(t.key));
        expect(taints, `${at} node ${NODE} carries the node controller's taints; ${evidence}`).toEqual([]);
        const available = condition(deployment, "Available");
        expect(
          available?.status,
          `${at} Deployment ${stage.ns}/${DEPLOYMENT} is not Available: ${show(available)}, ` +
            `ready ${deployment.status?.readyReplicas ?? 0}/${REPLICAS}; ${evidence}`,
        ).toBe("True");
        expect(deployment.status?.readyReplicas, `${at} Deployment ${stage.ns}/${DEPLOYMENT} has unready replicas; ${evidence}`).toBe(REPLICAS);

        expect(renewTime, `${at} the node has no renewed Lease (kwok started without --node-lease-duration-seconds?); ${evidence}`).toBeTruthy();
        const durationSeconds = lease?.spec?.leaseDurationSeconds ?? 0;
        // kwok renews every leaseDuration/4 (±4 % jitter); allow three renewal intervals
        maxRenewSeconds = (3 * durationSeconds) / 4;
        const renewed = Date.parse(renewTime as string);
        if (renewed !== renewals.at(-1)) renewals.push(renewed);
        const heartbeat = Date.parse(ready?.lastHeartbeatTime ?? "");
        if (Number.isFinite(heartbeat) && heartbeat !== statusHeartbeats.at(-1)) statusHeartbeats.push(heartbeat);
        const age = (Date.now() - renewed) / 1000;
        expect(age, `${at} the node's Lease was last renewed ${age.toFixed(1)} s ago, limit ${maxRenewSeconds} s; ${evidence}`).toBeLessThanOrEqual(
          maxRenewSeconds,
        );

        await sleep(EVERY_MS);
      }

      const gaps = renewals.slice(1).map((t, i) => (t - (renewals[i] as number)) / 1000);
      console.log(
        `node ${NODE}: ${polls} polls in ${seconds(Date.now() - started)} s; Lease renewals seen ${renewals.length}, ` +
          `gaps min/max ${Math.min(...gaps).toFixed(1)}/${Math.max(...gaps).toFixed(1)} s; ` +
          `Ready heartbeats seen ${statusHeartbeats.length}; grace period ${graceSeconds} s`,
      );
      const limit = maxRenewSeconds as number;
      // the Lease advanced all along, never more than `limit` apart
      expect(renewals.length).toBeGreaterThanOrEqual(Math.floor(WATCH_MS / 1000 / limit));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(limit);
      // and that limit leaves kube-controller-manager's grace period a wide margin
      expect(graceSeconds, "MG_NODE_MONITOR_GRACE_SECONDS in .local/env").toBeGreaterThan(0);
      expect(limit * 2).toBeLessThanOrEqual(graceSeconds);
    },
    WATCH_MS + 45_000,
  );
});
