// Read-only tools over a repository snapshot: list (depth, glob), view (line-numbered ranges)
// and regex search with context. Every answer that is cut short says how much it left out and
// how to narrow the request, so a model never mistakes a partial answer for the whole.

/** Entries `list` returns at most. */
export const LIST_LIMIT = 300;
/** Lines `view` returns at most in one call. */
export const VIEW_LINES = 400;
/** Characters `view` returns at most in one call. */
export const VIEW_CHARS = 60_000;
/** Matches `search` returns at most. */
export const SEARCH_LIMIT = 100;
const LINE_CHARS = 240;
const MAX_CONTEXT = 5;

export interface ToolOutcome {
  text: string;
  isError: boolean;
}

const LOCKFILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "bun.lock",
  "Cargo.lock",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "Gemfile.lock",
  "composer.lock",
  "go.sum",
  "mix.lock",
  "pubspec.lock",
]);
const VENDORED = /(^|\/)(node_modules|vendor|dist|bower_components|\.git)\//;

/** Files a search skips: lockfiles, vendored or built output, and minified code. */
export function skippedBySearch(path: string, content: string): string | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (LOCKFILES.has(name)) return "lockfile";
  if (VENDORED.test(path)) return "vendored";
  if (/\.min\.(js|mjs|cjs|css)$/.test(name) || isMinified(content)) return "minified";
  return null;
}

function isMinified(content: string): boolean {
  if (content.length < 2_000) return false;
  const lines = content.split("\n").length;
  return content.length / lines > 500;
}

/** A glob as a regular expression: `**` crosses folders, `*` and `?` do not, `{a,b}` is either. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else {
          out += ".*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") out += "[^/]";
    else if (c === "{") out += "(?:";
    else if (c === "}") out += ")";
    else if (c === ",") out += "|";
    else out += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Whether `path` matches `glob`; a glob without a slash matches the file name in any folder. */
function globMatcher(glob: string | undefined): (path: string) => boolean {
  if (!glob) return () => true;
  const re = globToRegExp(glob);
  return glob.includes("/")
    ? (path) => re.test(path)
    : (path) => re.test(path.slice(path.lastIndexOf("/") + 1));
}

/**
 * A path to read: relative to the root, `./` and doubled slashes ignored; a leading slash is
 * tolerated (reads cannot leave the in-memory copy), `..` is not.
 */
export function readPath(
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

const cut = (line: string) =>
  line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}… [line cut]` : line;

/** Line-numbered lines, as `cat -n` prints them. */
export function numbered(lines: string[], first: number): string {
  const width = String(first + lines.length - 1).length;
  return lines.map((line, i) => `${String(first + i).padStart(width)}\t${line}`).join("\n");
}

/**
 * The read tools over a set of files (a snapshot, or the implementer's working copy, which
 * passes its live map so reads see its edits).
 */
export class RepoReader {
  #files: ReadonlyMap<string, string>;
  /** Whether `#files` is this reader's to add to; a shared snapshot's map is copied first. */
  #writable: boolean;
  /** Files of the commit the archive left out (export-ignore), still to be read from GitHub. */
  readonly hidden: Set<string>;
  readonly #readHidden: ((path: string) => Promise<string | null>) | undefined;
  readonly #truncated: boolean;

  constructor(
    files: ReadonlyMap<string, string>,
    options: {
      /**
       * `files` is the caller's own `Map` (a working copy): hidden files read are added to it.
       * Otherwise the first one read copies the map, which may be a shared snapshot's.
       */
      writable?: boolean;
      hidden?: Iterable<string> | undefined;
      /** Reads a hidden file from GitHub (the contents API at the snapshot's commit). */
      readHidden?: ((path: string) => Promise<string | null>) | undefined;
      truncated?: boolean | undefined;
    } = {},
  ) {
    this.#files = files;
    this.#writable = options.writable ?? false;
    this.hidden = new Set(options.hidden ?? []);
    this.#readHidden = options.readHidden;
    this.#truncated = options.truncated ?? false;
  }

  execute(tool: string, input: Record<string, unknown>): ToolOutcome | Promise<ToolOutcome> | null {
    switch (tool) {
      case "list":
        return this.list(input.path ?? "", input.depth, input.glob);
      case "view": {
        const path = readPath(input.path, false);
        if (path.ok && this.hidden.has(path.path)) {
          return this.#load(path.path).then(() =>
            this.view(input.path, input.start_line, input.end_line),
          );
        }
        return this.view(input.path, input.start_line, input.end_line);
      }
      case "search":
        return this.search(input.pattern, input.path ?? "", input.glob, input.context_lines);
      default:
        return null;
    }
  }

  /** Reads a hidden file once; from then on it is an ordinary file of the snapshot. */
  async #load(path: string): Promise<void> {
    const content = this.#readHidden ? await this.#readHidden(path) : null;
    this.hidden.delete(path);
    if (content === null) return;
    if (!this.#writable) {
      this.#files = new Map(this.#files);
      this.#writable = true;
    }
    (this.#files as Map<string, string>).set(path, content);
  }

  get files(): ReadonlyMap<string, string> {
    return this.#files;
  }

  list(folderInput: unknown, depthInput: unknown, globInput: unknown): ToolOutcome {
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const depth =
      typeof depthInput === "number" && Number.isInteger(depthInput) && depthInput > 0
        ? depthInput
        : 2;
    const glob = typeof globInput === "string" && globInput !== "" ? globInput : undefined;
    const matches = globMatcher(glob);
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const under = [...this.files.keys(), ...this.hidden]
      .filter((p) => p.startsWith(prefix) && matches(p))
      .sort();
    if (under.length === 0) {
      if (prefix !== "" && this.files.has(folder.path)) {
        return { isError: false, text: `"${folder.path}" is a file; read it with view.` };
      }
      return {
        isError: false,
        text: `No files under "${folder.path || "/"}"${glob ? ` matching ${glob}` : ""}.`,
      };
    }
    // Files within `depth` levels are listed; deeper ones are folded into their folder's count.
    const entries: string[] = [];
    const folded = new Map<string, number>();
    for (const path of under) {
      const rest = path.slice(prefix.length).split("/");
      if (rest.length <= depth) {
        entries.push(
          this.hidden.has(path)
            ? `${path} (left out of the archive by .gitattributes; view reads it)`
            : path,
        );
      } else {
        const dir = `${prefix}${rest.slice(0, depth).join("/")}/`;
        folded.set(dir, (folded.get(dir) ?? 0) + 1);
      }
    }
    for (const [dir, count] of folded) {
      entries.push(`${dir} (${count} file${count === 1 ? "" : "s"} deeper; list this folder)`);
    }
    entries.sort();
    const shown = entries.slice(0, LIST_LIMIT);
    const header = `${under.length} file${under.length === 1 ? "" : "s"} under "${folder.path || "/"}"${glob ? ` matching ${glob}` : ""}; depth ${depth}.`;
    const more =
      entries.length > LIST_LIMIT
        ? `\n[… ${entries.length - LIST_LIMIT} of ${entries.length} entries not shown. Narrow with a deeper \`path\`, a smaller \`depth\` or a \`glob\` such as "*.ts".]`
        : "";
    const truncated = this.#truncated
      ? "\n[GitHub cut this repository's file tree short: files may exist that no listing shows.]"
      : "";
    return { isError: false, text: `${header}\n${shown.join("\n")}${more}${truncated}` };
  }

  view(pathInput: unknown, startInput: unknown, endInput: unknown): ToolOutcome {
    const path = readPath(pathInput, false);
    if (!path.ok) return { isError: true, text: path.reason };
    const content = this.files.get(path.path);
    if (content === undefined) {
      const isFolder = [...this.files.keys()].some((p) => p.startsWith(`${path.path}/`));
      return {
        isError: true,
        text: isFolder
          ? `No such file: "${path.path}" is a folder; list it with list.`
          : `No such file: "${path.path}". (The snapshot leaves out binary and very large files.) Find files with list or search.`,
      };
    }
    if (content === "") return { isError: false, text: `${path.path}: [the file is empty]` };
    const lines = content.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const total = lines.length;
    const start = lineNumber(startInput) ?? 1;
    if (start > total) {
      return {
        isError: true,
        text: `${path.path} has ${total} line${total === 1 ? "" : "s"}; start_line ${start} is past its end.`,
      };
    }
    const asked = lineNumber(endInput);
    const wanted = Math.min(asked === undefined || asked === -1 ? total : asked, total);
    let end = wanted;
    if (end < start) {
      return { isError: true, text: `end_line ${end} is before start_line ${start}.` };
    }
    end = Math.min(end, start + VIEW_LINES - 1);
    let chosen = lines.slice(start - 1, end).map(cut);
    while (chosen.length > 1 && chosen.join("\n").length > VIEW_CHARS) {
      chosen = chosen.slice(0, Math.ceil(chosen.length / 2));
    }
    end = start + chosen.length - 1;
    const whole = start === 1 && end === total;
    const header = whole
      ? `${path.path} (${total} lines)`
      : `${path.path} lines ${start}–${end} of ${total}`;
    // A range cut short by the limits says so; a range the model chose does not need to.
    const more =
      end < wanted
        ? `\n[… lines ${end + 1}–${wanted} of the range not shown (at most ${VIEW_LINES} lines a call); view with start_line ${end + 1} for more.]`
        : "";
    return { isError: false, text: `${header}\n${numbered(chosen, start)}${more}` };
  }

  search(
    patternInput: unknown,
    folderInput: unknown,
    globInput: unknown,
    contextInput: unknown,
  ): ToolOutcome {
    if (typeof patternInput !== "string" || patternInput === "") {
      return { isError: true, text: "search needs a non-empty `pattern` (a regular expression)." };
    }
    let pattern: RegExp;
    try {
      pattern = new RegExp(patternInput);
    } catch (error) {
      return {
        isError: true,
        text: `The pattern is not a valid regular expression (${error instanceof Error ? error.message : String(error)}). Escape special characters such as ( [ . * with a backslash.`,
      };
    }
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const context = Math.min(
      MAX_CONTEXT,
      typeof contextInput === "number" && contextInput > 0 ? Math.floor(contextInput) : 0,
    );
    const glob = typeof globInput === "string" && globInput !== "" ? globInput : undefined;
    const matches = globMatcher(glob);
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const paths = [...this.files.keys()].filter((p) => p.startsWith(prefix) && matches(p)).sort();
    const skipped = new Map<string, number>();
    const blocks: string[] = [];
    let found = 0;
    let filesWith = 0;
    for (const path of paths) {
      const content = this.files.get(path) ?? "";
      const why = skippedBySearch(path, content);
      if (why !== null) {
        skipped.set(why, (skipped.get(why) ?? 0) + 1);
        continue;
      }
      if (!pattern.test(content)) continue;
      const lines = content.split("\n");
      const hits = lines.flatMap((line, i) => (pattern.test(line) ? [i] : []));
      if (hits.length === 0) continue;
      filesWith++;
      for (const hit of hits) {
        found++;
        if (found > SEARCH_LIMIT) continue;
        if (context === 0) {
          blocks.push(`${path}:${hit + 1}: ${cut(lines[hit]?.trim() ?? "")}`);
          continue;
        }
        const from = Math.max(0, hit - context);
        const to = Math.min(lines.length, hit + context + 1);
        const shown = lines
          .slice(from, to)
          .map((line, k) => `${from + k + 1}${from + k === hit ? ":" : "-"} ${cut(line)}`);
        blocks.push(`${path}\n${shown.join("\n")}`);
      }
    }
    const hiddenUnder = [...this.hidden].filter((p) => p.startsWith(prefix) && matches(p)).length;
    const skippedNote =
      (skipped.size > 0
        ? `\n[skipped: ${[...skipped].map(([why, n]) => `${n} ${why === "lockfile" ? `lockfile${n === 1 ? "" : "s"}` : `${why} file${n === 1 ? "" : "s"}`}`).join(", ")}]`
        : "") +
      (hiddenUnder > 0
        ? `\n[${hiddenUnder} file${hiddenUnder === 1 ? "" : "s"} left out of the archive by .gitattributes ${hiddenUnder === 1 ? "is" : "are"} searched only once viewed; list shows them.]`
        : "");
    if (found === 0) {
      return {
        isError: false,
        text: `No matches for /${patternInput}/${prefix ? ` under "${folder.path}"` : ""}${glob ? ` in ${glob}` : ""}.${skippedNote}`,
      };
    }
    const more =
      found > SEARCH_LIMIT
        ? `\n[… ${found - SEARCH_LIMIT} of ${found} matches (in ${filesWith} files) not shown. Narrow with a more specific pattern, a \`path\` or a \`glob\`.]`
        : "";
    return {
      isError: false,
      text: `${blocks.join(context > 0 ? "\n--\n" : "\n")}${more}${skippedNote}`,
    };
  }
}

function lineNumber(input: unknown): number | undefined {
  if (typeof input !== "number" || !Number.isInteger(input)) return undefined;
  return input === -1 ? -1 : Math.max(1, input);
}
