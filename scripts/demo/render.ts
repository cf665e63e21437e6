// How the demo shows what happened: comments as a reader sees them on GitHub (hidden markers
// removed), and the issue and pull request as Markdown files.

import type {
  CheckRunView,
  CommentView,
  CommitView,
  IssueView,
  PullView,
} from "../../testkit/fakes/github/index.ts";

/** A comment body as GitHub renders it to a reader: HTML comments (the app's markers) hidden. */
export function visibleBody(body: string): string {
  return body
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** For a terminal: also without the footer every comment of the app carries. */
export function terminalBody(body: string): string {
  return visibleBody(body)
    .replace(/\n*---\s*\n<sub>[\s\S]*?<\/sub>\s*$/, "")
    .replace(/<\/?sub>/g, "")
    .trim();
}

export function indent(text: string, prefix = "    "): string {
  return text
    .split("\n")
    .map((line) => (line ? prefix + line : line))
    .join("\n");
}

const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) =>
  useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
export const style = {
  bold: paint("1"),
  dim: paint("2"),
  green: paint("32"),
  red: paint("31"),
  yellow: paint("33"),
  cyan: paint("36"),
  magenta: paint("35"),
};

export const shortSha = (sha: string | null | undefined) => (sha ?? "").slice(0, 7);

function when(iso: string): string {
  return `${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
}

function commentMarkdown(comment: CommentView): string {
  const who = comment.authorType === "Bot" ? `@${comment.author} (app)` : `@${comment.author}`;
  const edited =
    comment.updatedAt !== comment.createdAt ? ` · edited ${when(comment.updatedAt)}` : "";
  return `### ${who} · ${when(comment.createdAt)}${edited}\n\n${visibleBody(comment.body)}\n`;
}

export function issueMarkdown(input: {
  issue: IssueView;
  comments: CommentView[];
  repo: string;
}): string {
  const { issue, comments } = input;
  const lines = [
    `# ${issue.title} (#${issue.number})`,
    "",
    `${input.repo} · **${issue.state}**${issue.stateReason ? ` (${issue.stateReason})` : ""} · opened by @${issue.author} · labels: ${issue.labels.map((l) => `\`${l}\``).join(", ") || "none"}`,
    "",
    issue.body ?? "",
    "",
    "---",
    "",
    ...comments.map(commentMarkdown),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}

export function checkRunMarkdown(run: CheckRunView): string {
  const lines = [
    `### ${run.name} — ${run.conclusion ?? run.status}`,
    "",
    run.output.title ? `**${run.output.title}**\n` : "",
    run.output.summary ? `${visibleBody(run.output.summary)}\n` : "",
    run.output.text ? `${visibleBody(run.output.text)}\n` : "",
  ];
  if (run.annotations.length > 0) {
    lines.push("Annotations:", "");
    for (const a of run.annotations) {
      lines.push(
        `- \`${a.path}:${a.start_line}\` (${a.annotation_level}) ${a.title ? `**${a.title}** — ` : ""}${a.message.replaceAll("\n", " ")}`,
      );
    }
    lines.push("");
  }
  return lines.filter((l) => l !== "").join("\n");
}

export function pullRequestMarkdown(input: {
  pull: PullView;
  comments: CommentView[];
  commits: CommitView[];
  checkRuns: CheckRunView[];
  repo: string;
}): string {
  const { pull } = input;
  const state = pull.merged
    ? "merged"
    : pull.state === "closed"
      ? "closed"
      : pull.draft
        ? "draft"
        : "open";
  const lines = [
    `# ${pull.title} (#${pull.number})`,
    "",
    `${input.repo} · **${state}** · \`${pull.head.ref}\` → \`${pull.base.ref}\` · opened by @${pull.author}${pull.mergeCommitSha ? ` · merge commit \`${shortSha(pull.mergeCommitSha)}\`` : ""}`,
    "",
    visibleBody(pull.body ?? ""),
    "",
    "## Commits",
    "",
  ];
  for (const commit of [...input.commits].reverse()) {
    const subject = commit.message.split("\n")[0] ?? "";
    lines.push(`- \`${shortSha(commit.sha)}\` ${subject} — ${commit.author.name}`);
    for (const file of commit.files) lines.push(`  - ${file.status} \`${file.path}\``);
  }
  lines.push("", "## Checks", "");
  for (const run of input.checkRuns) lines.push(checkRunMarkdown(run), "");
  if (pull.reviews.length > 0) {
    lines.push("## Reviews", "");
    for (const review of pull.reviews) {
      lines.push(`- @${review.author}: ${review.state}${review.body ? ` — ${review.body}` : ""}`);
    }
    lines.push("");
  }
  lines.push("## Conversation", "");
  if (input.comments.length === 0) lines.push("(no comments)");
  lines.push(...input.comments.map(commentMarkdown));
  return `${lines.join("\n").trimEnd()}\n`;
}
