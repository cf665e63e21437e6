import { describe, expect, it } from "vitest";
import { findSecrets, redactSecrets, type SecretKind } from "../../../src/core/secrets.ts";

// Test tokens are assembled at run time so this file does not itself look like it leaks keys
// to other scanners (GitHub push protection, gitleaks).
const R = "q7Xk2mP9vL4wR8tY3nB6cZ1dF5gH0jK";
const fake = {
  awsId: `AKIA${"Q7XK2MP9VL4WR8TY"}`,
  awsStsId: `ASIA${"Q7XK2MP9VL4WR8TY"}`,
  awsSecret: `${R}/aB3+xYz9`,
  ghp: `ghp_${R}Ab12C`,
  ghs: `ghs_${R}Ab12C`,
  pat: `github_pat_11ABCDEFG0${R}_${R}${R}`,
  anthropic: `sk-ant-api03-${R}${R}-${R}AA`,
  openai: `sk-proj-${R}${R}`,
  openaiLegacy: `sk-${R}${R.slice(0, 17)}`,
  slack: `xoxb-2718281828-${R}`,
  google: `AIza${R}Ab12`,
  stripe: `sk_live_${R}`,
  stripeRestricted: `rk_live_${R}`,
  jwt: `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTk5OTk5OTk5OX0.${R}${R}`,
};

const pem = (label: string) =>
  [
    `-----BEGIN ${label}-----`,
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    `-----END ${label}-----`,
  ].join("\n");

function kinds(content: string, extra: string[] = []): SecretKind[] {
  return findSecrets(content, extra).map((f) => f.kind);
}

describe("findSecrets", () => {
  it.each([
    ["aws_access_key_id", fake.awsId],
    ["aws_access_key_id", fake.awsStsId],
    ["github_token", fake.ghp],
    ["github_token", fake.ghs],
    ["github_token", fake.pat],
    ["anthropic_api_key", fake.anthropic],
    ["openai_api_key", fake.openai],
    ["openai_api_key", fake.openaiLegacy],
    ["slack_token", fake.slack],
    ["google_api_key", fake.google],
    ["stripe_secret_key", fake.stripe],
    ["stripe_secret_key", fake.stripeRestricted],
    ["jwt", fake.jwt],
  ] as const)("finds %s", (kind, token) => {
    expect(kinds(`const value = "${token}";`)).toEqual([kind]);
  });

  it.each([
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
  ])("finds a %s block", (label) => {
    expect(kinds(`key:\n${pem(label)}\n`)).toEqual(["private_key"]);
  });

  it("finds a private key inside a JSON string with \\n escapes", () => {
    const json = JSON.stringify({ private_key: pem("PRIVATE KEY") });
    expect(kinds(json)).toEqual(["private_key"]);
  });

  it("finds an AWS secret key next to its id, or labelled", () => {
    expect(kinds(`aws_access_key_id = ${fake.awsId}\nsomething = ${fake.awsSecret}`)).toEqual([
      "aws_access_key_id",
      "aws_secret_access_key",
    ]);
    expect(kinds(`AWS_SECRET_ACCESS_KEY="${fake.awsSecret}"`)).toEqual(["aws_secret_access_key"]);
  });

  it("does not take a git SHA or a far-away token for an AWS secret", () => {
    const sha = "3f2a9c1e0b7d4a6f8e2c1b0a9d8e7f6a5b4c3d2e";
    expect(kinds(`${fake.awsId}\ncommit ${sha}`)).toEqual(["aws_access_key_id"]);
    expect(kinds(`${fake.awsId}${"\n".repeat(10)}x = ${fake.awsSecret}`)).toEqual([
      "aws_access_key_id",
    ]);
  });

  it("reports line, column and a preview without the secret", () => {
    const [finding] = findSecrets(`line one\n  token: ${fake.ghp}\n`);
    expect(finding).toEqual({
      kind: "github_token",
      line: 2,
      column: 10,
      preview: "github_token ghp_…",
    });
    expect(finding?.preview).not.toContain(fake.ghp.slice(4, 8));
  });

  it("finds several secrets in order", () => {
    expect(kinds(`${fake.slack}\n${fake.google} ${fake.stripe}`)).toEqual([
      "slack_token",
      "google_api_key",
      "stripe_secret_key",
    ]);
  });

  describe("placeholders are not secrets", () => {
    it.each([
      ["AWS's documented example id", "AKIAIOSFODNN7EXAMPLE"],
      [
        "AWS's documented example secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      ],
      [
        "the example id with its secret",
        "AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      ],
      ["x-filled GitHub token", `ghp_${"x".repeat(36)}`],
      ["repeated characters", `ghp_${"0".repeat(36)}`],
      ["your-key", "sk-ant-your-api-key-goes-here-please"],
      ["a kebab-case identifier", "sk-learn-preprocessing-pipeline-helpers"],
      ["a sequence", "AIza0123456789abcdefghijklmnopqrstuvwxy"],
      [
        "the jwt.io example",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
      ],
      ["a PEM header in a parser", 'if (pem.startsWith("-----BEGIN PRIVATE KEY-----")) {'],
      [
        "a PEM block with an elided body",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
      ],
      [
        "a PEM header followed by prose",
        "-----BEGIN PRIVATE KEY-----\nthe key goes here and the rest is prose text",
      ],
      ["ordinary code", "const task = 'sk-1';\nconst ask = tasks.filter((t) => t.done);"],
    ])("%s", (_name, content) => {
      expect(findSecrets(content)).toEqual([]);
    });

    it("a configured literal counts even when it looks like a placeholder", () => {
      expect(kinds("key: EXAMPLEKEY12345", ["EXAMPLEKEY12345"])).toEqual(["configured_secret"]);
    });
  });

  describe("extra literals", () => {
    it("finds every exact occurrence", () => {
      const key = "inst-9f8e7d6c5b4a";
      expect(findSecrets(`a ${key} b\n${key}`, [key])).toEqual([
        { kind: "configured_secret", line: 1, column: 3, preview: "configured_secret inst…" },
        { kind: "configured_secret", line: 2, column: 1, preview: "configured_secret inst…" },
      ]);
    });

    it("ignores literals shorter than 8 characters and empty ones", () => {
      expect(findSecrets("abc1234 and more", ["abc1234", ""])).toEqual([]);
    });

    it("prefers the literal when it is also a known format", () => {
      expect(kinds(`ANTHROPIC_API_KEY=${fake.anthropic}`, [fake.anthropic])).toEqual([
        "configured_secret",
      ]);
    });

    it("does not match a different string", () => {
      expect(findSecrets("inst-9f8e7d6c5b4", ["inst-9f8e7d6c5b4a"])).toEqual([]);
    });
  });
});

describe("redactSecrets", () => {
  it("replaces every finding with its kind", () => {
    const text = `token ${fake.ghp} and key ${fake.anthropic}.`;
    expect(redactSecrets(text)).toBe(
      "token [redacted github_token] and key [redacted anthropic_api_key].",
    );
  });

  it("redacts a whole private key block and the configured literal", () => {
    const text = `before\n${pem("OPENSSH PRIVATE KEY")}\nafter my-install-key-123`;
    expect(redactSecrets(text, ["my-install-key-123"])).toBe(
      "before\n[redacted private_key]\nafter [redacted configured_secret]",
    );
  });

  it("leaves text without secrets (and placeholders) unchanged", () => {
    const text = "Use AKIAIOSFODNN7EXAMPLE in the docs.";
    expect(redactSecrets(text)).toBe(text);
  });

  it("never leaves any part of a secret behind", () => {
    const { awsSecret: _needsContext, ...standalone } = fake;
    for (const token of Object.values(standalone)) {
      const out = redactSecrets(`x=${token};`);
      expect(out).not.toContain(token.slice(-12));
    }
  });
});
