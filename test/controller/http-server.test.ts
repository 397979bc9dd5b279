// The operator's HTTP server on a real socket: each path answered by what it serves, health by the role and the caches.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer } from "../../src/controller/http-server.ts";
import type { KubeObject } from "../../src/controller/reconciler.ts";

const monitor: KubeObject = {
  metadata: { name: "fraud", namespace: "ml", uid: "u1" },
  status: { report: { configMap: "fraud-report", lastTime: "2026-12-01T10:00:00Z" } },
};

const servers: { close(): void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

function serve(o: { synced?: boolean; read?: (ns: string, cm: string, key: string) => Promise<string | undefined> } = {}) {
  const state = { synced: o.synced ?? true, role: "leading (leader election off)" };
  const server = startHttpServer({
    addr: "127.0.0.1:0",
    metrics: { contentType: "text/plain; version=0.0.4", metrics: async () => "modelguardian_up 1\n" },
    reports: { monitor: (key) => (key === "ml/fraud" ? monitor : undefined), list: () => [monitor], read: o.read ?? (async () => "# the report\n") },
    clock: { now: () => Date.parse("2026-12-01T11:00:00Z") },
    role: () => state.role,
    synced: () => state.synced,
  });
  servers.push(server);
  const url = async (path: string, method = "GET") => {
    if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, { method });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
  };
  return { url, state };
}

describe("the HTTP server", () => {
  it("serves the metrics exposition", async () => {
    const { url } = serve();
    expect(await url("/metrics")).toEqual({ status: 200, type: "text/plain; version=0.0.4", body: "modelguardian_up 1\n" });
  });

  it("is healthy with its role, and ready only once the caches are synced", async () => {
    const { url, state } = serve({ synced: false });
    expect(await url("/healthz")).toMatchObject({ status: 200, body: "ok: leading (leader election off)\n" });
    expect(await url("/readyz")).toMatchObject({ status: 503, body: "caches not synced yet: leading (leader election off)\n" });
    state.synced = true;
    state.role = "standby (Lease mg held by other)";
    expect(await url("/readyz")).toMatchObject({ status: 200, body: "ok: standby (Lease mg held by other)\n" });
  });

  it("serves reports and the web view from the lookup; a failed read is a 502", async () => {
    const { url } = serve();
    expect(await url("/reports")).toMatchObject({ status: 200, type: "text/markdown; charset=utf-8" });
    expect((await url("/reports")).body).toContain("[ml/fraud](/reports/ml/fraud)");
    expect(await url("/reports/ml/fraud")).toMatchObject({ status: 200, body: "# the report\n" });
    expect(await url("/ui/")).toMatchObject({ status: 200, type: "text/html; charset=utf-8" });
    expect(await url("/reports/ml/fraud", "HEAD")).toMatchObject({ status: 200, body: "" });
    const failing = serve({ read: async () => Promise.reject(new Error("the API server is away")) });
    expect(await failing.url("/reports/ml/fraud")).toEqual({ status: 502, type: "text/plain; charset=utf-8", body: "the API server is away\n" });
  });

  it("answers 404 elsewhere", async () => {
    const { url } = serve();
    expect((await url("/nothing")).status).toBe(404);
    expect((await url("/uix")).status).toBe(404);
  });
});
