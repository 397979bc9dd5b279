export * from "./common.ts";
export * from "./modelmonitor.ts";
export * from "./retrainpolicy.ts";
export * from "./rollout.ts";
