// Integration tests run against the real local control plane: start it when it is not running,
// and build helm when it is not built yet.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup() {
  const root = join(import.meta.dirname, "..", "..");
  execFileSync("bash", [join(root, "scripts/cluster/up.sh")], { stdio: "inherit", cwd: root });
  // helm, for the chart's tests, built from its Go module like the control plane
  execFileSync("bash", [join(root, "scripts/cluster/build-helm.sh")], { stdio: "inherit", cwd: root });
}
