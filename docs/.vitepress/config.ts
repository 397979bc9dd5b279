// The docs site: `npm run docs:build` (into docs/.vitepress/dist, ignored by git), `npm run docs:dev`.
// Dead links fail the build; nothing is fetched from the network (VitePress bundles its font).
import { defineConfig } from "vitepress";

const sidebar = [
  {
    text: "Start",
    items: [
      { text: "Getting started", link: "/getting-started" },
      { text: "Concepts", link: "/concepts/" },
      { text: "How it works", link: "/concepts/how-it-works" },
    ],
  },
  {
    text: "Monitoring",
    items: [
      { text: "ModelMonitor", link: "/monitoring/modelmonitor" },
      { text: "Signals: what your model exports", link: "/monitoring/signals" },
      { text: "Drift and decision rules", link: "/monitoring/drift" },
      { text: "The governance report", link: "/monitoring/report" },
    ],
  },
  {
    text: "Retraining",
    items: [
      { text: "RetrainPolicy", link: "/retraining/retrainpolicy" },
      { text: "Notifications", link: "/retraining/notifications" },
    ],
  },
  {
    text: "Rollouts",
    items: [
      { text: "ModelRollout", link: "/rollouts/" },
      { text: "Analysis", link: "/rollouts/analysis" },
      { text: "Shadow testing", link: "/rollouts/shadow" },
      { text: "Rollback, quarantine, promotion", link: "/rollouts/rollback" },
      { text: "Approval and manual control", link: "/rollouts/control" },
      { text: "Fields the operator owns", link: "/rollouts/owned-fields" },
    ],
  },
  {
    text: "Routers",
    items: [
      { text: "Overview", link: "/routers/" },
      { text: "Gateway API (Traefik)", link: "/routers/gateway-api" },
      { text: "Istio", link: "/routers/istio" },
      { text: "KServe", link: "/routers/kserve" },
    ],
  },
  {
    text: "Operations",
    items: [
      { text: "Install", link: "/operations/install" },
      { text: "Configuration", link: "/operations/configuration" },
      { text: "Upgrades and CRDs", link: "/operations/upgrades" },
      { text: "Scale", link: "/operations/capacity" },
      { text: "Query batching", link: "/operations/scale" },
      { text: "Fault campaign", link: "/operations/faults" },
      { text: "Observability", link: "/operations/observability" },
      { text: "Argo CD and Flux", link: "/operations/gitops" },
      { text: "The container image", link: "/operations/image" },
      { text: "Per-namespace install", link: "/operations/per-namespace" },
      { text: "Least privilege", link: "/operations/least-privilege" },
      { text: "Security", link: "/operations/security" },
    ],
  },
  { text: "Statistics", items: [{ text: "Statistics", link: "/statistics" }] },
  {
    text: "Reference",
    items: [
      { text: "API", link: "/reference/api/" },
      { text: "ModelMonitor", link: "/reference/api/modelmonitor" },
      { text: "RetrainPolicy", link: "/reference/api/retrainpolicy" },
      { text: "ModelRollout", link: "/reference/api/modelrollout" },
      { text: "Events", link: "/reference/events" },
      { text: "Metrics", link: "/reference/metrics" },
      { text: "kubectl plugin", link: "/reference/kubectl-plugin" },
    ],
  },
  {
    text: "Development",
    items: [
      { text: "Overview", link: "/development/" },
      { text: "Architecture", link: "/architecture" },
      { text: "Local cluster", link: "/development/local-cluster" },
      { text: "Traefik build", link: "/development/traefik" },
      { text: "kind", link: "/development/kind" },
      { text: "Tests", link: "/development/tests" },
    ],
  },
];

export default defineConfig({
  title: "model-guardian",
  description: "A Kubernetes operator that watches ML models through Prometheus, detects drift and degradation, retrains and rolls out safely.",
  cleanUrls: true,
  // only the local addresses the pages mention (the web view, port-forwards) are not pages
  ignoreDeadLinks: [/^https?:\/\/(localhost|127\.0\.0\.1)/],
  markdown: {
    config(md) {
      // inline code is shown as written: `{{selector}}` is PromQL, not a Vue interpolation
      const inline = md.renderer.rules.code_inline!;
      md.renderer.rules.code_inline = (tokens, idx, options, env, self) => inline(tokens, idx, options, env, self).replace(/^<code/, "<code v-pre");
    },
  },
  // esbuild does not know the repository's tsconfig target (es2024); these few files need none of it
  vite: { esbuild: { tsconfigRaw: { compilerOptions: { target: "es2022" } } } },
  themeConfig: {
    nav: [
      { text: "Getting started", link: "/getting-started" },
      { text: "Concepts", link: "/concepts/" },
      { text: "Operations", link: "/operations/install" },
      { text: "Reference", link: "/reference/api/" },
    ],
    sidebar,
    outline: [2, 3],
    search: { provider: "local" },
  },
});
