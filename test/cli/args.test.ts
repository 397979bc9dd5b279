import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";
import { candidates, completionScript, lineNamespace } from "../../src/cli/complete.ts";

describe("the command line", () => {
  it("get, with the kinds' names and short names, -w and the connection flags in any place", () => {
    expect(parseCommandLine(["get", "rollout", "fraud-v2", "-w", "-n", "ml"])).toEqual({
      ok: true,
      command: { kind: "get", resource: "rollout", name: "fraud-v2", watch: true },
      connection: { namespace: "ml" },
    });
    expect(parseCommandLine(["--namespace=ml", "get", "mm", "fraud", "--context", "prod", "--kubeconfig", "/k"])).toEqual({
      ok: true,
      command: { kind: "get", resource: "monitor", name: "fraud", watch: false },
      connection: { namespace: "ml", context: "prod", kubeconfig: "/k" },
    });
    expect(parseCommandLine(["get", "modelrollouts", "x"])).toMatchObject({ ok: true, command: { resource: "rollout" } });
  });

  it("the verbs take one rollout, with or without the word rollout", () => {
    expect(parseCommandLine(["promote", "fraud-v2"])).toMatchObject({ ok: true, command: { kind: "verb", verb: "promote", name: "fraud-v2" } });
    expect(parseCommandLine(["abort", "rollout", "fraud-v2"])).toMatchObject({ ok: true, command: { kind: "verb", verb: "abort", name: "fraud-v2" } });
    expect(parseCommandLine(["report", "fraud"])).toMatchObject({ ok: true, command: { kind: "report", name: "fraud", html: false } });
    expect(parseCommandLine(["report", "fraud", "--html"])).toMatchObject({ ok: true, command: { kind: "report", name: "fraud", html: true } });
    expect(parseCommandLine(["promote", "fraud", "--html"])).toEqual({ ok: false, error: "promote: --html applies to report only" });
  });

  it("bad lines are refused, saying what is wrong", () => {
    expect(parseCommandLine(["promot", "x"])).toEqual({ ok: false, error: 'unknown command "promot"' });
    expect(parseCommandLine(["promote"])).toEqual({ ok: false, error: "promote: a name is required" });
    expect(parseCommandLine(["promote", "a", "b"])).toEqual({ ok: false, error: "promote: one name only (got a b)" });
    expect(parseCommandLine(["get", "pods", "x"])).toEqual({ ok: false, error: 'get: unknown resource "pods" (rollout or monitor)' });
    expect(parseCommandLine(["abort", "x", "-w"])).toEqual({ ok: false, error: "abort: -w (--watch) applies to get only" });
    expect(parseCommandLine(["get", "rollout", "x", "--force"])).toMatchObject({ ok: false, error: expect.stringContaining("--force") });
    expect(parseCommandLine(["completion", "fish"])).toEqual({ ok: false, error: "completion: bash or zsh" });
  });

  it("no words, help, -h: the help", () => {
    for (const argv of [[], ["help"], ["--help"], ["-h"]]) expect(parseCommandLine(argv)).toMatchObject({ ok: true, command: { kind: "help", text: "main" } });
    expect(parseCommandLine(["get", "-h"])).toMatchObject({ ok: true, command: { kind: "help", text: "get" } });
    expect(parseCommandLine(["promote", "--help"])).toMatchObject({ ok: true, command: { kind: "help", text: "verbs" } });
  });
});

describe("completion", () => {
  it("offers commands, kinds, then the names of objects of the kind the line needs", () => {
    expect(candidates([""])).toMatchObject({ words: expect.arrayContaining(["get", "promote", "pause", "report", "completion"]) });
    expect(candidates(["get", ""])).toEqual({ words: ["rollout", "monitor"] });
    expect(candidates(["get", "rollout", ""])).toEqual({ names: "rollouts" });
    expect(candidates(["get", "mm", "fr"])).toEqual({ names: "monitors" });
    expect(candidates(["-n", "ml", "promote", ""])).toEqual({ names: "rollouts" });
    expect(candidates(["report", ""])).toEqual({ names: "monitors" });
    expect(candidates(["promote", "-n", ""])).toEqual({ names: "namespaces" });
    expect(candidates(["promote", "x", ""])).toEqual({ words: [] });
    expect(candidates(["get", "--"])).toMatchObject({ words: expect.arrayContaining(["--namespace", "--watch"]) });
    expect(candidates(["completion", ""])).toEqual({ words: ["bash", "zsh"] });
  });

  it("names are completed in the namespace the line gives", () => {
    expect(lineNamespace(["-n", "ml", "promote", ""])).toBe("ml");
    expect(lineNamespace(["promote", "--namespace=ml", ""])).toBe("ml");
    expect(lineNamespace(["promote", "-n"])).toBeUndefined();
  });

  it("the scripts call the executable back for candidates", () => {
    expect(completionScript("bash")).toContain('kubectl-modelguardian __complete "${COMP_WORDS[@]:1:COMP_CWORD}"');
    expect(completionScript("bash")).toContain("complete -F _kubectl_modelguardian kubectl-modelguardian");
    expect(completionScript("zsh")).toMatch(/^#compdef kubectl-modelguardian\n/);
  });
});
