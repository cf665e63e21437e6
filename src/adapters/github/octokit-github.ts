import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { Probot, ProbotOctokit } from "probot";
import tar from "tar-stream";
import { BranchMovedError, githubStatusOf, toGitHubApiError } from "../../errors.ts";
import type {
  CheckAnnotation,
  CheckRunReport,
  CheckRunRequest,
  CommitRequest,
  FileChange,
  GitHubCodePort,
  GitHubPort,
  PullRequestRef,
  PullRequestRequest,
  ReactionContent,
  RepoRef,
  Snapshot,
} from "../../ports/github.ts";

type Octokit = InstanceType<typeof ProbotOctokit>;

const gunzipAsync = promisify(gunzip);

/** How many of the branch's latest commits are searched for a step's marker. */
const MARKER_SEARCH_DEPTH = 50;
/** Attempts at a commit when the branch keeps moving between our read and our ref update. */
const COMMIT_ATTEMPTS = 4;
/** GitHub's limit of annotations per check run create/update request. */
const ANNOTATIONS_PER_REQUEST = 50;
/** Annotations read back per check run. */
const ANNOTATIONS_READ = 50;
/** GitHub's limit on a check run's `output.summary` and `output.text`. */
const CHECK_OUTPUT_LIMIT = 65_535;
/** Snapshot files larger than this are left out. */
const SNAPSHOT_MAX_FILE_BYTES = 1024 * 1024;
/** A NUL byte within this many leading bytes marks a file as binary (git's heuristic). */
const BINARY_SNIFF_BYTES = 8000;
const FAILED_CONCLUSIONS = new Set(["failure", "timed_out", "cancelled", "action_required"]);

/** GitHub's error message with the messages of its `errors` items (422 details live there). */
function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data as
    | { message?: string; errors?: ({ message?: string } | string)[] }
    | undefined;
  const parts = [data?.message ?? (error as { message?: string }).message ?? ""];
  for (const item of data?.errors ?? []) {
    parts.push(typeof item === "string" ? item : (item.message ?? ""));
  }
  return parts.join("\n");
}

function is422(error: unknown, text: string): boolean {
  return (
    githubStatusOf(error) === 422 && messageOf(error).toLowerCase().includes(text.toLowerCase())
  );
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

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

type ApiAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
};

function apiAnnotation(a: CheckAnnotation): ApiAnnotation {
  return {
    path: a.path,
    start_line: a.start_line,
    end_line: a.end_line,
    annotation_level: a.annotation_level,
    message: a.message,
    ...(a.title !== undefined ? { title: a.title } : {}),
  };
}

function annotationKey(a: {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level?: string | null;
  message?: string | null;
  title?: string | null;
}): string {
  return JSON.stringify([
    a.path,
    a.start_line,
    a.end_line,
    a.annotation_level ?? "",
    a.message ?? "",
    a.title ?? "",
  ]);
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/**
 * The text files of a GitHub tarball, by path without the top folder
 * (`<owner>-<repo>-<short sha>/`) GitHub wraps them in. Binary files (a NUL byte near the
 * start), files over 1 MB, links and directories are left out. Long names (pax and GNU
 * headers) and the pax global header are handled by tar-stream.
 */
export async function readTarball(gzipped: Buffer): Promise<Map<string, string>> {
  const data = await gunzipAsync(gzipped);
  const extract = tar.extract();
  const files = new Map<string, string>();
  const reading = (async () => {
    for await (const entry of extract) {
      const { header } = entry;
      const slash = header.name.indexOf("/");
      const path = slash < 0 ? "" : header.name.slice(slash + 1);
      const regular = header.type === "file" || header.type === "contiguous-file";
      if (!regular || !path || (header.size ?? 0) > SNAPSHOT_MAX_FILE_BYTES) {
        entry.resume();
        continue;
      }
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      const content = Buffer.concat(parts);
      if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) continue;
      files.set(path, content.toString("utf8"));
    }
  })();
  extract.end(data);
  await reading;
  return files;
}

/** The GitHub port over Probot's installation-authenticated Octokit. */
export class OctokitGitHub implements GitHubPort, GitHubCodePort {
  readonly #probot: Probot;

  constructor(probot: Probot) {
    this.#probot = probot;
  }

  /** Installation tokens are cached by Probot (59 minutes). */
  async octokit(repo: RepoRef): Promise<Octokit> {
    const octokit = (await this.#probot.auth(repo.installationId)) as Octokit;
    // The adapter's edge: a failed request leaves as a GitHubApiError (status, request id).
    octokit.hook.error("request", (error) => {
      throw toGitHubApiError(error);
    });
    return octokit;
  }

  async ensureComment(
    repo: RepoRef,
    issueNumber: number,
    marker: string,
    body: string,
    options: { knownId?: number | null; firstRun?: boolean } = {},
  ) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    let existing: { id: number; body?: string; html_url: string } | undefined;
    if (options.knownId) {
      // Our own comment, by id: edit it in place. Deleted by someone → find or create anew.
      try {
        const { data } = await octokit.rest.issues.updateComment({
          owner,
          repo: name,
          comment_id: options.knownId,
          body,
        });
        return { id: data.id, url: data.html_url };
      } catch (error) {
        if (githubStatusOf(error) !== 404) throw error;
      }
    }
    // A first run cannot have posted it before: no need to page through the comments.
    if (!existing && !options.firstRun) {
      for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
        owner,
        repo: name,
        issue_number: issueNumber,
        per_page: 100,
      })) {
        existing = page.data.find((c) => c.body?.includes(marker));
        if (existing) break;
      }
    }
    if (existing) {
      if (existing.body !== body) {
        await octokit.rest.issues.updateComment({
          owner,
          repo: name,
          comment_id: existing.id,
          body,
        });
      }
      return { id: existing.id, url: existing.html_url };
    }
    const { data } = await octokit.rest.issues.createComment({
      owner,
      repo: name,
      issue_number: issueNumber,
      body,
    });
    return { id: data.id, url: data.html_url };
  }

  async addReaction(
    repo: RepoRef,
    target: { commentId: number } | { issueNumber: number },
    content: ReactionContent,
  ) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    if ("commentId" in target) {
      await octokit.rest.reactions.createForIssueComment({
        owner,
        repo: name,
        comment_id: target.commentId,
        content,
      });
    } else {
      await octokit.rest.reactions.createForIssue({
        owner,
        repo: name,
        issue_number: target.issueNumber,
        content,
      });
    }
  }

  async syncLabels(
    repo: RepoRef,
    issueNumber: number,
    add: string,
    removePrefix: string,
    previous?: string,
  ) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    // Knowing the label set last time saves listing the issue's labels.
    const stale =
      previous !== undefined
        ? [previous]
        : (
            await octokit.rest.issues.listLabelsOnIssue({
              owner,
              repo: name,
              issue_number: issueNumber,
              per_page: 100,
            })
          ).data.map((label) => label.name);
    for (const label of stale) {
      if (label !== add && label.startsWith(removePrefix)) {
        await this.removeLabel(repo, issueNumber, label);
      }
    }
    if (previous === add) return;
    // Adding a label the issue has is a no-op on GitHub, so no need to look first.
    await octokit.rest.issues.addLabels({
      owner,
      repo: name,
      issue_number: issueNumber,
      labels: [add],
    });
  }

  async removeLabel(repo: RepoRef, issueNumber: number, labelName: string) {
    const octokit = await this.octokit(repo);
    try {
      await octokit.rest.issues.removeLabel({
        owner: repo.owner,
        repo: repo.repo,
        issue_number: issueNumber,
        name: labelName,
      });
    } catch (error) {
      if (githubStatusOf(error) !== 404) throw error; // already gone
    }
  }

  async closeIssue(repo: RepoRef, issueNumber: number, reason: "completed" | "not_planned") {
    const octokit = await this.octokit(repo);
    await octokit.rest.issues.update({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: issueNumber,
      state: "closed",
      state_reason: reason,
    });
  }

  async readFile(repo: RepoRef, path: string, ref?: string) {
    const octokit = await this.octokit(repo);
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

  async getDefaultBranch(repo: RepoRef) {
    const octokit = await this.octokit(repo);
    const { data } = await octokit.rest.repos.get({ owner: repo.owner, repo: repo.repo });
    return data.default_branch;
  }

  async markPullRequestReady(repo: RepoRef, prNumber: number) {
    const octokit = await this.octokit(repo);
    const { data: pr } = await octokit.rest.pulls.get({
      owner: repo.owner,
      repo: repo.repo,
      pull_number: prNumber,
    });
    if (!pr.draft) return;
    await octokit.graphql(
      "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { number } } }",
      { id: pr.node_id },
    );
  }

  // ---- code: branches, commits, pull requests, check runs, snapshots ----------------------------

  async getBranchHead(repo: RepoRef, branch: string) {
    return this.#headOf(await this.octokit(repo), repo, branch);
  }

  async commitFiles(repo: RepoRef, request: CommitRequest) {
    if (!request.message.includes(request.marker)) {
      throw new Error(`the commit message must contain its marker "${request.marker}"`);
    }
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    const files = lastPerPath(request.files);
    let head = await this.#branchHeadOrCreate(octokit, repo, request.branch, request.base);
    // After a lost race, the head first read is what this step's work was based on: commits
    // that appeared since are someone else's and must not be overwritten either.
    let expected = request.basedOn;
    for (let attempt = 1; ; attempt += 1) {
      const { marked, headTree } = await this.#findMarkedCommit(
        octokit,
        repo,
        head,
        request.marker,
      );
      if (marked) return { sha: marked, created: false };

      if (expected && expected !== head) {
        const moved = await this.#changedPaths(octokit, repo, expected, head);
        const overlap = files.map((f) => f.path).filter((path) => moved.has(path));
        if (overlap.length > 0) throw new BranchMovedError(request.branch, overlap);
      }

      const baseTree =
        headTree ??
        (await octokit.rest.git.getCommit({ owner, repo: name, commit_sha: head })).data.tree.sha;
      const existing = await this.#entriesAt(
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
      const moved = await this.#headOf(octokit, repo, request.branch);
      if (!moved) throw new Error(`the branch ${request.branch} was deleted while committing`);
      head = moved;
    }
  }

  async ensurePullRequest(repo: RepoRef, request: PullRequestRequest): Promise<PullRequestRef> {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    const find = async () => {
      const { data } = await octokit.rest.pulls.list({
        owner,
        repo: name,
        state: "open",
        head: `${owner}:${request.head}`,
        per_page: 100,
      });
      return data.find((p) => p.base.ref === request.base) ?? data[0];
    };
    let existing = await find();
    if (!existing) {
      try {
        const { data } = await this.#createPullRequest(octokit, repo, request);
        return { number: data.number, url: data.html_url, headSha: data.head.sha, created: true };
      } catch (error) {
        if (!is422(error, "a pull request already exists")) throw error;
        existing = await find();
        if (!existing) throw error;
      }
    }
    if ((existing.body ?? "") === request.body) {
      return {
        number: existing.number,
        url: existing.html_url,
        headSha: existing.head.sha,
        created: false,
      };
    }
    const { data } = await octokit.rest.pulls.update({
      owner,
      repo: name,
      pull_number: existing.number,
      body: request.body,
    });
    return { number: data.number, url: data.html_url, headSha: data.head.sha, created: false };
  }

  async ensureCheckRun(repo: RepoRef, request: CheckRunRequest) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
      owner,
      repo: name,
      ref: request.headSha,
      check_name: request.name,
      filter: "all",
      per_page: 100,
    });
    const existing = runs
      .filter((run) => run.external_id === request.externalId)
      .sort((a, b) => b.id - a.id)[0];

    let annotations = (request.annotations ?? []).map(apiAnnotation);
    if (existing && annotations.length > 0) {
      // GitHub appends annotations on every update: send only those the run lacks, so a
      // repeated call (or one resumed after a failure) does not duplicate them.
      const present = new Map<string, number>();
      const old = await octokit.paginate(octokit.rest.checks.listAnnotations, {
        owner,
        repo: name,
        check_run_id: existing.id,
        per_page: 100,
      });
      for (const a of old) present.set(annotationKey(a), (present.get(annotationKey(a)) ?? 0) + 1);
      annotations = annotations.filter((a) => {
        const left = present.get(annotationKey(a)) ?? 0;
        if (left === 0) return true;
        present.set(annotationKey(a), left - 1);
        return false;
      });
    }
    const [first = [], ...rest] = chunks(annotations, ANNOTATIONS_PER_REQUEST);
    const title = request.title;
    const summary = cut(request.summary, CHECK_OUTPUT_LIMIT);
    const completed = request.status === "completed";
    const fields = {
      name: request.name,
      external_id: request.externalId,
      status: request.status,
      ...(completed
        ? { conclusion: request.conclusion ?? "neutral", completed_at: new Date().toISOString() }
        : {}),
      output: {
        title,
        summary,
        ...(request.text !== undefined ? { text: cut(request.text, CHECK_OUTPUT_LIMIT) } : {}),
        ...(first.length > 0 ? { annotations: first } : {}),
      },
      ...(request.actions
        ? {
            actions: request.actions.slice(0, 3).map((a) => ({
              label: cut(a.label, 20),
              description: cut(a.description, 40),
              identifier: a.identifier,
            })),
          }
        : {}),
    };
    const { data: run } = existing
      ? await octokit.rest.checks.update({
          owner,
          repo: name,
          check_run_id: existing.id,
          ...fields,
        })
      : await octokit.rest.checks.create({
          owner,
          repo: name,
          head_sha: request.headSha,
          ...fields,
        });
    for (const batch of rest) {
      await octokit.rest.checks.update({
        owner,
        repo: name,
        check_run_id: run.id,
        output: { title, summary, annotations: batch },
      });
    }
    return { id: run.id, url: run.html_url ?? run.url };
  }

  async readCheckRun(repo: RepoRef, checkRunId: number): Promise<CheckRunReport> {
    const octokit = await this.octokit(repo);
    const { data } = await octokit.rest.checks.get({
      owner: repo.owner,
      repo: repo.repo,
      check_run_id: checkRunId,
    });
    return this.#report(octokit, repo, data);
  }

  async failedChecksOfSuite(repo: RepoRef, checkSuiteId: number): Promise<CheckRunReport[]> {
    const octokit = await this.octokit(repo);
    const runs = await octokit.paginate(octokit.rest.checks.listForSuite, {
      owner: repo.owner,
      repo: repo.repo,
      check_suite_id: checkSuiteId,
      per_page: 100,
    });
    const failed = runs.filter((run) => run.conclusion && FAILED_CONCLUSIONS.has(run.conclusion));
    const reports: CheckRunReport[] = [];
    for (const run of failed) reports.push(await this.#report(octokit, repo, run));
    return reports;
  }

  async readReview(repo: RepoRef, prNumber: number, reviewId: number) {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    const { data: review } = await octokit.rest.pulls.getReview({
      owner,
      repo: name,
      pull_number: prNumber,
      review_id: reviewId,
    });
    const comments = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, {
      owner,
      repo: name,
      pull_number: prNumber,
      review_id: reviewId,
      per_page: 100,
    });
    return {
      body: review.body ?? "",
      comments: comments.map((c) => ({
        path: c.path,
        line: c.line ?? c.original_line ?? null,
        body: c.body,
      })),
    };
  }

  /** GitHub lists at most 300 changed files in a comparison. */
  async diff(repo: RepoRef, base: string, head: string) {
    const octokit = await this.octokit(repo);
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

  async listFiles(repo: RepoRef, ref: string) {
    const octokit = await this.octokit(repo);
    const { data } = await octokit.rest.git.getTree({
      owner: repo.owner,
      repo: repo.repo,
      tree_sha: ref,
      recursive: "1",
    });
    return data.tree.flatMap((entry) => (entry.type === "blob" && entry.path ? [entry.path] : []));
  }

  async snapshot(repo: RepoRef, ref: string): Promise<Snapshot> {
    const octokit = await this.octokit(repo);
    const { owner, repo: name } = repo;
    // Resolve first, then download that very commit: the ref may move in between.
    const sha = /^[0-9a-f]{40}$/i.test(ref)
      ? ref.toLowerCase()
      : await this.#commitOf(octokit, repo, ref);
    const { data } = await octokit.rest.repos.downloadTarballArchive({
      owner,
      repo: name,
      ref: sha,
    });
    return { sha, files: await readTarball(Buffer.from(data as ArrayBuffer)) };
  }

  // ---- helpers -----------------------------------------------------------------------------------

  async #headOf(octokit: Octokit, repo: RepoRef, branch: string): Promise<string | null> {
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
  async #branchHeadOrCreate(
    octokit: Octokit,
    repo: RepoRef,
    branch: string,
    base: string,
  ): Promise<string> {
    const head = await this.#headOf(octokit, repo, branch);
    if (head) return head;
    const baseHead = await this.#headOf(octokit, repo, base);
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
      const raced = await this.#headOf(octokit, repo, branch);
      if (!raced) throw error;
      return raced;
    }
  }

  /** A draft pull request; ready when the repository's plan has no drafts. */
  async #createPullRequest(octokit: Octokit, repo: RepoRef, request: PullRequestRequest) {
    const create = (draft: boolean) =>
      octokit.rest.pulls.create({
        owner: repo.owner,
        repo: repo.repo,
        head: request.head,
        base: request.base,
        title: request.title,
        body: request.body,
        draft,
      });
    try {
      return await create(true);
    } catch (error) {
      if (!is422(error, "draft pull requests are not supported")) throw error;
      return create(false);
    }
  }

  /** The newest of the last commits up to `head` whose message contains `marker`. */
  async #findMarkedCommit(
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
  async #changedPaths(
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
  async #entriesAt(
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

  /** The commit sha `ref` (a branch, tag or sha) points at. */
  async #commitOf(octokit: Octokit, repo: RepoRef, ref: string): Promise<string> {
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

  async #report(
    octokit: Octokit,
    repo: RepoRef,
    run: {
      id: number;
      name: string;
      conclusion: string | null;
      output: { title: string | null; summary: string | null; annotations_count: number };
    },
  ): Promise<CheckRunReport> {
    let annotations: CheckRunReport["annotations"] = [];
    if (run.output.annotations_count > 0) {
      const { data } = await octokit.rest.checks.listAnnotations({
        owner: repo.owner,
        repo: repo.repo,
        check_run_id: run.id,
        per_page: ANNOTATIONS_READ,
      });
      annotations = data.map((a) => ({
        path: a.path,
        line: a.start_line,
        message: a.message ?? "",
      }));
    }
    return {
      id: run.id,
      name: run.name,
      conclusion: run.conclusion,
      title: run.output.title,
      summary: run.output.summary,
      annotations,
    };
  }
}
