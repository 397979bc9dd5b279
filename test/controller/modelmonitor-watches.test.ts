import { describe, expect, it } from "vitest";
import { Index, JobCache } from "../../src/controller/jobcache.ts";
import { jobEventMap, jobWatch, monitorEventMap, modelMonitorWatch } from "../../src/controller/modelmonitor-watches.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { WatchRouter } from "../../src/controller/watches.ts";
import { jobViewOf } from "../../src/domain/remediation/job.ts";
import { pino } from "pino";

const monitor = (policy?: string, generation = 1): KubeObject => ({
  metadata: { name: "m", namespace: "ns", uid: "u1", generation },
  spec: policy ? { policyRef: { name: policy } } : {},
});
const job = (policy?: string): KubeObject =>
  ({
    metadata: {
      name: "m-retrain-abc-1",
      namespace: "ns",
      uid: "j1",
      creationTimestamp: "2026-11-22T10:00:00Z",
      labels: {
        "app.kubernetes.io/managed-by": "model-guardian",
        "modelguardian.dev/purpose": "retrain",
        "modelguardian.dev/action": "retrain",
        ...(policy ? { "modelguardian.dev/policy": policy } : {}),
      },
      ownerReferences: [{ kind: "ModelMonitor", name: "m", uid: "u1", controller: true }],
    },
  }) as KubeObject;
const withStatus = (o: KubeObject, status: unknown): KubeObject => ({ ...o, status });
const touch = (name: string) => ({ controller: "retrainpolicy", key: `ns/${name}`, afterMs: 1000 });

describe("monitor events", () => {
  it.each([
    ["a new monitor re-summarises its policy", { type: "upsert" as const, object: monitor("p"), previous: undefined }, [touch("p")]],
    ["a monitor without a policy concerns no policy", { type: "upsert" as const, object: monitor(), previous: undefined }, []],
    [
      "an evaluation's status write does not re-summarise the policy",
      {
        type: "upsert" as const,
        object: withStatus(monitor("p"), { health: "Critical", signals: [{ name: "a", value: 0.7 }] }),
        previous: withStatus(monitor("p"), { health: "Healthy", signals: [{ name: "a", value: 0.9 }] }),
      },
      [],
    ],
    [
      "a new action in its history does",
      {
        type: "upsert" as const,
        object: withStatus(monitor("p"), { remediation: { history: [{ job: "j2" }, { job: "j1" }] } }),
        previous: withStatus(monitor("p"), { remediation: { history: [{ job: "j1" }] } }),
      },
      [touch("p")],
    ],
    [
      "an action's outcome does",
      {
        type: "upsert" as const,
        object: withStatus(monitor("p"), { remediation: { history: [{ job: "j1", outcome: "Succeeded" }] } }),
        previous: withStatus(monitor("p"), { remediation: { history: [{ job: "j1", outcome: "Active" }] } }),
      },
      [touch("p")],
    ],
    [
      "a monitor moving to another policy re-summarises both",
      { type: "upsert" as const, object: monitor("q", 2), previous: monitor("p") },
      [touch("q"), touch("p")],
    ],
    [
      "a monitor leaving its policy re-summarises the old one",
      { type: "upsert" as const, object: monitor(undefined, 2), previous: monitor("p") },
      [touch("p")],
    ],
    ["a deleted monitor re-summarises its policy", { type: "remove" as const, object: monitor("p") }, [touch("p")]],
  ])("%s", (_, event, expected) => {
    expect(monitorEventMap(event)).toEqual(expected);
  });

  it("keep the monitors-by-policy index, and forget a deleted monitor's metrics", () => {
    const members = new Index();
    const forgotten: string[] = [];
    const watch = modelMonitorWatch({ monitors: undefined as never, members, forget: (ns, name) => forgotten.push(`${ns}/${name}`) });
    watch.record?.({ type: "upsert", object: monitor("p"), previous: undefined });
    expect(members.of("ns/p")).toEqual(["ns/m"]);
    watch.record?.({ type: "upsert", object: monitor("q", 2), previous: monitor("p") });
    expect([members.of("ns/p"), members.of("ns/q")]).toEqual([[], ["ns/m"]]);
    watch.record?.({ type: "remove", object: monitor("q", 2) });
    expect(members.of("ns/q")).toEqual([]);
    expect(forgotten).toEqual(["ns/m"]);
  });
});

describe("Job events", () => {
  it("re-queue the owning monitor and re-summarise the policy", () => {
    expect(jobEventMap({ type: "upsert", object: job("p"), previous: undefined })).toEqual([{ controller: "modelmonitor", key: "ns/m" }, touch("p")]);
    expect(jobEventMap({ type: "remove", object: job("p") })).toEqual([{ controller: "modelmonitor", key: "ns/m" }, touch("p")]);
  });
  it("of a Job without a policy re-queue only the monitor", () => {
    expect(jobEventMap({ type: "upsert", object: job(), previous: undefined })).toEqual([{ controller: "modelmonitor", key: "ns/m" }]);
  });
  it("of a Job that is not the operator's concern nobody", () => {
    expect(jobEventMap({ type: "upsert", object: { metadata: { name: "x", namespace: "ns", uid: "x", labels: {} } }, previous: undefined })).toEqual([]);
  });
  it("keep the Job cache, selected by the managed-by label", () => {
    const jobs = new JobCache();
    const watch = jobWatch({ jobs });
    expect(watch.labelSelector).toBe("app.kubernetes.io/managed-by=model-guardian");
    watch.record?.({ type: "upsert", object: job("p"), previous: undefined });
    expect(jobs.ofMonitor("ns", "u1").map((j) => j.name)).toEqual(["m-retrain-abc-1"]);
    watch.record?.({ type: "remove", object: job("p") });
    expect(jobs.size).toBe(0);
  });
  it("are slimmed to metadata and status before anything holds them, with the same view", () => {
    const full = withStatus(
      {
        ...job("p"),
        spec: {
          backoffLimit: 1,
          template: {
            spec: {
              restartPolicy: "Never",
              containers: [
                { name: "train", image: "registry.example/train:1", env: Array.from({ length: 50 }, (_, i) => ({ name: `V${i}`, value: "x".repeat(100) })) },
              ],
            },
          },
        },
      } as KubeObject,
      { succeeded: 1, completionTime: "2026-11-22T10:05:00Z", conditions: [{ type: "Complete", status: "True", lastTransitionTime: "2026-11-22T10:05:00Z" }] },
    );
    const view = jobViewOf(full);
    const handled: KubeObject[] = [];
    const router = new WatchRouter({}, pino({ level: "silent" }));
    const watch = { ...jobWatch({ jobs: new JobCache() }), record: (e: { object: KubeObject }) => void handled.push(e.object) };
    router.handlers(watch).upsert(full);
    // the informer's own object lost its spec (the pod template): nothing keeps it
    expect(full.spec).toBeUndefined();
    expect(handled[0]).toBe(full);
    expect(jobViewOf(full)).toEqual(view);
    expect(view?.phase).toBe("Succeeded");
  });
});
