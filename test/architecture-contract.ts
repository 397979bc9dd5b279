// The import contract of src/: each layer and the layers it may import (itself included where
// listed). Read by test/architecture.test.ts (every import obeys it) and by
// test/architecture-doc.test.ts (docs/architecture.md states it).
export type Layer = "api" | "domain" | "ports" | "config" | "adapters" | "controller" | "cli" | "main";

/** What each layer may import (itself included where listed). */
export const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  api: ["api"],
  domain: ["api", "domain"],
  ports: ["api", "domain"],
  config: ["api", "domain"],
  adapters: ["api", "domain", "ports", "adapters"],
  controller: ["api", "domain", "ports", "controller"],
  cli: ["api", "domain", "ports", "adapters", "cli"],
  main: ["api", "domain", "ports", "config", "adapters", "controller", "main"],
};
