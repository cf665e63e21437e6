import type { Context } from "probot";
import { uninstallInstallation } from "../ops/uninstall.ts";
import type { JobQueue } from "../ports/queue.ts";
import type { HandlerDeps } from "./context.ts";

/** Keeps the installations table in step with GitHub. */
export function onInstallation(deps: HandlerDeps & { queue?: JobQueue }) {
  return async (context: Context<"installation" | "installation_repositories">) => {
    const { installation } = context.payload;
    const account = installation.account as { login?: string; slug?: string; type?: string } | null;
    const login = account?.login ?? account?.slug ?? "unknown";
    if (context.payload.action === "deleted") {
      // The stored model key goes now, queued work is cancelled; the rest is kept for the
      // retention period (RETENTION_DAYS), then purged.
      await uninstallInstallation(
        { store: deps.store, queue: deps.queue, log: context.log },
        installation.id,
      );
      return;
    }
    await deps.store.ensureInstallation(installation.id, login, account?.type ?? "User");
  };
}
