// A secret scanner for what agents write and for everything the app posts or logs. It looks for
// well-known credential formats plus the installation's own literals (its model key). Findings
// never carry the secret: only its kind, where it is, and a 4-character preview.
//
// Placeholders are not findings: AWS's documented example key `AKIAIOSFODNN7EXAMPLE` (and its
// example secret), the jwt.io example token, and tokens whose body says what they are
// ("EXAMPLE", "your_", "xxxx", "placeholder", "…") or is not random (one character repeated,
// "1234567890"). Agents write documentation and tests that need such values, and a scanner that
// cries wolf on AWS's own docs gets switched off. A configured literal always counts.

export type SecretKind =
  | "aws_access_key_id"
  | "aws_secret_access_key"
  | "github_token"
  | "anthropic_api_key"
  | "openai_api_key"
  | "slack_token"
  | "google_api_key"
  | "stripe_secret_key"
  | "private_key"
  | "jwt"
  | "configured_secret";

export interface SecretFinding {
  kind: SecretKind;
  /** 1-based line and column of the first character. */
  line: number;
  column: number;
  /** `<kind> <first 4 characters>…`: safe to show and log. */
  preview: string;
}

/** Literals shorter than this are ignored (they would match ordinary text). */
export const MIN_LITERAL_LENGTH = 8;

interface Match {
  kind: SecretKind;
  start: number;
  end: number;
  literal: boolean;
}

interface Detector {
  kind: SecretKind;
  pattern: RegExp;
  /** Extra test on the matched token (randomness, placeholders are checked for all). */
  accept?: (token: string) => boolean;
}

const KNOWN_EXAMPLES: ReadonlySet<string> = new Set([
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]);

const PLACEHOLDER_WORDS =
  /example|placeholder|dummy|redacted|your[-_]?(?:api|key|token|secret)|replace[-_]?me|changeme|xxxx|0123456789|1234567890|abcdefghij/i;

function looksLikePlaceholder(token: string): boolean {
  if (KNOWN_EXAMPLES.has(token)) return true;
  if (PLACEHOLDER_WORDS.test(token)) return true;
  // Not random: the part after a prefix like `ghp_` or `sk-proj-` uses very few characters.
  const body = token.replace(/^(?:[A-Za-z]{2,5}[-_]){1,3}/, "");
  return body.length >= 8 && new Set(body).size < 6;
}

/** Random keys mix upper case, lower case and digits; identifiers in kebab-case do not. */
function looksRandom(token: string): boolean {
  return /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token);
}

const DETECTORS: Detector[] = [
  { kind: "aws_access_key_id", pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  {
    kind: "github_token",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  { kind: "anthropic_api_key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  {
    kind: "openai_api_key",
    pattern: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    accept: looksRandom,
  },
  { kind: "slack_token", pattern: /\bxox[abpr]-[A-Za-z0-9-]{10,}/g },
  { kind: "google_api_key", pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: "stripe_secret_key", pattern: /\b[rs]k_live_[0-9A-Za-z]{16,}/g },
  {
    kind: "jwt",
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
  },
];

/** An AWS secret access key assigned to a name that says so. */
const AWS_SECRET_LABELLED =
  /(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi;
/** Any 40-character base64 token: an AWS secret when an access key id is within a few lines. */
const AWS_SECRET_BARE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_SECRET_NEAR_LINES = 5;

const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/y;
/** PEM body: base64, PEM headers (`Proc-Type: 4,ENCRYPTED`), and `\n` escapes inside JSON. */
const PEM_BODY = /^[A-Za-z0-9+/=\s\\:,-]*/;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

/** 0-based line index of an offset. */
function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function scan(content: string, extraLiterals: string[]): Match[] {
  const matches: Match[] = [];

  for (const literal of new Set(extraLiterals)) {
    if (typeof literal !== "string" || literal.length < MIN_LITERAL_LENGTH) continue;
    let at = content.indexOf(literal);
    while (at >= 0) {
      matches.push({
        kind: "configured_secret",
        start: at,
        end: at + literal.length,
        literal: true,
      });
      at = content.indexOf(literal, at + literal.length);
    }
  }

  for (const detector of DETECTORS) {
    for (const m of content.matchAll(detector.pattern)) {
      const token = m[0];
      if (looksLikePlaceholder(token)) continue;
      if (detector.accept !== undefined && !detector.accept(token)) continue;
      matches.push({
        kind: detector.kind,
        start: m.index,
        end: m.index + token.length,
        literal: false,
      });
    }
  }

  // AWS secret keys: labelled anywhere, or bare next to an access key id (placeholder or not:
  // a real secret next to the example id is still a secret).
  for (const m of content.matchAll(AWS_SECRET_LABELLED)) {
    const span = m.indices?.[1];
    const token = m[1];
    if (span === undefined || token === undefined || looksLikePlaceholder(token)) continue;
    matches.push({ kind: "aws_secret_access_key", start: span[0], end: span[1], literal: false });
  }
  const keyIds = [...content.matchAll(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g)];
  if (keyIds.length > 0) {
    const starts = lineStarts(content);
    const keyLines = keyIds.map((k) => lineOf(starts, k.index));
    for (const m of content.matchAll(AWS_SECRET_BARE)) {
      const token = m[0];
      if (!looksRandom(token) || looksLikePlaceholder(token)) continue;
      const line = lineOf(starts, m.index);
      if (!keyLines.some((k) => Math.abs(k - line) <= AWS_SECRET_NEAR_LINES)) continue;
      matches.push({
        kind: "aws_secret_access_key",
        start: m.index,
        end: m.index + 40,
        literal: false,
      });
    }
  }

  // Private keys: a BEGIN line followed by a real body (not "..." in documentation, not a
  // parser comparing against the header). The whole block is the finding.
  for (const m of content.matchAll(PEM_BEGIN)) {
    const bodyStart = m.index + m[0].length;
    // A body never contains "-----": it ends at the END line (or at the next BEGIN).
    const dashes = content.indexOf("-----", bodyStart);
    const region = content.slice(bodyStart, dashes < 0 ? content.length : dashes);
    const body = PEM_BODY.exec(region)?.[0] ?? "";
    // A real key has long base64 lines (64 characters in PEM, 70 in OpenSSH).
    if (!/[A-Za-z0-9+/=]{40,}/.test(body.replace(/\\n/g, " "))) continue;
    PEM_END.lastIndex = dashes;
    const endMark = dashes >= 0 && body.length === region.length ? PEM_END.exec(content) : null;
    const stop =
      endMark !== null && endMark.index === dashes
        ? endMark.index + endMark[0].length
        : bodyStart + body.trimEnd().length;
    matches.push({ kind: "private_key", start: m.index, end: stop, literal: false });
  }

  // Earliest first; at the same place the longest, and a configured literal over a pattern.
  matches.sort(
    (a, b) => a.start - b.start || b.end - a.end || Number(b.literal) - Number(a.literal),
  );
  const kept: Match[] = [];
  for (const m of matches) {
    const last = kept[kept.length - 1];
    if (last !== undefined && m.start < last.end) continue;
    kept.push(m);
  }
  return kept;
}

/** Every secret in `content`, in order; `extraLiterals` are matched exactly (8+ characters). */
export function findSecrets(content: string, extraLiterals: string[] = []): SecretFinding[] {
  const matches = scan(content, extraLiterals);
  if (matches.length === 0) return [];
  const starts = lineStarts(content);
  return matches.map((m) => {
    const line = lineOf(starts, m.start);
    return {
      kind: m.kind,
      line: line + 1,
      column: m.start - (starts[line] ?? 0) + 1,
      preview: `${m.kind} ${content.slice(m.start, Math.min(m.start + 4, m.end))}…`,
    };
  });
}

/** `text` with every finding replaced by `[redacted <kind>]`; use before posting or logging. */
export function redactSecrets(text: string, extraLiterals: string[] = []): string {
  const matches = scan(text, extraLiterals);
  let out = "";
  let from = 0;
  for (const m of matches) {
    out += `${text.slice(from, m.start)}[redacted ${m.kind}]`;
    from = m.end;
  }
  return out + text.slice(from);
}
