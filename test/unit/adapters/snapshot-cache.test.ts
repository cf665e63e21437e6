// Snapshots shared by a worker's jobs: bounded by bytes, least recently used out first, one load
// for concurrent requests, and never changed by the jobs that read them.

import { describe, expect, it } from "vitest";
import {
  blobSha,
  type KeptSnapshot,
  SnapshotCache,
  snapshotBytes,
  snapshotKey,
} from "../../../src/adapters/github/snapshot-cache.ts";
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

describe("a commit the app made, derived from its parent's snapshot", () => {
  const repo = { owner: "o", repo: "r" };
  const parent = (): KeptSnapshot => ({
    sha: "p".repeat(40),
    files: new Map([
      ["src/app.js", "export const app = 1;\n"],
      ["README.md", "# r\n"],
    ]),
    hidden: new Set(["docs/secret-plan.md"]),
    special: new Map([["link", "a symbolic link" as const]]),
    entries: new Map([
      ["src/app.js", { mode: "100644", type: "blob", sha: blobSha("export const app = 1;\n") }],
      ["bin/run", { mode: "100755", type: "blob", sha: blobSha("#!/bin/sh\n") }],
      ["README.md", { mode: "100644", type: "blob", sha: blobSha("# r\n") }],
      ["docs/secret-plan.md", { mode: "100644", type: "blob", sha: "0".repeat(40) }],
      ["link", { mode: "120000", type: "blob", sha: "1".repeat(40) }],
    ]),
  });
  const held = async (cache: SnapshotCache, snapshot: KeptSnapshot) =>
    cache.get(snapshotKey(repo, snapshot.sha), async () => snapshot);

  it("has the parent's files with the changes applied, and their blob ids and modes", async () => {
    const cache = new SnapshotCache(1024 * 1024);
    const base = await held(cache, parent());
    cache.derive(repo, base.sha, "c".repeat(40), [
      { path: "src/app.js", content: "export const app = 2;\n" },
      { path: "README.md", content: null },
      { path: "docs/secret-plan.md", content: "# plan\n" },
      { path: "bin/run", content: "#!/bin/sh\necho hi\n" },
    ]);
    const child = cache.peek(snapshotKey(repo, "c".repeat(40)));
    expect(child?.sha).toBe("c".repeat(40));
    expect(Object.fromEntries(child?.files ?? [])).toEqual({
      "src/app.js": "export const app = 2;\n",
      "docs/secret-plan.md": "# plan\n",
      "bin/run": "#!/bin/sh\necho hi\n",
    });
    expect([...(child?.hidden ?? [])]).toEqual([]);
    expect(child?.entries?.get("src/app.js")?.sha).toBe(blobSha("export const app = 2;\n"));
    expect(child?.entries?.get("bin/run")?.mode).toBe("100755");
    expect(child?.entries?.has("README.md")).toBe(false);
    // The parent, shared by other jobs, is unchanged.
    expect(base.files.get("src/app.js")).toBe("export const app = 1;\n");
    expect(base.entries?.has("README.md")).toBe(true);
  });

  it("is left to a download when the archive could differ or the parent is not held", async () => {
    const cache = new SnapshotCache(1024 * 1024);
    const base = await held(cache, parent());
    const child = "c".repeat(40);
    cache.derive(repo, base.sha, child, [
      { path: ".gitattributes", content: "docs/ export-ignore\n" },
    ]);
    cache.derive(repo, base.sha, child, [{ path: "link", content: "a file now\n" }]);
    cache.derive(repo, base.sha, child, [{ path: "logo.bin", content: "\0\u0001" }]);
    cache.derive(repo, "f".repeat(40), child, [{ path: "a.js", content: "1\n" }]);
    expect(cache.peek(snapshotKey(repo, child))).toBeUndefined();
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
