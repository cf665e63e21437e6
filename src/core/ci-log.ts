// A CI job's log, trimmed to what a fix needs: failing test names, assertion messages and the
// stack frames in the repository's own files, within a budget. Logs of GitHub Actions prefix
// every line with a timestamp and colour it; runners print thousands of setup lines first.

/** About 8k tokens. */
export const LOG_BUDGET_CHARS = 32_000;
const CONTEXT_AFTER = 6;
const MAX_LINE_CHARS = 400;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
/** Lines that say what failed. */
const FAILURE =
  /(##\[error\]|\bfail(?:s|ed|ing|ure)?\b|✗|✕|✖|×|\bnot ok\b|\berrors?\b|AssertionError|\bassert|\bexpected\b|\breceived\b|\bactual\b|traceback|panicked|exit code [1-9])/i;
/** Stack frames and noise that are not the repository's own code. */
const FOREIGN_FRAME = /(node_modules\/|node:internal|\(internal\/|<anonymous>|site-packages\/)/;
const FRAME = /^\s*(at |File ")/;

/** The failing parts of a log within `budget` characters; the tail when nothing matches. */
export function trimLog(log: string, budget = LOG_BUDGET_CHARS): string {
  const lines = log
    .split(/\r?\n/)
    .map((line) => line.replace(TIMESTAMP, "").replace(ANSI, "").slice(0, MAX_LINE_CHARS));
  const keep = new Set<number>();
  for (const [i, line] of lines.entries()) {
    if (FRAME.test(line)) {
      if (!FOREIGN_FRAME.test(line) && keep.has(i - 1)) keep.add(i);
      continue;
    }
    if (!FAILURE.test(line)) continue;
    for (let j = i; j < Math.min(lines.length, i + 1 + CONTEXT_AFTER); j++) {
      const next = lines[j] ?? "";
      if (FRAME.test(next) && FOREIGN_FRAME.test(next)) continue;
      keep.add(j);
    }
  }
  const picked: string[] = [];
  let last = -2;
  for (const i of [...keep].sort((a, b) => a - b)) {
    const line = lines[i] ?? "";
    if (line.trim() === "" && last !== i - 1) continue;
    if (last >= 0 && i !== last + 1) picked.push("[…]");
    picked.push(line);
    last = i;
  }
  const text = picked.length > 0 ? picked.join("\n") : lines.join("\n");
  if (text.length <= budget) return text;
  // Over budget: the end of a log says the most (the summary, the exit code).
  return `[… ${text.length - budget} characters left out]\n${text.slice(text.length - budget)}`;
}
