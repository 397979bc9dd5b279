// The executable's entry: checks the Node.js version before loading anything that needs it
// (the Kubernetes client's HTTP layer, undici 8, needs Node.js 22.19 or later), then runs.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
export const MIN_NODE = "22.19";

if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `error: kubectl-modelguardian needs Node.js ${MIN_NODE} or later; ${process.execPath} is ${process.versions.node}.\n` +
      "Install Node.js 22.19 or later (24 is what the project uses), or point KUBECTL_MODELGUARDIAN_NODE at one.\n",
  );
  process.exit(1);
}

const { main } = await import("./main.ts");
const code = await main(process.argv.slice(2), {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  tty: process.stdout.isTTY === true,
});
// the client's pooled connections would keep the process up a while: leave once the output is out
process.stdout.write("", () => process.exit(code));
