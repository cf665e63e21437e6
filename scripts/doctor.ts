// `npm run doctor`: checks the environment the app would run in (the same variables `npm start`
// reads) and prints one table of ✓/✗ with the fix under each ✗. Exit status 1 on any ✗.
import { formatReport, runDoctor } from "../src/ops/doctor/index.ts";

const checks = await runDoctor(process.env);
process.stdout.write(formatReport(checks));
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
