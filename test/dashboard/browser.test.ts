// The dashboard in a real browser (Debian's chromium driven by playwright-core; no browser
// download), against the running app, with the GitHub fake standing in for github.com's
// sign-in. Screenshots of each page land in test-results/screenshots/.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/project-root.ts";
import { type Harness, INSTALLATION_ID, OWNER, startHarness } from "../../testkit/stack.ts";
import { ADMIN, type Seeded, seedFeatures, seedGitHub } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOTS = projectPath("test-results/screenshots");
const PASTED = `sk-ant-api03-browser-${randomBytes(16).toString("hex")}`;
const available = existsSync(CHROMIUM);

if (!available) {
  // CI installs it (.ci/run): there, a missing browser is a failure, not a skip.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run should have installed it`);
  process.stderr.write(
    `Browser tests skipped: ${CHROMIUM} is absent (install Debian's chromium; .ci/run does).\n`,
  );
}

describe.skipIf(!available)(`the dashboard in ${CHROMIUM}`, () => {
  let h: Harness;
  let seeded: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];

  const shot = (name: string, target: Page = page) =>
    target.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startHarness({ worker: false, modelKeys: [PASTED], dashboard: { pollMs: 300 } });
    seedGitHub(h);
    seeded = await seedFeatures(h.db.db, { privateRepoFeature: false });
    h.github.signInAs(ADMIN);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await h?.stop();
  });

  it("signs in with GitHub", async () => {
    await page.goto(h.appUrl);
    await shot("01-sign-in");
    await page.click("#sign-in");
    await page.waitForURL(/\/login\/oauth\/authorize/);
    expect(await page.inputValue("#login")).toBe(ADMIN);
    await shot("02-github-authorize");
    await page.click("#js-oauth-authorize-btn");
    await page.waitForURL(`${h.appUrl}/`);
    expect(await page.textContent('[data-testid="signed-in-as"]')).toBe(ADMIN);
    expect(await page.textContent(`[data-installation="${INSTALLATION_ID}"] h2`)).toContain(OWNER);
    await shot("03-installations");
  });

  it("lists the seeded scenario's two features", async () => {
    await page.click(`[data-installation="${INSTALLATION_ID}"] h2 a`);
    await page.waitForURL(`${h.appUrl}/installations/${INSTALLATION_ID}`);
    const rows = page.locator("table.features tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await page.textContent("table.features")).toContain("Add a health endpoint");
    // A title with markup shows as text, not as markup.
    expect(await page.textContent("table.features")).toContain("Dark mode <script>");
    await shot("04-features");
    await page.selectOption('select[name="stage"]', "done");
    await page.click(".filters button");
    await page.waitForURL(/stage=done/);
    expect(await rows.count()).toBe(1);
    await shot("05-features-filtered");
  });

  it("opens a feature: its agent runs, their cost, and it refreshes while working", async () => {
    await page.goto(`${h.appUrl}/installations/${INSTALLATION_ID}`);
    await page.click("text=Add a health endpoint");
    await page.waitForURL(
      `${h.appUrl}/installations/${INSTALLATION_ID}/features/${seeded.healthId}`,
    );
    expect(await page.locator("tr.run").count()).toBe(8);
    expect(await page.textContent('[data-testid="total-cost"]')).toBe("$0.27");
    const runs = (await page.textContent("#runs")) ?? "";
    expect(runs).toContain("claude-opus-5-5");
    expect(runs).toContain("implement");
    expect(await page.textContent("#timeline")).toContain("approved the tests at");
    expect(await page.textContent("#reviews")).toContain("Errors are swallowed");
    await shot("06-feature");

    // Another model call lands: the page shows it without anyone reloading.
    await h.db.db
      .insertInto("agent_runs")
      .values({
        feature_id: seeded.healthId,
        installation_id: INSTALLATION_ID,
        agent: "fix",
        model: "claude-sonnet-5-5",
        input_tokens: 100,
        output_tokens: 50,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: 0.0007,
        duration_ms: 1_000,
        stop_reason: "tool_use",
        outcome: "ok",
        error: null,
        detail: "{}",
      })
      .execute();
    // (Polled from here: the page's CSP rightly refuses Playwright's string-evaluated predicates.)
    await expect.poll(() => page.locator("tr.run").count(), { timeout: 10_000 }).toBe(9);

    // Readable on a phone: nothing wider than the screen but the tables' own scrollers.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(page.url());
    const overflow = await phone.evaluate<number>(
      "document.documentElement.scrollWidth - window.innerWidth",
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("07-feature-phone", phone);
    await phone.close();
  });

  it("pastes a key (checked against the model API), shows only its last four, deletes it", async () => {
    await page.goto(`${h.appUrl}/installations/${INSTALLATION_ID}`);
    await page.click("text=Settings");
    await page.waitForURL(`${h.appUrl}/installations/${INSTALLATION_ID}/settings`);
    expect(await page.textContent("#model-key")).toContain("No key is set");
    await shot("08-settings");

    await page.fill("#key", "sk-ant-api03-not-the-right-key-at-all-000000");
    await page.click("#save-key");
    await page.waitForSelector("#key-error");
    expect(await page.textContent("#key-error")).toContain("rejected this key");
    expect(await page.inputValue("#key")).toBe("");
    await shot("09-settings-key-rejected");

    await page.fill("#key", PASTED);
    await page.click("#save-key");
    await page.waitForSelector("#key-hint");
    expect(await page.textContent("#key-hint")).toBe(`…${PASTED.slice(-4)}`);
    expect(await page.textContent("#notice")).toContain("checked with the model API and saved");
    const html = await page.content();
    expect(html).not.toContain(PASTED);
    expect(html).not.toContain(PASTED.slice(0, -4));
    await shot("10-settings-key-saved");
    const checks = h.model.requests.filter((r) => r.path === "/v1/models");
    expect(checks.at(-1)?.keyLastFour).toBe(PASTED.slice(-4));

    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("#delete-key");
    await page.waitForSelector("#no-key");
    expect(await page.textContent("#notice")).toContain("The key was deleted.");
    await shot("11-settings-key-deleted");
    const row = await h.db.store.findInstallation(INSTALLATION_ID);
    expect(row?.model_key_ciphertext).toBeNull();
  });

  it("signs out", async () => {
    await page.click("text=Sign out");
    await page.waitForSelector("#sign-in");
    expect(cspViolations).toEqual([]);
  });
});
