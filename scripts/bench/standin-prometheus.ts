// A STAND-IN for Prometheus, for benchmarks whose subject is the operator's own cost: it answers
// the instant queries the operator sends (POST /api/v1/query) with deterministic vectors shaped
// like a real model's (counts by outcome per segment, cumulative histogram buckets per feature
// and segment, ratio counters), without storing or computing anything. Not a test double for
// correctness: the statistics are tested against the real Prometheus and scipy elsewhere.
// A batched query (label=~"a|b|…" matchers, grouped by those labels too: src/domain/query-batch.ts)
// gets the same vector once per combination of the alternatives, carrying them as labels.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { QueryRequest, QueryResult } from "../../src/domain/observation.ts";

export const PLANTS = ["a", "b", "c", "d"];
const LES = ["0.1", "0.5", "1", "2", "+Inf"];
const FEATURES = ["age", "income", "tenure"];

/**
 * The answer to one query, from its text and the moment only: the same expression always gets
 * the same vector at the same moment. The moment (a minute count) nudges the current window's
 * numbers a little, as a live model's do, while every state stays the same (healthy, no drift):
 * what moves between two evaluations is values only.
 */
export function standinAnswer(q: Pick<QueryRequest, "expr">, moment = 0): QueryResult {
  const samples: { labels: Record<string, string>; value: number }[] = [];
  const nudge = q.expr.includes("offset") ? 0 : moment % 5;
  if (q.expr.includes("outcome"))
    for (const plant of PLANTS)
      for (const [outcome, v] of [
        ["tp", 400],
        ["tn", 500],
        ["fp", 50 + nudge],
        ["fn", 50],
      ] as const)
        samples.push({ labels: { outcome, plant }, value: v });
  else if (q.expr.includes("le"))
    for (const plant of PLANTS)
      for (const feature of FEATURES) LES.forEach((le, i) => samples.push({ labels: { le, plant, feature }, value: 200 * (i + 1) + (i === 0 ? nudge : 0) }));
  else for (const plant of PLANTS) samples.push({ labels: { plant }, value: q.expr.includes("refusal") ? 20 + nudge : 1000 });
  return { kind: "vector", samples };
}

/** The alternatives of each `name=~"a|b"` matcher of a query, unescaped (PromQL string, then RE2 literal). */
export function alternativesOf(expr: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const m of expr.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)=~"((?:[^"\\]|\\.)*)"/g)) {
    const regex = (m[2] as string).replace(/\\(u[0-9a-f]{4}|.)/gs, (_x, c: string) =>
      c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
    );
    const values = [""];
    for (let i = 0; i < regex.length; i++) {
      const ch = regex[i] as string;
      if (ch === "\\") values[values.length - 1] += regex[++i] ?? "";
      else if (ch === "|") values.push("");
      else values[values.length - 1] += ch;
    }
    out.push([m[1] as string, values]);
  }
  return out;
}

/** standinAnswer, once per combination of a batched query's alternatives. */
export function standinBatchedAnswer(expr: string, moment = 0): QueryResult {
  const one = standinAnswer({ expr }, moment);
  let samples = one.kind === "vector" ? one.samples : [];
  for (const [name, values] of alternativesOf(expr))
    samples = values.flatMap((v) => samples.map((s) => ({ labels: { ...s.labels, [name]: v }, value: s.value })));
  return { kind: "vector", samples };
}

export interface StandinPrometheus {
  url: string;
  /** Queries answered so far. */
  queries(): number;
  close(): Promise<void>;
}

export async function startStandinPrometheus(): Promise<StandinPrometheus> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (!req.url?.startsWith("/api/v1/query")) return void res.writeHead(404).end();
      count++;
      const expr = new URLSearchParams(body || (req.url.split("?")[1] ?? "")).get("query") ?? "";
      const answer = standinBatchedAnswer(expr, Math.floor(Date.now() / 60_000));
      const result = answer.kind === "vector" ? answer.samples.map((s) => ({ metric: s.labels, value: [Date.now() / 1000, String(s.value)] })) : [];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries: () => count,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
