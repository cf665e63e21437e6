import { BranchMovedError, githubStatusOf } from "../../errors.ts";
import type { CommitRequest, CommitResult, FileChange, RepoRef } from "../../ports/github.ts";
import type { Octokit } from "./client.ts";
import { is422 } from "./errors.ts";

// Commits through the Git Data API: one tree per step, found again by its marker, never forced.

/** How many of the branch's latest commits are searched for a step's marker. */
const MARKER_SEARCH_DEPTH = 50;
/** Attempts at a commit when the branch keeps moving between our read and our ref update. */
const COMMIT_ATTEMPTS = 4;

/** The last change of each path wins, in the order given. */
function lastPerPath(files: FileChange[]): FileChange[] {
  const byPath = new Map<string, FileChange>();
  for (const file of files) {
    byPath.delete(file.path);
    byPath.set(file.path, file);
  }
  return [...byPath.values()];
}

interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
}

/** The branch's head commit, or null when the branch does not exist. */
export function getBranchHead(octokit: Octokit, repo: RepoRef, branch: string) {
  return headOf(octokit, repo, branch);
}

/** One commit of the step's files on top of the branch head; see `CommitRequest`. */
export async function commitFiles(
  octokit: Octokit,
  repo: RepoRef,
  request: CommitRequest,
): Promise<CommitResult> {
  if (!request.message.includes(request.marker)) {
    throw new Error(`the commit message must contain its marker "${request.marker}"`);
  }
  const { owner, repo: name } = repo;
  const files = lastPerPath(request.files);
  let head = await branchHeadOrCreate(octokit, repo, request.branch, request.base);
  // After a lost race, the head first read is what this step's work was based on: commits
  // that appeared since are someone else's and must not be overwritten either.
  let expected = request.basedOn;
  for (let attempt = 1; ; attempt += 1) {
    const { marked, headTree } = await findMarkedCommit(octokit, repo, head, request.marker);
    if (marked) return { sha: marked, created: false };

    if (expected && expected !== head) {
      const moved = await changedPaths(octokit, repo, expected, head);
      const overlap = files.map((f) => f.path).filter((path) => moved.has(path));
      if (overlap.length > 0) throw new BranchMovedError(request.branch, overlap);
    }

    const baseTree =
      headTree ??
      (await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: head })).data.tree.sha;
    const existing = await entriesAt(
      octokit,
      repo,
      baseTree,
      files.map((f) => f.path),
    );
    const tree: {
      path: string;
      mode: "100644" | "100755";
      type: "blob";
      sha?: null;
      content?: string;
    }[] = [];
    for (const file of files) {
      const current = existing.get(file.path);
      const mode = current?.type === "blob" && current.mode === "100755" ? "100755" : "100644";
      if (file.content !== null) {
        tree.push({ path: file.path, mode, type: "blob", content: file.content });
      } else if (current) {
        // Deleting a path the tree lacks is a 422 on GitHub: only existing paths are removed.
        tree.push({ path: file.path, mode, type: "blob", sha: null });
      }
    }
    if (tree.length === 0) return { sha: head, created: false, unchanged: true };
    const { data: newTree } = await octokit.rest.git.createTree({
      owner,
      repo: name,
      base_tree: baseTree,
      tree,
    });
    if (newTree.sha === baseTree) return { sha: head, created: false, unchanged: true };
    const { data: commit } = await octokit.rest.git.createCommit({
      owner,
      repo: name,
      message: request.message,
      tree: newTree.sha,
      parents: [head],
    });
    try {
      await octokit.rest.git.updateRef({
        owner,
        repo: name,
        ref: `heads/${request.branch}`,
        sha: commit.sha,
        force: false,
      });
      return { sha: commit.sha, created: true };
    } catch (error) {
      if (!is422(error, "not a fast forward")) throw error;
      if (attempt >= COMMIT_ATTEMPTS) {
        throw new Error(
          `the branch ${request.branch} kept moving while committing "${request.marker}" (${attempt} attempts); try again later`,
        );
      }
    }
    expected ??= head;
    const moved = await headOf(octokit, repo, request.branch);
    if (!moved) throw new Error(`the branch ${request.branch} was deleted while committing`);
    head = moved;
  }
}

async function headOf(octokit: Octokit, repo: RepoRef, branch: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.git.getRef({
      owner: repo.owner,
      repo: repo.repo,
      ref: `heads/${branch}`,
    });
    return data.object.sha;
  } catch (error) {
    if (githubStatusOf(error) === 404) return null;
    throw error;
  }
}

/** The branch's head; a missing branch is created at `base`'s head first. */
async function branchHeadOrCreate(
  octokit: Octokit,
  repo: RepoRef,
  branch: string,
  base: string,
): Promise<string> {
  const head = await headOf(octokit, repo, branch);
  if (head) return head;
  const baseHead = await headOf(octokit, repo, base);
  if (!baseHead) throw new Error(`the base branch ${base} does not exist`);
  try {
    await octokit.rest.git.createRef({
      owner: repo.owner,
      repo: repo.repo,
      ref: `refs/heads/${branch}`,
      sha: baseHead,
    });
    return baseHead;
  } catch (error) {
    if (!is422(error, "reference already exists")) throw error;
    const raced = await headOf(octokit, repo, branch);
    if (!raced) throw error;
    return raced;
  }
}

/** The newest of the last commits up to `head` whose message contains `marker`. */
async function findMarkedCommit(
  octokit: Octokit,
  repo: RepoRef,
  head: string,
  marker: string,
): Promise<{ marked: string | null; headTree: string | undefined }> {
  const { data } = await octokit.rest.repos.listCommits({
    owner: repo.owner,
    repo: repo.repo,
    sha: head,
    per_page: MARKER_SEARCH_DEPTH,
  });
  return {
    marked: data.find((c) => c.commit.message.includes(marker))?.sha ?? null,
    // The listing starts at the head: its tree comes free, saving a commit read.
    headTree: data[0]?.sha === head ? data[0].commit.tree.sha : undefined,
  };
}

/** Paths changed from `from` to `to` (from their merge base, as GitHub compares). */
async function changedPaths(
  octokit: Octokit,
  repo: RepoRef,
  from: string,
  to: string,
): Promise<Set<string>> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    owner: repo.owner,
    repo: repo.repo,
    basehead: `${from}...${to}`,
  });
  const paths = new Set<string>();
  for (const file of data.files ?? []) {
    paths.add(file.filename);
    if (file.previous_filename) paths.add(file.previous_filename);
  }
  return paths;
}

/**
 * The entries at `paths` in a tree: one recursive read, or, when GitHub truncates that
 * (very large trees), a walk down each path's folders.
 */
async function entriesAt(
  octokit: Octokit,
  repo: RepoRef,
  rootTree: string,
  paths: string[],
): Promise<Map<string, TreeEntry>> {
  const found = new Map<string, TreeEntry>();
  if (paths.length === 0) return found;
  const read = async (sha: string, recursive: boolean) => {
    const { data } = await octokit.rest.git.getTree({
      owner: repo.owner,
      repo: repo.repo,
      tree_sha: sha,
      ...(recursive ? { recursive: "1" } : {}),
    });
    return data;
  };
  const whole = await read(rootTree, true);
  if (!whole.truncated) {
    const wanted = new Set(paths);
    for (const e of whole.tree) {
      if (e.path && wanted.has(e.path) && e.mode && e.type && e.sha) {
        found.set(e.path, { mode: e.mode, type: e.type, sha: e.sha });
      }
    }
    return found;
  }
  const listings = new Map<string, Map<string, TreeEntry>>();
  const list = async (sha: string) => {
    let listing = listings.get(sha);
    if (!listing) {
      listing = new Map();
      for (const e of (await read(sha, false)).tree) {
        if (e.path && e.mode && e.type && e.sha) {
          listing.set(e.path, { mode: e.mode, type: e.type, sha: e.sha });
        }
      }
      listings.set(sha, listing);
    }
    return listing;
  };
  for (const path of paths) {
    const parts = path.split("/");
    let tree = rootTree;
    for (const [i, part] of parts.entries()) {
      const entry = (await list(tree)).get(part);
      if (!entry) break;
      if (i === parts.length - 1) found.set(path, entry);
      else if (entry.type === "tree") tree = entry.sha;
      else break;
    }
  }
  return found;
}
