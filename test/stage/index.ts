// The shared test stage, for test files: the cluster helpers, the stage builder and its vitest hooks.
// (Scripts import the modules they need directly: this file pulls in vitest.)
export * from "./cluster.ts";
export * from "./stage.ts";
export * from "./vitest.ts";
export * from "./objects.ts";
