import { main } from "./runtime.ts";

await main({ web: false, worker: true });
