// How the API server's answers to a Job creation are told apart: each leads somewhere else.
import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { apiMessage, classifyCreateError } from "../../src/adapters/kubernetes/client.ts";

const status = (code: number, message: string) =>
  new ApiException(code, "Unknown API Status Code!", JSON.stringify({ kind: "Status", status: "Failure", message, code }), {});

describe("classifyCreateError", () => {
  it("AlreadyExists is the Job we wanted", () => {
    expect(classifyCreateError(status(409, 'jobs.batch "x" already exists'))).toEqual({ kind: "exists" });
  });
  it("an invalid or forbidden Job is refused with the API server's own message", () => {
    expect(classifyCreateError(status(422, 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value'))).toEqual({
      kind: "rejected",
      message: 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value',
    });
    expect(classifyCreateError(status(403, "jobs.batch is forbidden")).kind).toBe("rejected");
  });
  it("throttling, timeouts, server errors and network failures are transient", () => {
    for (const code of [429, 408, 500, 503]) expect(classifyCreateError(status(code, "busy")).kind).toBe("error");
    expect(classifyCreateError(new Error("connect ECONNREFUSED 127.0.0.1:16443"))).toEqual({ kind: "error", message: "connect ECONNREFUSED 127.0.0.1:16443" });
  });
  it("apiMessage gives the code and the start of a body that is not a Status", () => {
    expect(apiMessage(new ApiException(502, "Bad Gateway", "<html>bad gateway</html>", {}))).toBe("HTTP 502: <html>bad gateway</html>");
  });
});
