// A stage for one test file (or one describe block): built before its tests, taken down after them.
import { afterAll, beforeAll } from "vitest";
import type { Stage } from "./stage.ts";

export function useStage<S extends Stage>(stage: S, upTimeoutMs?: number): S {
  beforeAll(() => stage.up(), upTimeoutMs);
  afterAll(() => stage.down());
  return stage;
}
