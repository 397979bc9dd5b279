// Summarises a V8 heap snapshot (from `npm run bench:scale -- --heap-snapshot`): the objects'
// own sizes grouped by kind and constructor, largest first, and per monitor when the count is
// given; and the retained size of each group's dominators (what freeing them would free), from
// the dominator tree. With a kind (as the tables print it), its largest instances and the
// chain of objects that holds each (its dominators, outermost last).
// `npx node --max-old-space-size=8192 scripts/bench/heap-summary.ts <file> [monitors] [kind]`
import { readFileSync } from "node:fs";

const [file, monitorsArg, explain] = process.argv.slice(2);
if (!file) throw new Error("usage: heap-summary.ts <file.heapsnapshot> [monitors]");
const monitors = monitorsArg ? Number(monitorsArg) : undefined;

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf("type");
const nName = meta.node_fields.indexOf("name");
const nSize = meta.node_fields.indexOf("self_size");
const nEdges = meta.node_fields.indexOf("edge_count");
const eType = meta.edge_fields.indexOf("type");
const eTo = meta.edge_fields.indexOf("to_node");
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const weak = edgeTypes.indexOf("weak");
const count = snap.nodes.length / NF;

const kindOf = (i: number): string => {
  const type = nodeTypes[snap.nodes[i * NF + nType] as number] as string;
  const name = snap.strings[snap.nodes[i * NF + nName] as number] as string;
  if (type === "object" || type === "closure" || type === "native") return `${type} ${name.slice(0, 60)}`;
  return type;
};

// edges of node i start at firstEdge[i]
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += (snap.nodes[i * NF + nEdges] as number) * EF;
}
firstEdge[count] = snap.edges.length;

// the dominator tree (Cooper, Harvey, Kennedy) over strong edges from the root (node 0)
const order = new Int32Array(count).fill(-1); // post-order number
const byOrder = new Uint32Array(count);
let n = 0;
{
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  for (let i = 0; i < count; i++) cursor[i] = firstEdge[i] as number;
  while (stack.length) {
    const v = stack[stack.length - 1] as number;
    if ((cursor[v] as number) < (firstEdge[v + 1] as number)) {
      const e = cursor[v] as number;
      cursor[v] = e + EF;
      if (snap.edges[e + eType] === weak) continue;
      const to = (snap.edges[e + eTo] as number) / NF;
      if (!seen[to]) {
        seen[to] = 1;
        stack.push(to);
      }
    } else {
      stack.pop();
      order[v] = n;
      byOrder[n++] = v;
    }
  }
}
// predecessors over strong edges, for reachable nodes
const predCount = new Uint32Array(count + 1);
for (let v = 0; v < count; v++) {
  if (order[v] === -1) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF)
    if (snap.edges[e + eType] !== weak) {
      const to = (snap.edges[e + eTo] as number) / NF;
      predCount[to] = (predCount[to] as number) + 1;
    }
}
const predStart = new Uint32Array(count + 1);
for (let i = 0; i < count; i++) predStart[i + 1] = (predStart[i] as number) + (predCount[i] as number);
const preds = new Uint32Array(predStart[count] as number);
const fill = predStart.slice();
for (let v = 0; v < count; v++) {
  if (order[v] === -1) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF) {
    if (snap.edges[e + eType] === weak) continue;
    const to = (snap.edges[e + eTo] as number) / NF;
    const at = fill[to] as number;
    preds[at] = v;
    fill[to] = at + 1;
  }
}
const idom = new Int32Array(count).fill(-1);
idom[0] = 0;
const intersect = (a: number, b: number): number => {
  while (a !== b) {
    while ((order[a] as number) < (order[b] as number)) a = idom[a] as number;
    while ((order[b] as number) < (order[a] as number)) b = idom[b] as number;
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let k = n - 2; k >= 0; k--) {
    const v = byOrder[k] as number;
    let d = -1;
    for (let p = predStart[v] as number; p < (predStart[v + 1] as number); p++) {
      const u = preds[p] as number;
      if (idom[u] === -1 || order[u] === -1) continue;
      d = d === -1 ? u : intersect(u, d);
    }
    if (d !== -1 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(count);
for (let k = 0; k < n; k++) {
  const v = byOrder[k] as number;
  retained[v] = (retained[v] as number) + (snap.nodes[v * NF + nSize] as number);
  if (v !== 0) retained[idom[v] as number] = (retained[idom[v] as number] as number) + (retained[v] as number);
}

// own sizes by kind, and the retained size of the kind's nodes whose dominator is of another kind
const own = new Map<string, { size: number; count: number; retained: number }>();
let total = 0;
for (let v = 0; v < count; v++) {
  if (order[v] === -1) continue;
  const kind = kindOf(v);
  const entry = own.get(kind) ?? { size: 0, count: 0, retained: 0 };
  const size = snap.nodes[v * NF + nSize] as number;
  entry.size += size;
  entry.count++;
  if (v !== 0 && kindOf(idom[v] as number) !== kind) entry.retained += retained[v] as number;
  own.set(kind, entry);
  total += size;
}
const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
console.log(
  `${file}: ${count} nodes, ${(total / 2 ** 20).toFixed(1)} MB reachable${monitors ? `, ${(total / monitors / 1024).toFixed(1)} KB per monitor` : ""}`,
);
const show = (title: string, key: "size" | "retained") => {
  console.log(`\n${title}`);
  console.log(`| ${"kind".padEnd(70)} | count | size${monitors ? " | per monitor" : ""}`);
  for (const [kind, e] of [...own].sort((a, b) => b[1][key] - a[1][key]).slice(0, 30))
    console.log(`| ${kind.padEnd(70)} | ${e.count} | ${kb(e[key])}${monitors ? ` | ${(e[key] / monitors).toFixed(0)} B` : ""}`);
};
show("own size by kind (largest 30)", "size");
show("retained by each kind's outermost objects (largest 30; nested groups overlap)", "retained");

if (explain) {
  // the edge name by which node `from` holds node `to`, for the chains
  const edgeName = (from: number, to: number): string => {
    const eName = meta.edge_fields.indexOf("name_or_index");
    for (let e = firstEdge[from] as number; e < (firstEdge[from + 1] as number); e += EF)
      if ((snap.edges[e + eTo] as number) / NF === to) {
        const type = edgeTypes[snap.edges[e + eType] as number];
        const name = snap.edges[e + eName] as number;
        return type === "element" || type === "hidden" ? `[${name}]` : String(snap.strings[name]);
      }
    return "?";
  };
  const instances: number[] = [];
  for (let v = 0; v < count; v++) if (order[v] !== -1 && kindOf(v) === explain) instances.push(v);
  instances.sort((a, b) => (retained[b] as number) - (retained[a] as number));
  console.log(`\n${instances.length} × ${explain}, largest 10 by retained size, each with its dominators`);
  for (const v of instances.slice(0, 10)) {
    const chain: string[] = [];
    for (let u = v, k = 0; u !== 0 && k < 12; u = idom[u] as number, k++) chain.push(`${kindOf(idom[u] as number)} .${edgeName(idom[u] as number, u)}`);
    console.log(`- ${kb(retained[v] as number)}: ${chain.join(" < ")}`);
  }
}
