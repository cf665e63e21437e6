import { createHash } from "node:crypto";
import type { FileChange, RepoRef, Snapshot } from "../../ports/github.ts";

// Parsed snapshots shared by the jobs of one worker: a commit's files never change, so every
// job reading the same repository at the same sha can share one copy. Bounded by an estimate of
// the bytes held, least recently used first out; concurrent requests for a key share one load.
// It lives in the GitHub adapter because the port promises only "the files at this ref": the
// cache needs the resolved sha, which only the adapter learns, and jobs stay unaware of it.

/** Per file held: the Map entry, the path and the string headers (an estimate). */
const ENTRY_OVERHEAD_BYTES = 80;
/** A tree entry's sha and mode besides its path. */
const TREE_ENTRY_BYTES = 120;
/** Files larger than this are left out of a snapshot (as the tarball reader does). */
const DERIVED_MAX_FILE_CHARS = 1024 * 1024;

/** One entry of the commit's recursive tree, as GitHub lists it. */
export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
}

/** A snapshot as the adapter keeps it: with the commit's tree when GitHub listed it whole. */
export interface KeptSnapshot extends Snapshot {
  /** Every path of the commit's tree (absent when the listing was truncated). */
  entries?: ReadonlyMap<string, TreeEntry>;
}

/** The cache key of a repository's commit. */
export const snapshotKey = (repo: Pick<RepoRef, "owner" | "repo">, sha: string) =>
  `${repo.owner}/${repo.repo}@${sha}`.toLowerCase();

/** The git blob id of a text's UTF-8 bytes, as the tree lists it. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Bytes a snapshot holds in memory, roughly: V8 keeps ASCII strings at a byte a character. */
export function snapshotBytes(snapshot: KeptSnapshot): number {
  let bytes = 0;
  for (const [path, content] of snapshot.files) {
    bytes += path.length + content.length + ENTRY_OVERHEAD_BYTES;
  }
  for (const path of snapshot.hidden ?? []) bytes += path.length + ENTRY_OVERHEAD_BYTES;
  for (const [path] of snapshot.special ?? []) bytes += path.length + ENTRY_OVERHEAD_BYTES;
  for (const [path] of snapshot.entries ?? []) bytes += path.length + TREE_ENTRY_BYTES;
  return bytes;
}

export class SnapshotCache {
  readonly maxBytes: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #entries = new Map<string, { snapshot: KeptSnapshot; bytes: number }>();
  readonly #loading = new Map<string, Promise<KeptSnapshot>>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held now (the estimate of `snapshotBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The snapshot of `key` (repository and commit sha), loaded by `load` only when not held. */
  get(key: string, load: () => Promise<KeptSnapshot>): Promise<KeptSnapshot> {
    const held = this.#entries.get(key);
    if (held) {
      this.#entries.delete(key);
      this.#entries.set(key, held);
      return Promise.resolve(held.snapshot);
    }
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const loading = load()
      .then((snapshot) => {
        this.#keep(key, snapshot);
        return snapshot;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  /** The snapshot of `key` when held, without loading it (and without refreshing its recency). */
  peek(key: string): KeptSnapshot | undefined {
    return this.#entries.get(key)?.snapshot;
  }

  /**
   * The app has just made commit `sha` on top of `parent` with exactly `changes`: its snapshot
   * is the parent's with the changes applied, so nothing is downloaded to read back what the
   * app wrote. Not derived (the next read downloads it) when the parent is not held or lacks
   * its tree, or when a change could make the archive differ from the files (export rules in
   * `.gitattributes`, a link or submodule replaced, a file the tarball reader leaves out).
   */
  derive(
    repo: Pick<RepoRef, "owner" | "repo">,
    parent: string,
    sha: string,
    changes: FileChange[],
  ) {
    const base = this.peek(snapshotKey(repo, parent));
    if (!base?.entries || base.truncated) return;
    const derivable = changes.every(
      (c) =>
        !/(^|\/)\.gitattributes$/.test(c.path) &&
        !base.special?.has(c.path) &&
        (c.content === null ||
          (c.content.length <= DERIVED_MAX_FILE_CHARS && !c.content.includes("\0"))),
    );
    if (!derivable) return;
    const files = new Map(base.files);
    const hidden = new Set(base.hidden);
    const entries = new Map(base.entries);
    for (const change of changes) {
      hidden.delete(change.path);
      if (change.content === null) {
        files.delete(change.path);
        entries.delete(change.path);
        continue;
      }
      files.set(change.path, change.content);
      const old = entries.get(change.path);
      entries.set(change.path, {
        mode: old?.type === "blob" ? old.mode : "100644",
        type: "blob",
        sha: blobSha(change.content),
      });
    }
    this.#keep(snapshotKey(repo, sha), {
      sha,
      files,
      hidden,
      ...(base.special ? { special: base.special } : {}),
      entries,
    });
  }

  #keep(key: string, snapshot: KeptSnapshot): void {
    const bytes = snapshotBytes(snapshot);
    // One larger than the whole budget is used by its job and not kept.
    if (bytes > this.maxBytes) return;
    this.#entries.set(key, { snapshot, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }
}
