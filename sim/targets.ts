// Prometheus file-based service discovery: the target file that makes the local Prometheus
// scrape a simulated model.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function targetPath(targetsDir: string, name: string): string {
  if (!TARGET_NAME.test(name)) throw new Error(`target name "${name}" must match ${TARGET_NAME.source}`);
  return path.join(targetsDir, `${name}.json`);
}

/**
 * Writes <targetsDir>/<name>.json in file_sd format, atomically (temporary
 * file, not matching *.json, then rename). Returns the path.
 */
export async function writePrometheusTarget(targetsDir: string, name: string, port: number, labels: Record<string, string> = {}): Promise<string> {
  const file = targetPath(targetsDir, name);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`port ${port} is not a valid TCP port`);
  await mkdir(targetsDir, { recursive: true });
  const tmp = path.join(targetsDir, `.${name}.json.${process.pid}.${Date.now()}.tmp`);
  const content = JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels }], null, 2) + "\n";
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return file;
}

/** Removes <targetsDir>/<name>.json; no error if it does not exist. */
export async function removePrometheusTarget(targetsDir: string, name: string): Promise<void> {
  await rm(targetPath(targetsDir, name), { force: true });
}
