import type { Context } from "probot";
import type { HandlerDeps } from "./context.ts";

/** Keeps the installations table in step with GitHub. */
export function onInstallation(deps: HandlerDeps) {
  return async (context: Context<"installation" | "installation_repositories">) => {
    const { installation } = context.payload;
    const account = installation.account as { login?: string; slug?: string; type?: string } | null;
    const login = account?.login ?? account?.slug ?? "unknown";
    if (context.payload.action === "deleted") {
      await deps.store.markInstallationDeleted(installation.id);
      return;
    }
    await deps.store.ensureInstallation(installation.id, login, account?.type ?? "User");
  };
}
