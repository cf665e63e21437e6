import type { Snapshot } from "../../ports/github.ts";

// Parsed snapshots shared by the jobs of one worker: a commit's files never change, so every
// job reading the same repository at the same sha can share one copy. Bounded by an estimate of
// the bytes held, least recently used first out; concurrent requests for a key share one load.
// It lives in the GitHub adapter because the port promises only "the files at this ref": the
// cache needs the resolved sha, which only the adapter learns, and jobs stay unaware of it.

/** Per file held: the Map entry, the path and the string headers (an estimate). */
const ENTRY_OVERHEAD_BYTES = 80;

/** Bytes a snapshot holds in memory, roughly: V8 keeps ASCII strings at a byte a character. */
export function snapshotBytes(snapshot: Snapshot): number {
  let bytes = 0;
  for (const [path, content] of snapshot.files) {
    bytes += path.length + content.length + ENTRY_OVERHEAD_BYTES;
  }
  for (const path of snapshot.hidden ?? []) bytes += path.length + ENTRY_OVERHEAD_BYTES;
  for (const [path] of snapshot.special ?? []) bytes += path.length + ENTRY_OVERHEAD_BYTES;
  return bytes;
}

export class SnapshotCache {
  readonly maxBytes: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #entries = new Map<string, { snapshot: Snapshot; bytes: number }>();
  readonly #loading = new Map<string, Promise<Snapshot>>();
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
  get(key: string, load: () => Promise<Snapshot>): Promise<Snapshot> {
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

  #keep(key: string, snapshot: Snapshot): void {
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
