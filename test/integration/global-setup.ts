// Integration tests run against the real local control plane: start it when it is not running.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup() {
  const root = join(import.meta.dirname, "..", "..");
  execFileSync("bash", [join(root, "scripts/cluster/up.sh")], { stdio: "inherit", cwd: root });
}
