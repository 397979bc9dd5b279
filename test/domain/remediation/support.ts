/** The parts of a rendered Job manifest the tests look at. */
export interface RenderedJob {
  metadata: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: Record<string, unknown>[];
  };
  spec: {
    activeDeadlineSeconds?: number;
    futureField?: unknown;
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { containers: { env: { name: string; value: string }[] }[] };
    };
  };
}
