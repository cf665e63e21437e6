import { describe, expect, it } from "vitest";
import {
  AgentOutputError,
  AgentRefusedError,
  BranchMovedError,
  BudgetExceededError,
  GitHubApiError,
  githubStatusOf,
  isPermanent,
  ModelKeyRejectedError,
  ModelRequestError,
  ModelUnavailableError,
  NoModelKeyError,
  PermanentError,
  toGitHubApiError,
} from "../../src/errors.ts";

describe("errors", () => {
  it("a PermanentError and its subclasses are permanent; other errors are not", () => {
    expect(isPermanent(new PermanentError("bad input"))).toBe(true);
    expect(isPermanent(new BranchMovedError("b", ["a.ts"]))).toBe(true);
    expect(isPermanent(new NoModelKeyError())).toBe(true);
    expect(isPermanent(new Error("502"))).toBe(false);
    expect(isPermanent(null)).toBe(false);
    expect(isPermanent("text")).toBe(false);
  });

  it("the model's and the agents' errors are permanent, except an unavailable model", () => {
    expect(isPermanent(new ModelKeyRejectedError())).toBe(true);
    expect(isPermanent(new ModelRequestError("400"))).toBe(true);
    expect(isPermanent(new AgentOutputError("schema"))).toBe(true);
    expect(isPermanent(new AgentRefusedError("refusal"))).toBe(true);
    expect(isPermanent(new BudgetExceededError("budget"))).toBe(true);
    expect(isPermanent(new ModelUnavailableError("529"))).toBe(false);
  });

  it("Octokit's request error becomes a GitHubApiError with its status, request id and response", () => {
    const octokitError = Object.assign(new Error("Not Found"), {
      status: 404,
      response: { headers: { "x-github-request-id": "AB:CD" }, data: { message: "Not Found" } },
    });
    const converted = toGitHubApiError(octokitError);
    expect(converted).toBeInstanceOf(GitHubApiError);
    const error = converted as GitHubApiError;
    expect(error.status).toBe(404);
    expect(error.requestId).toBe("AB:CD");
    expect(error.message).toBe("Not Found");
    expect(error.response?.data).toEqual({ message: "Not Found" });
    expect(error.cause).toBe(octokitError);
    expect(toGitHubApiError(error)).toBe(error);
  });

  it("errors without an HTTP status pass through; githubStatusOf reads the status or nothing", () => {
    const plain = new Error("socket hang up");
    expect(toGitHubApiError(plain)).toBe(plain);
    expect(toGitHubApiError("text")).toBe("text");
    expect(githubStatusOf(plain)).toBeUndefined();
    expect(githubStatusOf(Object.assign(new Error("gone"), { status: 410 }))).toBe(410);
    expect(githubStatusOf(new GitHubApiError("Bad credentials", 401))).toBe(401);
  });
});
