// Helpers of the simulator's tests: the Prometheus text format parsed into samples, and sums over them.
import { afterEach, expect } from "vitest";
import type { ModelServerOptions } from "../../sim/behaviour.ts";
import { startModelServer, type ModelServer } from "../../sim/model-server.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** GET <url>/metrics, parsed. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parseExposition(await res.text());
}

/** Sum of the samples of `name` whose labels include `match`. */
export function total(s: Scrape, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const sample of s.samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
  }
  return sum;
}

export function delta(a: Scrape, b: Scrape, name: string, match: Record<string, string> = {}): number {
  return total(b, name, match) - total(a, name, match);
}

/**
 * A starter of model servers for the churn model (v1, plants a and b, seed 42), with `defaults`
 * and then each call's options over that; every server it started is closed after each test.
 */
export function churnServers(defaults: Partial<ModelServerOptions> = {}): (options?: Partial<ModelServerOptions>) => Promise<ModelServer> {
  const servers: ModelServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const server = await startModelServer({ model: "churn", version: "v1", segments: { "plant-a": {}, "plant-b": {} }, seed: 42, ...defaults, ...options });
    servers.push(server);
    return server;
  };
}
