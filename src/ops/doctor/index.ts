import { type Config, needsAppRegistration, readConfig } from "../../config/env.ts";
import { ConfigurationError } from "../../errors.ts";
import { type Check, type Env, fail, pass, reasonOf } from "./check.ts";
import { checkGitHub, readManifest } from "./github.ts";
import { checkDatabase, checkModelKey, checkRedis, migrationFiles } from "./services.ts";

export type { Check } from "./check.ts";

// ---- configuration ---------------------------------------------------------------------------

export function checkConfiguration(env: Env): { check: Check; config: Config | null } {
  const name = "Configuration";
  if (needsAppRegistration(env)) {
    return {
      config: null,
      check: fail(
        name,
        "APP_ID and PRIVATE_KEY are not set: the GitHub App is not registered yet",
        "Run `npm start` and register the app on its setup page (README: Registering the app), or set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).",
      ),
    };
  }
  try {
    const config = readConfig(env);
    return {
      config,
      check: pass(name, `App ${config.appId} on ${config.githubWebUrl}`),
    };
  } catch (error) {
    const problems =
      error instanceof ConfigurationError ? error.problems.join("; ") : reasonOf(error);
    return {
      config: null,
      check: fail(name, problems, "Set the variables named (README: Configuration)."),
    };
  }
}

// ---- all of it ---------------------------------------------------------------------------------

/** Every check, in the order a fix is best made. */
export async function runDoctor(env: Env = process.env): Promise<Check[]> {
  const { check, config } = checkConfiguration(env);
  if (!config) return [check];
  const [manifest, files] = await Promise.all([readManifest(), migrationFiles()]);
  const [github, database, redis, model] = await Promise.all([
    checkGitHub(config, env, manifest),
    checkDatabase(config.databaseUrl, files),
    checkRedis(config.redisUrl),
    checkModelKey(config.anthropicApiKey, config.anthropicBaseUrl),
  ]);
  return [check, ...github, database, redis, model];
}

/** One table: ✓/✗, the check, what was found; the fix under each ✗. */
export function formatReport(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => {
    const row = `${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.detail}`;
    return c.ok || !c.fix ? row : `${row}\n  ${" ".repeat(width)}  → ${c.fix}`;
  });
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(
    "",
    failed === 0
      ? "All checks passed."
      : `${failed} check(s) failed.${checks.length === 1 ? " The other checks need a valid configuration." : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
