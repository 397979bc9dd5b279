// Secrets read on demand (metrics source credentials, webhook URLs): never cached or watched.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

/** A Secret's keys as strings, with the labels and annotations that say what it may be used for. */
export interface SecretContents {
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Reads a Secret; undefined when it does not exist. */
export async function readSecretContents(kc: KubeConfig, namespace: string, name: string): Promise<SecretContents | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  try {
    const secret = await api.readNamespacedSecret({ namespace, name });
    return {
      data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])),
      labels: secret.metadata?.labels ?? {},
      annotations: secret.metadata?.annotations ?? {},
    };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Reads the keys of a Secret as strings; undefined when it does not exist. */
export async function readSecret(kc: KubeConfig, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  return (await readSecretContents(kc, namespace, name))?.data;
}
