// What a failed API request says: the API server's own sentence, and whether a create may be retried.
import type { CreateOutcome } from "../../domain/remediation/plan.ts";

/** The API server's own message from a failed request (its Status object), else the error's. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string } | undefined;
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON: fall through
  }
  // the client's own message repeats code, headers and body on several lines: keep it short
  const code = (err as { code?: number }).code;
  if (code !== undefined) return `HTTP ${code}${typeof body === "string" && body.trim() ? `: ${body.trim().slice(0, 200)}` : ""}`;
  return String((err as Error)?.message ?? err);
}

export function classifyCreateError(err: unknown): CreateOutcome {
  const code = (err as { code?: number }).code;
  if (code === 409) return { kind: "exists" };
  // 4xx: the API server judged the Job itself (invalid, forbidden, namespace gone); retrying
  // the same request cannot succeed. 429 and 5xx are the server's trouble, not the Job's.
  if (code !== undefined && code >= 400 && code < 500 && code !== 429 && code !== 408) return { kind: "rejected", message: apiMessage(err) };
  return { kind: "error", message: apiMessage(err) };
}
