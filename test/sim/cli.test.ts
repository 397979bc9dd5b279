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

function run(args: string[], script = "sim/cli.ts"): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

/** Every stdout line, parsed, once the process has exited; and its exit code. */
async function untilExit(child: ChildProcess): Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const lines = stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, stderr };
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
      "--model",
      "fraud",
      "--version",
      "v7",
      "--segments",
      "plant-a,plant-b",
      "--rps",
      "50",
      "--accuracy",
      "0.9",
      "--seed",
      "1",
      "--targets-dir",
      dir,
      "--target-name",
      "fraud",
      "--target-label",
      "team=ml",
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

  it("serves predictions with --traffic served, and the load CLI counts them by version", async () => {
    const server = run(["--model", "fraud", "--version", "v3", "--segments", "a,b", "--traffic", "served", "--seed", "1"]);
    const log = await firstLine(server);
    expect(log).toMatchObject({ msg: "model server listening", traffic: "served" });
    const url = log.url as string;

    const load = run(["--url", `${url}/predict`, "--rps", "20", "--duration", "1s", "--segments", "a,b", "--concurrency", "4"], "sim/load-cli.ts");
    const { code, lines } = await untilExit(load);
    expect(code).toBe(0);
    expect(lines[0]).toMatchObject({ msg: "load started", rps: 20 });
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ msg: "load finished", reason: "duration" });
    const summary = last.summary as { sent: number; byVersion: Record<string, number>; byStatus: Record<string, number> };
    expect(summary.sent).toBeGreaterThanOrEqual(15);
    expect(summary.sent).toBeLessThanOrEqual(21);
    expect(summary.byVersion).toEqual({ v3: summary.sent });
    expect(summary.byStatus).toEqual({ "200": summary.sent });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const counted = [...metrics.matchAll(/^model_regression_predictions_total\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counted).toHaveLength(2);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(summary.sent);
  });

  it("load CLI: exits with status 2 and usage on a bad flag", async () => {
    const [noUrl, badDuration, badTraffic] = await Promise.all([
      untilExit(run(["--rps", "10"], "sim/load-cli.ts")),
      untilExit(run(["--url", "http://127.0.0.1:1/", "--duration", "soon"], "sim/load-cli.ts")),
      untilExit(run(["--traffic", "sometimes"])),
    ]);
    for (const r of [noUrl, badDuration, badTraffic]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Usage:");
    }
    expect(noUrl.stderr).toContain("--url");
    expect(badDuration.stderr).toContain("--duration");
    expect(badTraffic.stderr).toContain("--traffic");
  });
});
