// Types of the slash commands; parseCommands (text → commands) lives below them.

export const COMMAND_NAMES = [
  "build",
  "approve",
  "revise",
  "retry",
  "cancel",
  "status",
  "help",
  "fix",
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface Command {
  name: CommandName;
  /** Text after the command on its line (and following lines for /revise and /fix). */
  argument: string;
}

/** `/approve protected`: approves the protected files of the pull request, not a gate. */
export function approvesProtected(command: Command): boolean {
  return command.name === "approve" && command.argument.trim().toLowerCase() === "protected";
}

// ---------------------------------------------------------------------------------------------
// Parsing. What counts is what a reader of the rendered comment sees as a command at the start
// of a line: not quoted (`>`), not code (fenced, indented or an inline span), not hidden in an
// HTML comment. Invisible characters are stripped first, so `/app\u200Brove` IS `/approve`:
// a hidden character must neither smuggle a command past a reviewer nor hide one that is
// visibly there. When the markdown is ambiguous the parser errs towards ignoring a line
// (an ignored command is re-typed; a phantom one approves something nobody saw).

/**
 * Zero-width and formatting characters, bidi marks/embeddings/overrides/isolates, soft hyphen,
 * Hangul fillers, variation selectors and Unicode tag characters (used to smuggle text).
 * Inclusive code point ranges.
 */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

export function isInvisibleCodePoint(cp: number): boolean {
  return INVISIBLE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
}

/** Remove invisible and bidi-control characters (see INVISIBLE_RANGES). */
export function stripInvisible(text: string): string {
  let out = "";
  for (const ch of text) {
    if (!isInvisibleCodePoint(ch.codePointAt(0) ?? 0)) out += ch;
  }
  return out;
}

/** Whether `text` has any character that `stripInvisible` would remove. */
export function hasInvisible(text: string): boolean {
  for (const ch of text) {
    if (isInvisibleCodePoint(ch.codePointAt(0) ?? 0)) return true;
  }
  return false;
}

/** GitHub Apps and other bots: their comments are never read as commands. */
export function isBotLogin(login: string, type?: string | null): boolean {
  return type === "Bot" || login.toLowerCase().endsWith("[bot]");
}

const COMMAND_SET: ReadonlySet<string> = new Set(COMMAND_NAMES);
/** Commands whose argument continues on the following lines. */
const MULTILINE: ReadonlySet<CommandName> = new Set(["revise", "fix"]);
/** Up to three spaces, a slash, a name, then whitespace or the end of the line. */
const COMMAND_LINE = /^ {0,3}\/([A-Za-z]+)(?=\s|$)(.*)$/;
const QUOTE_LINE = /^ {0,3}>/;
/** A fence opener, also after list markers (`- ```js`); any indentation (errs towards code). */
const FENCE_OPEN = /^\s*(?:(?:[-*+]|\d{1,9}[.)])\s+)*(`{3,}|~{3,})(.*)$/;

type LineKind = "text" | "quote" | "fence" | "blank";

function classifyLines(lines: string[]): LineKind[] {
  const kinds: LineKind[] = [];
  let fence: { char: string; length: number } | null = null;
  for (const line of lines) {
    if (fence !== null) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      const run = close?.[1];
      if (run !== undefined && run[0] === fence.char && run.length >= fence.length) fence = null;
      kinds.push("fence");
      continue;
    }
    if (QUOTE_LINE.test(line)) {
      kinds.push("quote");
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    const run = open?.[1];
    // A backtick fence's info string cannot contain a backtick (that is an inline span).
    if (run !== undefined && !(run[0] === "`" && (open?.[2] ?? "").includes("`"))) {
      fence = { char: run[0] ?? "`", length: run.length };
      kinds.push("fence");
      continue;
    }
    kinds.push(line.trim() === "" ? "blank" : "text");
  }
  return kinds;
}

/**
 * Marks what a reader does not see as plain text in the stream of text lines (quote and fence
 * lines are blanked: they end paragraphs): 1 = inline code span, 2 = HTML comment. Code spans
 * stay inside a paragraph; comments run until `-->` or the end. Linear-ish in the input (a
 * comment body is attacker-controlled and parsed before any permission check).
 */
function markHidden(stream: string): Uint8Array {
  const mask = new Uint8Array(stream.length);
  let pos = 0;
  let paraEnd = -1;
  while (pos < stream.length) {
    const ch = stream[pos];
    if (ch === "\\") {
      pos += 2;
      continue;
    }
    if (ch === "`") {
      let run = 1;
      while (stream[pos + run] === "`") run++;
      if (pos >= paraEnd) paraEnd = paragraphEnd(stream, pos);
      const close = findClosingRun(stream, pos + run, run, paraEnd);
      if (close >= 0) {
        mask.fill(1, pos, close + run);
        pos = close + run;
      } else {
        pos += run;
      }
      continue;
    }
    if (stream.startsWith("<!--", pos)) {
      const close = stream.indexOf("-->", pos + 4);
      const end = close < 0 ? stream.length : close + 3;
      mask.fill(2, pos, end);
      pos = end;
      continue;
    }
    pos++;
  }
  return mask;
}

function paragraphEnd(stream: string, from: number): number {
  const re = /\n[ \t]*(?=\n|$)/g;
  re.lastIndex = from;
  const m = re.exec(stream);
  return m === null ? stream.length : m.index;
}

/** Start of the next run of exactly `length` backticks in [from, limit), or -1. */
function findClosingRun(stream: string, from: number, length: number, limit: number): number {
  let i = from;
  while (i < limit) {
    if (stream[i] !== "`") {
      i++;
      continue;
    }
    let run = 1;
    while (stream[i + run] === "`") run++;
    if (run === length && i + run <= limit) return i;
    i += run;
  }
  return -1;
}

/** Every command in a comment body, in order. */
export function parseCommands(body: string): Command[] {
  const lines = stripInvisible(body).replace(/\r\n?/g, "\n").split("\n");
  const kinds = classifyLines(lines);

  // One stream of the text lines (others blanked), so offsets map back to lines.
  const starts: number[] = [];
  let offset = 0;
  const streamLines = lines.map((line, i) => {
    starts.push(offset);
    const kept = kinds[i] === "text" ? line : "";
    offset += kept.length + 1;
    return kept;
  });
  const mask = markHidden(streamLines.join("\n"));

  // What a reader sees of each line, for arguments: text lines lose their HTML comments
  // (invisible instructions must not reach an agent); quotes and code are visible as they are.
  const visible = lines.map((line, i) => {
    if (kinds[i] !== "text") return line;
    const start = starts[i] ?? 0;
    let out = "";
    for (let c = 0; c < line.length; c++) {
      if (mask[start + c] !== 2) out += line[c];
    }
    return out;
  });

  const found: { line: number; name: CommandName; rest: string }[] = [];
  lines.forEach((line, i) => {
    if (kinds[i] !== "text") return;
    const m = COMMAND_LINE.exec(line);
    const name = m?.[1]?.toLowerCase();
    if (m === null || name === undefined || !COMMAND_SET.has(name)) return;
    const slash = (starts[i] ?? 0) + line.indexOf("/");
    if ((mask[slash] ?? 0) !== 0) return;
    // The argument is taken from the visible line (an inline comment is dropped).
    const vm = COMMAND_LINE.exec(visible[i] ?? "");
    found.push({ line: i, name: name as CommandName, rest: vm?.[2] ?? m[2] ?? "" });
  });

  return found.map((cmd, index) => {
    let argument = cmd.rest.trim();
    if (MULTILINE.has(cmd.name)) {
      const end = found[index + 1]?.line ?? lines.length;
      const more = visible
        .slice(cmd.line + 1, end)
        .map((l) => l.trimEnd())
        .join("\n");
      argument = `${argument}\n${more}`.trim();
    }
    return { name: cmd.name, argument };
  });
}

/** The identifiers of the buttons on the app's review check runs ("Fix findings", "Re-run review"). */
export const FIX_FINDINGS_ACTION = "fix_findings";
export const RERUN_REVIEW_ACTION = "rerun_review";
