// Least privilege, proven: every verb on every resource that the shipped roles grant
// (config/rbac/role.yaml's ClusterRole; the chart's ClusterRole, or its per-namespace Roles with
// watchNamespaces) was used by the operator in this run of the integration suite, in which it
// runs as that ServiceAccount (support.ts startOperator). The API server's audit log (MG_AUDIT_LOG,
// scripts/cluster/up.sh) records each request of the operator's ServiceAccount: who, which verb,
// which resource. This file runs after every other integration file (vitest.config.ts,
// sequence.groupOrder); run alone, it needs MG_AUDIT_SINCE, the ISO time the integration files
// it should judge began.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { ActionSpec } from "../../src/api/v1alpha1/retrainpolicy.ts";
import { renderJob } from "../../src/domain/remediation/job.ts";
import { createNamespace, deleteNamespace, env, kubectl, kubectlOk, OPERATOR_NAMESPACE, OPERATOR_USER, ROOT, waitFor } from "../stage/index.ts";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

/** One permission, as "group/resource[/subresource] verb" (the core group written "core"). */
const permission = (group: string | undefined, resource: string, verb: string) => `${group || "core"}/${resource} ${verb}`;

/**
 * Permissions the API server checks without a request of their own, so never in the audit log.
 * Each is proven needed below instead: the operator's own request, made by a user holding the
 * shipped ClusterRole less that permission, is refused, and with the whole role accepted.
 */
const INVISIBLE: Record<string, string> = {
  // admission (OwnerReferencesPermissionEnforcement, as on OpenShift) checks it when the
  // operator creates a Job or a ModelRollout whose owner reference to their ModelMonitor blocks
  // the monitor's deletion (blockOwnerDeletion: true), inside the create request
  "modelguardian.dev/modelmonitors/finalizers update": "checked by admission inside a create of a Job or ModelRollout owned by a ModelMonitor",
};

const shippedObjects = () => parseAllDocuments(readFileSync(join(ROOT, "config/rbac/role.yaml"), "utf8")).map((d) => d.toJS() as RbacObject);
const shippedRules = () => shippedObjects().find((o) => o.kind === "ClusterRole")?.rules ?? [];

function helmRbac(values: string[]): Promise<RbacObject[]> {
  const args = [
    "template",
    "model-guardian",
    join(ROOT, "charts/model-guardian"),
    "--namespace",
    OPERATOR_NAMESPACE,
    "--kube-version",
    "1.36.3",
    "--show-only",
    "templates/rbac.yaml",
    ...values,
  ];
  return new Promise((resolve, reject) =>
    execFile(join(ROOT, ".cache/bin/helm"), args, (err, stdout, stderr) =>
      err
        ? reject(new Error(`helm ${args.join(" ")}: ${stderr}`))
        : resolve(
            parseAllDocuments(stdout)
              .map((d) => d.toJS() as RbacObject)
              .filter(Boolean),
          ),
    ),
  );
}

/** Every permission the Roles and ClusterRoles among the objects grant. */
function grantsOf(objects: RbacObject[]): Set<string> {
  const grants = new Set<string>();
  for (const o of objects.filter((x) => x.kind === "ClusterRole" || x.kind === "Role"))
    for (const rule of o.rules ?? []) {
      // (a non-resource URL would show as never used: the operator requests none)
      for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) grants.add(`${url} ${verb}`);
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? []) for (const verb of rule.verbs) grants.add(permission(group, resource, verb));
    }
  return grants;
}

interface AuditEvent {
  auditID: string;
  verb: string;
  user: { username: string };
  impersonatedUser?: unknown;
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  requestReceivedTimestamp: string;
  annotations?: Record<string, string>;
}
interface Usage {
  /** Requests per permission. */
  used: Map<string, number>;
  /** Requests the authorizer refused: "permission namespace/name". */
  forbidden: Set<string>;
}

/** The operator's requests since `since` (ms), from the audit log and its rotated backups. */
async function operatorRequests(log: string, since: number): Promise<Usage> {
  const stem = basename(log, ".log");
  const files = readdirSync(dirname(log)).filter((f) => f.startsWith(stem) && f.endsWith(".log"));
  const used = new Map<string, number>();
  const forbidden = new Set<string>();
  const seen = new Set<string>();
  for (const file of files)
    for await (const line of createInterface({ input: createReadStream(join(dirname(log), file)), crlfDelay: Infinity })) {
      if (!line.includes(OPERATOR_USER)) continue;
      const e = JSON.parse(line) as AuditEvent;
      // another user acting as the operator (kubectl --as) is not the operator
      if (e.user.username !== OPERATOR_USER || e.impersonatedUser || !e.objectRef?.resource || Date.parse(e.requestReceivedTimestamp) < since) continue;
      // a request has an entry per stage (a watch: started, then complete)
      if (seen.has(e.auditID)) continue;
      seen.add(e.auditID);
      const ref = e.objectRef;
      const p = permission(ref.apiGroup, ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource!, e.verb);
      used.set(p, (used.get(p) ?? 0) + 1);
      if (e.annotations?.["authorization.k8s.io/decision"] === "forbid") forbidden.add(`${p} ${ref.namespace ?? ""}/${ref.name ?? ""}`);
    }
  return { used, forbidden };
}

let shipped: Set<string>;
let chartAllNamespaces: Set<string>;
let chartWatchNamespaces: Set<string>;
beforeAll(async () => {
  shipped = grantsOf(shippedObjects());
  chartAllNamespaces = grantsOf(await helmRbac([]));
  chartWatchNamespaces = grantsOf(await helmRbac(["--set", "watchNamespaces={team-a,team-b}"]));
});
const sorted = (s: Set<string>) => [...s].sort();

describe("least privilege", () => {
  it("the roles grant named verbs on named resources only, the chart's in either mode what config/rbac/role.yaml grants", () => {
    expect(sorted(shipped).filter((p) => p.includes("*"))).toEqual([]);
    expect(sorted(chartAllNamespaces)).toEqual(sorted(shipped));
    expect(sorted(chartWatchNamespaces)).toEqual(sorted(shipped));
  });

  it("every verb the roles grant was used by the operator in this run, and none other", async () => {
    const log = env.MG_AUDIT_LOG;
    if (!log)
      throw new Error(
        `${join(ROOT, ".local/env")} names no MG_AUDIT_LOG: the local cluster predates its audit log; restart it (npm run cluster:down && npm run cluster:up)`,
      );
    const sinceIso = process.env.MG_AUDIT_SINCE ?? inject("suiteStart");
    const since = Date.parse(sinceIso);
    if (Number.isNaN(since)) throw new Error(`MG_AUDIT_SINCE: not an ISO time: ${sinceIso}`);
    const { used, forbidden } = await operatorRequests(log, since);
    if (used.size === 0)
      throw new Error(
        `no request of ${OPERATOR_USER} in ${log} since ${sinceIso}: run the integration files first (npm test runs this file after them), or set MG_AUDIT_SINCE to when they began`,
      );

    const grants = new Set([...shipped, ...chartAllNamespaces, ...chartWatchNamespaces]);
    console.info(
      `requests of ${OPERATOR_USER} since ${sinceIso}, by permission granted:\n` +
        sorted(grants)
          .map((p) => `  ${p.padEnd(56)} ${used.get(p) ?? (INVISIBLE[p] ? `not a request: ${INVISIBLE[p]}` : "UNUSED")}`)
          .join("\n"),
    );
    const unused = sorted(grants).filter((p) => !used.has(p) && !(p in INVISIBLE));
    expect(
      unused,
      "granted but never used: remove the grant if the operator's code never makes such a request, else add the smallest integration test that makes it",
    ).toEqual([]);
    // a request the roles do not cover is refused on a real cluster (a grant from elsewhere let it through here), or was refused here
    expect(
      [...used.keys()].filter((p) => !grants.has(p)),
      "used but not granted by the shipped roles",
    ).toEqual([]);
    expect([...forbidden], "refused by the authorizer").toEqual([]);
    // an exemption seen as a request is no exemption; one not granted is stale
    expect(Object.keys(INVISIBLE).filter((p) => used.has(p) || !grants.has(p))).toEqual([]);
  });

  describe("the permissions no request shows are needed: without each, the operator's request is refused", () => {
    const probeUser = `system:serviceaccount:${OPERATOR_NAMESPACE}:least-privilege-probe`;
    const probeRole = "model-guardian-least-privilege-probe";
    let ns: string;
    beforeAll(async () => {
      ns = await createNamespace("least-privilege");
      await kubectlOk([
        "create",
        "clusterrolebinding",
        probeRole,
        `--clusterrole=${probeRole}`,
        `--serviceaccount=${OPERATOR_NAMESPACE}:least-privilege-probe`,
      ]);
    });
    afterAll(async () => {
      await kubectl(["delete", "clusterrolebinding", probeRole, "--ignore-not-found"]);
      await kubectl(["delete", "clusterrole", probeRole, "--ignore-not-found"]);
      await deleteNamespace(ns);
    });

    /** The probe's ClusterRole: the shipped rules, less one permission when given. */
    async function probeHolds(without?: string) {
      const verb = without?.split(" ")[1];
      const rules = shippedRules().flatMap((rule) => {
        // the rule's resources that grant it (all the shipped rules name one API group)
        const granting = (rule.resources ?? []).filter((resource) => (rule.apiGroups ?? []).some((g) => permission(g, resource, verb ?? "") === without));
        if (!granting.length) return [rule];
        const others = (rule.resources ?? []).filter((r) => !granting.includes(r));
        return [
          { ...rule, resources: others },
          { ...rule, resources: granting, verbs: rule.verbs.filter((v) => v !== verb) },
        ].filter((r) => r.resources.length && r.verbs.length);
      });
      await kubectlOk(
        ["apply", "-f", "-"],
        stringify({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: probeRole }, rules }),
      );
    }
    /** kubectl auth can-i as the probe, once the API server's authorizer has the role as applied. */
    const probeCan = async (args: string[]) => (await kubectl(["auth", "can-i", ...args, "-n", ns, `--as=${probeUser}`])).stdout.trim() === "yes";
    const asProbe = (args: string[], manifest: unknown) => kubectl([...args, "-n", ns, `--as=${probeUser}`, "-f", "-"], stringify(manifest));

    const monitor = () => ({ namespace: ns, name: "m", uid: randomUUID() });
    const action = {
      name: "retrain",
      jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "train", image: "trainer" }] } } } },
    } as unknown as ActionSpec;
    // the operator's requests, built by its own code where it has a pure builder (dry runs: nothing is stored)
    const cases: { permission: string; canI: string[]; request: string; send: () => ReturnType<typeof kubectl>; refusal: RegExp }[] = [
      {
        permission: "modelguardian.dev/modelmonitors/finalizers update",
        canI: ["update", "modelmonitors.modelguardian.dev", "--subresource=finalizers"],
        request: "a retraining Job owned by its ModelMonitor (renderJob)",
        send: () =>
          asProbe(
            ["create", "--dry-run=server"],
            renderJob({
              namespace: ns,
              monitor: monitor(),
              policy: "p",
              model: { name: "model" },
              action,
              purpose: "retrain",
              trigger: "t",
              attempt: 1,
              reason: "probe",
              severity: "critical",
              findings: [],
              episodes: [],
            }),
          ),
        refusal: /cannot set blockOwnerDeletion/,
      },
      {
        permission: "modelguardian.dev/modelmonitors/finalizers update",
        canI: ["update", "modelmonitors.modelguardian.dev", "--subresource=finalizers"],
        request: "a ModelRollout owned by its ModelMonitor (as src/domain/rollout/monitor.ts makes it)",
        send: () => {
          const m = monitor();
          return asProbe(["create", "--dry-run=server"], {
            apiVersion: "modelguardian.dev/v1alpha1",
            kind: "ModelRollout",
            metadata: {
              name: "m-v2",
              namespace: ns,
              ownerReferences: [
                { apiVersion: "modelguardian.dev/v1alpha1", kind: "ModelMonitor", name: m.name, uid: m.uid, controller: true, blockOwnerDeletion: true },
              ],
            },
            spec: { monitorRef: { name: m.name }, candidate: { version: "v2" } },
          });
        },
        refusal: /cannot set blockOwnerDeletion/,
      },
    ];

    it("every exemption is proven by a request below", () => {
      expect([...new Set(cases.map((c) => c.permission))].sort()).toEqual(Object.keys(INVISIBLE).sort());
    });

    it.each(cases.map((c) => [c.permission, c.request, c] as const))("%s: %s", async (permission, _, c) => {
      await probeHolds(permission);
      await waitFor(`the authorizer to drop ${permission} from the probe`, async () => !(await probeCan(c.canI)));
      const refused = await c.send();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(c.refusal);

      await probeHolds();
      await waitFor(`the authorizer to give the probe ${permission}`, () => probeCan(c.canI));
      const accepted = await c.send();
      expect(accepted.stderr).toBe("");
      expect(accepted.code).toBe(0);
    });
  });
});
