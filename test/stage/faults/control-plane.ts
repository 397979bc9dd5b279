// The fault experiments' own control plane: scripts/cluster/up.sh run with a state folder of its
// own (.local/faults) and every port shifted (MG_FAULTS_PORT_OFFSET, default +300), so stopping its
// kube-apiserver, etcd or Prometheus never touches the cluster the integration tests (or other
// checkouts) use. Components are stopped and started again with the very command line up.sh gave
// them (read from /proc before the stop), into the same pid file and log.
import { execFile, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { runKubectl } from "../kubectl.ts";
import { waitFor } from "../wait.ts";

const run = promisify(execFile);
export const REPO = join(import.meta.dirname, "..", "..", "..");

/** The component names of scripts/cluster/lib.sh that an experiment may stop. */
export type Component = "kube-apiserver" | "etcd" | "prometheus";

/** The defaults of scripts/cluster/lib.sh; each one is shifted by the offset. */
const DEFAULT_PORTS = {
  MG_ETCD_PORT: 12379,
  MG_ETCD_PEER_PORT: 12380,
  MG_APISERVER_PORT: 16443,
  MG_KCM_PORT: 16257,
  MG_SCHEDULER_PORT: 16259,
  MG_KWOK_PORT: 16247,
  MG_PROMETHEUS_PORT: 19090,
};

export interface ControlPlane {
  dir: string;
  /** .local/env of this control plane (KUBECONFIG, PROMETHEUS_URL, ports...). */
  env: Record<string, string>;
  kubeconfig: string;
  prometheusUrl: string;
  apiserverPort: number;
  targetsDir: string;
  auditLog: string;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** Stops one component (SIGTERM, SIGKILL after 10 s); returns once it is gone. */
  stop(c: Component): Promise<void>;
  /** Starts it again with the command line it had; resolves once it answers its health check. */
  start(c: Component): Promise<void>;
  /** SIGSTOP / SIGCONT: a process that holds its connections but answers nothing. */
  freeze(c: Component): void;
  thaw(c: Component): void;
  /** Whether the component answers its health check now. */
  healthy(c: Component): Promise<boolean>;
}

function parseEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = m[2] as string;
  }
  return env;
}

/** The settings of the experiments' control plane: its folder and ports (env overrides the offset). */
export function faultsClusterSettings(environment: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const offset = Number(environment.MG_FAULTS_PORT_OFFSET ?? 300);
  if (!Number.isInteger(offset) || offset < 1)
    throw new Error("MG_FAULTS_PORT_OFFSET must be a whole number > 0 (the shared cluster's ports must never be reused)");
  const dir = environment.MG_FAULTS_DIR ?? join(REPO, ".local/faults");
  return { MG_LOCAL_DIR: dir, ...Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, String(v + offset)])) };
}

async function bash(script: string, settings: Record<string, string>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn("bash", [join(REPO, script)], {
      cwd: REPO,
      env: { ...process.env, ...settings },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}

/** Starts (or finds running) the experiments' control plane, with Istio's CRDs for the stand-in rollouts. */
export async function upFaultsCluster(environment: NodeJS.ProcessEnv = process.env): Promise<ControlPlane> {
  const settings = faultsClusterSettings(environment);
  await bash("scripts/cluster/up.sh", settings);
  await bash("hack/cluster/istio-crds.sh", settings);
  return controlPlane(settings.MG_LOCAL_DIR as string);
}

/** Stops it and removes its data (down.sh with the same state folder: nothing else is touched). */
export async function downFaultsCluster(environment: NodeJS.ProcessEnv = process.env): Promise<void> {
  await bash("scripts/cluster/down.sh", faultsClusterSettings(environment));
}

export function controlPlane(dir: string): ControlPlane {
  const envFile = join(dir, "env");
  if (!existsSync(envFile)) throw new Error(`${envFile} is missing: the control plane in ${dir} was not started`);
  const env = parseEnv(envFile);
  const kubeconfig = env.KUBECONFIG as string;
  const pidFile = (c: Component) => join(dir, "pids", `${c}.pid`);
  const pidOf = (c: Component) => Number(readFileSync(pidFile(c), "utf8").trim());
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0];
      return state !== "Z";
    } catch {
      return false;
    }
  };
  const argv = new Map<Component, string[]>();
  const kubectl = (args: string[], input?: string) => runKubectl(["--kubeconfig", kubeconfig, "--request-timeout=10s", ...args], input);
  const healthy = async (c: Component): Promise<boolean> => {
    try {
      if (c === "etcd") return (await fetch(`${env.ETCD_URL}/health`, { signal: AbortSignal.timeout(2000) })).ok;
      if (c === "prometheus") return (await fetch(`${env.PROMETHEUS_URL}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
      return (await run("curl", ["-fsk", "--max-time", "2", `${env.KUBE_APISERVER_URL}/readyz`]).then(() => true)) as boolean;
    } catch {
      return false;
    }
  };
  return {
    dir,
    env,
    kubeconfig,
    prometheusUrl: env.PROMETHEUS_URL as string,
    apiserverPort: Number(env.MG_APISERVER_PORT),
    targetsDir: env.MG_PROMETHEUS_TARGETS_DIR as string,
    auditLog: env.MG_AUDIT_LOG as string,
    kubectl,
    async kubectlOk(args, input) {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    },
    healthy,
    async stop(c) {
      const pid = pidOf(c);
      if (!alive(pid)) throw new Error(`${c} (pid ${pid}) is not running`);
      argv.set(c, readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean));
      // every component leads its own process group (setsid in lib.sh's start)
      process.kill(-pid, "SIGTERM");
      const killed = await waitFor(`${c} to exit`, async () => !alive(pid), 10_000, 100).catch(() => false);
      if (!killed) {
        process.kill(-pid, "SIGKILL");
        await waitFor(`${c} to exit after SIGKILL`, async () => !alive(pid), 5_000, 100);
      }
    },
    async start(c) {
      const args = argv.get(c);
      if (!args) throw new Error(`${c} was not stopped by this control plane object`);
      const log = openSync(join(dir, "logs", `${c}.log`), "a");
      const child = spawn(args[0] as string, args.slice(1), { detached: true, stdio: ["ignore", log, log] });
      child.unref();
      writeFileSync(pidFile(c), `${child.pid}\n`);
      await waitFor(`${c} healthy again`, () => healthy(c), 120_000, 100);
    },
    freeze(c) {
      process.kill(-pidOf(c), "SIGSTOP");
    },
    thaw(c) {
      process.kill(-pidOf(c), "SIGCONT");
    },
  };
}
