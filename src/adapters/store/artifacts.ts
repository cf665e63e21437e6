import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** What the agents wrote, per stage and job step, and the commit that carried it. */
export function artifactRepository(db: Kysely<Database>) {
  return {
    async saveArtifact(artifact: {
      featureId: number;
      stage: string;
      path: string;
      content: string;
      contentHash: string;
      commitSha?: string | null;
      step?: string | null;
    }) {
      await db
        .insertInto("artifacts")
        .values({
          feature_id: artifact.featureId,
          stage: artifact.stage,
          path: artifact.path,
          content: artifact.content,
          content_hash: artifact.contentHash,
          commit_sha: artifact.commitSha ?? null,
          step: artifact.step ?? null,
        })
        .execute();
    },

    /** What a job step saved before it committed: a retried job starts from here. */
    async stepArtifacts(featureId: number, step: string) {
      return db
        .selectFrom("artifacts")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("step", "=", step)
        .orderBy("id")
        .execute();
    },

    /** Paths a stage committed in earlier steps: a revised step deletes those it no longer writes. */
    async committedPaths(featureId: number, stage: string, exceptStep: string) {
      const rows = await db
        .selectFrom("artifacts")
        .select("path")
        .distinct()
        .where("feature_id", "=", featureId)
        .where("stage", "=", stage)
        .where("commit_sha", "is not", null)
        .where("step", "!=", exceptStep)
        .execute();
      return rows.map((r) => r.path);
    },

    /** The artifacts the given commits carried, oldest first. */
    async artifactsOfCommits(featureId: number, shas: string[]) {
      if (shas.length === 0) return [];
      return db
        .selectFrom("artifacts")
        .selectAll()
        .where("feature_id", "=", featureId)
        .where("commit_sha", "in", shas)
        .orderBy("id")
        .execute();
    },

    async setArtifactCommit(featureId: number, step: string, commitSha: string) {
      await db
        .updateTable("artifacts")
        .set({ commit_sha: commitSha })
        .where("feature_id", "=", featureId)
        .where("step", "=", step)
        .execute();
    },

    /**
     * The newest artifact of each stage (brief, spec, plan, tests, code, title). A stage whose
     * step wrote several files (the contract tests) lists them all in `files`, in the order
     * they were saved; its row is the newest file's.
     */
    async latestArtifacts(featureId: number) {
      const rows = await db
        .selectFrom("artifacts")
        .selectAll()
        .where("feature_id", "=", featureId)
        .orderBy("id", "desc")
        .execute();
      type Latest = (typeof rows)[number] & { files: { path: string; content: string }[] };
      const latest: Record<string, Latest> = {};
      for (const row of rows) {
        const current = latest[row.stage];
        if (!current) {
          latest[row.stage] = { ...row, files: [{ path: row.path, content: row.content }] };
        } else if (current.step !== null && current.step === row.step) {
          current.files.unshift({ path: row.path, content: row.content });
        }
      }
      return latest;
    },
  };
}

export type LatestArtifacts = Awaited<
  ReturnType<ReturnType<typeof artifactRepository>["latestArtifacts"]>
>;
