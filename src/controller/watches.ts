// Watches declared as data (controller-runtime's For / Watches with a map function): a
// registration names a resource, optionally a label selector, the controller that owns it,
// the caches its events keep, and a pure function from an event to the keys it re-queues.
// main.ts only turns each registration into an informer; the router does the rest.
import type { Logger } from "pino";
import type { ResourceType } from "../ports.ts";
import type { Controller } from "./controller.ts";
import { objectKey, type KubeObject } from "./reconciler.ts";

export type WatchEvent<T> = { type: "upsert"; object: T; previous: T | undefined } | { type: "remove"; object: T };

/** One key to re-queue in one controller, now or after a delay (to coalesce bursts). */
export interface Enqueue {
  controller: string;
  key: string;
  afterMs?: number;
}

export interface WatchRegistration<T extends KubeObject = KubeObject> {
  /** For logs. */
  name: string;
  resource: ResourceType;
  labelSelector?: string;
  /**
   * Trims each object in place to what the caches and mappings read, before anything sees it:
   * the informer keeps the same object, so what is dropped here is not held at all.
   */
  slim?(object: T): void;
  /** The controller whose own resource this is ("For"): it stores every object and queues spec changes. */
  owner?: Controller<T>;
  /** Caches and indexes that follow the events (a Job cache, a monitors-by-policy index). */
  record?(event: WatchEvent<T>): void;
  /** Keys of other controllers' objects that an event concerns ("Watches" with a map function). Pure. */
  map?(event: WatchEvent<T>): Enqueue[];
}

/** Delivers watch events: the owner's store first, then the caches, then the mapped re-queues. */
export class WatchRouter {
  private readonly controllers: ReadonlyMap<string, Controller<KubeObject>>;
  private readonly log: Logger;
  constructor(controllers: Record<string, Controller<KubeObject>>, log: Logger) {
    this.controllers = new Map(Object.entries(controllers));
    this.log = log;
  }

  handlers<T extends KubeObject>(registration: WatchRegistration<T>): { upsert(obj: T): void; remove(obj: T): void } {
    return {
      upsert: (object) => {
        registration.slim?.(object);
        const previous = registration.owner?.get(objectKey(object));
        registration.owner?.upsert(object);
        this.deliver(registration, { type: "upsert", object, previous });
      },
      remove: (object) => {
        registration.slim?.(object);
        registration.owner?.remove(object);
        this.deliver(registration, { type: "remove", object });
      },
    };
  }

  private deliver<T extends KubeObject>(registration: WatchRegistration<T>, event: WatchEvent<T>): void {
    registration.record?.(event);
    for (const e of registration.map?.(event) ?? []) {
      const controller = this.controllers.get(e.controller);
      if (!controller) {
        this.log.error({ watch: registration.name, controller: e.controller }, "a watch mapping names no registered controller");
        continue;
      }
      if (e.afterMs !== undefined) controller.queue.addAfter(e.key, e.afterMs);
      else controller.queue.add(e.key);
    }
  }
}
