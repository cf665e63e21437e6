import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Postgres and one Redis; each file isolates itself
    // (own schema, own queue prefix), so files may run in parallel.
    fileParallelism: true,
    // The reliability suite's report (test/reliability) is printed after the default summary.
    reporters: ["default", "./test/reliability/support/reporter.ts"],
  },
});
