import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["sim/cli.ts", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

async function firstLine(child: ChildProcess): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  lines.close();
  return JSON.parse(line) as Record<string, unknown>;
}

describe("sim CLI", () => {
  it("prints its URL, registers a file-SD target and removes it on SIGTERM", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sim-cli-"));
    dirs.push(dir);
    const child = run([
      "--model", "fraud", "--version", "v7", "--segments", "plant-a,plant-b", "--rps", "50", "--accuracy", "0.9",
      "--seed", "1", "--targets-dir", dir, "--target-name", "fraud", "--target-label", "team=ml",
    ]);
    const log = await firstLine(child);
    expect(log.msg).toBe("model server listening");
    const url = log.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(log.target).toBe(path.join(dir, "fraud.json"));
    expect(JSON.parse(await readFile(path.join(dir, "fraud.json"), "utf8"))).toEqual([
      { targets: [`127.0.0.1:${log.port as number}`], labels: { team: "ml" } },
    ]);

    const behaviour = (await (await fetch(`${url}/behaviour`)).json()) as { segments: Record<string, { accuracy: number; requestsPerSecond: number }> };
    expect(Object.keys(behaviour.segments)).toEqual(["plant-a", "plant-b"]);
    expect(behaviour.segments["plant-a"]).toMatchObject({ accuracy: 0.9, requestsPerSecond: 50 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('model_predictions_total{model="fraud",version="v7",plant="plant-b",group="all",outcome="tp"}');

    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it("exits with status 2 and usage on a bad flag", async () => {
    const child = run(["--accuracy", "1.5"]);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain("--accuracy");
    expect(stderr).toContain("Usage:");
  });
});
