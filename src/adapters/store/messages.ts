import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** A feature's conversation: the humans' comments and the app's answers. */
export function messageRepository(db: Kysely<Database>) {
  return {
    async recordMessage(message: {
      featureId: number;
      githubCommentId: number | null;
      inReplyTo?: number | null;
      role: "user" | "assistant";
      author: string;
      authorPermission?: string | null;
      body: string;
    }) {
      await db
        .insertInto("messages")
        .values({
          feature_id: message.featureId,
          github_comment_id: message.githubCommentId,
          in_reply_to: message.inReplyTo ?? null,
          role: message.role,
          author: message.author,
          author_permission: message.authorPermission ?? null,
          body: message.body,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    async listMessages(featureId: number) {
      return db
        .selectFrom("messages")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id")
        .execute();
    },
  };
}
