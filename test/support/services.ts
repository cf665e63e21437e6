// The services (databases, queue prefixes, waitFor) live in testkit/; this path is kept for the
// tests that import them here.
export * from "../../testkit/services.ts";
