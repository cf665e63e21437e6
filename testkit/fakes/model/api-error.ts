/** An error the fake answers with, in the API's shape. */
export interface ApiErrorSpec {
  status: number;
  type: string;
  message: string;
}

/** A 400 `invalid_request_error`, the API's answer to a request it refuses. */
export const invalid = (message: string): ApiErrorSpec => ({
  status: 400,
  type: "invalid_request_error",
  message,
});
