// The chart as users get it: packaged (`helm package`), indexed (`helm repo index`), served over
// HTTP as a chart repository, added with `helm repo add` and installed from it; upgraded from a
// previous version whose ModelMonitor CRD lacks a printer column and a field, which the upgrade
// adds to the live CRD (CRDs are templates: Helm never upgrades a chart's crds/ folder); and
// chart 0.1.0 (CRDs in crds/) upgraded to this one after the README's adoption of its CRDs; and
// the chart pushed to an OCI registry (distribution's, built from its Go module by
// hack/cluster/build-registry.sh) and installed from it with `helm install oci://...`.
//
// The local cluster is shared and its modelguardian.dev CRDs belong to cluster:up, so the charts
// under test carry their CRDs in a group of this run's own (image-<run>.modelguardian.test),
// deleted at the end; everything else in them is as shipped.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort } from "../stage/wait.ts";
import { ACCURACY, env, kubectl, kubectlOk, ROOT, waitFor } from "../stage/index.ts";

const HELM = join(ROOT, ".cache/bin/helm");
const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
const ns = `image-chart-${suffix}`;
const GROUP = `image-${suffix}.modelguardian.test`;
const REPO = `image-${suffix}`;
const VERSION = (parse(readFileSync(join(ROOT, "charts/model-guardian/Chart.yaml"), "utf8")) as { version: string }).version;
const PREVIOUS = `${VERSION}-previous`;
const work = mkdtempSync(join(tmpdir(), "mg-chart-repo-"));
// kubectl's and helm's discovery cache: this run's too. The CRDs below give the operator's kinds
// and short names to a group of their own; a shared cache that saw them resolved `kubectl get
// modelmonitor` to that group in the files after this one, once the group was gone (NotFound)
process.env.KUBECACHEDIR = join(work, "kube-cache");
// helm's own configuration, repositories and cache: this run's, not the machine's
const helmEnv = { ...process.env, HELM_CONFIG_HOME: join(work, "config"), HELM_CACHE_HOME: join(work, "cache"), HELM_DATA_HOME: join(work, "data") };
const crdNames = ["modelmonitors", "retrainpolicies", "modelrollouts"].map((p) => `${p}.${GROUP}`);

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(HELM, [...args, "--kubeconfig", env.KUBECONFIG as string], { env: helmEnv, timeout: 180_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
const run = (cmd: string, args: string[], cwd?: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    ),
  );

interface EditableCrd {
  spec: {
    versions: {
      additionalPrinterColumns: { name: string }[];
      schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } };
    }[];
  };
}

/** A copy of a chart folder whose CRD files (in `crdDir`) are in this run's group, at `version`. */
function variant(source: string, dest: string, crdDir: string, version: string, edit?: (crd: EditableCrd, file: string) => void) {
  cpSync(source, dest, { recursive: true });
  const chartYaml = join(dest, "Chart.yaml");
  writeFileSync(chartYaml, readFileSync(chartYaml, "utf8").replace(/^version: .*$/m, `version: ${version}`));
  for (const file of readdirSync(join(dest, crdDir)).filter((f) => f.endsWith(".yaml"))) {
    const path = join(dest, crdDir, file);
    const text = readFileSync(path, "utf8").replaceAll("modelguardian.dev", GROUP);
    if (!edit) writeFileSync(path, text);
    else {
      const crd = parse(text) as EditableCrd;
      edit(crd, file);
      writeFileSync(path, stringify(crd, { lineWidth: 0 }));
    }
  }
}

interface Crd {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    versions: {
      additionalPrinterColumns: { name: string }[];
      schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } };
    }[];
  };
}
const liveCrd = async (name: string) => JSON.parse(await kubectlOk(["get", "crd", name, "-o", "json"])) as Crd;
const monitor = (name: string, extra: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: `${GROUP}/v1alpha1`,
    kind: "ModelMonitor",
    metadata: { name, namespace: ns },
    spec: { model: { name: "fraud", version: "v7" }, signals: [ACCURACY], ...extra },
  });

let server: Server;
let repoUrl = "";
let repoDir = "";
let previousChart: string | undefined; // chart 0.1.0 from git, when the history holds it

beforeAll(async () => {
  await kubectlOk(["create", "namespace", ns]);
  const charts = join(work, "charts");
  const repo = join(work, "repo");
  repoDir = repo;
  mkdirSync(repo, { recursive: true });
  // this version, and the "previous" one: its ModelMonitor CRD without the Version column and spec.suspend
  variant(join(ROOT, "charts/model-guardian"), join(charts, "current/model-guardian"), "files/crds", VERSION);
  variant(join(ROOT, "charts/model-guardian"), join(charts, "previous/model-guardian"), "files/crds", PREVIOUS, (crd, file) => {
    if (!file.includes("modelmonitors")) return;
    const v = crd.spec.versions[0]!;
    v.additionalPrinterColumns = v.additionalPrinterColumns.filter((c) => c.name !== "Version");
    delete v.schema.openAPIV3Schema.properties.spec.properties.suspend;
  });
  // chart 0.1.0 as committed, CRDs in crds/: the parent of the last commit that touched that folder
  const moved = (await run("git", ["rev-list", "-n", "1", "HEAD", "--", "charts/model-guardian/crds"], ROOT).catch(() => "")).trim();
  if (moved) {
    const old = join(work, "git");
    mkdirSync(old, { recursive: true });
    try {
      await run("sh", ["-c", `git archive ${moved}^ charts/model-guardian | tar -x -C '${old}'`], ROOT);
      variant(join(old, "charts/model-guardian"), join(charts, "v0.1.0/model-guardian"), "crds", "0.1.0");
      previousChart = join(charts, "v0.1.0/model-guardian");
    } catch (err) {
      console.warn(`[chart-repo] no chart 0.1.0 from git history: ${(err as Error).message}`);
    }
  }
  // the scripts users run: scripts/chart/package.sh packages and indexes this version ...
  const packaged = await run("bash", [join(ROOT, "scripts/chart/package.sh"), repo], ROOT);
  expect(packaged.trim()).toBe(repo);
  expect(readdirSync(repo).sort()).toEqual(["index.yaml", `model-guardian-${VERSION}.tgz`]);
  // ... here replaced by the run's variant (its own CRD group); the others join the index by --merge
  for (const dir of ["current", "previous", ...(previousChart ? ["v0.1.0"] : [])]) {
    const r = await helm(["package", join(charts, dir, "model-guardian"), "--destination", repo]);
    expect(r.code, r.stderr).toBe(0);
  }
  const indexed = await helm(["repo", "index", repo]);
  expect(indexed.code, indexed.stderr).toBe(0);
  server = createServer((req, res) => {
    const file = join(repo, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, ""));
    if (!file.startsWith(repo)) return res.writeHead(403).end();
    try {
      res.writeHead(200).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  repoUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const added = await helm(["repo", "add", REPO, repoUrl]);
  expect(added.stdout).toContain(`"${REPO}" has been added`);
}, 300_000);

afterAll(async () => {
  for (const release of ["mg", "mg-old", "mg-oci"]) await helm(["uninstall", release, "--namespace", ns]);
  await kubectl(["delete", "namespace", ns, "--wait=false"]);
  await kubectl(["delete", "crd", ...crdNames, "--ignore-not-found", "--wait=false"]);
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the chart from a chart repository", () => {
  it("helm search lists the versions the index serves", async () => {
    const r = await helm(["search", "repo", `${REPO}/model-guardian`, "--versions", "--devel", "-o", "json"]);
    const versions = (JSON.parse(r.stdout) as { version: string }[]).map((v) => v.version);
    expect(versions).toEqual(expect.arrayContaining([VERSION, PREVIOUS]));
    const readme = await helm(["show", "readme", `${REPO}/model-guardian`, "--version", VERSION]);
    expect(readme.stdout).toMatch(/^# model-guardian/);
  });

  it("installs the previous version, then helm upgrade adds its printer column and field to the live CRD; uninstall keeps the CRDs", async () => {
    const values = ["--namespace", ns, "--set", `watchNamespaces={${ns}}`, "--wait", "--timeout", "120s"];
    const installed = await helm(["install", "mg", `${REPO}/model-guardian`, "--version", PREVIOUS, ...values]);
    expect(installed.stderr).toBe("");
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    expect(installed.stdout).toContain(`the CRDs ModelMonitor, RetrainPolicy and ModelRollout`);
    const before = await liveCrd(`modelmonitors.${GROUP}`);
    expect(before.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(before.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).not.toContain("Version");
    expect(before.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.suspend).toBeUndefined();
    expect((await kubectl(["apply", "-f", "-"], monitor("m1"))).code).toBe(0);
    expect((await kubectlOk(["get", `modelmonitors.${GROUP}`, "m1", "-n", ns])).split("\n")[0]).not.toMatch(/\bVERSION\b/);
    const refused = await kubectl(["apply", "--validate=strict", "-f", "-"], monitor("m2", { suspend: true }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unknown field "spec\.suspend"/);

    const upgraded = await helm([
      "upgrade",
      "mg",
      `${REPO}/model-guardian`,
      "--version",
      VERSION,
      "--reuse-values",
      "--namespace",
      ns,
      "--wait",
      "--timeout",
      "120s",
    ]);
    expect(upgraded.stderr).toBe("");
    expect(upgraded.stdout).toMatch(/STATUS: deployed/);
    expect(upgraded.stdout).toMatch(/REVISION: 2/);
    const after = await waitFor(
      "the upgraded CRD",
      async () => {
        const crd = await liveCrd(`modelmonitors.${GROUP}`);
        return crd.spec.versions[0]!.additionalPrinterColumns.some((c) => c.name === "Version") ? crd : undefined;
      },
      30_000,
      250,
    );
    expect(after.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.suspend).toMatchObject({ type: "boolean" });
    // the object made under the previous version is there, and kubectl get shows the new column
    const table = await waitFor(
      "kubectl get to show VERSION",
      async () => {
        const t = await kubectlOk(["get", `modelmonitors.${GROUP}`, "m1", "-n", ns]);
        return /\bVERSION\b/.test(t.split("\n")[0]!) ? t : undefined;
      },
      30_000,
      500,
    );
    expect(table).toMatch(/^m1\s+fraud\s+v7\s/m);
    const accepted = await kubectl(["apply", "--validate=strict", "-f", "-"], monitor("m2", { suspend: true }));
    expect(accepted.stderr).toBe("");
    expect(await kubectlOk(["get", `modelmonitors.${GROUP}`, "m2", "-n", ns, "-o", "jsonpath={.spec.suspend}"])).toBe("true");

    const uninstalled = await helm(["uninstall", "mg", "--namespace", ns, "--wait"]);
    expect(uninstalled.stdout).toContain("These resources were kept due to the resource policy");
    for (const name of crdNames) expect((await kubectl(["get", "crd", name])).code).toBe(0);
    expect((await kubectl(["get", `modelmonitors.${GROUP}`, "m1", "-n", ns])).code).toBe(0);
    expect((await kubectl(["get", "deployment", "mg", "-n", ns])).code).not.toBe(0);
  }, 400_000);

  it("upgrades chart 0.1.0 (CRDs in crds/, not Helm's) after the README's adoption of its CRDs", async (ctx) => {
    if (!previousChart) ctx.skip(); // a clone without the history of charts/model-guardian/crds
    await kubectl(["delete", "crd", ...crdNames, "--ignore-not-found", "--wait"]);
    const installed = await helm(["install", "mg-old", `${REPO}/model-guardian`, "--version", "0.1.0", "--namespace", ns, "--set", `watchNamespaces={${ns}}`]);
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    expect((await liveCrd(`modelmonitors.${GROUP}`)).metadata.annotations?.["meta.helm.sh/release-name"]).toBeUndefined();
    expect((await kubectl(["apply", "-f", "-"], monitor("m3"))).code).toBe(0);
    // without adoption Helm refuses objects it did not create
    const refused = await helm(["upgrade", "mg-old", `${REPO}/model-guardian`, "--version", VERSION, "--reuse-values", "--namespace", ns]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("invalid ownership metadata");
    // the README's commands
    for (const name of crdNames) {
      await kubectlOk(["label", "crd", name, "app.kubernetes.io/managed-by=Helm", "--overwrite"]);
      await kubectlOk(["annotate", "crd", name, "meta.helm.sh/release-name=mg-old", `meta.helm.sh/release-namespace=${ns}`, "--overwrite"]);
    }
    const upgraded = await helm(["upgrade", "mg-old", `${REPO}/model-guardian`, "--version", VERSION, "--reuse-values", "--namespace", ns]);
    expect(upgraded.stderr).toBe("");
    expect(upgraded.stdout).toMatch(/STATUS: deployed/);
    const crd = await liveCrd(`modelmonitors.${GROUP}`);
    expect(crd.metadata.annotations).toMatchObject({ "helm.sh/resource-policy": "keep", "meta.helm.sh/release-name": "mg-old" });
    expect((await kubectl(["get", `modelmonitors.${GROUP}`, "m3", "-n", ns])).code).toBe(0);
  }, 300_000);
});

describe("the chart from an OCI registry", () => {
  let registry: ChildProcess | undefined;
  let host = "";
  const podmanEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(ROOT, "hack/image/containers.conf") };
  beforeAll(async () => {
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const storage = join(work, "registry");
    mkdirSync(storage, { recursive: true });
    const config = join(work, "registry.yml");
    writeFileSync(config, stringify({ version: 0.1, log: { level: "warn" }, storage: { filesystem: { rootdirectory: storage } }, http: { addr: host } }));
    registry = spawn(join(ROOT, ".cache/bin/registry"), ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    registry.stderr!.on("data", (d) => (stderr += d));
    await waitFor(
      "the registry's /v2/",
      async () => {
        if (registry!.exitCode !== null) throw new Error(`the registry exited: ${stderr}`);
        return (await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok;
      },
      20_000,
      100,
    );
  });
  afterAll(() => {
    registry?.kill();
  });

  it("helm push, helm show readme and helm install oci://", async () => {
    const pushed = await helm(["push", join(repoDir, `model-guardian-${VERSION}.tgz`), `oci://${host}/charts`, "--plain-http"]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout + pushed.stderr).toContain(`Pushed: ${host}/charts/model-guardian:${VERSION}`);
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout + pushed.stderr)?.[1];
    expect(digest).toBeDefined();
    const readme = await helm(["show", "readme", `oci://${host}/charts/model-guardian`, "--version", VERSION, "--plain-http"]);
    expect(readme.stdout).toMatch(/^# model-guardian/);
    // the CRDs of this run's group belong to the release of the test above: this one leaves them alone
    const installed = await helm([
      "install",
      "mg-oci",
      `oci://${host}/charts/model-guardian`,
      "--version",
      VERSION,
      "--plain-http",
      "--namespace",
      ns,
      "--set",
      `watchNamespaces={${ns}}`,
      "--set",
      "crds.install=false",
      "--wait",
      "--timeout",
      "120s",
    ]);
    expect(installed.stderr).toMatch(/^(Pulled: .*\nDigest: .*\n)?$/);
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    expect(JSON.parse(await kubectlOk(["get", "deployment", "mg-oci", "-n", ns, "-o", "json"])).status.availableReplicas).toBe(1);
    const history = await helm(["history", "mg-oci", "--namespace", ns, "-o", "json"]);
    expect((JSON.parse(history.stdout) as { chart: string }[])[0]?.chart).toBe(`model-guardian-${VERSION}`);
  }, 300_000);

  it("podman pushes the operator's image to it and pulls it back by digest (when the image is built)", async (ctx) => {
    const podman = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile("podman", args, { env: podmanEnv, timeout: 180_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr })),
      );
    if ((await podman(["image", "exists", "localhost/model-guardian:dev"])).code !== 0) ctx.skip(); // image.test.ts builds it
    const target = `${host}/model-guardian:dev`;
    const pushed = await podman(["push", "--tls-verify=false", "--digestfile", join(work, "digest"), "localhost/model-guardian:dev", target]);
    expect(pushed.code, pushed.out).toBe(0);
    const digest = readFileSync(join(work, "digest"), "utf8").trim();
    const manifest = await fetch(`http://${host}/v2/model-guardian/manifests/${digest}`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
    });
    expect(manifest.status).toBe(200);
    const pulled = await podman(["pull", "--tls-verify=false", `${host}/model-guardian@${digest}`]);
    expect(pulled.code, pulled.out).toBe(0);
    await podman(["rmi", `${host}/model-guardian@${digest}`]);
  }, 300_000);
});
