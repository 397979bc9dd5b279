// What a user installs: the kustomize bases as the API server sees them, and the operator
// started from production dependencies only, copied the way the Dockerfile copies them (the
// image itself is built and run by image.test.ts).
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ACCURACY, apply, getJson, given, kubectl, kubectlOk, modelMonitor, ROOT, startOperator, useStage, waitFor } from "../stage/index.ts";

const run = promisify(execFile);
let image: string | undefined;
const stage = useStage(
  given("install").withStep(async () => async () => {
    if (image) await rm(image, { recursive: true, force: true });
  }),
);

describe("installing", () => {
  it("every example under examples/ is accepted by the API server (a server-side dry run)", async () => {
    for (const file of (await readdir(join(ROOT, "examples"))).filter((f) => f.endsWith(".yaml"))) {
      const r = await kubectl(["apply", "--dry-run=server", "-n", stage.ns, "-f", join(ROOT, "examples", file)]);
      expect(r.stderr, file).toBe("");
      expect(r.code, file).toBe(0);
    }
  });

  it("kubectl kustomize config/ is accepted by a server-side dry run", async () => {
    // the Namespace comes first in a real apply; a dry run cannot create it for the objects in it
    await kubectl(["create", "namespace", "model-guardian-system"]);
    const built = await kubectlOk(["kustomize", join(ROOT, "config")]);
    const r = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=install-test", "--dry-run=server", "-f", "-"], built);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const object of [
      "customresourcedefinition.apiextensions.k8s.io/modelmonitors.modelguardian.dev",
      "customresourcedefinition.apiextensions.k8s.io/retrainpolicies.modelguardian.dev",
      "clusterrole.rbac.authorization.k8s.io/model-guardian",
      "clusterrolebinding.rbac.authorization.k8s.io/model-guardian",
      "serviceaccount/model-guardian",
      "deployment.apps/model-guardian",
      "service/model-guardian-metrics",
    ])
      expect(r.stdout).toContain(`${object} serverside-applied (server dry run)`);
  });

  it("the operator runs from production dependencies only, copied as the Dockerfile copies them", async () => {
    const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).toMatch(/COPY src \.\/src/);
    image = await mkdtemp(join(tmpdir(), "mg-image-"));
    for (const f of ["package.json", "package-lock.json"]) await cp(join(ROOT, f), join(image, f));
    await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: image, timeout: 240_000 });
    await cp(join(ROOT, "src"), join(image, "src"), { recursive: true });
    // development tools are not there: the operator must not need them
    await expect(readFile(join(image, "node_modules", "vitest", "package.json"))).rejects.toThrow();
    await expect(readFile(join(image, "node_modules", "fast-check", "package.json"))).rejects.toThrow();

    stage.operator = await startOperator([stage.ns], `install-${stage.ns}`, { NODE_ENV: "production" }, image);
    await apply(modelMonitor(stage.ns, "m", { model: { name: "nobody" }, interval: "2s", signals: [ACCURACY] }));
    const m = await waitFor(
      "an evaluation by the operator from the image folder",
      async () => {
        const mm = await getJson<{ status?: { health?: string } }>("modelmonitor", "m", stage.ns);
        return mm.status?.health ? mm : undefined;
      },
      30_000,
      250,
    );
    expect(m.status?.health).toBe("Unknown"); // no metrics for this model: never Healthy by accident
  }, 300_000);
});
