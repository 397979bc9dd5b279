// Builds kubectl-modelguardian for people who install it alone: one JavaScript file with every
// dependency inside (dist/kubectl-modelguardian, run by the Node.js on PATH or
// $KUBECTL_MODELGUARDIAN_NODE), the archive krew installs, its krew manifest with the archive's
// sha256 (from plugins/modelguardian.yaml; the archive's URL from PLUGIN_RELEASE_URL), and an npm
// package of the same file (npm install -g dist/kubectl-modelguardian-<version>.tgz).
//   npm run build:plugin [-- OUT_DIR]   (a build recipe: hack/, beside the entry points of scripts/)
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "rolldown";

const ROOT = join(import.meta.dirname, "..");
const out = resolve(process.argv[2] ?? join(ROOT, "dist"));
const version = `v${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}`;

/**
 * A shell script and a JavaScript file at once: sh runs the first lines and execs Node.js on the
 * file; to JavaScript they are a string and a comment. KUBECTL_MODELGUARDIAN_NODE picks a
 * Node.js other than the one on PATH (the bundle checks the version and says what it needs).
 */
const HEADER = `#!/bin/sh
':' //; exec "\${KUBECTL_MODELGUARDIAN_NODE:-node}" "$0" "$@"
`;

export async function buildPlugin(dir: string): Promise<{ file: string; archive: string; manifest: string; npmPackage: string }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "kubectl-modelguardian");
  await build({
    input: join(ROOT, "src/cli/entry.ts"),
    platform: "node",
    logLevel: "warn",
    output: { file, format: "esm", codeSplitting: false },
  });
  // written after the build: the bundler would parse a banner and drop its comment
  writeFileSync(file, HEADER + readFileSync(file, "utf8").replace(/^#!.*\n/, ""));
  chmodSync(file, 0o755);
  const archive = join(dir, `kubectl-modelguardian-${version}.tar.gz`);
  // krew unpacks the archive and links its bin; owner and times fixed so a rebuild is identical
  execFileSync("tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=2026-01-01 00:00Z",
    "-czf",
    archive,
    "-C",
    dir,
    "kubectl-modelguardian",
  ]);
  const sha256 = createHash("sha256").update(readFileSync(archive)).digest("hex");
  const url = process.env.PLUGIN_RELEASE_URL ?? `file://${archive}`;
  const manifest = join(dir, "modelguardian.yaml");
  writeFileSync(
    manifest,
    readFileSync(join(ROOT, "plugins/modelguardian.yaml"), "utf8")
      .replace(/^(#.*\n)+/, "")
      .replaceAll("VERSION", version)
      .replaceAll("RELEASE_URL", url)
      .replaceAll("SHA256", sha256),
  );
  // the npm package: the same file, no dependencies; "type": "module" so Node reads it as the module it is
  const pkg = join(dir, "npm");
  mkdirSync(pkg, { recursive: true });
  copyFileSync(file, join(pkg, "kubectl-modelguardian"));
  const plain = version.slice(1);
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify(
      {
        name: "kubectl-modelguardian",
        version: plain,
        description: "kubectl plugin for model-guardian: rollouts as live trees, monitors at a glance, promote/abort/pause/resume/retry/approve/reject",
        license: "Apache-2.0",
        type: "module",
        bin: { "kubectl-modelguardian": "kubectl-modelguardian" },
        files: ["kubectl-modelguardian"],
        engines: { node: ">=22.19.0" },
      },
      null,
      2,
    ) + "\n",
  );
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: pkg, stdio: ["ignore", "ignore", "inherit"] });
  return { file, archive, manifest, npmPackage: join(dir, `kubectl-modelguardian-${plain}.tgz`) };
}

if (import.meta.main) {
  const built = await buildPlugin(out);
  console.log(`built ${built.file}\n      ${built.archive}\n      ${built.manifest}\n      ${built.npmPackage}`);
}
