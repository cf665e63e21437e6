// The GitHub fake's app webhook: deliveries recorded as GitHub records them, listed newest first
// with a cursor in the Link header, redelivered with the same guid; the configuration's secret
// never shown. Checked with the real Octokit (as Probot's app-authenticated client) and against
// GitHub's response schemas.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verify } from "@octokit/webhooks-methods";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.ts";
import { type GitHubFakeServer, startGitHubFake } from "../../../testkit/fakes/github/index.ts";

let fake: GitHubFakeServer;
let app: Server;
let appUrl = "";
let answer = 200;
const received: { guid: string; signed: boolean }[] = [];

beforeAll(async () => {
  fake = await startGitHubFake({ validateResponses: true });
  fake.addInstallation({ id: 5, account: "acme" });
  fake.addRepo({ installationId: 5, owner: "acme", name: "widgets", files: { "a.txt": "a\n" } });
  app = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", async () => {
      received.push({
        guid: String(req.headers["x-github-delivery"]),
        signed: await verify("s3cret", body, String(req.headers["x-hub-signature-256"])),
      });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/github/webhooks`;
});
afterAll(async () => {
  await fake?.close();
  await new Promise((resolve) => app?.close(resolve));
});

async function asApp() {
  const probot = new Probot({
    appId: fake.appId,
    privateKey: fake.privateKey,
    baseUrl: fake.baseUrl,
    log: createLogger({ level: "silent", format: "json" }),
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
      ...o,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
  return probot.auth();
}

describe("the fake's app webhook", () => {
  it("records each delivery: OK, an error answer, or no answer at all", async () => {
    fake.setWebhookConfig({ url: appUrl, secret: "s3cret", contentType: "json" });
    const opened = fake.openIssue({ owner: "acme", repo: "widgets", author: "a", title: "t" });
    expect(await fake.sendWebhook(opened)).toMatchObject({
      guid: opened.id,
      event: "issues",
      action: "opened",
      status: "OK",
      statusCode: 200,
      redelivery: false,
      installationId: 5,
    });
    expect(received.at(-1)).toEqual({ guid: opened.id, signed: true });
    answer = 503;
    const comment = fake.comment({
      owner: "acme",
      repo: "widgets",
      number: 1,
      author: "a",
      body: "x",
    });
    expect(await fake.sendWebhook(comment)).toMatchObject({
      status: "Invalid HTTP Response: 503",
      statusCode: 503,
    });
    answer = 200;
    fake.setWebhookConfig({ url: "http://127.0.0.1:1/closed" });
    const closed = fake.closeIssue({ owner: "acme", repo: "widgets", number: 1, by: "a" });
    expect(await fake.sendWebhook(closed)).toMatchObject({
      status: "failed to connect",
      statusCode: 0,
    });
    fake.setWebhookConfig({ url: appUrl });
  });

  it("lists deliveries newest first, a page at a time through the Link header's cursor", async () => {
    const octokit = await asApp();
    const first = await octokit.request("GET /app/hook/deliveries", { per_page: 2 });
    expect(first.data.map((d) => d.event)).toEqual(["issues", "issue_comment"]);
    expect(first.headers.link).toMatch(/cursor=v1_\d+>; rel="next"/);
    const all = await octokit.paginate("GET /app/hook/deliveries", { per_page: 2 });
    expect(all.map((d) => d.status_code)).toEqual([0, 503, 200]);
    const failures = await octokit.request("GET /app/hook/deliveries", { status: "failure" });
    expect(failures.data.map((d) => d.status_code)).toEqual([503]);
    expect(fake.violations).toEqual([]);
  });

  it("redelivers: 202, then the same guid and payload as a new attempt marked redelivery", async () => {
    const octokit = await asApp();
    const failed = fake.hookDeliveries.find((d) => d.statusCode === 503);
    if (!failed) throw new Error("no failed delivery");
    const response = await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: failed.id,
    });
    expect(response.status).toBe(202);
    await fake.settleDeliveries();
    expect(fake.hookDeliveries.at(-1)).toMatchObject({
      guid: failed.guid,
      redelivery: true,
      status: "OK",
      payload: failed.payload,
    });
    expect(received.at(-1)).toEqual({ guid: failed.guid, signed: true });
    await expect(
      octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 1 }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("shows the configuration with the secret masked", async () => {
    const octokit = await asApp();
    const { data } = await octokit.request("GET /app/hook/config");
    expect(data).toEqual({
      url: appUrl,
      content_type: "json",
      insecure_ssl: "0",
      secret: "********",
    });
    fake.setWebhookConfig({ secret: null });
    expect((await octokit.request("GET /app/hook/config")).data).not.toHaveProperty("secret");
    expect(fake.violations).toEqual([]);
  });
});
