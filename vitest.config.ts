import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // integration tests share one local control plane: run files one at a time there
    fileParallelism: true,
    testTimeout: 20_000,
    hookTimeout: 120_000,
  },
});
