// A line diff for people to read: a brief before and after /revise, a protected file in its
// check run. Longest common subsequence over lines; very large files fall back to old-then-new.

const MAX_CELLS = 4_000_000;

/**
 * Unified-diff lines: `-` removed, `+` added, ` ` kept; `null` is a file that does not exist.
 * With `context`, unchanged runs further than that from a change fold into one `@@` line.
 */
export function lineDiff(
  before: string | null,
  after: string | null,
  options: { context?: number } = {},
): string {
  const a = before === null ? [] : splitLines(before);
  const b = after === null ? [] : splitLines(after);
  const lines = a.length * b.length > MAX_CELLS ? oldThenNew(a, b) : commonSubsequence(a, b);
  const { context } = options;
  if (context === undefined) return lines.join("\n");
  const changed = lines.map((l) => !l.startsWith(" "));
  const near = (k: number) =>
    changed.slice(Math.max(0, k - context), k + context + 1).some(Boolean);
  const out: string[] = [];
  let folded = false;
  lines.forEach((line, k) => {
    if (changed[k] || near(k)) {
      out.push(line);
      folded = false;
    } else if (!folded) {
      out.push("@@");
      folded = true;
    }
  });
  return out.join("\n");
}

/** A code fence longer than any run of backticks in `text`. */
export function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

function commonSubsequence(a: string[], b: string[]): string[] {
  // lengths[i * width + j]: the LCS of a[i..] and b[j..], in one flat array.
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i]}`);
      i++;
      j++;
    } else if (
      i < a.length &&
      (j >= b.length || (lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0))
    ) {
      // Removals before additions, as diff prints them.
      out.push(`-${a[i]}`);
      i++;
    } else {
      out.push(`+${b[j]}`);
      j++;
    }
  }
  return out;
}

function oldThenNew(a: string[], b: string[]): string[] {
  return [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)];
}

function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
