// A model's Deployment as the local cluster runs it (on kwok's node): one container told its model
// version and URI by the env vars a ModelMonitor's spec.serving.modelEnv names by default. Used by
// the rollout tests, the demo, the rollback benchmark and the Argo CD fixture capture.
export interface ModelDeploymentOptions {
  namespace: string;
  name: string;
  version: string;
  /** Default s3://models/<version>. */
  uri?: string;
  image?: string;
  /** The node the pod is pinned to (kwok's). */
  node?: string;
}

export const modelDeployment = (o: ModelDeploymentOptions) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: o.name, namespace: o.namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: o.name } },
    template: {
      metadata: { labels: { app: o.name } },
      spec: {
        nodeSelector: { "kubernetes.io/hostname": o.node ?? "kwok-node-0" },
        containers: [
          {
            name: "model",
            image: o.image ?? "registry.example/model-server:1",
            env: [
              { name: "MODEL_VERSION", value: o.version },
              { name: "MODEL_URI", value: o.uri ?? `s3://models/${o.version}` },
            ],
          },
        ],
      },
    },
  },
});

/** A served model's two Deployments, model-stable and model-candidate, both at `version` to begin with. */
export const stableAndCandidate = (namespace: string, version = "v1") => [
  modelDeployment({ namespace, name: "model-stable", version }),
  modelDeployment({ namespace, name: "model-candidate", version }),
];

/**
 * Istio's objects for host "model": a DestinationRule whose subsets stable and candidate are the
 * pods of those two Deployments, and a VirtualService whose route "predict" sends all to stable.
 */
export const istioModelRoute = (namespace: string) => [
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "model", namespace },
    spec: {
      host: "model",
      subsets: [
        { name: "stable", labels: { app: "model-stable" } },
        { name: "candidate", labels: { app: "model-candidate" } },
      ],
    },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "model", namespace },
    spec: {
      hosts: ["model"],
      http: [
        {
          name: "predict",
          route: [
            { destination: { host: "model", subset: "stable" }, weight: 100 },
            { destination: { host: "model", subset: "candidate" }, weight: 0 },
          ],
        },
      ],
    },
  },
];
