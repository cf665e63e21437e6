// Snapshots shared by a worker's jobs: bounded by bytes, least recently used out first, one load
// for concurrent requests, and never changed by the jobs that read them.

import { describe, expect, it } from "vitest";
import { SnapshotCache, snapshotBytes } from "../../../src/adapters/github/snapshot-cache.ts";
import { WorkingCopy } from "../../../src/agents/implementer/working-copy.ts";
import { DEFAULT_PATH_POLICY } from "../../../src/core/paths.ts";
import { repositoryView } from "../../../src/jobs/agent/repository.ts";
import type { Snapshot } from "../../../src/ports/github.ts";

function snapshotOf(sha: string, content: string): Snapshot {
  return { sha, files: new Map([["src/app.js", content]]) };
}

/** A loader that counts its loads and answers when released (or at once). */
function loader(snapshot: Snapshot) {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const counted = {
    loads: 0,
    release,
    load: async () => {
      counted.loads += 1;
      await gate;
      return snapshot;
    },
  };
  return counted;
}

describe("SnapshotCache", () => {
  it("gives a second job on the same commit the same snapshot without loading it again", async () => {
    const cache = new SnapshotCache(1024 * 1024);
    const first = loader(snapshotOf("a", "one\n"));
    first.release();
    const a = await cache.get("o/r@a", first.load);
    const b = await cache.get("o/r@a", first.load);
    expect(b).toBe(a);
    expect(first.loads).toBe(1);
  });

  it("shares one load among concurrent requests for a key, and forgets a failed one", async () => {
    const cache = new SnapshotCache(1024 * 1024);
    const pending = loader(snapshotOf("a", "one\n"));
    const both = Promise.all([cache.get("o/r@a", pending.load), cache.get("o/r@a", pending.load)]);
    pending.release();
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(pending.loads).toBe(1);

    let failures = 0;
    const failing = async (): Promise<Snapshot> => {
      failures += 1;
      throw new Error("tarball unavailable");
    };
    await expect(cache.get("o/r@b", failing)).rejects.toThrow("tarball unavailable");
    await expect(cache.get("o/r@b", failing)).rejects.toThrow("tarball unavailable");
    expect(failures).toBe(2);
  });

  it("keeps no more than its bytes, dropping the least recently used first", async () => {
    const size = snapshotBytes(snapshotOf("a", "x".repeat(1000)));
    const cache = new SnapshotCache(size * 2);
    const loads: string[] = [];
    const get = (sha: string) =>
      cache.get(`o/r@${sha}`, async () => {
        loads.push(sha);
        return snapshotOf(sha, "x".repeat(1000));
      });

    await get("a");
    await get("b");
    await get("a"); // a is now the most recently used
    await get("c"); // over budget: b goes
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(size * 2);
    await get("a");
    await get("c");
    expect(loads).toEqual(["a", "b", "c"]);
    await get("b");
    expect(loads).toEqual(["a", "b", "c", "b"]);
  });

  it("does not keep a snapshot larger than its whole budget", async () => {
    const cache = new SnapshotCache(100);
    let loads = 0;
    const load = async () => {
      loads += 1;
      return snapshotOf("a", "x".repeat(1000));
    };
    expect((await cache.get("o/r@a", load)).files.get("src/app.js")).toHaveLength(1000);
    await cache.get("o/r@a", load);
    expect(loads).toBe(2);
    expect(cache.bytes).toBe(0);
  });
});

describe("jobs over a shared snapshot", () => {
  const shared = (): Snapshot => ({
    sha: "a".repeat(40),
    files: new Map([["src/app.js", "export const app = 1;\n"]]),
    hidden: new Set(["tests/app.test.js"]),
  });
  const readHidden = async () => "test('app', () => {});\n";

  it("a reader's hidden file read lands in its own map, not the snapshot's", async () => {
    const snapshot = shared();
    const view = repositoryView(snapshot, readHidden);
    const viewed = await view.reader.execute("view", { path: "tests/app.test.js" });
    expect(viewed?.isError).toBe(false);
    expect(view.reader.files.get("tests/app.test.js")).toContain("test('app'");
    expect([...snapshot.files.keys()]).toEqual(["src/app.js"]);
    expect(repositoryView(snapshot, readHidden).reader.hidden.has("tests/app.test.js")).toBe(true);
  });

  it("the implementer's edits and hidden reads stay in its working copy", async () => {
    const snapshot = shared();
    const wc = new WorkingCopy(snapshot, DEFAULT_PATH_POLICY, [], { readHidden });
    await wc.execute("view", { path: "tests/app.test.js" });
    await wc.execute("create", { path: "src/new.js", content: "export const n = 1;\n" });
    await wc.execute("str_replace", {
      path: "src/app.js",
      old_str: "app = 1",
      new_str: "app = 2",
    });
    expect(wc.files.get("src/app.js")).toContain("app = 2");
    expect(wc.files.has("tests/app.test.js")).toBe(true);
    expect(Object.fromEntries(snapshot.files)).toEqual({ "src/app.js": "export const app = 1;\n" });
  });
});
