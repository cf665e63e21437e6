import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.ts";

/** How long one reply comment answers a person's refused commands and /help on an issue. */
export const REPLY_WINDOW_MINUTES = 10;

export interface IssueRef {
  owner: string;
  repo: string;
  issueNumber: number;
}

/** What a feature has acted on, and the windows in which a person is answered once. */
export function commandRepository(db: Kysely<Database>) {
  return {
    /**
     * True the first time a feature sees `source` (a comment, review or check-run press); false
     * when it acted on it already, under whatever delivery id.
     */
    async recordActedSource(featureId: number, source: string): Promise<boolean> {
      const inserted = await db
        .insertInto("acted_sources")
        .values({ feature_id: featureId, source })
        .onConflict((oc) => oc.columns(["feature_id", "source"]).doNothing())
        .returning("source")
        .executeTakeFirst();
      return inserted !== undefined;
    },

    /**
     * The comment that opened `login`'s reply window on the issue, if it is younger than
     * REPLY_WINDOW_MINUTES. Holds a transaction lock on that window until the transaction ends,
     * so concurrent commands from one person are answered one after the other.
     */
    async replyWindow(issue: IssueRef, login: string): Promise<number | null> {
      const name = `reply-window:${issue.owner}/${issue.repo}#${issue.issueNumber}:${login.toLowerCase()}`;
      await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(db);
      const row = await db
        .selectFrom("reply_windows")
        .select("comment_id")
        .where("repo_owner", "=", issue.owner)
        .where("repo_name", "=", issue.repo)
        .where("issue_number", "=", issue.issueNumber)
        .where("login", "=", login.toLowerCase())
        .where("opened_at", ">", sql<Date>`now() - make_interval(mins => ${REPLY_WINDOW_MINUTES})`)
        .executeTakeFirst();
      return row ? Number(row.comment_id) : null;
    },

    /** Opens a new reply window for `login` on the issue, named by the comment that opened it. */
    async openReplyWindow(issue: IssueRef, login: string, commentId: number): Promise<void> {
      await db
        .insertInto("reply_windows")
        .values({
          repo_owner: issue.owner,
          repo_name: issue.repo,
          issue_number: issue.issueNumber,
          login: login.toLowerCase(),
          comment_id: commentId,
        })
        .onConflict((oc) =>
          oc
            .columns(["repo_owner", "repo_name", "issue_number", "login"])
            .doUpdateSet({ comment_id: commentId, opened_at: sql<Date>`now()` }),
        )
        .execute();
    },

    /**
     * When the gate's current artifact (its content hash or commit SHA) was produced: the newest
     * artifact row of that stage carrying the version. Null when none is recorded.
     */
    async artifactProducedAt(featureId: number, gate: string, version: string) {
      const row = await db
        .selectFrom("artifacts")
        .select("created_at")
        .where("feature_id", "=", featureId)
        .where("stage", "=", gate)
        .where((eb) => eb.or([eb("content_hash", "=", version), eb("commit_sha", "=", version)]))
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
      return row ? new Date(row.created_at) : null;
    },
  };
}
