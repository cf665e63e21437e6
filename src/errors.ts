// Every domain error of the app. Jobs map them at their edge by `instanceof`: a
// `PermanentError` (bad input, a rule broken, a 4xx that a retry cannot fix) fails the job at
// once with its message; anything else (5xx, network) is retried.

/** A job must not retry this: the same input fails the same way. Its message says what to do. */
export class PermanentError extends Error {
  override name = "PermanentError";
}

/** True when a job must not retry `error`. */
export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}

// ---- the model and the agents ------------------------------------------------------------------

/** The key was refused (401): retrying cannot help; the person who set it must replace it. */
export class ModelKeyRejectedError extends PermanentError {
  override name = "ModelKeyRejectedError";
  constructor() {
    super("the model key was rejected (401): replace it on the dashboard or in ANTHROPIC_API_KEY");
  }
}

/** Rate limits, overload, timeouts and 5xx that outlasted the SDK's own retries: retry later. */
export class ModelUnavailableError extends Error {
  override name = "ModelUnavailableError";
}

/** The request itself is wrong (4xx other than 401/429): fails without retries. */
export class ModelRequestError extends PermanentError {
  override name = "ModelRequestError";
}

/** The model's output did not match the agent's schema, even after being told why. Fails closed. */
export class AgentOutputError extends PermanentError {
  override name = "AgentOutputError";
}

/** The model declined the task (`stop_reason: refusal`). */
export class AgentRefusedError extends PermanentError {
  override name = "AgentRefusedError";
}

/** The feature's cost budget would be exceeded by the next call. */
export class BudgetExceededError extends PermanentError {
  override name = "BudgetExceededError";
}

/** A GitHub API request failed with an HTTP status; made at the adapter edge from Octokit's error. */
export class GitHubApiError extends Error {
  override name = "GitHubApiError";
  readonly status: number;
  /** GitHub's `x-github-request-id`, for support requests. */
  readonly requestId: string | undefined;
  /** The response as Octokit gave it (headers for rate limits, data for 422 details). */
  readonly response:
    | { headers?: Record<string, string | number | undefined>; data?: unknown }
    | undefined;
  constructor(
    message: string,
    status: number,
    options: {
      requestId?: string | undefined;
      response?: GitHubApiError["response"];
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.requestId = options.requestId;
    this.response = options.response;
  }
}

/**
 * Octokit's request error (anything with a numeric HTTP `status`) as a `GitHubApiError`, with
 * the same message; other values are returned as they are.
 */
export function toGitHubApiError(error: unknown): unknown {
  if (error instanceof GitHubApiError) return error;
  if (!(error instanceof Error)) return error;
  const status = (error as { status?: unknown }).status;
  if (typeof status !== "number") return error;
  const response = (error as { response?: GitHubApiError["response"] }).response;
  const requestId = response?.headers?.["x-github-request-id"];
  return new GitHubApiError(error.message, status, {
    requestId: requestId === undefined ? undefined : String(requestId),
    response,
    cause: error,
  });
}

/** The HTTP status of a failed GitHub request (converting Octokit's error when needed). */
export function githubStatusOf(error: unknown): number | undefined {
  const converted = toGitHubApiError(error);
  return converted instanceof GitHubApiError ? converted.status : undefined;
}

/** A configuration problem a person must fix; printed as one message, never a stack trace. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** The web process could not record the event: GitHub gets a 5xx and may redeliver. */
export class IngressUnavailableError extends Error {
  override name = "IngressUnavailableError";
  readonly status = 503;
}

/**
 * A cancel, the stuck sweep or a retry stopped the feature's jobs after this one started: it
 * aborts, and nothing it produced is applied or reaches GitHub. Not a failure.
 */
export class JobSupersededError extends Error {
  override name = "JobSupersededError";
}

/** Someone else saved the feature first; reload and apply the event again. */
export class VersionConflictError extends Error {
  override name = "VersionConflictError";
}

/** Someone pushed to the branch and changed files this step would overwrite. */
export class BranchMovedError extends PermanentError {
  override name = "BranchMovedError";
  readonly branch: string;
  readonly paths: string[];
  constructor(branch: string, paths: string[]) {
    super(
      `the branch ${branch} has new commits that change ${paths.join(", ")}; the app does not overwrite other people's work. Move those changes to other files or undo them, then say /retry`,
    );
    this.branch = branch;
    this.paths = paths;
  }
}

/** Neither the installation nor the operator has a model key. */
export class NoModelKeyError extends PermanentError {
  override name = "NoModelKeyError";
  constructor() {
    super(
      "no model key is set: an installation admin can add one on the dashboard (Settings → Model key), or the operator can set ANTHROPIC_API_KEY",
    );
  }
}

/** The stored key cannot be decrypted (tampered, swapped, or the encryption key is gone). */
export class ModelKeyUnreadableError extends PermanentError {
  override name = "ModelKeyUnreadableError";
  constructor() {
    super(
      "the stored model key cannot be decrypted: an installation admin must enter it again on the dashboard",
    );
  }
}

/** An agent's output broke a rule that no retry of the same output can fix. */
export class StageOutputError extends PermanentError {
  override name = "StageOutputError";
}

/** Signing in failed in a way the person can act on (GitHub refused the code, was unreachable…). */
export class SignInError extends Error {
  override name = "SignInError";
}

// ---- what people are told ------------------------------------------------------------------------

/** Errors made where we know what went wrong: their messages are written for people. */
const EXPLAINED = [
  PermanentError,
  ModelUnavailableError,
  GitHubApiError,
  ConfigurationError,
  IngressUnavailableError,
  VersionConflictError,
];

export function isExplained(error: unknown): boolean {
  return EXPLAINED.some((kind) => error instanceof kind);
}

/**
 * Why a job failed, in words for the issue and the dashboard. Our own errors say it themselves;
 * anything else (a bug, a library's TypeError) is one plain sentence with `reference`, which
 * finds the log line that carries its stack.
 */
export function reasonForPeople(error: unknown, reference: string): string {
  if (isExplained(error)) return (error as Error).message;
  return `something unexpected went wrong (reference ${reference}: the operator's log has the details)`;
}
