// RFC 6902 add / remove / replace / test on plain JSON, for tests that apply a router's patches
// to an object the way the API server does (a failed test throws).
type Json = unknown;

const unescape = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");

export function applyJsonPatch<T>(doc: T, ops: readonly object[]): T {
  const out = structuredClone(doc) as Json;
  for (const raw of ops) {
    const op = raw as { op: string; path: string; value?: Json };
    const parts = op.path.split("/").slice(1).map(unescape);
    const key = parts.pop() as string;
    let parent = out as Record<string, Json> | Json[];
    for (const p of parts) {
      const next = (parent as Record<string, Json>)[p];
      if (next === undefined || next === null || typeof next !== "object") throw new Error(`${op.op} ${op.path}: no parent`);
      parent = next as Record<string, Json>;
    }
    const isArray = Array.isArray(parent);
    const index = isArray ? (key === "-" ? (parent as Json[]).length : Number(key)) : -1;
    const current = isArray ? (parent as Json[])[index] : (parent as Record<string, Json>)[key];
    switch (op.op) {
      case "test":
        if (JSON.stringify(current) !== JSON.stringify(op.value))
          throw new Error(`test ${op.path}: ${JSON.stringify(current)} is not ${JSON.stringify(op.value)}`);
        break;
      case "add":
        if (isArray) (parent as Json[]).splice(index, 0, structuredClone(op.value));
        else (parent as Record<string, Json>)[key] = structuredClone(op.value);
        break;
      case "replace":
        if (current === undefined) throw new Error(`replace ${op.path}: absent`);
        if (isArray) (parent as Json[])[index] = structuredClone(op.value);
        else (parent as Record<string, Json>)[key] = structuredClone(op.value);
        break;
      case "remove":
        if (current === undefined) throw new Error(`remove ${op.path}: absent`);
        if (isArray) (parent as Json[]).splice(index, 1);
        else delete (parent as Record<string, Json>)[key];
        break;
      default:
        throw new Error(`unsupported op ${op.op}`);
    }
  }
  return out as T;
}
