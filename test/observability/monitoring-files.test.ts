// The monitoring files users install: config/monitoring/alerts.yaml (checked and unit-tested by
// promtool, which Debian's prometheus package ships: scripts/cluster/ensure-prereqs.sh installs
// it) and config/monitoring/dashboard.json, their copies in the chart, and the metrics they name
// against the ones the operator exports (src/adapters/telemetry.ts). Whether every panel's
// query returns data from a running operator is test/integration/observability.test.ts.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { OperatorMetrics } from "../../src/adapters/telemetry.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const MONITORING = join(ROOT, "config/monitoring");
const CHART_FILES = join(ROOT, "charts/model-guardian/files");

function tool(command: string, pkg: string, args: string[], cwd = MONITORING): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT")
        reject(new Error(`${command} not found: install Debian's ${pkg} package (bash scripts/cluster/ensure-prereqs.sh)`));
      else resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    }),
  );
}
const promtool = (args: string[], cwd = MONITORING) => tool("promtool", "prometheus", args, cwd);
const amtool = (args: string[]) => tool("amtool", "prometheus-alertmanager", args);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesFile = async () => parse(await readFile(join(MONITORING, "alerts.yaml"), "utf8")) as { groups: { name: string; rules: Rule[] }[] };
const alerts = async () => (await rulesFile()).groups.flatMap((g) => g.rules);

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
  legendFormat?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}
const dashboard = async () => JSON.parse(await readFile(join(MONITORING, "dashboard.json"), "utf8")) as Dashboard;
const queriesOf = (d: Dashboard) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
const variableQueries = (d: Dashboard) =>
  d.templating.list.filter((v) => v.type === "query").map((v) => ({ name: v.name, query: typeof v.query === "string" ? v.query : v.query.query }));
/** A panel's PromQL with Grafana's variables filled in ($var, ${var}; multi-value as a regex). */
const render = (expr: string, values: Record<string, string>) =>
  expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => values[(a ?? b) as string] ?? m);
const ALL = { namespace: ".*", monitor: ".*", model: ".*", __rate_interval: "1m", __interval: "15s", __range: "6h" };

/** Names the operator exports: its registry's metrics, with a histogram's series suffixes. */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new OperatorMetrics().registry.getMetricsAsJSON()) {
    if (!m.name.startsWith("modelguardian_")) continue;
    names.add(m.name);
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(m.name + s);
  }
  return names;
}
const namedIn = (text: string) => new Set(text.match(/\bmodelguardian_[a-z_]+/g) ?? []);

describe("the alerting rules (config/monitoring/alerts.yaml)", () => {
  it("promtool check rules accepts them", async () => {
    const rules = await alerts();
    const r = await promtool(["check", "rules", "alerts.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  });

  it("pass their promtool unit tests (alerts.test.yaml)", async () => {
    const r = await promtool(["test", "rules", "alerts.test.yaml"]);
    expect(r.stdout + r.stderr).toMatch(/alerts\.test\.yaml\s+SUCCESS/);
    expect(r.code).toBe(0);
    // every alert has at least one case in which it fires
    const tested = parse(await readFile(join(MONITORING, "alerts.test.yaml"), "utf8")) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(tested.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect([...firing].sort()).toEqual((await alerts()).map((a) => a.alert).sort());
  });

  it("cover the issue's cases, each with a severity, a summary and a description", async () => {
    const rules = await alerts();
    expect(rules.map((r) => r.alert)).toEqual([
      "ModelGuardianMonitorCritical",
      "ModelGuardianRulesUnjudged",
      "ModelGuardianDriftDetected",
      "ModelGuardianActionJobFailed",
      "ModelGuardianRetrainBudgetExhausted",
      "ModelGuardianRolloutRolledBack",
      "ModelGuardianRolloutPaused",
      "ModelGuardianQueryErrorsHigh",
      "ModelGuardianReconcileErrors",
      "ModelGuardianDown",
      "ModelGuardianNoLeader",
    ]);
    for (const r of rules) {
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      // drift alerts carry the finding's own severity label (warning or critical)
      if (r.alert === "ModelGuardianDriftDetected") expect(r.expr).toMatch(/by \([^)]*\bseverity\b/);
      else expect(["warning", "critical"], r.alert).toContain(r.labels?.severity);
    }
  });

  it("name only metrics the operator exports", async () => {
    const exported = await exportedMetrics();
    const named = namedIn((await alerts()).map((r) => r.expr).join("\n"));
    expect(named.size).toBeGreaterThan(5);
    for (const name of named) expect(exported, name).toContain(name);
  });

  it("the chart's PrometheusRule loads a byte-for-byte copy (charts/model-guardian/files/alerts.yaml)", async () => {
    expect(await readFile(join(CHART_FILES, "alerts.yaml"), "utf8")).toBe(await readFile(join(MONITORING, "alerts.yaml"), "utf8"));
  });
});

describe("the Grafana dashboard (config/monitoring/dashboard.json)", () => {
  it("the chart's ConfigMap loads a byte-for-byte copy (charts/model-guardian/files/dashboard.json)", async () => {
    expect(await readFile(join(CHART_FILES, "dashboard.json"), "utf8")).toBe(await readFile(join(MONITORING, "dashboard.json"), "utf8"));
  });

  it("lays its panels out on Grafana's 24-column grid without overlaps; ids and refIds are unique", async () => {
    const d = await dashboard();
    expect(d.uid).toBe("model-guardian");
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      if (p.type === "row") continue;
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(refIds.length, p.title).toBeGreaterThan(0);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
    }
  });

  it("has the panels of the issue, filtered by the namespace and monitor variables", async () => {
    const d = await dashboard();
    expect(d.templating.list.map((v) => v.name)).toEqual(["datasource", "namespace", "monitor", "model"]);
    const titles = d.panels.filter((p) => p.type !== "row").map((p) => p.title);
    for (const want of [
      /^Health per monitor$/,
      /Rules not judged/,
      /Signal values against baselines/,
      /Drift scores per feature and method/,
      /Findings by type and severity/,
      /Jobs started/,
      /Job outcomes/,
      /Evaluation duration/,
      /query errors/,
      /Canary weight/,
      /analyses by outcome/,
      /Promotions and rollbacks/,
      /^Leader$/,
    ])
      expect(
        titles.some((t) => want.test(t)),
        String(want),
      ).toBe(true);
    const queries = queriesOf(d);
    const perMonitor = queries.filter((q) => /modelguardian_(monitor_health|rules_unjudged|signal_|drift_score|findings|action_jobs_active)/.test(q.expr));
    for (const q of perMonitor) expect(q.expr, q.panel).toContain('namespace=~"$namespace", monitor=~"$monitor"');
    const perModel = queries.filter((q) => /modelguardian_(retrain_events|reindex_events|action_jobs_finished|rollout_)/.test(q.expr));
    for (const q of perModel) expect(q.expr, q.panel).toContain('namespace=~"$namespace", model=~"$model"');
  });

  it("names only metrics the operator exports, and shows every one of them", async () => {
    const d = await dashboard();
    const exported = await exportedMetrics();
    const named = namedIn([...queriesOf(d).map((q) => q.expr), ...variableQueries(d).map((v) => v.query)].join("\n"));
    for (const name of named) expect(exported, name).toContain(name);
    // a histogram is shown through its _bucket series
    const shown = new Set([...named].map((n) => n.replace(/_bucket$/, "")));
    for (const name of exported) if (!/_(sum|count|bucket)$/.test(name)) expect(shown, name).toContain(name);
  });

  it("every panel and variable query parses (promtool check rules, each query as a recording rule)", async () => {
    const d = await dashboard();
    const rules: Rule[] = queriesOf(d).map((q, i) => ({ record: `dashboard:query_${i}`, expr: render(q.expr, ALL) }));
    // label_values(SELECTOR, label): the selector is PromQL
    for (const v of variableQueries(d)) {
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.query);
      expect(m, v.name).not.toBeNull();
      rules.push({ record: `dashboard:variable_${v.name}`, expr: render((m as RegExpExecArray)[1] as string, ALL) });
    }
    const dir = await mkdtemp(join(tmpdir(), "mg-dashboard-"));
    try {
      await writeFile(join(dir, "queries.yaml"), stringify({ groups: [{ name: "dashboard", rules }] }));
      const r = await promtool(["check", "rules", "queries.yaml"], dir);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the Alertmanager routes (config/monitoring/alertmanager.example.yaml)", () => {
  it("amtool check-config accepts them", async () => {
    const r = await amtool(["check-config", "alertmanager.example.yaml"]);
    expect(r.stdout).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("send every alert to Slack, critical ones to PagerDuty too, failed Jobs, budgets and rollbacks to email too", async () => {
    const rules = await alerts();
    const route = async (labels: Record<string, string>) => {
      const r = await amtool(["config", "routes", "test", "--config.file=alertmanager.example.yaml", ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    const email = new Set(["ModelGuardianActionJobFailed", "ModelGuardianRetrainBudgetExhausted", "ModelGuardianRolloutRolledBack"]);
    for (const rule of rules) {
      // the drift alert carries the finding's severity: try both
      for (const severity of rule.labels?.severity ? [rule.labels.severity] : ["warning", "critical"]) {
        const want = [...(severity === "critical" ? ["ml-pagerduty"] : []), ...(email.has(rule.alert as string) ? ["ml-email"] : []), "ml-slack"];
        expect(await route({ alertname: rule.alert as string, severity }), `${rule.alert} ${severity}`).toBe(want.join(","));
      }
    }
    expect(await route({ alertname: "SomethingElse", severity: "critical" })).toBe("default");
  });
});
