// Commands that must not act: from read-only users, from the issue's author where self-approval
// is off, from bots, in edited comments, inside quotes, code and HTML comments, a stale
// /approve and commands missing their text. Each gets one clear reply (or, where a reply would
// be noise or a loop, none) and changes nothing: the gate still waits, no approval recorded.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ANSWER, DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "commands";
const AUTHOR = "alice"; // opened the issue; has write access, but may not approve her own
const READER = "bob"; // read access only
let h: Harness;
let d: Journey;
let issue = 0;

beforeAll(async () => {
  h = await startReliabilityHarness({
    files: { ...DEMO_REPO_FILES, ".github/practical.yml": "allow_self_approval: false\n" },
  });
  d = journey(h, { maintainer: true });
  h.github.setPermission(OWNER, REPO, AUTHOR, "write");
  h.github.addUser("renovate[bot]", { type: "Bot" });
  scriptDemoFeature(h.model);
  issue = await d.open("Add a health endpoint", "We need /health.", AUTHOR);
  await waitFor("the BA's question", () =>
    h.github.comments(OWNER, REPO, issue).some((c) => c.body.includes("Two questions")),
  );
  await d.say(issue, DEMO_ANSWER, AUTHOR);
  await waitFor("the brief", async () => (await d.feature(issue))?.artifacts.brief);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

/** What a refused command must leave as it was. */
async function state() {
  const f = await d.feature(issue);
  return {
    stage: f?.stage,
    artifacts: f?.artifacts,
    approvals: f?.approvals,
    recorded: (await h.db.store.listApprovals(f?.id ?? 0)).length,
  };
}

/** The app's replies to one comment (found by their hidden marker). */
const repliesTo = (commentId: number) =>
  d.botComments(issue).filter((c) => c.body.includes(`key=c${commentId}-`));

/** Posts a comment; expects one reply matching `text` and no state change. */
async function expectOneReply(author: string, body: string, text: RegExp) {
  const before = await state();
  const comment = h.github.comment({ owner: OWNER, repo: REPO, number: issue, author, body });
  expect((await h.send(comment)).status).toBe(200);
  const id = comment.payload.comment.id;
  // Refusals are one reply per person per issue per 10 minutes, edited in place: a person's
  // second refused command shows in the reply their first one opened.
  const replies = () =>
    d
      .botComments(issue)
      .filter(
        (c) =>
          c.body.includes(`key=c${id}-`) || c.body.includes(`key=person-${author.toLowerCase()}-c`),
      );
  await waitFor(`the reply to ${JSON.stringify(body)}`, () =>
    replies().some((c) => text.test(c.body)),
  );
  await sleep(300);
  expect(replies()).toHaveLength(1);
  expect(replies()[0]?.body).toMatch(text);
  expect(await state()).toEqual(before);
  return "message" as const;
}

/** Sends a webhook that must be ignored: no command reply, no reaction, no state change. */
async function expectIgnored(
  webhook: { id: string; name: string; payload: unknown },
  commentId: number,
) {
  const before = await state();
  expect((await h.send(webhook)).status).toBe(200);
  await sleep(1_000);
  expect(repliesTo(commentId)).toEqual([]);
  expect(h.github.reactions(OWNER, REPO, { commentId })).toEqual([]);
  expect(await state()).toEqual(before);
  return "silent" as const;
}

/** A maintainer's comment that only looks like a command: conversation for the BA, never an approval. */
async function expectNotACommand(body: string) {
  const before = await state();
  const comment = h.github.comment({
    owner: OWNER,
    repo: REPO,
    number: issue,
    author: MAINTAINER,
    body,
  });
  expect((await h.send(comment)).status).toBe(200);
  const id = comment.payload.comment.id;
  // The BA answers it as conversation (its reply is keyed by the comment, not a command reply).
  await waitFor("the BA's reply", () =>
    d.botComments(issue).some((c) => c.body.includes(`key=ba-${id} -->`)),
  );
  expect(repliesTo(id)).toEqual([]);
  expect(await state()).toEqual(before);
  return "silent" as const;
}

describe("commands that must not act", () => {
  it("/approve from a read-only user", () =>
    refused(FILE, "/approve from a read-only user", () =>
      expectOneReply(READER, "/approve", /needs \*\*write\*\* access.*you have \*\*read\*\*/s),
    ));

  it("/cancel from a read-only user", () =>
    refused(FILE, "/cancel from a read-only user", () =>
      expectOneReply(READER, "/cancel", /needs \*\*write\*\* access/),
    ));

  it("/approve from the issue's author when self-approval is off", () =>
    refused(FILE, "/approve by the issue author, self-approval off", () =>
      expectOneReply(AUTHOR, "/approve", /does not allow the issue's author to approve/),
    ));

  it("/approve naming a version that is not the current one", () =>
    refused(FILE, "/approve of a stale artifact", () =>
      expectOneReply(MAINTAINER, "/approve 0000000", /no longer current/),
    ));

  it("/revise without saying what to change", () =>
    refused(FILE, "/revise without text", () =>
      expectOneReply(MAINTAINER, "/revise", /Usage: `\/revise <what to change>`/),
    ));

  it("/retry when nothing failed", () =>
    refused(FILE, "/retry when nothing failed", () =>
      expectOneReply(MAINTAINER, "/retry", /does nothing right now/),
    ));

  it("/approve from a bot", () =>
    refused(FILE, "/approve from a bot", async () => {
      const comment = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: "renovate[bot]",
        body: "/approve",
      });
      return expectIgnored(comment, comment.payload.comment.id);
    }));

  it("/approve added by editing an old comment", () =>
    refused(FILE, "/approve in an edited comment", async () => {
      const comment = h.github.comment({
        owner: OWNER,
        repo: REPO,
        number: issue,
        author: MAINTAINER,
        body: "Looks good so far.",
      });
      const edited = h.github.editComment({
        owner: OWNER,
        repo: REPO,
        commentId: comment.payload.comment.id,
        body: "/approve",
      });
      return expectIgnored(edited, comment.payload.comment.id);
    }));

  it("/approve quoted from another comment", () =>
    refused(FILE, "/approve inside a quote", () =>
      expectNotACommand("> /approve\n\nShould I say this?"),
    ));

  it("/approve inside a code fence", () =>
    refused(FILE, "/approve inside a code fence", () =>
      expectNotACommand("To approve, type:\n\n```\n/approve\n```"),
    ));

  it("/approve inside inline code and an HTML comment", () =>
    refused(FILE, "/approve inside inline code or an HTML comment", () =>
      expectNotACommand("`/approve` is the command.\n<!--\n/approve\n-->"),
    ));

  it("after all of that the gate still waits, and a maintainer's /approve moves it on", async () => {
    expect((await state()).stage).toBe("drafting");
    await d.say(issue, "/approve");
    await d.waitStage(issue, "spec_ready");
    const approvals = await h.db.store.listApprovals((await d.feature(issue))?.id ?? 0);
    expect(approvals.map((a) => [a.gate, a.approver])).toEqual([["brief", MAINTAINER]]);
  });
});
