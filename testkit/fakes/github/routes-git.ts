// Git data (refs, blobs, trees, commits), contents, commits, branches, compare and tarballs.
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { conflict, HttpError, notFound, unprocessable } from "./errors.ts";
import type { FlatEntry, GitIdentity, TreeMode } from "./git.ts";
import { json, paginate, type RouteContext, type RouteResult, type RouteTable } from "./server.ts";
import type { FakeState, RepoRec } from "./state.ts";

type Json = Record<string, unknown>;

/** Base64 wrapped at 60 characters per line, like GitHub's contents and blobs APIs. */
export function wrappedBase64(data: Buffer): string {
  const encoded = data.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 60) lines.push(encoded.slice(i, i + 60));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function refJson(ctx: RouteContext, repo: RepoRec, ref: string, sha: string): Json {
  const api = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  return {
    ref,
    node_id: Buffer.from(`Ref:${repo.id}:${ref}`).toString("base64"),
    url: `${api}/git/${ref}`,
    object: { type: "commit", sha, url: `${api}/git/commits/${sha}` },
  };
}

function treeJson(ctx: RouteContext, repo: RepoRec, treeSha: string, recursive: boolean): Json {
  const api = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const entries: Json[] = [];
  const walk = (sha: string, prefix: string) => {
    for (const entry of repo.git.readTree(sha)) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const item: Json = { path, mode: entry.mode, type: entry.type, sha: entry.sha };
      if (entry.type === "blob") {
        item.size = repo.git.get(entry.sha, "blob").length;
        item.url = `${api}/git/blobs/${entry.sha}`;
      } else if (entry.type === "tree") {
        item.url = `${api}/git/trees/${entry.sha}`;
      }
      entries.push(item);
      if (recursive && entry.type === "tree") walk(entry.sha, path);
    }
  };
  walk(treeSha, "");
  // "If truncated is true in the response then the number of items in the tree array exceeded
  // our maximum limit" (https://docs.github.com/en/rest/git/trees#get-a-tree).
  const limit = repo.treeLimit ?? 100_000;
  const truncated = entries.length > limit;
  const tree = truncated ? entries.slice(0, limit) : entries;
  return { sha: treeSha, url: `${api}/git/trees/${treeSha}`, tree, truncated };
}

function identity(state: FakeState, input: unknown, fallback: GitIdentity): GitIdentity {
  const value = input as { name?: string; email?: string; date?: string } | undefined;
  if (!value) return fallback;
  return {
    name: value.name ?? fallback.name,
    email: value.email ?? fallback.email,
    date: value.date ?? state.now(),
  };
}

/** Resolves `ref` (default: the default branch) or answers 404 like GitHub. */
function commitFor(ctx: RouteContext, repo: RepoRec, ref: string | null | undefined): string {
  const sha = ctx.core.state.resolveRef(repo, ref || repo.defaultBranch);
  if (!sha) {
    throw new HttpError(404, {
      message: `No commit found for the ref ${ref}`,
      documentation_url: "https://docs.github.com/rest",
    });
  }
  return sha;
}

function contentsJson(
  ctx: RouteContext,
  repo: RepoRec,
  ref: string,
  path: string,
  sha: string,
  type: string,
  size: number,
): Json {
  const api = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  const self = `${api}/contents/${encodedPath}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = type === "dir" ? `${api}/git/trees/${sha}` : `${api}/git/blobs/${sha}`;
  const html = `${ctx.core.urls.web}/${repo.owner.login}/${repo.name}/${type === "dir" ? "tree" : "blob"}/${ref}/${encodedPath}`;
  return {
    name: path.split("/").pop() ?? path,
    path,
    sha,
    size,
    url: self,
    html_url: html,
    git_url: gitUrl,
    download_url:
      type === "file"
        ? `${ctx.core.urls.web}/${repo.owner.login}/${repo.name}/raw/${ref}/${encodedPath}`
        : null,
    type,
    _links: { self, git: gitUrl, html },
  };
}

/**
 * The paths `.gitattributes` at the commit's root marks `export-ignore`: GitHub's archives leave
 * them out as `git archive` does (https://git-scm.com/docs/gitattributes#_export_ignore; GitHub
 * "understands the export-ignore directive": https://github.com/webvitalii/iframe/pull/1). A
 * pattern without a slash matches a name at any depth, one with a slash from the root; `*`
 * stays within a name; a matched folder is left out whole.
 */
function exportIgnored(repo: RepoRec, rootTree: string): (path: string) => boolean {
  const entry = repo.git.readTree(rootTree).find((e) => e.name === ".gitattributes");
  if (entry?.type !== "blob") return () => false;
  const patterns = repo.git
    .get(entry.sha, "blob")
    .toString()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([pattern, ...attrs]) =>
        pattern && !pattern.startsWith("#") && attrs.includes("export-ignore"),
    )
    .map(([pattern = ""]) => {
      const anchored = pattern.replace(/\/(\*\*)?$/, "").includes("/");
      const body = pattern.replace(/^\//, "").replace(/\/(\*\*)?$/, "");
      const regex = body
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*");
      return new RegExp(anchored ? `^${regex}$` : `(^|/)${regex}$`);
    });
  return (path) => patterns.some((p) => p.test(path));
}

function tarballFor(repo: RepoRec, sha: string): Promise<Buffer> {
  const pack = tar.pack();
  const top = `${repo.owner.login}-${repo.name}-${sha.slice(0, 7)}`;
  const commit = repo.git.readCommit(sha);
  const mtime = new Date(Date.parse(commit.committer.date));
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (chunk: unknown) => {
      chunks.push(chunk as Buffer);
    });
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  pack.entry({ name: `${top}/`, type: "directory", mode: 0o775, mtime });
  const ignored = exportIgnored(repo, commit.tree);
  const walk = (treeSha: string, prefix: string) => {
    for (const entry of repo.git.readTree(treeSha)) {
      const path = `${prefix}/${entry.name}`;
      if (ignored(path.slice(top.length + 1))) continue;
      if (entry.type === "tree") {
        pack.entry({ name: `${path}/`, type: "directory", mode: 0o775, mtime });
        walk(entry.sha, path);
      } else if (entry.type === "blob") {
        const content = repo.git.get(entry.sha, "blob");
        if (entry.mode === "120000") {
          pack.entry({
            name: path,
            type: "symlink",
            linkname: content.toString(),
            mode: 0o777,
            mtime,
          });
        } else {
          pack.entry(
            { name: path, type: "file", mode: entry.mode === "100755" ? 0o775 : 0o664, mtime },
            content,
          );
        }
      }
    }
  };
  walk(commit.tree, top);
  pack.finalize();
  return done.then((data) => gzipSync(data));
}

/** Serves `/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}` (where tarball redirects point). */
export async function codeload(state: FakeState, path: string): Promise<RouteResult> {
  const match = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(path);
  if (!match) throw notFound();
  const repo = state.repo(decodeURIComponent(match[1] ?? ""), decodeURIComponent(match[2] ?? ""));
  const sha = match[3] ?? "";
  if (!repo.git.has(sha, "commit")) throw notFound();
  const data = await tarballFor(repo, sha);
  const top = `${repo.owner.login}-${repo.name}-${sha.slice(0, 7)}`;
  return {
    status: 200,
    raw: { data, contentType: "application/x-gzip" },
    headers: { "content-disposition": `attachment; filename=${top}.tar.gz`, etag: `"${sha}"` },
  };
}

export function registerGitRoutes(r: RouteTable): void {
  // ---- refs ------------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/git/ref/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const ref = `refs/${ctx.params.ref}`;
    const sha = repo.refs.get(ref);
    if (!sha) throw notFound();
    return json(200, refJson(ctx, repo, ref, sha));
  });
  r.add("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const prefix = `refs/${ctx.params.ref}`;
    const refs = [...repo.refs.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, sha]) => refJson(ctx, repo, name, sha));
    return paginate(ctx, refs);
  });
  r.add("POST /repos/{owner}/{repo}/git/refs", "token", (ctx) => {
    const repo = ctx.repo();
    const ref = String(ctx.body.ref);
    const sha = String(ctx.body.sha);
    if (!ref.startsWith("refs/") || ref.split("/").length < 3) {
      throw unprocessable(`Reference name must start with 'refs/' and have at least two slashes.`);
    }
    if (repo.refs.has(ref)) throw unprocessable("Reference already exists");
    if (!repo.git.has(sha, "commit")) throw unprocessable("Object does not exist");
    ctx.core.state.setRef(repo, ref, sha);
    return json(201, refJson(ctx, repo, ref, sha), {
      location: `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/git/${ref}`,
    });
  });
  r.add("PATCH /repos/{owner}/{repo}/git/refs/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const ref = `refs/${ctx.params.ref}`;
    const current = repo.refs.get(ref);
    if (!current) throw unprocessable("Reference does not exist");
    const sha = String(ctx.body.sha);
    if (!repo.git.has(sha, "commit")) throw unprocessable("Object does not exist");
    if (!ctx.body.force && !repo.git.isAncestor(current, sha))
      throw unprocessable("Update is not a fast forward");
    ctx.core.state.setRef(repo, ref, sha);
    return { status: 200, body: refJson(ctx, repo, ref, sha), changed: current !== sha };
  });
  r.add("DELETE /repos/{owner}/{repo}/git/refs/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const ref = `refs/${ctx.params.ref}`;
    if (!repo.refs.has(ref)) throw unprocessable("Reference does not exist");
    ctx.core.state.deleteRef(repo, ref);
    return json(204);
  });

  // ---- blobs, trees, commits ---------------------------------------------------------------------
  r.add("POST /repos/{owner}/{repo}/git/blobs", "token", (ctx) => {
    const repo = ctx.repo();
    const encoding = ctx.body.encoding ?? "utf-8";
    if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64") {
      throw unprocessable(`encoding must be 'utf-8' or 'base64'`);
    }
    const content =
      encoding === "base64"
        ? Buffer.from(String(ctx.body.content), "base64")
        : Buffer.from(String(ctx.body.content));
    const sha = repo.git.writeBlob(content);
    const url = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/git/blobs/${sha}`;
    return json(201, { url, sha }, { location: url });
  });
  r.add("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.params.file_sha ?? "";
    if (!repo.git.has(sha, "blob")) throw notFound();
    const content = repo.git.get(sha, "blob");
    return json(200, {
      sha,
      node_id: Buffer.from(`Blob:${repo.id}:${sha}`).toString("base64"),
      size: content.length,
      url: `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/git/blobs/${sha}`,
      content: wrappedBase64(content),
      encoding: "base64",
    });
  });
  r.add("POST /repos/{owner}/{repo}/git/trees", "token", (ctx) => {
    const repo = ctx.repo();
    const git = repo.git;
    const baseTree: string | undefined = ctx.body.base_tree;
    let files = new Map<string, FlatEntry>();
    if (baseTree) {
      if (!git.has(baseTree, "tree"))
        throw unprocessable(`base_tree ${baseTree} is not a valid tree oid`);
      files = git.flatten(baseTree);
    }
    for (const item of ctx.body.tree as {
      path: string;
      mode: TreeMode;
      type: string;
      sha?: string | null;
      content?: string;
    }[]) {
      const path = item.path.replace(/^\/+|\/+$/g, "");
      const under = (p: string) => p === path || p.startsWith(`${path}/`);
      if (item.sha === null) {
        // GitHub refuses to delete a path the base tree does not have.
        if (![...files.keys()].some(under)) throw unprocessable("GitRPC::BadObjectState");
        for (const p of [...files.keys()]) if (under(p)) files.delete(p);
        continue;
      }
      if (item.type === "tree" || item.mode === "040000") {
        const sha = item.sha ?? "";
        if (!git.has(sha, "tree")) throw unprocessable(`tree.sha ${sha} is not a valid tree`);
        for (const p of [...files.keys()]) if (under(p)) files.delete(p);
        for (const [p, entry] of git.flatten(sha)) files.set(`${path}/${p}`, entry);
        continue;
      }
      let sha: string;
      if (item.content !== undefined) sha = git.writeBlob(item.content);
      else {
        sha = item.sha ?? "";
        if (item.type !== "commit" && !git.has(sha, "blob")) {
          throw unprocessable(`tree.sha ${sha} is not a valid blob`);
        }
      }
      for (const p of [...files.keys()]) if (p.startsWith(`${path}/`)) files.delete(p);
      files.set(path, { mode: item.mode, sha, type: item.type === "commit" ? "commit" : "blob" });
    }
    const sha = git.buildTree(files);
    const url = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/git/trees/${sha}`;
    return json(201, treeJson(ctx, repo, sha, false), { location: url });
  });
  r.add("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", "token", (ctx) => {
    const repo = ctx.repo();
    const ref = ctx.params.tree_sha ?? "";
    let treeSha: string | undefined;
    if (repo.git.has(ref, "tree")) treeSha = ref;
    else {
      const commit = ctx.core.state.resolveRef(repo, ref);
      if (commit) treeSha = repo.git.readCommit(commit).tree;
    }
    if (!treeSha) throw notFound();
    const recursive =
      ctx.query.has("recursive") && !["0", "false", ""].includes(ctx.query.get("recursive") ?? "");
    return json(200, treeJson(ctx, repo, treeSha, recursive));
  });
  r.add("POST /repos/{owner}/{repo}/git/commits", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const repo = ctx.repo();
    const tree = String(ctx.body.tree);
    if (!repo.git.has(tree, "tree")) throw unprocessable("Tree SHA does not exist");
    const parents: string[] = ctx.body.parents ?? [];
    for (const parent of parents) {
      if (!repo.git.has(parent, "commit"))
        throw unprocessable("Parent SHA does not exist or is not a commit object");
    }
    const author = identity(state, ctx.body.author, state.identityOf(ctx.actor));
    const committer = identity(state, ctx.body.committer, author);
    const sha = repo.git.writeCommit({
      tree,
      parents,
      author,
      committer,
      message: String(ctx.body.message),
    });
    const body = shapes.gitCommit(repo, sha);
    return json(201, body, { location: String(body.url) });
  });
  r.add("GET /repos/{owner}/{repo}/git/commits/{commit_sha}", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.params.commit_sha ?? "";
    if (!repo.git.has(sha, "commit")) throw notFound();
    return json(200, ctx.core.shapes.gitCommit(repo, sha));
  });

  // ---- commits, branches, compare ------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/commits", "token", (ctx) => {
    const repo = ctx.repo();
    const head = commitFor(ctx, repo, ctx.query.get("sha"));
    const path = ctx.query.get("path");
    const ordered = repo.git.history(head);
    const touching = path
      ? ordered.filter((sha) => {
          const commit = repo.git.readCommit(sha);
          const parent = commit.parents[0];
          return repo.git
            .diffTrees(parent ? repo.git.readCommit(parent).tree : undefined, commit.tree)
            .some((c) => c.filename === path || c.filename.startsWith(`${path}/`));
        })
      : ordered;
    return paginate(
      ctx,
      touching.map((sha) => ctx.core.shapes.commit(repo, sha)),
    );
  });
  r.add("GET /repos/{owner}/{repo}/commits/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.core.state.resolveRef(repo, ctx.params.ref ?? "");
    if (!sha) throw unprocessable(`No commit found for SHA: ${ctx.params.ref}`);
    // The `application/vnd.github.sha` media type answers the bare sha as text.
    if (String(ctx.headers.accept ?? "").includes("vnd.github.sha")) {
      return {
        status: 200,
        raw: { data: Buffer.from(sha), contentType: "application/vnd.github.sha; charset=utf-8" },
      };
    }
    return json(200, ctx.core.shapes.commit(repo, sha, { files: true }));
  });
  const branchJson = (ctx: RouteContext, repo: RepoRec, name: string, sha: string): Json => {
    const api = `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/branches/${encodeURIComponent(name)}`;
    return {
      name,
      commit: ctx.core.shapes.commit(repo, sha),
      _links: {
        self: api,
        html: `${ctx.core.urls.web}/${repo.owner.login}/${repo.name}/tree/${name}`,
      },
      protected: false,
      protection: {
        enabled: false,
        required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
      },
      protection_url: `${api}/protection`,
    };
  };
  r.add("GET /repos/{owner}/{repo}/branches", "token", (ctx) => {
    const repo = ctx.repo();
    const branches = [...repo.refs.entries()]
      .filter(([ref]) => ref.startsWith("refs/heads/"))
      .map(([ref, sha]) => ({ name: ref.slice("refs/heads/".length), sha }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return paginate(
      ctx,
      branches.map((b) => ({
        name: b.name,
        commit: {
          sha: b.sha,
          url: `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/commits/${b.sha}`,
        },
        protected: false,
      })),
    );
  });
  r.add("GET /repos/{owner}/{repo}/branches/{branch}", "token", (ctx) => {
    const repo = ctx.repo();
    const name = ctx.params.branch ?? "";
    const sha = ctx.core.state.branchSha(repo, name);
    if (!sha) {
      throw new HttpError(404, {
        message: "Branch not found",
        documentation_url: "https://docs.github.com/rest",
      });
    }
    return json(200, branchJson(ctx, repo, name, sha));
  });
  r.add("GET /repos/{owner}/{repo}/compare/{basehead}", "token", (ctx) => {
    const { shapes } = ctx.core;
    const repo = ctx.repo();
    const [baseSpec, headSpec] = (ctx.params.basehead ?? "").split("...", 2) as [string, string];
    const strip = (spec: string) => (spec.includes(":") ? spec.slice(spec.indexOf(":") + 1) : spec);
    const base = ctx.core.state.resolveRef(repo, strip(baseSpec));
    const head = ctx.core.state.resolveRef(repo, strip(headSpec));
    if (!base || !head) throw notFound();
    const git = repo.git;
    const mergeBase = git.mergeBase(base, head);
    const ahead = git.commitsBetween(base, head);
    const behind = git.commitsBetween(head, base);
    const status =
      base === head
        ? "identical"
        : behind.length === 0
          ? "ahead"
          : ahead.length === 0
            ? "behind"
            : "diverged";
    const changes = git.diffTrees(
      mergeBase ? git.readCommit(mergeBase).tree : undefined,
      git.readCommit(head).tree,
    );
    const web = `${ctx.core.urls.web}/${repo.owner.login}/${repo.name}`;
    return json(200, {
      url: `${ctx.core.urls.api}/repos/${repo.owner.login}/${repo.name}/compare/${ctx.params.basehead}`,
      html_url: `${web}/compare/${ctx.params.basehead}`,
      permalink_url: `${web}/compare/${repo.owner.login}:${base.slice(0, 7)}...${repo.owner.login}:${head.slice(0, 7)}`,
      diff_url: `${web}/compare/${ctx.params.basehead}.diff`,
      patch_url: `${web}/compare/${ctx.params.basehead}.patch`,
      base_commit: shapes.commit(repo, base),
      merge_base_commit: shapes.commit(repo, mergeBase ?? base),
      status,
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      commits: ahead.map((sha) => shapes.commit(repo, sha)),
      files: changes.map((c) => shapes.diffEntry(repo, head, c)),
    });
  });

  // ---- contents ------------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/contents/{path}", "token", (ctx) => {
    const repo = ctx.repo();
    const refName = ctx.query.get("ref") || repo.defaultBranch;
    const sha = commitFor(ctx, repo, refName);
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const entry = repo.git.entryAt(repo.git.readCommit(sha).tree, path);
    if (!entry) throw notFound();
    const accept = String(ctx.headers.accept ?? "");
    if (entry.type === "tree") {
      const items = repo.git.readTree(entry.sha).map((child) => {
        const childPath = path ? `${path}/${child.name}` : child.name;
        const type =
          child.type === "tree"
            ? "dir"
            : child.type === "commit"
              ? "submodule"
              : child.mode === "120000"
                ? "symlink"
                : "file";
        const size = child.type === "blob" ? repo.git.get(child.sha, "blob").length : 0;
        return contentsJson(ctx, repo, refName, childPath, child.sha, type, size);
      });
      return json(200, items);
    }
    if (entry.type !== "blob") throw notFound();
    const content = repo.git.get(entry.sha, "blob");
    if (/\.raw\b|vnd\.github\.raw/.test(accept)) {
      return { status: 200, raw: { data: content, contentType: "text/plain; charset=utf-8" } };
    }
    return json(200, {
      ...contentsJson(
        ctx,
        repo,
        refName,
        path,
        entry.sha,
        entry.mode === "120000" ? "symlink" : "file",
        content.length,
      ),
      content: wrappedBase64(content),
      encoding: "base64",
    });
  });
  r.add("PUT /repos/{owner}/{repo}/contents/{path}", "token", (ctx) => {
    const { state, shapes } = ctx.core;
    const repo = ctx.repo();
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const branch = ctx.body.branch ?? repo.defaultBranch;
    const head = state.branchSha(repo, branch);
    if (!head) throw notFound();
    const existing = repo.git.entryAt(repo.git.readCommit(head).tree, path);
    if (existing && !ctx.body.sha)
      throw unprocessable(`Invalid request.\n\n"sha" wasn't supplied.`);
    if (existing && ctx.body.sha !== existing.sha)
      throw conflict(`${path} does not match ${ctx.body.sha}`);
    const author = identity(state, ctx.body.author, state.identityOf(ctx.actor));
    const committer = identity(state, ctx.body.committer, author);
    const sha = state.commitFiles(
      repo,
      branch,
      { [path]: Buffer.from(String(ctx.body.content), "base64") },
      String(ctx.body.message),
      author,
      {
        committer,
      },
    );
    const blob = repo.git.entryAt(repo.git.readCommit(sha).tree, path);
    const size = blob ? repo.git.get(blob.sha, "blob").length : 0;
    return json(existing ? 200 : 201, {
      content: contentsJson(ctx, repo, branch, path, blob?.sha ?? "", "file", size),
      commit: shapes.gitCommit(repo, sha),
    });
  });

  // ---- tarball -------------------------------------------------------------------------------------
  r.add("GET /repos/{owner}/{repo}/tarball/{ref}", "token", (ctx) => {
    const repo = ctx.repo();
    const sha = commitFor(ctx, repo, ctx.params.ref);
    const location = `${ctx.core.urls.web}/_codeload/${encodeURIComponent(repo.owner.login)}/${encodeURIComponent(repo.name)}/legacy.tar.gz/${sha}`;
    return { status: 302, headers: { location }, body: undefined };
  });
}
