// Lint: TypeScript rules, plus the layering rule: src/domain and src/api are pure (no I/O,
// no Node built-ins, no adapters or clients), so decisions can be tested without fakes.
import tseslint from "typescript-eslint";

const IO_MODULES = ["node:*", "fs", "fs/*", "http", "https", "net", "child_process", "os", "path", "crypto", "@kubernetes/*", "prom-client", "pino", "undici"];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".cache/", ".local/", "crds/", "docs/.vitepress/dist/", "docs/.vitepress/cache/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/domain/**/*.ts", "src/api/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: IO_MODULES, message: "src/domain and src/api are pure: no I/O imports (put I/O in src/adapters)." },
            { group: ["**/adapters/**", "**/controller/**", "**/main.ts", "**/ports.ts"], message: "src/domain and src/api must not depend on outer layers." },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "no I/O in the pure core" },
        { name: "process", message: "no process access in the pure core" },
        { name: "setTimeout", message: "no timers in the pure core: return a requeue delay instead" },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "the pure core takes `now` as an argument" },
        { object: "Math", property: "random", message: "the pure core takes a seeded RNG" },
      ],
    },
  },
);
