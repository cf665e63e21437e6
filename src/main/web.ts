import { main } from "./runtime.ts";

await main({ web: true, worker: false });
