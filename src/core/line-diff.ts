// A line diff of two short documents (a brief before and after /revise), for people to read.
// Pure: longest common subsequence over lines, quadratic, meant for documents of a few hundred
// lines.

/** `- ` removed, `+ ` added, `  ` kept lines; unchanged runs longer than `context` are folded. */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before.replace(/\r\n?/g, "\n").split("\n");
  const b = after.replace(/\r\n?/g, "\n").split("\n");
  const rows = a.length + 1;
  const cols = b.length + 1;
  const lcs = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * cols + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * cols + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * cols + j] ?? 0, lcs[i * cols + j + 1] ?? 0);
    }
  }
  const lines: { mark: " " | "-" | "+"; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: " ", text: a[i++] ?? "" });
      j++;
    } else if (
      j < b.length &&
      (i >= a.length || (lcs[i * cols + j + 1] ?? 0) > (lcs[(i + 1) * cols + j] ?? 0))
    ) {
      lines.push({ mark: "+", text: b[j++] ?? "" });
    } else {
      lines.push({ mark: "-", text: a[i++] ?? "" });
    }
  }
  const changed = lines.map((l) => l.mark !== " ");
  const near = (k: number) =>
    changed.slice(Math.max(0, k - context), k + context + 1).some(Boolean);
  const out: string[] = [];
  let folded = false;
  lines.forEach((line, k) => {
    if (line.mark !== " " || near(k)) {
      out.push(`${line.mark} ${line.text}`.trimEnd());
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
