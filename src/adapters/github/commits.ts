import { BranchMovedError, githubStatusOf } from "../../errors.ts";
import type { CommitRequest, CommitResult, FileChange, RepoRef } from "../../ports/github.ts";
import type { Octokit } from "./client.ts";
import { is422 } from "./errors.ts";
import { blobSha, type SnapshotCache, snapshotKey, type TreeEntry } from "./snapshot-cache.ts";

// Commits: one per step, found again by its marker, never forced.

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

/** The branch's head, that head's tree, and the newest recent commit carrying the marker. */
interface Listing {
  head: string;
  headTree: string;
  marked: string | null;
  /** The branch was created from its base by this listing. */
  created?: boolean;
}

/**
 * One commit of the step's files on top of the branch head; see `CommitRequest`. Usually three
 * calls: the listing (head, its tree and the marker search in one read), the tree's entries
 * (what exists, to skip unchanged files and deletions of absent paths) and one GraphQL
 * `createCommitOnBranch`, which also makes the commit verified. A file that is executable on
 * the branch goes through the Git Data API instead: `createCommitOnBranch` writes every file as
 * 100644 (https://github.com/babarot/gh-infra/pull/167).
 * With the worker's snapshots: the tree's entries come from the head's snapshot when it is
 * held, and the new commit's snapshot is derived from it (the app never reads back its own
 * commit).
 */
export async function commitFiles(
  octokit: Octokit,
  repo: RepoRef,
  request: CommitRequest,
  snapshots?: SnapshotCache,
): Promise<CommitResult> {
  if (!request.message.includes(request.marker)) {
    throw new Error(`the commit message must contain its marker "${request.marker}"`);
  }
  const files = lastPerPath(request.files);
  const paths = files.map((f) => f.path);
  // A first attempt on top of the app's own last commit, held with its tree: no earlier
  // attempt can have made this step's commit, so the branch is not listed first. GitHub
  // refuses the commit when the branch has moved (`expectedHeadOid`); it is listed then.
  const known = request.firstRun && request.basedOn;
  const held = known ? snapshots?.peek(snapshotKey(repo, known))?.entries : undefined;
  if (known && held) {
    const existing = pick(held, paths);
    const changes = realChanges(files, existing);
    if (changes.length > 0 && !changes.some((f) => existing.get(f.path)?.mode === "100755")) {
      const sha = await commitOnBranch(octokit, repo, request, known, changes);
      if (sha) {
        snapshots?.derive(repo, known, sha, changes);
        return { sha, created: true };
      }
    }
  }
  let listing = await listBranch(octokit, repo, request.branch, request.marker);
  if (!listing) {
    const base = await listBranch(octokit, repo, request.base, request.marker);
    if (!base) throw new Error(`the base branch ${request.base} does not exist`);
    const first = await commitOnNewBranch(octokit, repo, request, base, files, snapshots);
    if (first) return first;
    listing = await createBranch(octokit, repo, request.branch, request.marker, base);
  }
  // After a lost race, the head first read is what this step's work was based on: commits
  // that appeared since are someone else's and must not be overwritten either.
  let expected = request.basedOn;
  for (let attempt = 1; ; attempt += 1) {
    const { head, headTree, marked } = listing;
    if (marked) return { sha: marked, created: false };

    if (expected && expected !== head) {
      const moved = await changedPaths(octokit, repo, expected, head);
      const overlap = files.map((f) => f.path).filter((path) => moved.has(path));
      if (overlap.length > 0) throw new BranchMovedError(request.branch, overlap);
    }

    const tree = snapshots?.peek(snapshotKey(repo, head))?.entries;
    const existing = tree ? pick(tree, paths) : await entriesAt(octokit, repo, headTree, paths);
    const changes = realChanges(files, existing);
    if (changes.length === 0) return { sha: head, created: false, unchanged: true };
    const executable = changes.some((f) => existing.get(f.path)?.mode === "100755");
    const sha = executable
      ? await commitThroughGitData(octokit, repo, request, head, headTree, changes, existing)
      : await commitOnBranch(octokit, repo, request, head, changes);
    if (sha) {
      snapshots?.derive(repo, head, sha, changes);
      return { sha, created: true, ...(listing.created ? { branchCreated: true } : {}) };
    }
    if (attempt >= COMMIT_ATTEMPTS) {
      throw new Error(
        `the branch ${request.branch} kept moving while committing "${request.marker}" (${attempt} attempts); try again later`,
      );
    }
    expected ??= head;
    const moved = await listBranch(octokit, repo, request.branch, request.marker);
    if (!moved) throw new Error(`the branch ${request.branch} was deleted while committing`);
    listing = moved;
  }
}

/**
 * Only real changes: a file with the same blob, or a deletion of a path the tree lacks (a 422
 * on GitHub), is left out.
 */
function realChanges(files: FileChange[], existing: Map<string, TreeEntry>): FileChange[] {
  return files.filter((file) => {
    const current = existing.get(file.path);
    if (file.content === null) return current !== undefined;
    return current?.type !== "blob" || current.sha !== blobSha(file.content);
  });
}

/** The entries at `paths` of a tree already listed. */
function pick(entries: ReadonlyMap<string, TreeEntry>, paths: string[]): Map<string, TreeEntry> {
  const found = new Map<string, TreeEntry>();
  for (const path of paths) {
    const entry = entries.get(path);
    if (entry) found.set(path, entry);
  }
  return found;
}

/**
 * `createCommitOnBranch` with the head the changes were computed on as `expectedHeadOid`:
 * the new commit's sha, or null when the branch moved meanwhile (GitHub refuses the commit).
 * https://docs.github.com/en/graphql/reference/mutations#createcommitonbranch
 */
async function commitOnBranch(
  octokit: Octokit,
  repo: RepoRef,
  request: CommitRequest,
  head: string,
  changes: FileChange[],
): Promise<string | null> {
  try {
    const data = await octokit.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(
      `mutation($input: CreateCommitOnBranchInput!) {
        createCommitOnBranch(input: $input) { commit { oid } }
      }`,
      { input: commitInput(repo, request, head, changes) },
    );
    return data.createCommitOnBranch.commit.oid;
  } catch (error) {
    if (isStaleHead(error)) return null;
    throw error;
  }
}

/** `CreateCommitOnBranchInput`: the changes on top of `head`, refused if the branch moved. */
function commitInput(repo: RepoRef, request: CommitRequest, head: string, changes: FileChange[]) {
  const newline = request.message.indexOf("\n");
  const headline = newline < 0 ? request.message : request.message.slice(0, newline);
  const body = newline < 0 ? "" : request.message.slice(newline + 1).replace(/^\n+/, "");
  return {
    branch: { repositoryNameWithOwner: `${repo.owner}/${repo.repo}`, branchName: request.branch },
    message: body ? { headline, body } : { headline },
    expectedHeadOid: head,
    fileChanges: {
      additions: changes
        .filter((f) => f.content !== null)
        .map((f) => ({
          path: f.path,
          contents: Buffer.from(f.content ?? "", "utf8").toString("base64"),
        })),
      deletions: changes.filter((f) => f.content === null).map((f) => ({ path: f.path })),
    },
  };
}

interface NewBranchData {
  ref: { ref: { name: string } } | null;
  commit: { commit: { oid: string } } | null;
  pullRequest?: { pullRequest: { number: number; url: string } } | null;
}

/**
 * A missing branch, its first commit and its draft pull request in one GraphQL request:
 * `createRef` at the base's head, `createCommitOnBranch` expecting that head, then
 * `createPullRequest`, run in that order (mutation fields run one after another). One
 * content-creating request where REST and a separate commit take three. Null when this path
 * does not apply (no repository node id, nothing to change, an executable file, which
 * `createCommitOnBranch` would make 100644) or the branch exists after all (a run before this
 * one, or someone else, created it): the caller goes on as for an existing branch. A failed
 * `createPullRequest` (a repository without drafts) leaves the pull request to the caller.
 * https://docs.github.com/en/graphql/reference/mutations#createref
 * https://docs.github.com/en/graphql/reference/mutations#createpullrequest
 * https://spec.graphql.org/October2021/#sec-Mutation
 */
async function commitOnNewBranch(
  octokit: Octokit,
  repo: RepoRef,
  request: CommitRequest,
  base: Listing,
  files: FileChange[],
  snapshots: SnapshotCache | undefined,
): Promise<CommitResult | null> {
  if (!request.repositoryId) return null;
  const paths = files.map((f) => f.path);
  const tree = snapshots?.peek(snapshotKey(repo, base.head))?.entries;
  const existing = tree ? pick(tree, paths) : await entriesAt(octokit, repo, base.headTree, paths);
  const changes = realChanges(files, existing);
  if (changes.length === 0 || changes.some((f) => existing.get(f.path)?.mode === "100755")) {
    return null;
  }
  const pr = request.pullRequest;
  let data: NewBranchData;
  try {
    data = await octokit.graphql<NewBranchData>(
      `mutation($ref: CreateRefInput!, $commit: CreateCommitOnBranchInput!${pr ? ", $pr: CreatePullRequestInput!" : ""}) {
        ref: createRef(input: $ref) { ref { name } }
        commit: createCommitOnBranch(input: $commit) { commit { oid } }
        ${pr ? "pullRequest: createPullRequest(input: $pr) { pullRequest { number url } }" : ""}
      }`,
      {
        ref: {
          repositoryId: request.repositoryId,
          name: `refs/heads/${request.branch}`,
          oid: base.head,
        },
        commit: commitInput(repo, request, base.head, changes),
        ...(pr
          ? {
              pr: {
                repositoryId: request.repositoryId,
                baseRefName: request.base,
                headRefName: request.branch,
                title: pr.title,
                body: pr.body,
                draft: true,
              },
            }
          : {}),
      },
    );
  } catch (error) {
    // GraphQL answers what succeeded beside the errors of what did not.
    const partial = (error as { data?: NewBranchData }).data;
    if (partial?.commit) data = partial;
    else if (refExists(error) || isStaleHead(error)) return null;
    else throw error;
  }
  if (!data.commit) return null;
  const sha = data.commit.commit.oid;
  snapshots?.derive(repo, base.head, sha, changes);
  const opened = data.pullRequest?.pullRequest;
  return {
    sha,
    created: true,
    ...(data.ref ? { branchCreated: true } : {}),
    ...(opened ? { pullRequest: { number: opened.number, url: opened.url } } : {}),
  };
}

/** `createRef` refused: the branch exists already. */
function refExists(error: unknown): boolean {
  const errors = (error as { errors?: { message?: string; path?: string[] }[] }).errors ?? [];
  return errors.some((e) => e.path?.[0] === "ref" && /already exists/i.test(e.message ?? ""));
}

/** GitHub's answer when `expectedHeadOid` is no longer the branch head. */
function isStaleHead(error: unknown): boolean {
  const errors = (error as { errors?: { type?: string; message?: string }[] }).errors ?? [];
  return errors.some(
    (e) => e.type === "STALE_DATA" || /expected branch to point to/i.test(e.message ?? ""),
  );
}

/** Tree, commit and ref update (never forced): the sha, or null when the branch moved. */
async function commitThroughGitData(
  octokit: Octokit,
  repo: RepoRef,
  request: CommitRequest,
  head: string,
  baseTree: string,
  changes: FileChange[],
  existing: Map<string, TreeEntry>,
): Promise<string | null> {
  const { owner, repo: name } = repo;
  const tree = changes.map((file) => {
    const current = existing.get(file.path);
    const mode: "100644" | "100755" =
      current?.type === "blob" && current.mode === "100755" ? "100755" : "100644";
    return file.content !== null
      ? { path: file.path, mode, type: "blob" as const, content: file.content }
      : { path: file.path, mode, type: "blob" as const, sha: null };
  });
  const { data: newTree } = await octokit.rest.git.createTree({
    owner,
    repo: name,
    base_tree: baseTree,
    tree,
  });
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
    return commit.sha;
  } catch (error) {
    if (!is422(error, "not a fast forward")) throw error;
    return null;
  }
}

/**
 * The branch's latest commits, newest first, in one read: the head, its tree and the marker
 * search. Null when the branch does not exist.
 */
async function listBranch(
  octokit: Octokit,
  repo: RepoRef,
  branch: string,
  marker: string,
): Promise<Listing | null> {
  try {
    const { data } = await octokit.rest.repos.listCommits({
      owner: repo.owner,
      repo: repo.repo,
      sha: branch,
      per_page: MARKER_SEARCH_DEPTH,
    });
    const first = data[0];
    if (!first) return null;
    return {
      head: first.sha,
      headTree: first.commit.tree.sha,
      marked: data.find((c) => c.commit.message.includes(marker))?.sha ?? null,
    };
  } catch (error) {
    // An unknown ref is a 404 (422 on some GitHub versions).
    const status = githubStatusOf(error);
    if (status === 404 || status === 422) return null;
    throw error;
  }
}

/** A missing branch created at `base`'s head, as its listing. */
async function createBranch(
  octokit: Octokit,
  repo: RepoRef,
  branch: string,
  marker: string,
  baseListing: Listing,
): Promise<Listing> {
  try {
    await octokit.rest.git.createRef({
      owner: repo.owner,
      repo: repo.repo,
      ref: `refs/heads/${branch}`,
      sha: baseListing.head,
    });
    return { ...baseListing, created: true };
  } catch (error) {
    if (!is422(error, "reference already exists")) throw error;
    const raced = await listBranch(octokit, repo, branch, marker);
    if (!raced) throw error;
    return raced;
  }
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
