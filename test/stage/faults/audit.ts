// Who wrote what and when, from the experiments' own API server's audit log (up.sh logs every
// request of the model-guardian-system ServiceAccounts at Metadata level), and who held the
// leader Lease at each moment: a write by a replica that did not hold the Lease then is the
// double action leader election exists to prevent.
import { createReadStream, existsSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

export interface Write {
  user: string;
  verb: string;
  what: string;
  /** When the API server received it (ms) and answered it (ms). */
  received: number;
  done: number;
  code: number;
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** Successful writes in `namespace` since `since` (ms), from the audit log and its rotated backups. */
export async function auditWrites(log: string, namespace: string, since: number): Promise<Write[]> {
  if (!existsSync(log)) throw new Error(`no audit log at ${log}`);
  const stem = basename(log, ".log");
  const files = readdirSync(dirname(log)).filter((f) => f.startsWith(stem) && f.endsWith(".log"));
  const writes: Write[] = [];
  for (const file of files)
    for await (const line of createInterface({ input: createReadStream(join(dirname(log), file)), crlfDelay: Infinity })) {
      if (!line.includes(namespace)) continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.stage !== "ResponseComplete" || !WRITE_VERBS.has(e.verb) || e.objectRef?.namespace !== namespace) continue;
      const received = Date.parse(e.requestReceivedTimestamp);
      const code = e.responseStatus?.code ?? 0;
      if (received < since || code < 200 || code > 299) continue;
      const ref = e.objectRef;
      writes.push({
        user: e.user.username,
        verb: e.verb,
        what: `${ref.resource}${ref.subresource ? `/${ref.subresource}` : ""}/${ref.name ?? ""}`,
        received,
        done: Date.parse(e.stageTimestamp),
        code,
      });
    }
  return writes.sort((a, b) => a.done - b.done);
}

/**
 * The writes (other than the Lease's own) made by a user that did not hold the Lease when the
 * API server applied them: the holder is whoever last wrote the Lease successfully, for at most
 * `leaseSeconds` after that write (afterwards another replica may take it over).
 */
export function writesByNonLeader(writes: Write[], lease: string, leaseSeconds: number): Write[] {
  const leaseWrites = writes.filter((w) => w.what === `leases/${lease}`);
  return writes.filter((w) => {
    if (w.what.startsWith("leases/")) return false;
    const last = leaseWrites.filter((l) => l.done <= w.done).at(-1);
    return !last || last.user !== w.user || w.done > last.done + leaseSeconds * 1000;
  });
}
