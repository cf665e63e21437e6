// `npm run eval`: the agents on the eval's requests against the fixture repositories
// (eval/fixtures/), scored mechanically. With ANTHROPIC_API_KEY it uses the real model (or
// ANTHROPIC_BASE_URL) and an operator compares the table across prompt or model changes;
// without one it runs against the model fake with scripted answers. Prints a table, then the
// scores as JSON (also written to eval-output/scores.json). Exit status 1 when a run failed.

import { mkdirSync, writeFileSync } from "node:fs";
import { formatTable, runEval } from "../testkit/eval/kit.ts";

const apiKey = process.env.ANTHROPIC_API_KEY || undefined;
process.stdout.write(
  apiKey
    ? "Running the eval against the real model (ANTHROPIC_API_KEY is set).\n\n"
    : "No ANTHROPIC_API_KEY: running the eval against the model fake with scripted answers.\n\n",
);
const scores = await runEval({ apiKey, baseURL: process.env.ANTHROPIC_BASE_URL || undefined });
process.stdout.write(`${formatTable(scores)}\n\n${JSON.stringify(scores, null, 2)}\n`);
mkdirSync("eval-output", { recursive: true });
writeFileSync("eval-output/scores.json", `${JSON.stringify(scores, null, 2)}\n`);
process.exitCode = scores.some((s) => s.error !== null) ? 1 : 0;
