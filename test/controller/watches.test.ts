import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/controller.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";
import { WatchRouter, type WatchEvent, type WatchRegistration } from "../../src/controller/watches.ts";

const obj = (name: string, generation = 1): KubeObject => ({ metadata: { name, namespace: "ns", uid: name, generation }, spec: { g: generation } });
const controller = () => new Controller({ reconciler: { reconcile: async () => ({}) }, workers: 1, log: pino({ level: "silent" }) });

describe("WatchRouter", () => {
  it("stores in the owner, then records, then re-queues the mapped keys in the named controllers", () => {
    const owner = controller();
    const other = controller();
    const seen: string[] = [];
    const registration: WatchRegistration = {
      name: "things",
      resource: { group: "g", version: "v1", plural: "things" },
      owner,
      record: (e) => seen.push(`${e.type}:${e.object.metadata.name}:${e.type === "upsert" ? (e.previous?.metadata.generation ?? "-") : "-"}:${owner.size}`),
      map: (e: WatchEvent<KubeObject>) => [{ controller: "other", key: `ns/for-${e.object.metadata.name}` }],
    };
    const handlers = new WatchRouter({ owner, other }, pino({ level: "silent" })).handlers(registration);
    handlers.upsert(obj("a"));
    handlers.upsert(obj("a", 2));
    expect(seen).toEqual(["upsert:a:-:1", "upsert:a:1:1"]);
    expect(owner.get("ns/a")?.metadata.generation).toBe(2);
    expect(owner.queue.length).toBe(1); // the owner queues its own spec changes
    expect(other.queue.length).toBe(1); // ns/for-a, deduplicated
    handlers.remove(obj("a", 2));
    expect(owner.size).toBe(0);
    expect(seen.at(-1)).toBe("remove:a:-:0");
    owner.queue.shutdown();
    other.queue.shutdown();
  });

  it("a mapping naming an unknown controller is logged and skipped, never thrown into the informer", () => {
    const lines: string[] = [];
    const log = pino({ level: "error" }, { write: (l: string) => void lines.push(l) });
    const handlers = new WatchRouter({}, log).handlers({
      name: "x",
      resource: { group: "g", version: "v1", plural: "x" },
      map: () => [{ controller: "nobody", key: "ns/a" }],
    });
    expect(() => handlers.upsert(obj("a"))).not.toThrow();
    expect(lines.join("")).toMatch(/names no registered controller/);
  });
});
