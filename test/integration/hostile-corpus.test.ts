// A corpus of invalid objects, one mistake each. The API server must refuse every one naming
// the field, and the operator's own schema must refuse it too, naming the same field: so a
// person learns of the mistake at `kubectl apply`, and nothing the server accepted is later
// refused by the operator. Boundary values that must be accepted are checked the same way.
import { describe, expect, it } from "vitest";
import { buildCrd, RESOURCES } from "../../src/api/crd.ts";
import { dryRunCreate, given, kubectl, kubectlOk, useStage } from "../stage/index.ts";
import {
  apiObject,
  DELETE,
  fieldOf,
  fullMonitorSpec,
  fullPolicySpec,
  operatorVerdict,
  setAt,
  type ApiObject,
  type Json,
  type Path,
} from "./hostile/objects.ts";

const stage = useStage(given("hostile"));

interface Mistake {
  what: string;
  kind: ApiObject["kind"];
  path: Path;
  value: Json | typeof DELETE;
  /** The field the message must name; defaults to the path. */
  field?: string;
  /** A part of the API server's message, when the field alone says too little. */
  says?: RegExp;
}

const MM = "ModelMonitor" as const;
const RP = "RetrainPolicy" as const;
const mm = (what: string, path: Path, value: Json | typeof DELETE, field?: string, says?: RegExp): Mistake => ({
  what,
  kind: MM,
  path,
  value,
  ...(field ? { field } : {}),
  ...(says ? { says } : {}),
});
const rp = (what: string, path: Path, value: Json | typeof DELETE, field?: string, says?: RegExp): Mistake => ({
  what,
  kind: RP,
  path,
  value,
  ...(field ? { field } : {}),
  ...(says ? { says } : {}),
});

// every duration, with its bounds: [kind, path, smallest allowed, largest allowed]
const DURATIONS: [ApiObject["kind"], Path, string, string][] = [
  [MM, ["interval"], "1s", "7d"],
  [MM, ["window"], "1s", "365d"],
  [MM, ["source", "timeout"], "100ms", "5m"],
  [MM, ["signals", 2, "window"], "1s", "365d"],
  [MM, ["rules", 0, "for"], "0s", "30d"],
  [MM, ["rules", 1, "baseline", "offset"], "1s", "365d"],
  [MM, ["drift", 0, "window"], "1s", "365d"],
  [MM, ["drift", 0, "reference", "offset"], "1s", "365d"],
  [MM, ["drift", 0, "reference", "window"], "1s", "365d"],
  [RP, ["cooldown"], "0s", "90d"],
  [RP, ["backoff", "initial"], "1s", "30d"],
  [RP, ["backoff", "max"], "1s", "30d"],
  [RP, ["budget", "per"], "1s", "365d"],
];
const justBelow = (min: string) => (min === "100ms" ? "99ms" : "999ms");
const justAbove = (max: string) => (max.endsWith("d") ? `${max.slice(0, -1)}d1s` : `${max}1ms`);
const durationMistakes: Mistake[] = DURATIONS.flatMap(([kind, path, min, max]) => [
  ...(min === "0s"
    ? []
    : [{ what: `${fieldOf(path)} under ${min}`, kind, path, value: justBelow(min), says: new RegExp(`must be between ${min} and ${max}`) }]),
  ...(min === "0s" ? [] : [{ what: `${fieldOf(path)} of 0s`, kind, path, value: "0s", says: /must be between/ }]),
  { what: `${fieldOf(path)} over ${max}`, kind, path, value: justAbove(max), says: new RegExp(`must be between ${min} and ${max}`) },
  { what: `${fieldOf(path)} in words`, kind, path, value: "5 minutes", says: /should match/ },
]);
const boundaryValues = DURATIONS.flatMap(([kind, path, min, max]) => [
  { kind, path, value: min },
  { kind, path, value: max },
]);

const CORPUS: Mistake[] = [
  ...durationMistakes,
  // label names, which cannot be escaped in PromQL
  ...(
    [
      ["signals", 0, "classification", "outcomeLabel"],
      ["versionLabel"],
      ["drift", 0, "histogram", "featureLabel"],
      ["drift", 1, "embedding", "dimensionLabel"],
      ["segments", "label"],
      ["fairness", 0, "groupLabel"],
    ] as Path[]
  ).map((p) => mm(`label name ${fieldOf(p)} with dots and a slash`, p, "app.kubernetes.io/name", undefined, /should match/)),
  // map keys
  mm("a selector key with dots and a slash", ["selector"], { "app.kubernetes.io/name": "x" }, "spec.selector", /invalid key "app\.kubernetes\.io\/name"/),
  mm("a selector key with a dash", ["selector"], { "model-name": "x" }, "spec.selector", /invalid key "model-name"/),
  mm("a selector key that closes the matcher", ["selector"], { 'model"}': "x" }, "spec.selector", /invalid key "model\\"}"/),
  mm("an empty selector key", ["selector"], { "": "x" }, "spec.selector", /invalid key ""/),
  mm("a selector key starting with a digit", ["selector"], { "1model": "x" }, "spec.selector", /invalid key "1model"/),
  mm(
    "a matchLabels key with a space",
    ["signals", 3, "ratio", "numerator", "matchLabels"],
    { "is refusal": "true" },
    "spec.signals[3].ratio.numerator.matchLabels",
    /invalid key "is refusal"/,
  ),
  mm(
    "a matchLabels key of 101 characters",
    ["signals", 3, "ratio", "denominator", "matchLabels"],
    { ["a".repeat(101)]: "x" },
    "spec.signals[3].ratio.denominator.matchLabels",
    /invalid key/,
  ),
  rp("a config key with a space", ["actions", 0, "config"], { "batch size": "64" }, "spec.actions[0].config", /invalid key "batch size"/),
  rp("a config key starting with a digit", ["actions", 0, "config"], { "1epochs": "3" }, "spec.actions[0].config", /invalid key "1epochs"/),
  rp("an empty config key", ["actions", 0, "config"], { "": "3" }, "spec.actions[0].config", /invalid key ""/),
  rp("a config key with an equals sign", ["actions", 0, "config"], { "a=b": "3" }, "spec.actions[0].config", /invalid key "a=b"/),
  mm(
    "more than 16 selector entries",
    ["selector"],
    Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, "x"])),
    "spec.selector",
    /at most 16|Too many/,
  ),
  // metric names
  ...(
    [
      ["signals", 0, "classification", "metric"],
      ["signals", 1, "regression", "count"],
      ["signals", 2, "histogram", "metric"],
      ["signals", 3, "ratio", "numerator", "metric"],
      ["drift", 0, "histogram", "metric"],
      ["drift", 1, "embedding", "metric"],
    ] as Path[]
  ).map((p) => mm(`metric name ${fieldOf(p)} with a dash`, p, "model-predictions", undefined, /should match/)),
  // names
  mm("an upper-case signal name", ["signals", 0, "name"], "Accuracy", undefined, /should match/),
  mm("a drift name starting with a dash", ["drift", 0, "name"], "-features", undefined, /should match/),
  mm("a rule naming a signal in capitals", ["rules", 0, "signal"], "ACCURACY", undefined, /should match/),
  rp("an action name with a bang", ["actions", 0, "name"], "retrain!", undefined, /should match/),
  rp("a trigger naming an action with a space", ["triggers", 0, "action"], "re train", undefined, /should match/),
  mm("a policyRef that is no object name", ["policyRef", "name"], "Fraud_Policy", undefined, /should match/),
  mm("an empty Secret name", ["source", "authSecretRef", "name"], "", undefined, /at least 1 chars/),
  // enums
  mm("an unknown classification measure", ["signals", 0, "classification", "measure"], "accurasy", undefined, /Unsupported value: "accurasy"/),
  mm("an unknown regression measure", ["signals", 1, "regression", "measure"], "mape", undefined, /Unsupported value/),
  mm("an unknown histogram measure", ["signals", 2, "histogram", "measure"], "p99", undefined, /Unsupported value/),
  mm("an unknown drift method", ["drift", 0, "method"], "energy", undefined, /Unsupported value/),
  mm("an unknown correction", ["drift", 0, "correction"], "fdr", undefined, /Unsupported value/),
  mm("an unknown finding type on a rule", ["rules", 2, "findingType"], "Sadness", undefined, /Unsupported value/),
  mm("an unknown preset", ["presets", 0], "lenient", undefined, /Unsupported value/),
  mm("an unknown fairness severity", ["fairness", 0, "severity"], "info", undefined, /Unsupported value/),
  mm("an unknown pin trigger", ["rules", 0, "baseline", "pinned", "when"], "Always", undefined, /Unsupported value: "Always"/),
  mm(
    "an unknown reference pin trigger",
    ["drift", 1, "reference", "pinned"],
    { when: "Daily" },
    "spec.drift[1].reference.pinned.when",
    /Unsupported value: "Daily"/,
  ),
  rp("an unknown finding type on a trigger", ["triggers", 0, "findings", 0], "Sadness", undefined, /Unsupported value/),
  rp("an unknown minimum severity", ["triggers", 0, "minSeverity"], "fatal", undefined, /Unsupported value/),
  rp("an unknown purpose", ["actions", 1, "purpose"], "finetune", undefined, /Unsupported value/),
  rp(
    "a Job that restarts forever",
    ["actions", 0, "jobTemplate", "spec", "template", "spec", "restartPolicy"],
    "Always",
    undefined,
    /Unsupported value: "Always"/,
  ),
  // numbers
  mm("negative minSamples", ["minSamples"], -1, undefined, /greater than or equal to 0/),
  mm("fractional minSamples", ["minSamples"], 1.5, undefined, /integer/),
  mm("minSamples beyond int32", ["minSamples"], 2 ** 31, undefined, /less than or equal to/),
  mm("a signal's negative minSamples", ["signals", 4, "minSamples"], -3, undefined, /greater than or equal to 0/),
  mm("a quantile over 1", ["signals", 2, "histogram", "quantile"], 1.5, undefined, /less than or equal to 1/),
  mm("alpha of 0", ["drift", 0, "alpha"], 0, undefined, /greater than 0/),
  mm("alpha of 1", ["drift", 0, "alpha"], 1, undefined, /less than 1/),
  mm("epsilon of 0", ["drift", 0, "epsilon"], 0, undefined, /greater than 0/),
  mm("a dataset drift share of 2", ["drift", 0, "datasetDriftShare"], 2, undefined, /less than or equal to 1/),
  mm("a fairness ratio of 0", ["fairness", 0, "minRatio"], 0, undefined, /greater than 0/),
  mm("a fairness ratio over 1", ["fairness", 0, "minRatio"], 1.5, undefined, /less than or equal to 1/),
  mm("a negative warning tier", ["rules", 0, "maxDrop", "warning"], -0.05, undefined, /greater than or equal to 0/),
  mm("a negative drift threshold", ["drift", 0, "threshold", "critical"], -1, undefined, /greater than or equal to 0/),
  rp("maxActiveJobs of 0", ["maxActiveJobs"], 0, undefined, /greater than or equal to 1/),
  rp("maxActiveJobs of 101", ["maxActiveJobs"], 101, undefined, /less than or equal to 100/),
  rp("historyLimit of 0", ["historyLimit"], 0, undefined, /greater than or equal to 1/),
  rp("a budget of 0 Jobs", ["budget", "maxJobs"], 0, undefined, /greater than or equal to 1/),
  rp("a negative successful Jobs limit", ["successfulJobsHistoryLimit"], -1, undefined, /greater than or equal to 0/),
  rp("a failed Jobs limit over 100", ["failedJobsHistoryLimit"], 101, undefined, /less than or equal to 100/),
  // types
  mm("suspend as a word", ["suspend"], "yes", undefined, /boolean/),
  mm("a numeric model name", ["model", "name"], 5, undefined, /string/),
  mm("signals as a string", ["signals"], "accuracy", undefined, /array/),
  mm("a selector value that is a number", ["selector", "app_name"], 7, undefined, /string/),
  rp("dryRun as a string", ["dryRun"], "true", undefined, /boolean/),
  // missing required fields
  mm("no model", ["model"], DELETE, undefined, /Required value/),
  mm("no model name", ["model", "name"], DELETE, undefined, /Required value/),
  mm("an empty model name", ["model", "name"], "", undefined, /at least 1 chars/),
  mm("a signal without a name", ["signals", 0, "name"], DELETE, undefined, /Required value/),
  mm("a rule without a signal", ["rules", 0, "signal"], DELETE, undefined, /Required value/),
  mm("a drift check without a method", ["drift", 0, "method"], DELETE, undefined, /Required value/),
  mm("a drift check without a reference", ["drift", 0, "reference"], DELETE, undefined, /Required value/),
  mm("a drift check without a threshold", ["drift", 0, "threshold"], DELETE, undefined, /Required value/),
  mm("a regression signal without a measure", ["signals", 1, "regression", "measure"], DELETE, undefined, /Required value/),
  mm("a ratio without a denominator", ["signals", 3, "ratio", "denominator"], DELETE, undefined, /Required value/),
  mm("an empty query", ["signals", 4, "query", "expr"], "", undefined, /at least 1 chars/),
  mm("a segment without a label", ["segments", "label"], DELETE, undefined, /Required value/),
  rp("an action without a Job template", ["actions", 0, "jobTemplate"], DELETE, undefined, /Required value/),
  rp("a Job template without containers", ["actions", 0, "jobTemplate", "spec", "template", "spec", "containers"], DELETE, undefined, /Required value/),
  rp("a container without an image", ["actions", 0, "jobTemplate", "spec", "template", "spec", "containers", 0, "image"], DELETE, undefined, /Required value/),
  rp("a trigger without findings", ["triggers", 0, "findings"], DELETE, undefined, /Required value/),
  rp("a trigger with an empty finding list", ["triggers", 0, "findings"], [], undefined, /at least 1 items/),
  rp("a trigger without an action", ["triggers", 0, "action"], DELETE, undefined, /Required value/),
  // unknown fields, among them what YAML 1.1 makes of an unquoted `on:` key
  mm("a misspelt field", ["intervall"], "1m", "spec.intervall", /unknown field/),
  mm("a misspelt nested field", ["signals", 0, "classification", "metricName"], "x_total", "spec.signals[0].classification.metricName", /unknown field/),
  mm("the old pinned.on field", ["rules", 0, "baseline", "pinned", "on"], "VersionChange", "spec.rules[0].baseline.pinned.on", /unknown field/),
  mm(
    "`on:` as a YAML 1.1 reader stores it",
    ["rules", 0, "baseline", "pinned", "true"],
    "VersionChange",
    "spec.rules[0].baseline.pinned.true",
    /unknown field/,
  ),
  mm("an unknown reference field", ["drift", 0, "reference", "pin"], {}, "spec.drift[0].reference.pin", /unknown field/),
  rp("an unknown policy field", ["cooldowns"], "1h", "spec.cooldowns", /unknown field/),
  // cross-field rules (CEL)
  mm(
    "two signal kinds at once",
    ["signals", 0, "ratio"],
    { numerator: { metric: "a" }, denominator: { metric: "b" } },
    "spec.signals[0]",
    /exactly one of classification, regression, histogram, ratio, query/,
  ),
  mm("no signal kind", ["signals", 0, "classification"], DELETE, "spec.signals[0]", /exactly one of classification/),
  mm("a rule on an undeclared signal", ["rules", 2, "signal"], "nope", "spec.rules", /every rules\[\]\.signal must name a signal/),
  mm("a drop without a baseline", ["rules", 0, "baseline"], DELETE, "spec.rules[0]", /set baseline/),
  mm("a rule without any comparison", ["rules", 2, "max"], DELETE, "spec.rules[2]", /a rule needs at least one of min, max/),
  mm("two baselines at once", ["rules", 1, "baseline", "value"], 0.2, "spec.rules[1].baseline", /exactly one of value, offset, pinned/),
  mm("an empty baseline", ["rules", 1, "baseline"], {}, "spec.rules[1].baseline", /exactly one of value, offset, pinned/),
  mm("a tier object without tiers", ["rules", 0, "min"], {}, "spec.rules[0].min", /at least one of warning or critical/),
  mm("a quantile signal without its quantile", ["signals", 2, "histogram", "quantile"], DELETE, "spec.signals[2].histogram", /measure quantile needs quantile/),
  mm("a share without its threshold", ["signals", 2, "histogram", "measure"], "shareAbove", "spec.signals[2].histogram", /need threshold/),
  mm("mae without its sum", ["signals", 1, "regression", "measure"], "mae", "spec.signals[1].regression", /mae needs absErrorSum/),
  mm("rmse without its sum", ["signals", 1, "regression", "squaredErrorSum"], DELETE, "spec.signals[1].regression", /rmse needs squaredErrorSum/),
  mm("r2 without the target sums", ["signals", 1, "regression", "measure"], "r2", "spec.signals[1].regression", /r2 needs/),
  mm("an embedding compared by psi", ["drift", 1, "method"], "psi", "spec.drift[1]", /embedding drift uses method cosine or euclidean/),
  mm("a histogram compared by cosine", ["drift", 0, "method"], "cosine", "spec.drift[0]", /histogram drift uses method psi/),
  mm("an embedding against an offset", ["drift", 1, "reference"], { offset: "7d" }, "spec.drift[1]", /pinned reference centroid/),
  mm("a histogram and an embedding at once", ["drift", 0, "embedding"], { metric: "centroid" }, "spec.drift[0]", /exactly one of histogram, embedding/),
  mm("a reference with offset and pin", ["drift", 0, "reference", "pinned"], {}, "spec.drift[0].reference", /exactly one of offset or pinned/),
  mm("fairness on an undeclared signal", ["fairness", 0, "signal"], "nope", "spec.fairness", /every fairness\[\]\.signal must name a signal/),
  rp("a trigger naming no action", ["triggers", 1, "action"], "reindex", "spec.triggers", /every triggers\[\]\.action must name an entry/),
  rp("an action without a purpose whose name says none", ["actions", 1, "purpose"], DELETE, "spec.actions[1]", /purpose is required/),
  // the metrics source
  ...[
    "ftp://prometheus:9090",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "prometheus.monitoring:9090",
    "http://user:secret@prometheus:9090",
    "http://prometheus:9090/?tenant=a",
    "http://",
    "http://prom etheus:9090",
    "https://prometheus:9090/#x",
    "//prometheus:9090",
  ].map((url) => mm(`source.url ${url}`, ["source", "url"], url, undefined, /should match/)),
  // lengths, counted in characters as the API server counts them
  mm("a model name of 254 characters", ["model", "name"], "m".repeat(254), undefined, /Too long: may not be more than 253/),
  mm("a version of 129 emoji", ["model", "version"], "\u{1F600}".repeat(129), undefined, /Too long: may not be more than 128/),
  mm("a selector value of 1025 characters", ["selector", "app_name"], "v".repeat(1025), undefined, /Too long: may not be more than 1024/),
  mm("a query of 4097 characters", ["signals", 4, "query", "expr"], "x".repeat(4097), undefined, /Too long: may not be more than 4096/),
  mm(
    "65 segment values",
    ["segments", "values"],
    Array.from({ length: 65 }, (_, i) => `s${i}`),
    undefined,
    /at most 64 items/,
  ),
  mm(
    "33 signals",
    ["signals"],
    Array.from({ length: 33 }, (_, i) => ({ name: `s${i}`, classification: { metric: "m_total" } })),
    undefined,
    /at most 32 items/,
  ),
  mm("a duration of 33 characters", ["interval"], "1s".repeat(16) + "1", undefined, /Too long: may not be more than 32/),
  // duplicates in lists keyed by name
  mm("two signals of one name", ["signals", 1, "name"], "accuracy", "spec.signals[1]", /Duplicate value/),
  mm("two drift checks of one name", ["drift", 1, "name"], "features", "spec.drift[1]", /Duplicate value/),
  rp("two actions of one name", ["actions", 1, "name"], "retrain", "spec.actions[1]", /Duplicate value/),
];

const ACCEPTED: { what: string; kind: ApiObject["kind"]; path: Path; value: Json }[] = [
  ...boundaryValues.map((b) => ({ what: `${fieldOf(b.path)} = ${b.value as string}`, ...b })),
  { what: "a version of 128 emoji", kind: MM, path: ["model", "version"], value: "\u{1F600}".repeat(128) },
  { what: "a label value that looks like PromQL", kind: MM, path: ["selector", "app_name"], value: '"} or vector(1) or up{a="$\'{{window}}' },
  { what: "an IPv6 source", kind: MM, path: ["source", "url"], value: "https://[::1]:9090" },
  { what: "an IPv4 source with a path", kind: MM, path: ["source", "url"], value: "http://10.0.0.1:9090/prometheus/" },
  { what: "a label name with an underscore first", kind: MM, path: ["selector"], value: { _tenant: "a", Model: "b" } },
  { what: "a config key with dots and dashes", kind: RP, path: ["actions", 0, "config"], value: { "batch.size": "1", "learning-rate": "0.1", Epochs_2: "3" } },
  { what: "a duration in several parts", kind: MM, path: ["interval"], value: "1m30s" },
  { what: "a fractional duration", kind: MM, path: ["window"], value: "1.5h" },
];

describe("the installed CRDs", () => {
  it.each(RESOURCES.map((r) => r.plural))("%s: the schema the API server holds is exactly the generated one", async (plural) => {
    const resource = RESOURCES.find((r) => r.plural === plural)!;
    const installed = JSON.parse(await kubectlOk(["get", "crd", `${plural}.modelguardian.dev`, "-o", "json"]));
    const generated = JSON.parse(JSON.stringify(buildCrd(resource))) as { spec: { versions: { schema: unknown }[] } };
    expect(installed.spec.versions[0].schema).toEqual(generated.spec.versions[0]!.schema);
  });
});

describe("a corpus of invalid objects, one mistake each", () => {
  it(`holds more than 100 mistakes (${CORPUS.length})`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
  });

  it.each(CORPUS.map((m, i) => [i, m.what, m] as const))("#%d %s: refused by the API server and the operator, naming the field", async (i, _what, m) => {
    const base = m.kind === MM ? fullMonitorSpec() : fullPolicySpec();
    const spec = setAt(base, m.path, m.value);
    const field = m.field ?? fieldOf(["spec", ...m.path]);
    const server = await dryRunCreate(apiObject(m.kind, `corpus-${i}`, stage.ns, spec));
    expect(server.accepted, `the API server accepted ${m.what}`).toBe(false);
    expect(server.message).toContain(field);
    if (m.says) expect(server.message).toMatch(m.says);
    const operator = operatorVerdict(m.kind, spec);
    expect(operator.accepted, `the operator accepted ${m.what}`).toBe(false);
    if (!operator.accepted) expect(namesField(operator.message, field), `${operator.message} does not name ${field}`).toBe(true);
  });

  it.each(ACCEPTED.map((a, i) => [i, a.what, a] as const))("#%d %s: accepted by both", async (i, _what, a) => {
    const spec = setAt(a.kind === MM ? fullMonitorSpec() : fullPolicySpec(), a.path, a.value);
    const server = await dryRunCreate(apiObject(a.kind, `accepted-${i}`, stage.ns, spec));
    expect(server.message).toBe("");
    expect(server.accepted).toBe(true);
    expect(operatorVerdict(a.kind, spec).accepted).toBe(true);
  });
});

describe("YAML as people write it, through kubectl", () => {
  const manifest = (pinned: string) => `apiVersion: modelguardian.dev/v1alpha1
kind: ModelMonitor
metadata: {name: yaml-pin, namespace: ${stage.ns}}
spec:
  model: {name: m, version: v1}
  signals: [{name: accuracy, classification: {metric: m_total}}]
  rules: [{signal: accuracy, maxDrop: {warning: 0.1}, baseline: {pinned: ${pinned}}}]
`;
  it("pinned.when: VersionChange is stored as written", async () => {
    const r = await kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], manifest("{when: VersionChange}"));
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).spec.rules[0].baseline.pinned).toEqual({ when: "VersionChange" });
  });
  it("an unquoted `on:` (a boolean to YAML 1.1) is refused with the field named, never silently dropped", async () => {
    const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], manifest("{on: VersionChange}"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown field "spec\.rules\[0\]\.baseline\.pinned\.true"/);
  });
});

/** Whether a zod message names the field, a field inside it, or (for unknown keys) its parent. */
function namesField(message: string, field: string): boolean {
  const paths = message.split("; ").map((issue) => issue.slice(0, issue.indexOf(": ")));
  return paths.some((p) => p === field || p.startsWith(`${field}.`) || p.startsWith(`${field}[`) || field.startsWith(`${p}.`));
}
