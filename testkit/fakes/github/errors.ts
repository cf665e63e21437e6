// GitHub-shaped HTTP errors thrown by state operations and route handlers.

export const DOCS = "https://docs.github.com/rest";

export interface ValidationErrorItem {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
  value?: unknown;
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    body: Record<string, unknown> | string,
    headers: Record<string, string> = {},
  ) {
    const payload = typeof body === "string" ? { message: body, documentation_url: DOCS } : body;
    super(String(payload.message ?? status));
    this.status = status;
    this.body = payload;
    this.headers = headers;
  }
}

export function notFound(): HttpError {
  return new HttpError(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
}

export function badCredentials(): HttpError {
  return new HttpError(401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
}

export function validationFailed(
  errors: ValidationErrorItem[],
  message = "Validation Failed",
): HttpError {
  return new HttpError(422, { message, errors, documentation_url: DOCS, status: "422" });
}

/** 422 with only a message, as GitHub answers for e.g. "Reference already exists". */
export function unprocessable(message: string): HttpError {
  return new HttpError(422, { message, documentation_url: DOCS, status: "422" });
}

export function forbidden(message = "Resource not accessible by integration"): HttpError {
  return new HttpError(403, { message, documentation_url: DOCS, status: "403" });
}

export function conflict(message: string): HttpError {
  return new HttpError(409, { message, documentation_url: DOCS, status: "409" });
}
