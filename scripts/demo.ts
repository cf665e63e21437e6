// `npm run demo`: one feature from issue to merged pull request on this machine. The app's real
// web and worker roles run in this process (the same code as `npm start`) against PostgreSQL and
// Redis, the GitHub fake, and the scripted model (or the real model API when ANTHROPIC_API_KEY is
// set and answers). Prints the journey as it goes; writes the branch's files and the issue and
// pull request as Markdown to demo-output/. Exit status 0 only when the pull request was merged
// and the feature is done.

import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { createDatabase } from "../src/adapters/store/database.ts";
import { ConfigurationError } from "../src/errors.ts";
import { stageName } from "../src/views.ts";
import { DEMO_ANSWER, DEMO_ISSUE } from "../testkit/demo-feature.ts";
import {
  driveToReadyPullRequest,
  FeatureFailedError,
  FeatureWatch,
  mergeAndWaitDone,
  openIssue,
  type Person,
} from "../testkit/journey.ts";
import { checkServices, serviceUrls, waitFor } from "../testkit/services.ts";
import {
  MAINTAINER,
  type ModelChoice,
  OWNER,
  REPO,
  type Stack,
  startDemoStack,
} from "../testkit/stack.ts";
import { JourneyPrinter } from "./demo/printer.ts";
import { indent, issueMarkdown, pullRequestMarkdown, style, terminalBody } from "./demo/render.ts";
import { countApiCalls, fmt, table, tokenUsage } from "./demo/report.ts";

const STATUS_MARKER = "<!-- practical:status";

const OUTPUT = resolve(import.meta.dirname, "..", "demo-output");
const say = (text = "") => process.stdout.write(`${text}\n`);

/** The real model API when a key is set and one cheap request (listing models) succeeds. */
async function chooseModel(): Promise<ModelChoice> {
  const apiKey = process.env.ANTHROPIC_API_KEY;
  if (!apiKey) return { kind: "scripted" };
  const baseUrl = process.env.ANTHROPIC_BASE_URL || undefined;
  try {
    const client = new Anthropic({
      apiKey,
      ...(baseUrl ? { baseURL: baseUrl } : {}),
      maxRetries: 0,
      timeout: 8_000,
    });
    await client.models.list({ limit: 1 });
    return { kind: "real", apiKey, ...(baseUrl ? { baseUrl } : {}) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    say(
      style.yellow(
        `ANTHROPIC_API_KEY is set, but the model API did not answer (${reason}); using the scripted model.`,
      ),
    );
    return { kind: "scripted" };
  }
}

/** The branch's own commits (not in the default branch's history), newest first. */
function branchOnlyCommits(stack: Stack, branch: string) {
  const base = new Set(stack.github.branchCommits(OWNER, REPO, "main").map((c) => c.sha));
  return stack.github.branchCommits(OWNER, REPO, branch).filter((c) => !base.has(c.sha));
}

async function writeOutputs(
  stack: Stack,
  issue: number,
  prNumber: number | null,
  branch: string | null,
) {
  const { github } = stack;
  const files = github.files(
    OWNER,
    REPO,
    branch && github.branchSha(OWNER, REPO, branch) ? branch : "main",
  );
  for (const [path, content] of Object.entries(files)) {
    const target = join(OUTPUT, "files", path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  await writeFile(
    join(OUTPUT, "issue.md"),
    issueMarkdown({
      issue: github.issue(OWNER, REPO, issue),
      comments: github.comments(OWNER, REPO, issue),
      repo: `${OWNER}/${REPO}`,
    }),
  );
  if (prNumber) {
    await writeFile(
      join(OUTPUT, "pull-request.md"),
      pullRequestMarkdown({
        pull: github.pull(OWNER, REPO, prNumber),
        comments: github.comments(OWNER, REPO, prNumber),
        commits: branch ? branchOnlyCommits(stack, branch) : [],
        checkRuns: github.checkRuns(OWNER, REPO, github.pull(OWNER, REPO, prNumber).head.sha),
        repo: `${OWNER}/${REPO}`,
      }),
    );
  }
  return Object.keys(files).length;
}

async function main(): Promise<number> {
  const services = serviceUrls();
  const problem = await checkServices(services);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 1;
  }
  const model = await chooseModel();
  const real = model.kind === "real";
  await rm(OUTPUT, { recursive: true, force: true });
  await mkdir(join(OUTPUT, "files"), { recursive: true });

  const began = Date.now();
  const stack = await startDemoStack({
    services,
    run: "demo",
    model,
    env: { LOG_LEVEL: process.env.DEMO_LOG_LEVEL ?? "silent", LOG_FORMAT: "pretty" },
  });
  const watchDb = createDatabase(stack.db.url, { max: 2 });
  const watch = new FeatureWatch(watchDb, OWNER, REPO, 50);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    watch.stop();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  let issue = 0;
  let ok = false;
  try {
    say(style.bold("Build Practical — demo: one feature from issue to merged pull request"));
    say(
      style.dim(
        [
          `repository   ${OWNER}/${REPO} on the GitHub fake (${stack.github.url})`,
          `model        ${real ? "the real model API (ANTHROPIC_API_KEY)" : "the scripted model fake (no key, no cost)"}`,
          `app          web + worker roles in this process, webhooks on ${stack.webhookUrl}`,
          `database     ${stack.db.name} (dropped at the end) · queue prefix ${stack.prefix}`,
        ].join("\n"),
      ),
    );
    say();
    await stack.startApp({ web: true, worker: true });

    const printer = new JourneyPrinter({
      github: stack.github,
      db: watchDb,
      owner: OWNER,
      repo: REPO,
    });
    watch.onPoll((features) => void printer.update(features.get(issue), issue).catch(() => {}));
    watch.start();
    const person: Person = {
      github: stack.github,
      send: stack.send,
      watch,
      owner: OWNER,
      repo: REPO,
      login: MAINTAINER,
      stepTimeoutMs: real ? 15 * 60_000 : 30_000,
      // Time to read each step as it scrolls by; DEMO_PAUSE_MS=0 runs at full speed.
      pauseMs: Number(process.env.DEMO_PAUSE_MS ?? 300),
    };

    issue = await openIssue(person, DEMO_ISSUE);
    say(
      `${style.cyan(`@${MAINTAINER}`)} ${style.dim(`opened issue #${issue} with the label "practical"`)}\n` +
        indent(`**${DEMO_ISSUE.title}**\n\n${DEMO_ISSUE.body}`),
    );
    await driveToReadyPullRequest(person, issue, {
      answers: [DEMO_ANSWER, "Nothing more to add: please write the brief with what you have."],
    });
    await mergeAndWaitDone(person, issue);
    // The status comment is debounced: let its last edit land before showing it.
    await waitFor(
      "the status comment's last edit",
      () =>
        stack.github
          .comments(OWNER, REPO, issue)
          .some((c) => c.body.includes(STATUS_MARKER) && c.body.includes(`— ${stageName("done")}`)),
      5_000,
    ).catch(() => {});
    await watch.poll();
    await printer.update(watch.features.get(issue), issue);
  } catch (error) {
    if (interrupted) say(style.yellow("\nInterrupted."));
    else if (error instanceof FeatureFailedError)
      say(style.red(`\nThe feature stopped: ${error.message}`));
    else if (error instanceof ConfigurationError) say(style.red(`\n${error.message}`));
    else
      say(
        style.red(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}`),
      );
  } finally {
    watch.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    const feature = watch.features.get(issue);
    const pull = feature?.prNumber ? stack.github.pull(OWNER, REPO, feature.prNumber) : null;
    ok = Boolean(pull?.merged) && feature?.stage === "done";

    if (issue > 0) {
      const status = stack.github
        .comments(OWNER, REPO, issue)
        .find((c) => c.body.includes(STATUS_MARKER));
      if (status) {
        say(
          `\n${style.bold("The status comment, as it reads now:")}\n${indent(terminalBody(status.body))}`,
        );
      }
      const usage = feature ? await tokenUsage(watchDb, [feature.id]) : null;
      if (usage && usage.byAgent.length > 0) {
        say(
          `\n${style.bold(`Model use (${real ? "real model API" : "scripted model fake: prices as if real"}), from agent_runs:`)}`,
        );
        say(
          indent(
            table(
              ["agent", "calls", "input", "cache read", "cache write", "output", "cost"],
              [...usage.byAgent, usage.total].map((a) => [
                a.agent,
                a.calls,
                fmt.int(a.inputTokens),
                fmt.int(a.cacheReadTokens),
                fmt.int(a.cacheWriteTokens),
                fmt.int(a.outputTokens),
                fmt.usd(a.costUsd),
              ]),
            ),
            "  ",
          ),
        );
        say(
          `  input tokens served from the prompt cache: ${fmt.pct(usage.cacheShare)} (after the brief: ${fmt.pct(usage.cacheShareAfterBrief)})`,
        );
        for (const m of usage.byModel) {
          say(
            `    ${m.model} (${m.calls} calls, its own cache): ${fmt.pct(m.cacheShare)} (after the brief: ${fmt.pct(m.cacheShareAfterBrief)})`,
          );
        }
      }
      const calls = countApiCalls(stack.github.requestLog);
      say(
        `\n${style.bold("GitHub API calls:")} ${calls.total} (${calls.reads} reads, ${calls.writes} writes of which ${calls.contentCreating} create content)` +
          style.dim(
            ` · plus ${calls.appAuth} installation-token and ${calls.asApp} other requests as the app, ${calls.downloads} archive downloads and ${calls.notModified} conditional reads answered 304 (free)`,
          ),
      );
      say(
        indent(
          table(
            ["calls", "kind", "route"],
            calls.byRoute.map((r) => [r.count, r.kind, r.route]),
          ),
          "  ",
        ),
      );
      const count = await writeOutputs(
        stack,
        issue,
        feature?.prNumber ?? null,
        feature?.branch ?? null,
      );
      say(
        `\n${style.bold("Wrote")} demo-output/files/ (${count} files of ${feature?.branch ?? "main"}), demo-output/issue.md, demo-output/pull-request.md`,
      );
    }
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    say(
      ok
        ? style.green(
            `\nDone in ${seconds} s: pull request #${feature?.prNumber} merged, feature done.`,
          )
        : style.red(`\nNot done after ${seconds} s: the pull request was not merged.`),
    );
    await watchDb.destroy().catch(() => {});
    // Stops the app's roles too.
    await stack.stop().catch(() => {});
  }
  return ok ? 0 : 1;
}

const code = await main().catch((error: unknown) => {
  process.stderr.write(
    `The demo could not run: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  return 1;
});
// The workers' Redis connections outlive their close (they are passed in, so BullMQ leaves
// them open): exit explicitly, as `npm start` does on a signal.
process.exit(code);
