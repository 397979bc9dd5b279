// The controllers a watch mapping can re-queue keys in, by name.
export const CONTROLLER = {
  modelMonitor: "modelmonitor",
  retrainPolicy: "retrainpolicy",
  modelRollout: "modelrollout",
} as const;
export type ControllerName = (typeof CONTROLLER)[keyof typeof CONTROLLER];
