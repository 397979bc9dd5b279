// What setting up a controller takes and gives (kubebuilder's SetupWithManager): each controller
// has a setup function beside its reconciler that builds the reconciler from its ports, the
// Controller that runs it, and the watches that feed it. main.ts calls one per controller.
import type { Logger } from "pino";
import { GROUP, VERSION } from "../api/v1alpha1/common.ts";
import type { ClusterPorts, Clock, EventSink, MonitorTelemetry, ResourceType } from "../ports.ts";
import type { JobLimits } from "../domain/remediation/job-limits.ts";
import type { MetricsSourceResolver } from "./modelmonitor.ts";
import type { RolloutTelemetry } from "./modelrollout.ts";
import type { Controller } from "./controller.ts";
import type { ControllerName } from "./controller-names.ts";
import type { ControllerStores } from "./stores.ts";
import type { WatchRegistration } from "./watches.ts";

/** What every controller shares. */
export interface SetupContext {
  log: Logger;
  clock: Clock;
  events: EventSink;
  /** The caches the controllers read each other's objects from. */
  stores: ControllerStores;
  /** Counts a failed reconcile. */
  onError(): void;
  /** The cluster the reconcilers read and write. */
  cluster: ClusterPorts;
  /** The metrics source of each monitor: the operator's default or its own spec.source. */
  resolveSource: MetricsSourceResolver;
  /** The service accounts and images retraining Jobs may use (JOB_ALLOWED_*): both controllers of retraining apply them. */
  jobLimits: JobLimits;
  /** REQUIRE_TARGET_OPT_IN: rollouts change serving objects only while they carry the opt-in label. */
  requireTargetOptIn: boolean;
  telemetry: OperatorTelemetry;
}

/** What the controllers report to the operator's metrics (adapters/telemetry.ts). */
export type OperatorTelemetry = MonitorTelemetry & RolloutTelemetry & { forgetRollout(namespace: string, name: string): void };

/** The resource of one of the operator's own kinds. */
export const ownResource = (plural: string): ResourceType => ({ group: GROUP, version: VERSION, plural });

export interface ControllerSetup {
  name: ControllerName;
  controller: Controller;
  /** The watches feeding this controller's store, its caches and its mappings. */
  registrations: WatchRegistration[];
}

/** Workers per controller where the operator's configuration does not say (WORKERS sets the monitors'). */
export const DEFAULT_WORKERS = {
  /** A rollout reconcile waits on the route and the Deployments: a few in parallel. */
  modelRollout: 4,
  /** A policy reconcile only summarises its monitors from the caches. */
  retrainPolicy: 2,
} as const;
