// Prints the reliability report as the last lines of a test run that included the
// reliability suite (`npx vitest run test/reliability`, or `npm test`). Each run gets its own
// report folder; the test processes inherit its path through RELIABILITY_REPORT_DIR.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reporter } from "vitest/node";
import { REPORT_DIR_ENV, type ReportRow } from "./report.ts";

export default class ReliabilityReporter implements Reporter {
  #dir = "";
  #started = 0;

  onInit(): void {
    this.#dir = mkdtempSync(join(tmpdir(), "bp-reliability-"));
    process.env[REPORT_DIR_ENV] = this.#dir;
    this.#started = Date.now();
  }

  onTestRunEnd(): void {
    const rows = readRows(this.#dir);
    rmSync(this.#dir, { recursive: true, force: true });
    if (rows.length === 0) return; // the run did not include the reliability suite
    process.stdout.write(`\n${renderReport(rows, Date.now() - this.#started)}\n`);
  }
}

export function readRows(dir: string): ReportRow[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
  } catch {
    return [];
  }
  return files.flatMap((file) =>
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as ReportRow),
  );
}

/** The table: what was injected or sent, and what came of it, against the targets. */
export function renderReport(rows: ReportRow[], elapsedMs: number): string {
  const faults = rows.filter((r) => r.kind === "fault");
  const inputs = rows.filter((r) => r.kind === "bad_input");
  const canary = rows.filter((r) => r.kind === "canary");
  const settled = rows.filter((r) => r.kind === "settled");
  const measures = rows.filter((r) => r.kind === "measure");

  const survived = faults.filter((r) => r.survived).length;
  // Duplicates stay on GitHub: each file counts them once, in its final state.
  const duplicates = settled.reduce((n, r) => n + r.duplicates, 0);
  const rejected = inputs.filter((r) => r.rejected && r.answer !== "none").length;
  const answered = inputs.filter((r) => r.rejected && r.answer === "message").length;
  const silent = inputs.filter((r) => r.rejected && r.answer === "silent").length;
  const places = ["logs", "job data", "database", "comments", "commits"] as const;
  const hitsAt = (place: (typeof places)[number]) =>
    canary.filter((r) => r.place === place).reduce((n, r) => n + r.hits, 0);
  const scannedAt = (place: (typeof places)[number]) =>
    canary.filter((r) => r.place === place).reduce((n, r) => n + r.scanned, 0);
  const hits = places.reduce((n, p) => n + hitsAt(p), 0);
  const unfinished = settled.reduce((n, r) => n + r.unfinished, 0);

  const problems = [
    ...faults.filter((r) => !r.survived).map((r) => `fault not survived: ${r.name} (${r.file})`),
    ...inputs
      .filter((r) => !r.rejected || r.answer === "none")
      .map((r) => `bad input not refused clearly: ${r.name} (${r.file})`),
    ...measures.filter((r) => !r.met).map((r) => `target missed: ${r.name} (${r.file})`),
    ...settled
      .filter((r) => r.unfinished > 0 || r.duplicates > 0)
      .map(
        (r) =>
          `${r.file}: ${r.unfinished} unfinished, ${r.duplicates} duplicate(s) ${r.detail ?? ""}`,
      ),
  ];

  const table: [string, string, string][] = [
    ["Faults injected and survived", `${survived} / ${faults.length}`, "all"],
    ["Duplicate side effects seen", String(duplicates), "0"],
    [
      "Bad inputs rejected with a clear message",
      `${rejected} / ${inputs.length} (${answered} answered, ${silent} ignored by design)`,
      "all",
    ],
    [
      "Canary-key hits: logs, job data, database, comments, commits",
      `${hits} (${places.map((p) => hitsAt(p)).join(" / ")}) in ${places.map((p) => scannedAt(p)).join(" / ")} items`,
      "0",
    ],
    ["Events acknowledged but never finished", String(unfinished), "0"],
    ...measures
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r): [string, string, string] => [r.name, r.value, r.target]),
  ];
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[["Measure", "Result", "Target"], ...table].map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    ...(problems.length > 0
      ? ["Reliability problems:", ...problems.map((p) => `  - ${p}`), ""]
      : []),
    `Reliability report (${new Date().toISOString().slice(0, 10)}: ${new Set(rows.map((r) => r.file)).size} test files, ${(elapsedMs / 1000).toFixed(0)} s)`,
    line(["Measure", "Result", "Target"]),
    line(widths.map((w) => "-".repeat(w))),
    ...table.map(line),
  ].join("\n");
}
