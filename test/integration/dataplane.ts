// The Gateway API data plane of the integration tests: Traefik as a child process, a Gateway
// per namespace, TraefikService backends on 127.0.0.1. The harness lives in
// scripts/lib/dataplane.ts, so `npm run demo` uses the same one; this file keeps the tests'
// import path.
export { startDataPlane, TRAEFIK, type BackendRef, type DataPlane, type DataPlaneOptions, type ParentRef } from "../../scripts/lib/dataplane.ts";
