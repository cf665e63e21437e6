// The implementer's working copy: the snapshot's files plus this run's accepted edits. Reads go
// through the same read tools as every other agent's; every edit (str_replace, insert, create,
// delete) ends in one write path that checks the path policy and the secret scanner before the
// change is applied, and then the file's syntax. A refused edit comes back to the model as a
// tool error saying why.

import {
  checkWriteBatch,
  checkWriteFile,
  checkWritePath,
  type PathPolicy,
} from "../../core/paths.ts";
import { findSecrets, redactSecrets } from "../../core/secrets.ts";
import type { FileChange, Snapshot } from "../../ports/github.ts";
import { numbered, RepoReader, readPath, type ToolOutcome } from "../repository/reader.ts";
import { syntaxProblems } from "./syntax.ts";

export type { ToolOutcome };

/** Lines of context shown around an edit. */
const EDIT_CONTEXT = 4;

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;
const byPath = (a: { path: string }, b: { path: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;

export class WorkingCopy {
  readonly files: Map<string, string>;
  readonly rejected: { path: string; reason: string }[] = [];
  /** Paths written or deleted in this run (their content may equal the snapshot's again). */
  readonly #touched = new Set<string>();
  readonly #snapshot: Snapshot;
  readonly #policy: PathPolicy;
  readonly #literals: string[];
  readonly #reader: RepoReader;
  /** Paths no write or delete may touch (lower-cased): the approved contract tests. */
  readonly #readOnly: Set<string>;
  /** The agent's own limit on the paths it writes (the docs agent's), after the policy. */
  readonly #writeLimit: ((path: string) => string | null) | undefined;

  constructor(
    snapshot: Snapshot,
    policy: PathPolicy,
    secretLiterals: string[],
    options: {
      readOnly?: Iterable<string>;
      /** Reads a file the archive left out (export-ignore) from GitHub, on its first view. */
      readHidden?: (path: string) => Promise<string | null>;
      /** A refusal reason for a path this agent may not write or delete, or null. */
      writeLimit?: (path: string) => string | null;
    } = {},
  ) {
    this.#snapshot = snapshot;
    this.#policy = policy;
    this.#literals = secretLiterals;
    this.#readOnly = new Set([...(options.readOnly ?? [])].map((p) => p.toLowerCase()));
    this.#writeLimit = options.writeLimit;
    this.files = new Map(snapshot.files);
    this.#reader = new RepoReader(this.files, {
      writable: true,
      hidden: snapshot.hidden,
      readHidden: options.readHidden,
      truncated: snapshot.truncated,
    });
  }

  /** One tool call; async because a file left out of the archive is read from GitHub. */
  async execute(tool: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    switch (tool) {
      case "str_replace":
        return this.replace(input.path, input.old_str, input.new_str);
      case "insert":
        return this.insert(input.path, input.insert_line, input.text);
      case "create":
        return this.create(input.path, input.content);
      case "delete":
        return this.delete(input.path);
      default:
        return (
          this.#reader.execute(tool, input) ?? {
            isError: true,
            text: `There is no tool "${tool}" here.`,
          }
        );
    }
  }

  /** The difference from the snapshot: changed or new files, and deletions, sorted by path. */
  changes(): FileChange[] {
    const out: FileChange[] = [];
    for (const path of this.#touched) {
      const now = this.files.get(path);
      const before = this.#snapshot.files.get(path);
      if (now === before) continue;
      out.push({ path, content: now ?? null });
    }
    return out.sort(byPath);
  }

  /** The whole change checked as one commit, as the committer would; every problem at once. */
  finalCheck(): { path: string; reason: string }[] {
    const changes = this.changes();
    const writes = changes.flatMap((c) =>
      c.content === null ? [] : [{ path: c.path, content: c.content }],
    );
    const batch = checkWriteBatch(writes, this.#policy, this.#literals);
    const errors = batch.ok ? [] : [...batch.errors];
    for (const change of changes) {
      if (change.content !== null) continue;
      const checked = checkWritePath(change.path, this.#policy);
      if (!checked.ok) errors.push({ path: change.path, reason: checked.reason });
    }
    if (changes.length > this.#policy.maxFiles && writes.length <= this.#policy.maxFiles) {
      errors.push({
        path: "",
        reason: `${changes.length} files changed or deleted in one change; the limit is ${this.#policy.maxFiles}.`,
      });
    }
    return errors;
  }

  replace(pathInput: unknown, oldInput: unknown, newInput: unknown): ToolOutcome {
    if (typeof oldInput !== "string" || typeof newInput !== "string") {
      return { isError: true, text: "str_replace needs `path`, `old_str` and `new_str` strings." };
    }
    const file = this.#existing(pathInput, "str_replace");
    if (!file.ok) return file.outcome;
    if (oldInput === "") {
      return {
        isError: true,
        text: "`old_str` is empty. Give the exact text to replace, or use insert to add lines.",
      };
    }
    const first = file.content.indexOf(oldInput);
    if (first === -1) {
      return {
        isError: true,
        text: `No change: old_str does not occur in ${file.path}. It must match the file exactly, whitespace and indentation included; view the lines again and copy them.`,
      };
    }
    const lines: number[] = [];
    for (let at = first; at !== -1; at = file.content.indexOf(oldInput, at + 1)) {
      lines.push(lineOf(file.content, at));
    }
    if (lines.length > 1) {
      return {
        isError: true,
        text: `No change: old_str occurs ${lines.length} times in ${file.path} (lines ${lines.join(", ")}). Include more surrounding lines so that it occurs exactly once.`,
      };
    }
    const content =
      file.content.slice(0, first) + newInput + file.content.slice(first + oldInput.length);
    const startLine = lineOf(content, first);
    return this.#edit(file.path, content, {
      from: startLine,
      to: startLine + newInput.split("\n").length - 1,
    });
  }

  insert(pathInput: unknown, lineInput: unknown, textInput: unknown): ToolOutcome {
    if (typeof textInput !== "string" || typeof lineInput !== "number") {
      return { isError: true, text: "insert needs `path`, `insert_line` (a number) and `text`." };
    }
    const file = this.#existing(pathInput, "insert");
    if (!file.ok) return file.outcome;
    const lines = file.content.split("\n");
    const endsWithNewline = lines.at(-1) === "";
    if (endsWithNewline) lines.pop();
    if (!Number.isInteger(lineInput) || lineInput < 0 || lineInput > lines.length) {
      return {
        isError: true,
        text: `insert_line must be between 0 and ${lines.length} (the file's last line); it was ${lineInput}.`,
      };
    }
    const added = textInput.replace(/\n$/, "").split("\n");
    lines.splice(lineInput, 0, ...added);
    const content = lines.join("\n") + (endsWithNewline || file.content === "" ? "\n" : "");
    return this.#edit(file.path, content, {
      from: lineInput + 1,
      to: lineInput + added.length,
    });
  }

  create(pathInput: unknown, content: unknown): ToolOutcome {
    if (typeof pathInput !== "string" || typeof content !== "string") {
      return {
        isError: true,
        text: "create needs a `path` string and the file's complete `content` as a string.",
      };
    }
    const path = readPath(pathInput, false);
    if (path.ok && this.files.has(path.path)) {
      return {
        isError: true,
        text: `${path.path} already exists. Change it with str_replace or insert; to replace it whole, delete it first.`,
      };
    }
    const written = this.write(pathInput, content);
    if (written.isError) return written;
    const problems = syntaxProblems(path.ok ? path.path : pathInput, content);
    return problems.length === 0
      ? written
      : syntaxError(path.ok ? path.path : pathInput, problems, written.text);
  }

  delete(pathInput: unknown): ToolOutcome {
    if (typeof pathInput !== "string") {
      return { isError: true, text: "delete needs a `path` string." };
    }
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, "deleted");
    if (!this.files.has(path.path)) {
      return { isError: true, text: `No such file: "${path.path}"; nothing was deleted.` };
    }
    return this.write(path.path, null);
  }

  /**
   * The one write path of every edit: the path policy, the secret scanner, the letter-case and
   * change-size checks, then the change itself (`content` null deletes the file).
   */
  write(pathInput: string, content: string | null): ToolOutcome {
    const verb = content === null ? "deleted" : "written";
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, verb);
    if (content !== null) {
      const checked = checkWriteFile({ path: path.path, content }, this.#policy, this.#literals);
      if (!checked.ok) return this.#refuse(path.path, checked.reason, verb);
      const clash = this.#caseClash(path.path);
      if (clash !== undefined) {
        return this.#refuse(
          path.path,
          `"${path.path}" differs only in letter case from the existing "${clash}"; such files clash on macOS and Windows checkouts. Write to "${clash}", or delete it first to rename it.`,
          verb,
        );
      }
    }
    const batch = this.#batchProblem(path.path, content);
    if (batch !== null) return this.#refuse(path.path, batch, verb);

    const before = this.files.get(path.path);
    this.#touched.add(path.path);
    if (content === null) {
      this.files.delete(path.path);
      return { isError: false, text: `Deleted ${path.path}.` };
    }
    this.files.set(path.path, content);
    if (before === content) {
      return { isError: false, text: `${path.path} already had this content; nothing changed.` };
    }
    return {
      isError: false,
      text: `Wrote ${path.path} (${byteLength(content)} bytes${before === undefined ? ", new file" : ""}).`,
    };
  }

  /** An edit of an existing file: written through `write`, then shown around the change and syntax-checked. */
  #edit(path: string, content: string, changed: { from: number; to: number }): ToolOutcome {
    const unchanged = this.files.get(path) === content;
    const written = this.write(path, content);
    if (written.isError || unchanged) return written;
    const lines = content.split("\n");
    const from = Math.max(1, changed.from - EDIT_CONTEXT);
    const to = Math.min(lines.length, Math.max(changed.to, changed.from) + EDIT_CONTEXT);
    const shown = `Edited ${path}; lines ${from}–${to} now read:\n${numbered(lines.slice(from - 1, to), from)}`;
    const problems = syntaxProblems(path, content);
    return problems.length === 0
      ? { isError: false, text: shown }
      : syntaxError(path, problems, shown);
  }

  #existing(
    pathInput: unknown,
    tool: string,
  ): { ok: true; path: string; content: string } | { ok: false; outcome: ToolOutcome } {
    const path = readPath(pathInput, false);
    if (!path.ok) return { ok: false, outcome: { isError: true, text: path.reason } };
    const content = this.files.get(path.path);
    if (content === undefined) {
      return {
        ok: false,
        outcome: {
          isError: true,
          text: `No such file: "${path.path}". ${tool} changes an existing file; use create for a new one.`,
        },
      };
    }
    return { ok: true, path: path.path, content };
  }

  /** Changed files that parsed in the snapshot (or are new) and no longer do. */
  syntaxErrors(): { path: string; reason: string }[] {
    return this.changes().flatMap((change) => {
      if (change.content === null) return [];
      const before = this.#snapshot.files.get(change.path);
      if (before !== undefined && syntaxProblems(change.path, before).length > 0) return [];
      const problems = syntaxProblems(change.path, change.content);
      return problems.length === 0
        ? []
        : [{ path: change.path, reason: `does not parse: ${problems[0]}` }];
    });
  }

  /**
   * The write policy, a secret check of the path itself (a path is committed too), and the
   * read-only contract tests.
   */
  #checkPath(
    raw: string,
  ): { ok: true; path: string } | { ok: false; shown: string; reason: string } {
    if (findSecrets(raw, this.#literals).length > 0) {
      return {
        ok: false,
        shown: redactSecrets(raw, this.#literals),
        reason:
          "The path looks like it contains a secret. Never put credentials in file names; choose an ordinary name.",
      };
    }
    const checked = checkWritePath(raw, this.#policy);
    if (!checked.ok) return { ok: false, shown: raw, reason: checked.reason };
    const special = this.#snapshot.special?.get(checked.path);
    if (special) {
      return {
        ok: false,
        shown: checked.path,
        reason: `"${checked.path}" is ${special} in the repository; the app never writes over one.`,
      };
    }
    // A file the archive left out exists all the same: "creating" it would silently replace
    // content the model has never seen.
    if (this.#reader.hidden.has(checked.path)) {
      return {
        ok: false,
        shown: checked.path,
        reason: `"${checked.path}" exists in the repository but was left out of the snapshot (.gitattributes export-ignore) and you have not read it: view it first, then edit it.`,
      };
    }
    // Every writing tool comes through here: "green" must mean the approved tests pass.
    if (this.#readOnly.has(checked.path.toLowerCase())) {
      return {
        ok: false,
        shown: checked.path,
        reason: `"${checked.path}" is one of the contract tests approved at the tests gate: it is read-only while implementing and fixing. Change the code so that it passes; only a person can change the tests (with /revise).`,
      };
    }
    const limited = this.#writeLimit?.(checked.path) ?? null;
    if (limited !== null) return { ok: false, shown: checked.path, reason: limited };
    return checked;
  }

  #refuse(path: string, reason: string, verb: "written" | "deleted") {
    this.rejected.push({ path, reason });
    return { isError: true, text: `Refused: ${reason} The file was not ${verb}.` };
  }

  #caseClash(path: string): string | undefined {
    const folded = path.toLowerCase();
    for (const other of this.files.keys()) {
      if (other !== path && other.toLowerCase() === folded) return other;
    }
    return undefined;
  }

  /** The change's file count and size with one more write (or delete, `content` null). */
  #batchProblem(path: string, content: string | null): string | null {
    let count = 0;
    let bytes = 0;
    for (const p of new Set([...this.#touched, path])) {
      const now = p === path ? (content ?? undefined) : this.files.get(p);
      if (now === this.#snapshot.files.get(p)) continue;
      count++;
      if (now !== undefined) bytes += byteLength(now);
    }
    if (count > this.#policy.maxFiles) {
      return `This would make ${count} changed files in one change; the limit is ${this.#policy.maxFiles}. Change fewer files.`;
    }
    if (bytes > this.#policy.maxTotalBytes) {
      return `This would make the change ${bytes} bytes in all; the limit is ${this.#policy.maxTotalBytes}. Write less.`;
    }
    return null;
  }
}

function lineOf(content: string, offset: number): number {
  let line = 1;
  for (let i = content.indexOf("\n"); i !== -1 && i < offset; i = content.indexOf("\n", i + 1)) {
    line++;
  }
  return line;
}

function syntaxError(path: string, problems: string[], done: string): ToolOutcome {
  return {
    isError: true,
    text: `${done}\nThe edit was applied, but ${path} no longer parses:\n${problems.map((p) => `- ${p}`).join("\n")}\nFix the file with another edit.`,
  };
}
