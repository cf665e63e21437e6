// A unified diff of the working copy against the snapshot, shown to the implementer before it
// finishes so it confirms the whole change, not only its last edit.

import type { FileChange } from "../../ports/github.ts";

/** Characters of the diff shown at most. */
export const DIFF_CHARS = 80_000;
const CONTEXT = 3;
/** Above this many cells the middle of a file is shown as removed and added, not aligned. */
const ALIGN_CELLS = 4_000_000;

/** The diff of every change, file by file, cut at `DIFF_CHARS` with a note of what was left out. */
export function unifiedDiff(changes: FileChange[], before: ReadonlyMap<string, string>): string {
  const parts = changes.map((change) => {
    const old = before.get(change.path);
    const header =
      old === undefined
        ? `--- /dev/null\n+++ b/${change.path}`
        : change.content === null
          ? `--- a/${change.path}\n+++ /dev/null`
          : `--- a/${change.path}\n+++ b/${change.path}`;
    return `${header}\n${fileDiff(old ?? "", change.content ?? "")}`;
  });
  const text = parts.join("\n");
  return text.length > DIFF_CHARS
    ? `${text.slice(0, DIFF_CHARS)}\n[… ${text.length - DIFF_CHARS} more characters of the diff not shown; view the files to check the rest]`
    : text;
}

type Op = { kind: " " | "-" | "+"; line: string; a: number; b: number };

function fileDiff(before: string, after: string): string {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: " ", line: a[i] ?? "", a: i, b: i });
  ops.push(...middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail), head));
  for (let i = tail; i > 0; i--) {
    ops.push({ kind: " ", line: a[a.length - i] ?? "", a: a.length - i, b: b.length - i });
  }
  return hunks(ops);
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The changed middle, aligned by a longest common subsequence when it is small enough. */
function middle(a: string[], b: string[], offset: number): Op[] {
  if (a.length * b.length > ALIGN_CELLS) {
    return [
      ...a.map((line, i) => ({ kind: "-" as const, line, a: offset + i, b: offset })),
      ...b.map((line, j) => ({ kind: "+" as const, line, a: offset + a.length, b: offset + j })),
    ];
  }
  const n = a.length;
  const m = b.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        a[i] === b[j]
          ? (table[(i + 1) * (m + 1) + j + 1] ?? 0) + 1
          : Math.max(table[(i + 1) * (m + 1) + j] ?? 0, table[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", line: a[i] ?? "", a: offset + i, b: offset + j });
      i++;
      j++;
    } else if (
      j < m &&
      (i === n || (table[i * (m + 1) + j + 1] ?? 0) >= (table[(i + 1) * (m + 1) + j] ?? 0))
    ) {
      ops.push({ kind: "+", line: b[j] ?? "", a: offset + i, b: offset + j });
      j++;
    } else {
      ops.push({ kind: "-", line: a[i] ?? "", a: offset + i, b: offset + j });
      i++;
    }
  }
  return ops;
}

/** Groups the operations into hunks with `CONTEXT` lines around each change. */
function hunks(ops: Op[]): string {
  const changed = ops.flatMap((op, i) => (op.kind === " " ? [] : [i]));
  if (changed.length === 0) return "";
  const out: string[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, (changed[k] ?? 0) - CONTEXT);
    let end = Math.min(ops.length, (changed[k] ?? 0) + CONTEXT + 1);
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - CONTEXT <= end) {
      k++;
      end = Math.min(ops.length, (changed[k] ?? 0) + CONTEXT + 1);
    }
    k++;
    const slice = ops.slice(start, end);
    const first = slice[0] as Op;
    const aCount = slice.filter((op) => op.kind !== "+").length;
    const bCount = slice.filter((op) => op.kind !== "-").length;
    out.push(
      `@@ -${aCount === 0 ? first.a : first.a + 1},${aCount} +${bCount === 0 ? first.b : first.b + 1},${bCount} @@`,
      ...slice.map((op) => `${op.kind}${op.line}`),
    );
  }
  return out.join("\n");
}
