// Runs the Argo CD health scripts on a real Lua 5.1 interpreter (Debian's lua5.1, installed by
// scripts/cluster/ensure-prereqs.sh), through argocd-harness.lua, which gives each script the
// environment Argo CD gives it. Objects travel as Lua table literals, the shape Argo CD builds
// from an object (util/lua/lua.go, decodeValue): maps and lists become tables, numbers numbers.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const LUA = "lua5.1";
const HARNESS = join(import.meta.dirname, "argocd-harness.lua");

export type HealthResult = { kind: "ok"; status: string; message: string } | { kind: "nil" } | { kind: "error"; message: string };

/** A JSON value as a Lua 5.1 expression. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return String(value);
  }
  if (typeof value === "string") return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(",")}}`;
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}]=${toLua(v)}`);
    return `{${fields.join(",")}}`;
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/** A Lua string literal: control characters, quotes and backslashes as decimal escapes, UTF-8 as is. */
function luaString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    out += code < 32 || code === 127 || ch === '"' || ch === "\\" ? `\\${String(code).padStart(3, "0")}` : ch;
  }
  return `${out}"`;
}

export function luaAvailable(): { ok: true } | { ok: false; message: string } {
  const r = spawnSync(LUA, ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0)
    return {
      ok: false,
      message: `${LUA} is needed to run the Argo CD health scripts (${r.error?.message ?? r.stderr}); scripts/cluster/ensure-prereqs.sh installs it`,
    };
  return { ok: true };
}

/** Runs one health script on each object, in one interpreter. */
export function runHealth(script: string, objects: readonly unknown[]): HealthResult[] {
  const r = spawnSync(LUA, [HARNESS, script], { input: `{${objects.map(toLua).join(",\n")}}`, encoding: "utf8", timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${LUA} exited with ${r.status}: ${r.stderr}${r.stdout}`);
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  if (lines.length !== objects.length) throw new Error(`expected ${objects.length} results, got ${lines.length}: ${r.stdout}${r.stderr}`);
  return lines.map((line) => {
    const [kind, a = "", b = ""] = line.split(" ");
    const text = (h: string) => Buffer.from(h, "hex").toString("utf8");
    if (kind === "ok") return { kind, status: text(a), message: text(b) };
    if (kind === "nil") return { kind };
    return { kind: "error", message: text(a) };
  });
}
