// The optional defences' settings: off unless set, lists split and checked entry by entry, a
// bad entry named in the error that stops the operator.
import { describe, expect, it } from "vitest";
import { loadConfig, querySettingsOf } from "../src/config.ts";

describe("the optional defences' settings", () => {
  it("are off by default: any service account, any image, no opt-in label", () => {
    const c = loadConfig({});
    expect(c.JOB_ALLOWED_SERVICE_ACCOUNTS).toBeUndefined();
    expect(c.JOB_ALLOWED_IMAGES).toBeUndefined();
    expect(c.REQUIRE_TARGET_OPT_IN).toBe(false);
    // empty is unset, as for every variable
    expect(loadConfig({ JOB_ALLOWED_IMAGES: "", JOB_ALLOWED_SERVICE_ACCOUNTS: " , " })).toMatchObject({
      JOB_ALLOWED_IMAGES: undefined,
      JOB_ALLOWED_SERVICE_ACCOUNTS: undefined,
    });
  });

  it("split comma lists and read true or false", () => {
    const c = loadConfig({
      JOB_ALLOWED_SERVICE_ACCOUNTS: "trainer, default",
      JOB_ALLOWED_IMAGES: "registry.example.com/ml/ ,docker.io/library/python",
      REQUIRE_TARGET_OPT_IN: "true",
    });
    expect(c.JOB_ALLOWED_SERVICE_ACCOUNTS).toEqual(["trainer", "default"]);
    expect(c.JOB_ALLOWED_IMAGES).toEqual(["registry.example.com/ml/", "docker.io/library/python"]);
    expect(c.REQUIRE_TARGET_OPT_IN).toBe(true);
  });

  it("name the bad entry and the variable", () => {
    expect(() => loadConfig({ JOB_ALLOWED_IMAGES: "registry.example.com/ml/,ml/" })).toThrow(
      /env\.JOB_ALLOWED_IMAGES: JOB_ALLOWED_IMAGES: "ml\/" must start with a registry host/,
    );
    expect(() => loadConfig({ JOB_ALLOWED_SERVICE_ACCOUNTS: "trainer,Admin_SA" })).toThrow(
      /JOB_ALLOWED_SERVICE_ACCOUNTS: "Admin_SA" is not a ServiceAccount name/,
    );
    expect(() => loadConfig({ REQUIRE_TARGET_OPT_IN: "yes" })).toThrow(/env\.REQUIRE_TARGET_OPT_IN: REQUIRE_TARGET_OPT_IN must be true or false/);
  });
});

describe("CLOCK_OFFSET (the fault campaign's clock skew)", () => {
  it("is 0 by default and takes a signed duration", () => {
    expect(loadConfig({}).CLOCK_OFFSET).toBe(0);
    expect(loadConfig({ CLOCK_OFFSET: "30s" }).CLOCK_OFFSET).toBe(30_000);
    expect(loadConfig({ CLOCK_OFFSET: "-30s" }).CLOCK_OFFSET).toBe(-30_000);
    expect(() => loadConfig({ CLOCK_OFFSET: "soon" })).toThrow(/CLOCK_OFFSET must be a duration such as 30s or -30s/);
  });
});

describe("querySettingsOf: how monitors' queries reach Prometheus", () => {
  it("turns the settings into the resolver's options, batching included by default", () => {
    const q = querySettingsOf(loadConfig({ PROMETHEUS_URL: "http://prom:9090", QUERY_TIMEOUT: "7s", QUERY_BATCH_WINDOW: "250ms", QUERY_BATCH_MAX: "40" }));
    expect(q).toEqual({
      defaultUrl: "http://prom:9090",
      defaultTimeoutMs: 7_000,
      retries: 2,
      perSourceConcurrency: 8,
      batching: { windowMs: 250, maxMembers: 40 },
    });
  });

  it("sends every query alone when QUERY_BATCHING is false", () => {
    expect(querySettingsOf(loadConfig({ QUERY_BATCHING: "false" })).batching).toBeUndefined();
  });
});

describe("SHUTDOWN_GRACE (how long a stop waits for the reconciles in flight)", () => {
  it("is 20s by default, below Kubernetes' default terminationGracePeriodSeconds of 30 s", () => {
    expect(loadConfig({}).SHUTDOWN_GRACE).toBe("20s");
    expect(loadConfig({ SHUTDOWN_GRACE: "1m" }).SHUTDOWN_GRACE).toBe("1m");
  });
  it.each(["soon", "0s", "-5s"])("refuses %s, naming the variable", (value) => {
    expect(() => loadConfig({ SHUTDOWN_GRACE: value })).toThrow(/env\.SHUTDOWN_GRACE: SHUTDOWN_GRACE must be a duration longer than 0s, such as 20s/);
  });
});
