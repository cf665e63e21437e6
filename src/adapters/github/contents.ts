import { githubStatusOf } from "../../errors.ts";
import type { RepoRef, Snapshot } from "../../ports/github.ts";
import type { Octokit } from "./client.ts";
import {
  type KeptSnapshot,
  type SnapshotCache,
  snapshotKey,
  type TreeEntry,
} from "./snapshot-cache.ts";
import { readTarball } from "./tarball.ts";

// Reading a repository: one file, the default branch, a diff, the file list, a snapshot.

export async function readFile(octokit: Octokit, repo: RepoRef, path: string, ref?: string) {
  try {
    const { data } = await octokit.rest.repos.getContent({
      owner: repo.owner,
      repo: repo.repo,
      path,
      ...(ref ? { ref } : {}),
    });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
    return Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    if (githubStatusOf(error) === 404) return null;
    throw error;
  }
}

export async function getRepository(octokit: Octokit, repo: RepoRef) {
  const { data } = await octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo });
  return { defaultBranch: data.default_branch, nodeId: data.node_id };
}

/** GitHub lists at most 300 changed files in a comparison. */
export async function diff(octokit: Octokit, repo: RepoRef, base: string, head: string) {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    owner: repo.owner,
    repo: repo.repo,
    basehead: `${base}...${head}`,
  });
  return (data.files ?? []).map((f) => ({
    path: f.filename,
    status: f.status,
    patch: f.patch ?? "",
  }));
}

export async function listFiles(octokit: Octokit, repo: RepoRef, ref: string) {
  const { data } = await octokit.rest.git.getTree({
    owner: repo.owner,
    repo: repo.repo,
    tree_sha: ref,
    recursive: "1",
  });
  return data.tree.flatMap((entry) => (entry.type === "blob" && entry.path ? [entry.path] : []));
}

/**
 * The files at `ref`. With a cache, a commit already read (or being read) by another job costs
 * at most the read that resolves a branch to its sha.
 */
export async function snapshot(
  octokit: Octokit,
  repo: RepoRef,
  ref: string,
  cache?: SnapshotCache,
): Promise<Snapshot> {
  // Resolve first, then download that very commit: the ref may move in between.
  const sha = /^[0-9a-f]{40}$/i.test(ref) ? ref.toLowerCase() : await commitOf(octokit, repo, ref);
  if (!cache) return download(octokit, repo, sha);
  return cache.get(snapshotKey(repo, sha), () => download(octokit, repo, sha));
}

async function download(octokit: Octokit, repo: RepoRef, sha: string): Promise<KeptSnapshot> {
  const { owner, repo: name } = repo;
  const [archive, tree] = await Promise.all([
    octokit.rest.repos.downloadTarballArchive({ owner, repo: name, ref: sha }),
    octokit.rest.git.getTree({ owner, repo: name, tree_sha: sha, recursive: "1" }),
  ]);
  const { files, names } = await readTarball(Buffer.from(archive.data as ArrayBuffer));
  // The archive honours `.gitattributes` export-ignore (https://git-scm.com/docs/gitattributes#_export_ignore);
  // the tree lists every file of the commit. What only the tree has is hidden, not absent.
  const hidden = new Set<string>();
  const special = new Map<string, "a symbolic link" | "a submodule">();
  // The tree is kept with the snapshot: a commit on top of it needs its entries (blob ids,
  // modes), and a commit the app makes on it derives the next snapshot from it.
  const entries = new Map<string, TreeEntry>();
  for (const entry of tree.data.tree) {
    if (!entry.path) continue;
    if (entry.mode && entry.type && entry.sha) {
      entries.set(entry.path, { mode: entry.mode, type: entry.type, sha: entry.sha });
    }
    if (entry.mode === "120000") special.set(entry.path, "a symbolic link");
    else if (entry.mode === "160000") special.set(entry.path, "a submodule");
    else if (entry.type === "blob" && !names.has(entry.path)) hidden.add(entry.path);
  }
  // "If truncated is true … the number of items in the tree array exceeded our maximum limit"
  // (https://docs.github.com/en/rest/git/trees#get-a-tree).
  const truncated = tree.data.truncated;
  return { sha, files, hidden, special, truncated, ...(truncated ? {} : { entries }) };
}

/** The commit sha `ref` (a branch, tag or sha) points at. */
async function commitOf(octokit: Octokit, repo: RepoRef, ref: string): Promise<string> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
    owner: repo.owner,
    repo: repo.repo,
    ref,
    headers: { accept: "application/vnd.github.sha" },
  });
  const text =
    typeof data === "string" ? data : Buffer.from(data as unknown as ArrayBuffer).toString();
  const sha = text.trim();
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`GitHub did not resolve ${ref} to a commit`);
  return sha;
}
