// The one test stack lives in testkit/; this path is kept for the tests that import it here.
export * from "../../testkit/stack.ts";
