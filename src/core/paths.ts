// The file-path policy for agent writes. Every reason is written for the model that asked for
// the write: it says what is wrong and what to do instead, and it never echoes file contents.

import { hasInvisible } from "./commands.ts";
import { findSecrets } from "./secrets.ts";

export interface PathPolicy {
  /** Globs a path must match at least one of (`**`, `*`, `?`; matched case-sensitively). */
  allowed: string[];
  /** Globs no path may match (matched case-insensitively, so `.ENV` cannot dodge `.env`). */
  denied: string[];
  /** Longest accepted path, in UTF-8 bytes after normalisation. */
  maxPathLength: number;
  /** Largest accepted file, in UTF-8 bytes. */
  maxFileBytes: number;
  /** Most files in one batch (one commit). */
  maxFiles: number;
  /** Largest batch, in UTF-8 bytes over all files. */
  maxTotalBytes: number;
  /**
   * Protected files (see `PROTECTED_PATHS`) that may be changed all the same: the repository's
   * `paths.protected_allowed` (matched case-insensitively). Empty by default.
   */
  protectedAllowed?: readonly string[];
  /** The approved plan: an allowed protected file must also be named in it. */
  plan?: string;
  /** The files as they were before the change (for what a `package.json` write changes). */
  baseline?: ReadonlyMap<string, string>;
}

/**
 * What the repository's CI or tooling runs or trusts: workflows and actions, package-manager
 * configuration, git hooks, dev containers, editor tasks, submodules, environment files and the
 * app's own configuration (`.github/practical.yml`). Matched case-insensitively. The `scripts`
 * of any `package.json` are protected too (see `protectedChange`).
 */
export const PROTECTED_PATHS: readonly string[] = Object.freeze([
  ".github/**",
  "**/action.yml",
  "**/action.yaml",
  "**/.npmrc",
  "**/.yarnrc*",
  "**/.pnpmfile.cjs",
  "**/bunfig.toml",
  "**/Makefile",
  "**/GNUmakefile",
  ".husky/**",
  ".devcontainer/**",
  ".vscode/**",
  ".gitmodules",
  "**/.env*",
]);

const PACKAGE_JSON = "**/package.json";

/** The protected pattern `path` matches, or null. */
export function protectedPattern(path: string): string | null {
  return PROTECTED_PATHS.find((glob) => globMatch(glob, path, true)) ?? null;
}

/**
 * Why writing `content` to `path` (null: deleting it) changes something protected, or null.
 * `previous` is the file before the change (undefined: it did not exist).
 */
export function protectedChange(
  path: string,
  content: string | Uint8Array | null,
  previous: string | undefined,
): string | null {
  const pattern = protectedPattern(path);
  if (pattern !== null) return `it matches the protected pattern "${pattern}"`;
  if (!globMatch(PACKAGE_JSON, path, true)) return null;
  const after = content === null ? null : scriptsOf(content);
  const before = previous === undefined ? null : scriptsOf(previous);
  if (after === undefined) return "it is not valid JSON, so its scripts cannot be checked";
  if (JSON.stringify(after ?? {}) === JSON.stringify(before ?? {})) return null;
  return "it changes the package's scripts (which npm runs on install, test and build)";
}

/** The `scripts` object of a package.json (null: none), or undefined when it is not JSON. */
function scriptsOf(content: string | Uint8Array): Record<string, unknown> | null | undefined {
  try {
    const text = typeof content === "string" ? content : new TextDecoder().decode(content);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return null;
    const scripts = (parsed as { scripts?: unknown }).scripts;
    if (typeof scripts !== "object" || scripts === null) return scripts === undefined ? null : {};
    // Key order does not change what runs.
    return Object.fromEntries(
      Object.entries(scripts as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  } catch {
    return undefined;
  }
}

/** Whether the repository allows this protected change and the plan names the file. */
export function protectedAllowed(path: string, policy: PathPolicy): boolean {
  const allowed = policy.protectedAllowed ?? [];
  if (!allowed.some((glob) => globMatch(glob, path, true))) return false;
  return (policy.plan ?? "").toLowerCase().includes(path.toLowerCase());
}

function protectedRefusal(path: string, why: string): PathCheck {
  return reject(
    `"${path}" is protected: ${why}. The repository's CI or tooling runs or trusts such files, so they are changed only when .github/practical.yml lists them under paths.protected_allowed and the plan names them. Leave it unchanged and say in your summary what change it needs.`,
  );
}

export const DEFAULT_PATH_POLICY: Readonly<PathPolicy> = Object.freeze({
  allowed: ["**"],
  denied: ["**/.env", "**/*.pem", "**/*.key", "**/id_rsa", "**/id_ed25519", "**/CODEOWNERS"],
  maxPathLength: 255,
  maxFileBytes: 512 * 1024,
  maxFiles: 200,
  maxTotalBytes: 5 * 1024 * 1024,
});

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

export interface FileWrite {
  path: string;
  content: string | Uint8Array;
}

export type BatchCheck =
  | { ok: true; files: FileWrite[] }
  | { ok: false; errors: { path: string; reason: string }[] };

const MAX_SEGMENT_BYTES = 255;
const encoder = new TextEncoder();

function byteLength(value: string | Uint8Array): number {
  return typeof value === "string" ? encoder.encode(value).length : value.length;
}

/** NUL, C0 and C1 control characters and DEL. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
/**
 * Percent sequences that decode to `.`, `/`, `\` or `%` (double encoding), and overlong UTF-8
 * lead bytes (`%c0%ae` is `.` to a lax decoder). Other `%xx` are left alone: they are literal
 * characters in a git path.
 */
const ENCODED_TRAVERSAL = /%(?:2e|2f|5c|25|c0|c1|e0%[89][0-9a-f])/i;

function reject(reason: string): PathCheck {
  return { ok: false, reason };
}

/** Check and normalise (`./a//b` → `a/b`) one path an agent wants to write. */
export function checkWritePath(path: string, policy: PathPolicy = DEFAULT_PATH_POLICY): PathCheck {
  if (typeof path !== "string" || path.trim() === "") {
    return reject(
      "The path is empty. Give a path relative to the repository root, like src/app.ts.",
    );
  }
  if (hasControl(path)) {
    return reject("The path contains NUL or control characters. Use a plain relative path.");
  }
  // Zero-width, bidi and other invisible characters: a path must look like what it is.
  if (hasInvisible(path)) {
    return reject(
      "The path contains invisible or bidirectional-control characters. Use a plain relative path.",
    );
  }
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path)) {
    return reject(
      `"${path}" is an absolute path. Paths are relative to the repository root, like src/app.ts.`,
    );
  }
  if (path.includes("\\")) {
    return reject(
      `"${path}" contains a backslash. Use forward slashes (/) to separate directories.`,
    );
  }
  if (ENCODED_TRAVERSAL.test(path)) {
    return reject(
      `"${path}" contains a percent-encoded '.', '/', '\\' or '%'. Write the path with plain characters.`,
    );
  }
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    return reject(
      `"${path}" contains a '..' segment. Paths must stay inside the repository; write the path from the root without '..'.`,
    );
  }
  if (segments.length === 0) {
    return reject("The path names no file. Give a path relative to the repository root.");
  }
  const normalised = segments.join("/");
  for (const segment of segments) {
    // Windows and macOS ignore trailing dots and spaces; 8.3 short names alias `.git` as GIT~1.
    const bare = segment.toLowerCase().replace(/[. ]+$/, "");
    if (bare === ".git" || bare === "git~1") {
      return reject(
        `"${path}" is inside a .git directory. Git metadata cannot be written; change the working-tree files instead.`,
      );
    }
    if (byteLength(segment) > MAX_SEGMENT_BYTES) {
      return reject(
        `A name in "${normalised.slice(0, 80)}…" is longer than ${MAX_SEGMENT_BYTES} bytes. Use a shorter file or directory name.`,
      );
    }
  }
  const lower = normalised.toLowerCase();
  if (lower === ".github/workflows" || lower.startsWith(".github/workflows/")) {
    return reject(
      `"${normalised}" is a GitHub Actions workflow. This app cannot write workflows (it has no workflows permission); describe the change in the pull request instead.`,
    );
  }
  if (byteLength(normalised) > policy.maxPathLength) {
    return reject(
      `The path is ${byteLength(normalised)} bytes long; the limit is ${policy.maxPathLength}. Use a shorter path.`,
    );
  }
  const denied = policy.denied.find((glob) => globMatch(glob, normalised, true));
  if (denied !== undefined) {
    return reject(
      `"${normalised}" matches the denied pattern "${denied}". Files like this may not be written; choose another path.`,
    );
  }
  if (!policy.allowed.some((glob) => globMatch(glob, normalised, false))) {
    return reject(
      `"${normalised}" is outside the allowed paths (${policy.allowed.join(", ")}). Write only inside them.`,
    );
  }
  const pattern = protectedPattern(normalised);
  if (pattern !== null && !protectedAllowed(normalised, policy)) {
    return protectedRefusal(normalised, `it matches the protected pattern "${pattern}"`);
  }
  return { ok: true, path: normalised };
}

/** Check one file: its path, its size, and that its content carries no secret. */
export function checkWriteFile(
  file: FileWrite,
  policy: PathPolicy = DEFAULT_PATH_POLICY,
  secretLiterals: string[] = [],
): PathCheck {
  const checked = checkWritePath(file.path, policy);
  if (!checked.ok) return checked;
  const scripts = protectedPattern(checked.path)
    ? null
    : protectedChange(checked.path, file.content, policy.baseline?.get(checked.path));
  if (scripts !== null && !protectedAllowed(checked.path, policy)) {
    return protectedRefusal(checked.path, scripts);
  }
  const size = byteLength(file.content);
  if (size > policy.maxFileBytes) {
    return reject(
      `"${checked.path}" is ${size} bytes; the limit is ${policy.maxFileBytes} per file. Split it or write less.`,
    );
  }
  if (typeof file.content === "string") {
    const secret = findSecrets(file.content, secretLiterals)[0];
    if (secret !== undefined) {
      return reject(
        `"${checked.path}" looks like it contains a secret (${secret.kind} on line ${secret.line}). Never write credentials into files: read them from the environment and use an obvious placeholder in examples.`,
      );
    }
  }
  return checked;
}

/**
 * Check a whole commit: the count, every file (path, size, secrets), duplicates after
 * normalisation (also differing only in case, which clash on macOS and Windows checkouts), and
 * the total size. Returns every problem at once so the model can fix them in one go.
 */
export function checkWriteBatch(
  files: FileWrite[],
  policy: PathPolicy = DEFAULT_PATH_POLICY,
  secretLiterals: string[] = [],
): BatchCheck {
  const errors: { path: string; reason: string }[] = [];
  if (files.length > policy.maxFiles) {
    errors.push({
      path: "",
      reason: `${files.length} files in one change; the limit is ${policy.maxFiles}. Write fewer files.`,
    });
  }
  const seen = new Map<string, string>();
  const accepted: FileWrite[] = [];
  let total = 0;
  for (const file of files) {
    const checked = checkWriteFile(file, policy, secretLiterals);
    if (!checked.ok) {
      errors.push({ path: String(file.path), reason: checked.reason });
      continue;
    }
    const folded = checked.path.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      errors.push({
        path: file.path,
        reason: `"${checked.path}" is written twice in one change (also as "${earlier}"). Write each file once.`,
      });
      continue;
    }
    seen.set(folded, checked.path);
    total += byteLength(file.content);
    accepted.push({ path: checked.path, content: file.content });
  }
  if (total > policy.maxTotalBytes) {
    errors.push({
      path: "",
      reason: `The change is ${total} bytes in all; the limit is ${policy.maxTotalBytes}. Write less.`,
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files: accepted };
}

// ---------------------------------------------------------------------------------------------
// A small glob matcher: `**` (any number of directories, also none), `*` (any characters but
// `/`), `?` (one character but `/`). Everything else is literal. `*` and `**` match dotfiles.
// A pattern without a slash matches from the root only (`*.md` is `README.md`, not
// `docs/x.md`; write `**/*.md` for any depth).

const globCache = new Map<string, RegExp>();

export function globToRegExp(glob: string, caseInsensitive = false): RegExp {
  const cacheKey = `${caseInsensitive ? "i" : "s"}:${glob}`;
  const cached = globCache.get(cacheKey);
  if (cached !== undefined) return cached;
  let re = "";
  let i = 0;
  while (i < glob.length) {
    const ch = glob[i] ?? "";
    if (ch === "*" && glob[i + 1] === "*") {
      const atStart = i === 0 || glob[i - 1] === "/";
      const next = glob[i + 2];
      if (atStart && next === "/") {
        re += "(?:.*/)?"; // `**/` — zero or more directories
        i += 3;
        continue;
      }
      if (atStart && next === undefined) {
        // `**` alone matches everything; `dir/**` matches the directory and all below it.
        if (re.endsWith("/")) re = `${re.slice(0, -1)}(?:/.*)?`;
        else re += ".*";
        i += 2;
        continue;
      }
      re += "[^/]*"; // `a**b` is just `a*b`
      i += 2;
      continue;
    }
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    i++;
  }
  const compiled = new RegExp(`^${re}$`, caseInsensitive ? "is" : "s");
  if (globCache.size < 1000) globCache.set(cacheKey, compiled);
  return compiled;
}

export function globMatch(glob: string, path: string, caseInsensitive = false): boolean {
  return globToRegExp(glob, caseInsensitive).test(path);
}
