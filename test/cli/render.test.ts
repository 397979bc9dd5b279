import { describe, expect, it } from "vitest";
import { num, renderMonitor, renderRolloutTree } from "../../src/cli/render.ts";
import { rolloutStrategySchema } from "../../src/api/v1alpha1/rollout.ts";
import { ROLLOUT_ACTION_ANNOTATION } from "../../src/domain/rollout/names.ts";
import { progressing, strategy } from "./fixtures.ts";

const lines = (text: string) => text.split("\n");
const line = (text: string, start: RegExp) => lines(text).find((l) => start.test(l));

describe("the rollout tree", () => {
  it("shows the steps with weights and holds, the current one marked with its clock", () => {
    const text = renderRolloutTree(progressing());
    expect(text).toContain(
      "├── Steps (3; analysis every 30s and at each hold's end)\n│   ├── ✔ 1   10 %  hold 5m\n│   ├── ▶ 2   50 %  hold 5m  (since 2026-12-06T21:06:00Z, analysis 2026-12-06T21:11:00Z)\n│   └── ○ 3  100 %  hold 10m\n",
    );
    expect(line(text, /^Phase/)).toBe("Phase      ▶ Progressing  (StepStarted)");
    expect(line(text, /^Stable/)).toBe("Stable     v1");
  });

  it("shows each analysis with its comparisons and their numbers, rounded for people", () => {
    const text = renderRolloutTree(progressing());
    expect(text).toContain("│   └── ✔ step 1/3 (10 %) Successful at 2026-12-06T21:05:59Z over 5m: every comparison passed\n");
    expect(text).toContain(
      "│       ├── ✔ Passed accuracy maxDecrease 0.02: stable 0.9213, candidate 0.92, difference -0.001333, p 0.4123 (twoProportion; samples: 5400 stable, 600 candidate)\n",
    );
    expect(text).toContain("│       └── ✔ Passed p95_latency max 0.3: candidate 0.1235 (samples: 600 candidate)\n");
  });

  it("shows both versions' workloads with their readiness, and the route's weights against the intended ones", () => {
    const text = renderRolloutTree(progressing());
    expect(text).toContain(
      "├── Workloads\n│   ├── stable     Deployment fraud-stable  v1  ✔ ready\n│   └── candidate  Deployment fraud-candidate  v2  ✖ Deployment fraud-candidate: 1 of 2 replicas available\n",
    );
    expect(text).toContain("└── Route  HTTPRoute fraud (intended 50 / 50)\n    ├── stable      50 %\n    └── candidate   50 %\n");
  });

  it("a paused rollout marks its step paused; a rolled back one marks the failed step and says what it served", () => {
    const paused = progressing();
    paused.status = { ...paused.status, phase: "Paused", reason: "ErrorLimit", pauseReason: "ErrorLimit" };
    expect(renderRolloutTree(paused)).toContain("│   ├── ॥ 2   50 %  hold 5m  (since 2026-12-06T21:06:00Z)\n");
    const failed = progressing();
    const s = failed.status;
    failed.status = {
      ...s,
      phase: "RolledBack",
      reason: "AnalysisFailed",
      quarantined: true,
      exposure: { signal: "accuracy", samples: 812 },
      analyses: [
        ...s.analyses,
        {
          step: 1,
          weight: 50,
          time: "2026-12-06T21:11:00Z",
          window: "5m",
          outcome: "Failed",
          comparisons: [{ signal: "accuracy", check: "maxDecrease", limit: 0.02, outcome: "Failed", difference: -0.0612, pValue: 1.234e-9 }],
        },
      ],
    };
    const text = renderRolloutTree(failed);
    expect(text).toContain("│   ├── ✖ 2   50 %  hold 5m\n│   └── ○ 3  100 %  hold 10m\n");
    expect(text).toContain("✖ Failed accuracy maxDecrease 0.02: difference -0.0612, p 1.234e-9");
    expect(line(text, /^Exposure/)).toBe("Exposure     812 samples of accuracy served by the candidate");
    expect(line(text, /^Quarantined/)).toBe("Quarantined  yes: retry to roll it out again");
  });

  it("a shadow phase comes first, with its share mirrored", () => {
    const r = progressing();
    r.strategy = rolloutStrategySchema.parse({ ...strategy, shadow: { percent: 20, hold: "2m" } });
    r.status = { ...r.status, phase: "Shadowing", stepIndex: undefined, stepWeight: 0, analyses: [] };
    expect(renderRolloutTree(r)).toContain(
      "├── Steps (3 after a shadow; analysis every 30s and at each hold's end)\n│   ├── ▶ shadow  20 % mirrored, hold 2m  (since 2026-12-06T21:06:00Z, analysis 2026-12-06T21:11:00Z)\n│   ├── ○ 1   10 %  hold 5m\n",
    );
  });

  it("says what could not be read, and an action not handled yet", () => {
    const r = progressing();
    r.annotations = { [ROLLOUT_ACTION_ANNOTATION]: "promote-1a2b" };
    r.serving = {
      router: "HTTPRoute fraud",
      live: {
        weights: { kind: "error", reason: "RouteNotFound", message: "HTTPRoute ml/fraud not found" },
        stable: { found: false, ready: false, message: "Deployment ml/a not found" },
        candidate: { found: false, ready: false, message: "Deployment ml/b not found" },
      },
    };
    const text = renderRolloutTree(r);
    expect(text).toContain("└── Route  HTTPRoute fraud: ✖ RouteNotFound: HTTPRoute ml/fraud not found\n");
    expect(text).toContain("│   ├── stable     ✖ Deployment ml/a not found\n");
    expect(line(text, /^Action/)).toBe(`Action     ${ROLLOUT_ACTION_ANNOTATION}=promote-1a2b requested, not handled yet`);
    r.serving = { error: "ModelMonitor fraud not found in namespace ml" };
    expect(renderRolloutTree(r)).toContain("└── Serving  ✖ ModelMonitor fraud not found in namespace ml\n");
  });

  it("a rollout blocked before it started says why; one not reconciled yet says so", () => {
    const r = progressing();
    r.status = {
      analyses: [],
      conditions: [
        { type: "Ready", status: "False", reason: "MonitorNotFound", message: "ModelMonitor fraud not found", lastTransitionTime: "2026-12-06T21:00:00Z" },
      ],
    };
    const text = renderRolloutTree(r);
    expect(line(text, /^Phase/)).toBe("Phase      ◌ (none: blocked)");
    expect(line(text, /^Ready/)).toBe("Ready      ✖ MonitorNotFound: ModelMonitor fraud not found");
    r.status = { analyses: [], conditions: [] };
    expect(line(renderRolloutTree(r), /^Phase/)).toBe("Phase      ◌ (none: the operator has not reconciled it yet)");
  });

  it("the same rollout prints the same text (the watch view prints only changes)", () => {
    expect(renderRolloutTree(progressing())).toBe(renderRolloutTree(progressing()));
  });
});

describe("the monitor view", () => {
  it("shows health, coverage, findings, versions and the rollout in progress", () => {
    const text = renderMonitor({
      name: "fraud",
      namespace: "ml",
      spec: { model: { name: "fraud-detector", version: "v2" }, policyRef: { name: "fraud" } },
      status: {
        health: "Critical",
        summary: "accuracy 0.8612",
        stableVersion: "v1",
        judgedRules: "1/2",
        lastEvaluationTime: "2026-12-06T21:10:00.000Z",
        rules: [
          { name: "spec.rules[0]", rule: "accuracy below 0.9", coverage: "Judged" },
          { name: "spec.rules[1]", rule: "p95_latency above 0.3", coverage: "NoData", message: "no samples in 5m" },
        ],
        findings: [
          {
            type: "AccuracyDrift",
            severity: "critical",
            source: "accuracy",
            description: "accuracy fell",
            value: 0.86123456,
            baseline: 0.92,
            since: "2026-12-06T21:00:00Z",
          },
        ],
        versions: [
          { version: "v2", state: "Candidate", time: "2026-12-06T21:00:00Z", rollout: "fraud-v2" },
          { version: "v1", state: "Stable", time: "2026-12-01T00:00:00Z" },
        ],
        rollout: { name: "fraud-v2", candidate: "v2", phase: "Progressing", stepIndex: 1, weight: 50 },
      },
    });
    expect(lines(text).slice(0, 8)).toEqual([
      "Name       ml/fraud",
      "Model      fraud-detector v2",
      "Serving    v1",
      "Health     ✖ Critical  accuracy 0.8612",
      "Evaluated  2026-12-06T21:10:00Z",
      "Coverage   1/2 rules judged",
      "Policy     fraud",
      "Rollout    fraud-v2: v2 Progressing, step 2, 50 % to the candidate",
    ]);
    expect(text).toContain("├── Not judged (1)\n│   └── spec.rules[1] p95_latency above 0.3: NoData - no samples in 5m\n");
    expect(text).toContain("│   └── critical AccuracyDrift on accuracy: accuracy fell (value 0.8612, baseline 0.92), since 2026-12-06T21:00:00Z\n");
    expect(text).toContain(
      "└── Versions (2, newest first)\n    ├── v2  Candidate since 2026-12-06T21:00:00Z  rollout fraud-v2\n    └── v1  Stable since 2026-12-01T00:00:00Z\n",
    );
  });
});

describe("numbers for people", () => {
  it("four significant digits, integers as they are", () => {
    expect([num(661.0301000000001), num(0.123456), num(2.22045e-16), num(1200), num(-0.0013333), num(undefined)]).toEqual([
      "661",
      "0.1235",
      "2.22e-16",
      "1200",
      "-0.001333",
      "?",
    ]);
  });
});
