// Real git objects: blobs, trees and commits hashed exactly as git hashes them
// (sha1 of "<type> <len>\0<content>"), so SHAs match `git hash-object`, `git mktree`
// and `git commit-tree`.
import { createHash } from "node:crypto";

export type GitObjectType = "blob" | "tree" | "commit";
export type TreeMode = "100644" | "100755" | "040000" | "160000" | "120000";

export interface GitObject {
  type: GitObjectType;
  content: Buffer;
}

export interface TreeEntry {
  mode: TreeMode;
  name: string;
  type: "blob" | "tree" | "commit";
  sha: string;
}

export interface GitIdentity {
  name: string;
  email: string;
  /** ISO 8601 date, e.g. "2024-01-01T00:00:00Z" or "2024-01-01T02:00:00+02:00". */
  date: string;
}

export interface CommitData {
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
}

/** A file in a flattened tree, keyed by its full path. */
export interface FlatEntry {
  mode: TreeMode;
  sha: string;
  type: "blob" | "commit";
}

export interface FileChange {
  filename: string;
  status: "added" | "removed" | "modified";
  sha: string | null;
  previousSha: string | null;
  additions: number;
  deletions: number;
  changes: number;
  patch: string | undefined;
}

export class GitError extends Error {}

export function hashObject(type: GitObjectType, content: Buffer): string {
  return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

/** Git sorts tree entries by name, comparing a directory as if its name ended with "/". */
function treeSortKey(entry: TreeEntry): string {
  return entry.type === "tree" ? `${entry.name}/` : entry.name;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareBytes(treeSortKey(a), treeSortKey(b)));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    const mode = entry.mode === "040000" ? "40000" : entry.mode;
    parts.push(Buffer.from(`${mode} ${entry.name}\0`), Buffer.from(entry.sha, "hex"));
  }
  return Buffer.concat(parts);
}

export function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < content.length) {
    const space = content.indexOf(0x20, i);
    const nul = content.indexOf(0, space);
    const rawMode = content.subarray(i, space).toString();
    const name = content.subarray(space + 1, nul).toString();
    const sha = content.subarray(nul + 1, nul + 21).toString("hex");
    const mode = (rawMode === "40000" ? "040000" : rawMode) as TreeMode;
    const type = mode === "040000" ? "tree" : mode === "160000" ? "commit" : "blob";
    entries.push({ mode, name, type, sha });
    i = nul + 21;
  }
  return entries;
}

/** "2024-01-01T00:00:00Z" → "1704067200 +0000" (git's timestamp format). */
export function gitTimestamp(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (Number.isNaN(seconds)) throw new GitError(`Invalid date: ${iso}`);
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  const tz = match ? `${match[1]}${match[2]}${match[3]}` : "+0000";
  return `${seconds} ${tz}`;
}

/** "1704067200 +0200" → "2024-01-01T02:00:00+02:00"; UTC dates end in "Z" like GitHub's. */
function isoFromGit(seconds: number, tz: string): string {
  const sign = tz.startsWith("-") ? -1 : 1;
  const offsetMinutes = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
  const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  return `${local}${tz.slice(0, 3)}:${tz.slice(3)}`;
}

export function serializeCommit(commit: CommitData): Buffer {
  const lines = [`tree ${commit.tree}`];
  for (const parent of commit.parents) lines.push(`parent ${parent}`);
  const who = (id: GitIdentity) => `${id.name} <${id.email}> ${gitTimestamp(id.date)}`;
  lines.push(`author ${who(commit.author)}`, `committer ${who(commit.committer)}`);
  return Buffer.from(`${lines.join("\n")}\n\n${commit.message}`);
}

export function parseCommit(content: Buffer): CommitData {
  const text = content.toString();
  const split = text.indexOf("\n\n");
  const header = split === -1 ? text : text.slice(0, split);
  const message = split === -1 ? "" : text.slice(split + 2);
  let tree = "";
  const parents: string[] = [];
  let author: GitIdentity | undefined;
  let committer: GitIdentity | undefined;
  const identity = (rest: string): GitIdentity => {
    const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(rest);
    if (!m) throw new GitError(`Bad identity line: ${rest}`);
    return { name: m[1] ?? "", email: m[2] ?? "", date: isoFromGit(Number(m[3]), m[4] ?? "+0000") };
  };
  for (const line of header.split("\n")) {
    const space = line.indexOf(" ");
    const key = line.slice(0, space);
    const rest = line.slice(space + 1);
    if (key === "tree") tree = rest;
    else if (key === "parent") parents.push(rest);
    else if (key === "author") author = identity(rest);
    else if (key === "committer") committer = identity(rest);
  }
  if (!author || !committer) throw new GitError("Commit without author or committer");
  return { tree, parents, author, committer, message };
}

/** One repository's object database. */
export class GitStore {
  readonly objects = new Map<string, GitObject>();

  write(type: GitObjectType, content: Buffer): string {
    const sha = hashObject(type, content);
    if (!this.objects.has(sha)) this.objects.set(sha, { type, content });
    return sha;
  }

  has(sha: string, type?: GitObjectType): boolean {
    const object = this.objects.get(sha);
    return object !== undefined && (type === undefined || object.type === type);
  }

  get(sha: string, type: GitObjectType): Buffer {
    const object = this.objects.get(sha);
    if (!object || object.type !== type) throw new GitError(`No ${type} ${sha}`);
    return object.content;
  }

  writeBlob(content: Buffer | string): string {
    return this.write("blob", typeof content === "string" ? Buffer.from(content) : content);
  }

  writeTree(entries: readonly TreeEntry[]): string {
    return this.write("tree", serializeTree(entries));
  }

  writeCommit(commit: CommitData): string {
    return this.write("commit", serializeCommit(commit));
  }

  readTree(sha: string): TreeEntry[] {
    return parseTree(this.get(sha, "tree"));
  }

  readCommit(sha: string): CommitData {
    return parseCommit(this.get(sha, "commit"));
  }

  /** Every file below a tree, keyed by path ("dir/file.txt"). */
  flatten(
    treeSha: string,
    prefix = "",
    into = new Map<string, FlatEntry>(),
  ): Map<string, FlatEntry> {
    for (const entry of this.readTree(treeSha)) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.type === "tree") this.flatten(entry.sha, path, into);
      else into.set(path, { mode: entry.mode, sha: entry.sha, type: entry.type });
    }
    return into;
  }

  /** Builds (writes) the nested trees for a flat path map and returns the root tree sha. */
  buildTree(files: ReadonlyMap<string, FlatEntry>): string {
    interface Dir {
      files: TreeEntry[];
      dirs: Map<string, Dir>;
    }
    const root: Dir = { files: [], dirs: new Map() };
    for (const [path, entry] of files) {
      const parts = path.split("/");
      const name = parts.pop() ?? "";
      let dir = root;
      for (const part of parts) {
        let next = dir.dirs.get(part);
        if (!next) {
          next = { files: [], dirs: new Map() };
          dir.dirs.set(part, next);
        }
        dir = next;
      }
      dir.files.push({ mode: entry.mode, name, type: entry.type, sha: entry.sha });
    }
    const write = (dir: Dir): string => {
      const entries = [...dir.files];
      for (const [name, sub] of dir.dirs) {
        entries.push({ mode: "040000", name, type: "tree", sha: write(sub) });
      }
      return this.writeTree(entries);
    };
    return write(root);
  }

  /** Finds the entry at a path ("" is the root tree itself). */
  entryAt(treeSha: string, path: string): TreeEntry | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length === 0) return { mode: "040000", name: "", type: "tree", sha: treeSha };
    let current: TreeEntry = { mode: "040000", name: "", type: "tree", sha: treeSha };
    for (const part of parts) {
      if (current.type !== "tree") return undefined;
      const next = this.readTree(current.sha).find((e) => e.name === part);
      if (!next) return undefined;
      current = next;
    }
    return current;
  }

  /** Commits reachable from `head`, breadth first (so newest first), `head` included. */
  history(head: string): string[] {
    const seen = new Set<string>();
    const queue = [head];
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...this.readCommit(sha).parents);
    }
    return [...seen];
  }

  ancestors(head: string): Set<string> {
    return new Set(this.history(head));
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    return this.ancestors(descendant).has(ancestor);
  }

  /** The nearest common ancestor (first found walking `b`'s history breadth first). */
  mergeBase(a: string, b: string): string | undefined {
    const fromA = this.ancestors(a);
    const seen = new Set<string>();
    const queue = [b];
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (seen.has(sha)) continue;
      seen.add(sha);
      if (fromA.has(sha)) return sha;
      queue.push(...this.readCommit(sha).parents);
    }
    return undefined;
  }

  /** Commits in `head` but not in `base`, oldest first (like GitHub's compare). */
  commitsBetween(base: string, head: string): string[] {
    const exclude = this.ancestors(base);
    const result: string[] = [];
    const seen = new Set<string>();
    const visit = (sha: string) => {
      if (seen.has(sha) || exclude.has(sha)) return;
      seen.add(sha);
      for (const parent of this.readCommit(sha).parents) visit(parent);
      result.push(sha);
    };
    visit(head);
    return result;
  }

  /** File-level differences between two trees (either may be undefined = empty). */
  diffTrees(baseTree: string | undefined, headTree: string | undefined): FileChange[] {
    const before = baseTree ? this.flatten(baseTree) : new Map<string, FlatEntry>();
    const after = headTree ? this.flatten(headTree) : new Map<string, FlatEntry>();
    const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changes: FileChange[] = [];
    for (const path of paths) {
      const a = before.get(path);
      const b = after.get(path);
      if (a && b && a.sha === b.sha && a.mode === b.mode) continue;
      const oldText = a?.type === "blob" ? this.get(a.sha, "blob").toString() : "";
      const newText = b?.type === "blob" ? this.get(b.sha, "blob").toString() : "";
      const diff = lineDiff(oldText, newText);
      changes.push({
        filename: path,
        status: !a ? "added" : !b ? "removed" : "modified",
        sha: b?.sha ?? null,
        previousSha: a?.sha ?? null,
        additions: diff.additions,
        deletions: diff.deletions,
        changes: diff.additions + diff.deletions,
        patch: diff.patch,
      });
    }
    return changes;
  }

  /**
   * Three-way merge of trees at file level: a path changed on one side only takes that side;
   * a path changed differently on both sides is a conflict.
   */
  mergeTrees(baseTree: string | undefined, oursTree: string, theirsTree: string): string {
    const base = baseTree ? this.flatten(baseTree) : new Map<string, FlatEntry>();
    const ours = this.flatten(oursTree);
    const theirs = this.flatten(theirsTree);
    const result = new Map<string, FlatEntry>();
    const same = (x: FlatEntry | undefined, y: FlatEntry | undefined) =>
      x?.sha === y?.sha && x?.mode === y?.mode;
    for (const path of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
      const b = base.get(path);
      const o = ours.get(path);
      const t = theirs.get(path);
      let pick: FlatEntry | undefined;
      if (same(o, t)) pick = o;
      else if (same(b, o)) pick = t;
      else if (same(b, t)) pick = o;
      else throw new GitError(`Merge conflict in ${path}`);
      if (pick) result.set(path, pick);
    }
    return this.buildTree(result);
  }
}

const MAX_DIFF_CELLS = 4_000_000;

/** A line diff (LCS) with a unified patch (3 lines of context), like GitHub's `patch`. */
export function lineDiff(
  oldText: string,
  newText: string,
): { additions: number; deletions: number; patch: string | undefined } {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  if (a.length * b.length > MAX_DIFF_CELLS) {
    return { additions: b.length, deletions: a.length, patch: undefined };
  }
  // ops: " " keep, "-" delete, "+" add
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) lcs.push(new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        a[i] === b[j]
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const ops: { op: " " | "-" | "+"; text: string; oldNo: number; newNo: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: " ", text: a[i] as string, oldNo: i + 1, newNo: j + 1 });
      i++;
      j++;
    } else if (i < n && (j >= m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      ops.push({ op: "-", text: a[i] as string, oldNo: i + 1, newNo: j });
      i++;
    } else {
      ops.push({ op: "+", text: b[j] as string, oldNo: i, newNo: j + 1 });
      j++;
    }
  }
  const additions = ops.filter((o) => o.op === "+").length;
  const deletions = ops.filter((o) => o.op === "-").length;
  if (additions + deletions === 0) return { additions, deletions, patch: undefined };
  // Group changes into hunks with 3 lines of context.
  const hunks: string[] = [];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k]?.op === " ") k++;
    if (k >= ops.length) break;
    const start = Math.max(0, k - 3);
    let end = k;
    let lastChange = k;
    while (end < ops.length) {
      if (ops[end]?.op !== " ") lastChange = end;
      else if (end - lastChange > 6) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + 4);
    const slice = ops.slice(start, end);
    const oldLines = slice.filter((o) => o.op !== "+").length;
    const newLines = slice.filter((o) => o.op !== "-").length;
    const first = slice[0] as (typeof ops)[number];
    const oldStart = first.op === "+" ? first.oldNo + (oldLines === 0 ? 0 : 1) : first.oldNo;
    const newStart = first.op === "-" ? first.newNo + (newLines === 0 ? 0 : 1) : first.newNo;
    const header = `@@ -${oldStart}${oldLines === 1 ? "" : `,${oldLines}`} +${newStart}${newLines === 1 ? "" : `,${newLines}`} @@`;
    hunks.push([header, ...slice.map((o) => `${o.op}${o.text}`)].join("\n"));
    k = end;
  }
  return { additions, deletions, patch: hunks.join("\n") };
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
