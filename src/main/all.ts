import { main } from "./runtime.ts";

// The default for a small install: webhooks and workers in one process.
await main({ web: true, worker: true });
