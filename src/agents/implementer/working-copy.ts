// The implementer's working copy: the snapshot's files plus this run's accepted writes and
// deletes. Every write passes the path policy and the secret scanner before it is applied; a
// refused write comes back to the model as a tool error saying why.

import {
  checkWriteBatch,
  checkWriteFile,
  checkWritePath,
  type PathPolicy,
} from "../../core/paths.ts";
import { findSecrets, redactSecrets } from "../../core/secrets.ts";
import type { FileChange, Snapshot } from "../../ports/github.ts";

/** Entries `list_files` returns at most. */
export const LIST_LIMIT = 500;
/** Characters of one file `read_file` returns at most. */
export const READ_LIMIT = 100_000;
/** Matching lines `search_files` returns at most. */
export const SEARCH_LIMIT = 100;
const SEARCH_LINE_CHARS = 200;

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;
const byPath = (a: { path: string }, b: { path: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;

export interface ToolOutcome {
  text: string;
  isError: boolean;
}

export class WorkingCopy {
  readonly files: Map<string, string>;
  readonly rejected: { path: string; reason: string }[] = [];
  /** Paths written or deleted in this run (their content may equal the snapshot's again). */
  readonly #touched = new Set<string>();
  readonly #snapshot: Snapshot;
  readonly #policy: PathPolicy;
  readonly #literals: string[];
  /** Paths no write or delete may touch (lower-cased): the approved contract tests. */
  readonly #readOnly: Set<string>;

  constructor(
    snapshot: Snapshot,
    policy: PathPolicy,
    secretLiterals: string[],
    options: { readOnly?: Iterable<string> } = {},
  ) {
    this.#snapshot = snapshot;
    this.#policy = policy;
    this.#literals = secretLiterals;
    this.#readOnly = new Set([...(options.readOnly ?? [])].map((p) => p.toLowerCase()));
    this.files = new Map(snapshot.files);
  }

  execute(tool: string, input: Record<string, unknown>): ToolOutcome {
    switch (tool) {
      case "list_files":
        return this.list(input.path ?? "");
      case "read_file":
        return this.read(input.path);
      case "search_files":
        return this.search(input.query, input.path ?? "");
      case "write_file":
        return this.write(input.path, input.content);
      case "delete_file":
        return this.delete(input.path);
      default:
        return { isError: true, text: `There is no tool "${tool}" here.` };
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

  list(folderInput: unknown): ToolOutcome {
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const entries = [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
    if (entries.length === 0) {
      if (folder.path === "") return { isError: false, text: "The repository has no files." };
      if (this.files.has(folder.path)) {
        return {
          isError: false,
          text: `"${folder.path}" is a file, not a folder; read it with read_file.`,
        };
      }
      return { isError: true, text: `No such folder: "${folder.path}".` };
    }
    const shown = entries.slice(0, LIST_LIMIT);
    const more = entries.length - shown.length;
    return {
      isError: false,
      text:
        shown.join("\n") +
        (more > 0
          ? `\n[${more} more files not shown (${entries.length} in all); list a subfolder]`
          : ""),
    };
  }

  read(pathInput: unknown): ToolOutcome {
    const path = readPath(pathInput, false);
    if (!path.ok) return { isError: true, text: path.reason };
    const content = this.files.get(path.path);
    if (content === undefined) {
      const prefix = `${path.path}/`;
      const isFolder = [...this.files.keys()].some((p) => p.startsWith(prefix));
      return {
        isError: true,
        text: isFolder
          ? `No such file: "${path.path}" is a folder; list it with list_files.`
          : `No such file: "${path.path}". (The snapshot leaves out binary and very large files.)`,
      };
    }
    if (content === "") return { isError: false, text: "[the file is empty]" };
    if (content.length <= READ_LIMIT) return { isError: false, text: content };
    return {
      isError: false,
      text: `${content.slice(0, READ_LIMIT)}\n[… truncated: the file has ${content.length} characters and only the first ${READ_LIMIT} are shown. Do not rewrite this file with write_file: the rest of it would be lost.]`,
    };
  }

  search(queryInput: unknown, folderInput: unknown): ToolOutcome {
    if (typeof queryInput !== "string" || queryInput === "") {
      return { isError: true, text: "search_files needs a non-empty `query` string." };
    }
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const paths = [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
    const lines: string[] = [];
    let more = false;
    search: for (const path of paths) {
      const content = this.files.get(path) ?? "";
      if (!content.includes(queryInput)) continue;
      const fileLines = content.split("\n");
      for (const [i, line] of fileLines.entries()) {
        if (!line.includes(queryInput)) continue;
        if (lines.length >= SEARCH_LIMIT) {
          more = true;
          break search;
        }
        const text = line.trim();
        lines.push(
          `${path}:${i + 1}: ${text.length > SEARCH_LINE_CHARS ? `${text.slice(0, SEARCH_LINE_CHARS)}…` : text}`,
        );
      }
    }
    if (lines.length === 0) {
      return {
        isError: false,
        text: `No matches for ${JSON.stringify(queryInput)}${prefix ? ` under "${folder.path}"` : ""}.`,
      };
    }
    return {
      isError: false,
      text:
        lines.join("\n") +
        (more
          ? `\n[more than ${SEARCH_LIMIT} matches; the rest are not shown. Narrow the search with a longer query or a path.]`
          : ""),
    };
  }

  write(pathInput: unknown, content: unknown): ToolOutcome {
    if (typeof pathInput !== "string" || typeof content !== "string") {
      return {
        isError: true,
        text: "write_file needs a `path` string and the file's complete `content` as a string.",
      };
    }
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, "written");
    const checked = checkWriteFile({ path: path.path, content }, this.#policy, this.#literals);
    if (!checked.ok) return this.#refuse(path.path, checked.reason, "written");
    const clash = this.#caseClash(path.path);
    if (clash !== undefined) {
      return this.#refuse(
        path.path,
        `"${path.path}" differs only in letter case from the existing "${clash}"; such files clash on macOS and Windows checkouts. Write to "${clash}", or delete it first to rename it.`,
        "written",
      );
    }
    const batch = this.#batchProblem(path.path, content);
    if (batch !== null) return this.#refuse(path.path, batch, "written");

    const existed = this.files.has(path.path);
    const before = this.files.get(path.path);
    this.files.set(path.path, content);
    this.#touched.add(path.path);
    const bytes = byteLength(content);
    return {
      isError: false,
      text:
        before === content
          ? `${path.path} already had this content; nothing changed.`
          : `Wrote ${path.path} (${bytes} bytes${existed ? "" : ", new file"}).`,
    };
  }

  delete(pathInput: unknown): ToolOutcome {
    if (typeof pathInput !== "string") {
      return { isError: true, text: "delete_file needs a `path` string." };
    }
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, "deleted");
    if (!this.files.has(path.path)) {
      return { isError: true, text: `No such file: "${path.path}"; nothing was deleted.` };
    }
    const batch = this.#batchProblem(path.path, null);
    if (batch !== null) return this.#refuse(path.path, batch, "deleted");
    this.files.delete(path.path);
    this.#touched.add(path.path);
    return { isError: false, text: `Deleted ${path.path}.` };
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
    // Every writing tool comes through here: "green" must mean the approved tests pass.
    if (this.#readOnly.has(checked.path.toLowerCase())) {
      return {
        ok: false,
        shown: checked.path,
        reason: `"${checked.path}" is one of the contract tests approved at the tests gate: it is read-only while implementing and fixing. Change the code so that it passes; only a person can change the tests (with /revise).`,
      };
    }
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

/**
 * A path to read or list: relative to the root, `./` and doubled slashes ignored; a leading
 * slash is tolerated (reads cannot leave the in-memory copy), `..` is not.
 */
function readPath(
  input: unknown,
  folder: boolean,
): { ok: true; path: string } | { ok: false; reason: string } {
  if (typeof input !== "string") {
    return { ok: false, reason: "`path` must be a string relative to the repository root." };
  }
  const segments = input.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    return {
      ok: false,
      reason: `"${input}" contains '..'. Paths are relative to the repository root, like src/app.ts.`,
    };
  }
  if (!folder && segments.length === 0) {
    return { ok: false, reason: "The path names no file. Give a path like src/app.ts." };
  }
  return { ok: true, path: segments.join("/") };
}
