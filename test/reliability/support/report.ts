// The reliability report's rows. Every test of the suite records what it injected or sent and
// what came of it, one JSON line per row, in the run's report folder; the reporter
// (reporter.ts) reads them all when the run ends and prints the table.

import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** Where the reporter tells the test processes to write (set before any test file runs). */
export const REPORT_DIR_ENV = "RELIABILITY_REPORT_DIR";

export type CanaryPlace = "logs" | "job data" | "database" | "comments" | "commits";

export type ReportRow =
  /** A fault injected: did the journey survive it (every check of its scenario held)? */
  | { kind: "fault"; file: string; name: string; survived: boolean }
  /** A bad input sent: was it refused, and did the sender get one clear message? */
  | {
      kind: "bad_input";
      file: string;
      name: string;
      rejected: boolean;
      /** "message": one clear reply or response; "silent": ignored on purpose (bots, edits, quotes). */
      answer: "message" | "silent" | "none";
      detail?: string;
    }
  /** Places searched for the canary model keys, and what was found. */
  | { kind: "canary"; file: string; place: CanaryPlace; scanned: number; hits: number }
  /**
   * A figure measured by a scenario, shown as its own row of the table: `value` against
   * `target`, and `met` whether the scenario's checks held.
   */
  | { kind: "measure"; file: string; name: string; value: string; target: string; met: boolean }
  /** At the end of a file: deliveries acknowledged whose work never finished, and duplicates. */
  | { kind: "settled"; file: string; unfinished: number; duplicates: number; detail?: string };

/**
 * Appends rows for the report (one file per test process, so writers never interleave). Without
 * the reporter (another `--reporter` on the command line) there is no report folder and nothing
 * is written.
 */
export function record(...rows: ReportRow[]): void {
  const dir = process.env[REPORT_DIR_ENV];
  if (!dir || rows.length === 0) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `rows-${process.pid}.jsonl`);
  appendFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
}
