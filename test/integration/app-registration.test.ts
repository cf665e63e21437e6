// Registering the app as an operator does on github.com: `npm start` without credentials serves
// Probot's setup page; the owner submits its manifest on GitHub (the fake checks it as GitHub
// does); the setup exchanges the code (POST /app-manifests/{code}/conversions) and writes
// `.env`; the app started with those values then receives a signed delivery at the webhook URL
// the manifest registered.

import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/project-root.ts";
import { freePort, waitFor } from "../../testkit/services.ts";
import { OWNER, REPO, type Stack, startStack } from "../../testkit/stack.ts";

let stack: Stack;
let dir: string;
let setup: ChildProcess | null = null;

beforeAll(async () => {
  stack = await startStack();
  stack.github.setPermission(OWNER, REPO, "mona", "write");
  dir = mkdtempSync(join(tmpdir(), "practical-register-"));
  // Probot's setup reads app.yml and package.json from the working directory, writes .env there.
  for (const file of ["app.yml", "package.json"]) copyFileSync(projectPath(file), join(dir, file));
});
afterAll(async () => {
  setup?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  await stack?.stop();
});

/** `.env` as Probot's setup wrote it (newlines escaped as \n, the key quoted). */
function readDotEnv(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(join(dir, ".env"), "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) {
      values[line.slice(0, at)] = line
        .slice(at + 1)
        .replace(/^"|"$/g, "")
        .replace(/\\n/g, "\n");
    }
  }
  return values;
}

describe("registering the app through Probot's setup page", () => {
  it("registers from app.yml, then takes a signed delivery at the registered URL", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    setup = spawn(process.execPath, [projectPath("src/main/web.ts")], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOST: "127.0.0.1",
        PORT: String(port),
        GHE_HOST: stack.github.host,
        GHE_PROTOCOL: "http",
        NO_SMEE_SETUP: "true",
        LOG_LEVEL: "warn",
      },
      stdio: "ignore",
    });

    // The setup page carries the manifest the "Register GitHub App" button submits to GitHub.
    const page = await waitFor("the setup page", async () => {
      const response = await fetch(`${base}/probot`).catch(() => null);
      return response?.ok ? response.text() : null;
    });
    const manifest = JSON.parse(
      /name="manifest" id="manifest" value='([^']*)'/.exec(page)?.[1] ?? "{}",
    );
    expect(manifest.hook_attributes.url).toBe(`${base}/`);
    expect(manifest.redirect_url).toBe(`${base}/probot/setup`);

    // GitHub accepts it (it refuses installation events in default_events, a missing hook URL…).
    const code = stack.github.submitManifest(manifest);
    const redirect = await fetch(`${base}/probot/setup?code=${code}`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toMatch(
      /\/apps\/build-practical\/installations\/new$/,
    );
    setup.kill("SIGTERM");

    const written = readDotEnv();
    expect(written.APP_ID).toBe(String(stack.github.appId));
    expect(written.PRIVATE_KEY).toContain("BEGIN RSA PRIVATE KEY");
    expect(written.WEBHOOK_SECRET?.length).toBeGreaterThanOrEqual(32);

    // Started again with what setup wrote, on the address it registered.
    Object.assign(stack.env, {
      APP_ID: written.APP_ID,
      PRIVATE_KEY: written.PRIVATE_KEY,
      WEBHOOK_SECRET: written.WEBHOOK_SECRET,
      PORT: String(port),
    });
    await waitFor(
      "the setup process to stop",
      () => setup?.exitCode !== null || setup.signalCode !== null,
    );
    await stack.startApp({ web: true, worker: true });

    const delivery = await stack.github.sendWebhook(
      stack.github.openIssue({
        owner: OWNER,
        repo: REPO,
        author: "mona",
        title: "Add a health endpoint",
        labels: ["practical"],
      }),
    );
    expect(delivery).toMatchObject({ status: "OK", statusCode: 200 });
    await waitFor("the 👀 on the issue", () =>
      stack.github.reactions(OWNER, REPO, { number: 1 }).some((r) => r.content === "eyes"),
    );
  }, 60_000);

  it("GitHub refuses a manifest that subscribes to installation events", () => {
    expect(() =>
      stack.github.submitManifest({
        name: "x",
        url: "https://example.com",
        hook_attributes: { url: "https://example.com/" },
        default_events: ["issues", "installation"],
      }),
    ).toThrow(/Default events unsupported: installation/);
  });
});
