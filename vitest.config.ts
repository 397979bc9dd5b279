import { defineConfig } from "vitest/config";

const LEAST_PRIVILEGE = "test/integration/least-privilege.test.ts";
const FAULTS = "test/faults/campaign.test.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", FAULTS],
          testTimeout: 30_000,
          // unit, then integration, then least-privilege. Explicit for each: vitest runs a
          // project left at the default order with one worker (file parallelism off, or 2
          // cores) after every ordered group
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: [LEAST_PRIVILEGE],
          globalSetup: ["test/integration/global-setup.ts"],
          // one local control plane and one Prometheus: files run one after another
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // the verbs the shipped roles grant against those the operator used in the API
          // server's audit log: meaningful only once every integration file has run, so last
          name: "least-privilege",
          include: [LEAST_PRIVILEGE],
          globalSetup: ["test/integration/global-setup.ts"],
          sequence: { groupOrder: 3 },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // the CI subset of the fault campaign (test/stage/faults, run by scripts/faults/run.ts): a control plane of its own,
          // started and stopped by the file, on ports +300; after the rest, about 6 minutes
          name: "faults",
          include: [FAULTS],
          sequence: { groupOrder: 4 },
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
