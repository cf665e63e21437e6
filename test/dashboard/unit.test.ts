// The dashboard's pure parts: page data, the settings form, key checks, sealing, rendering.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseInstallationSettings } from "../../src/config/installation-settings.ts";
import { cookieSecret, open, seal } from "../../src/core/sealed.ts";
import { keyShapeProblem } from "../../src/web/dashboard/model-key.ts";
import {
  agentRuns,
  describeDetail,
  reviews,
  stageKind,
} from "../../src/web/dashboard/page-data.ts";
import { renderPage } from "../../src/web/dashboard/render.ts";
import { parseSettingsForm } from "../../src/web/dashboard/settings-form.ts";

const run = (over: Partial<Parameters<typeof agentRuns>[0][number]> = {}) => ({
  id: 1,
  feature_id: 1,
  installation_id: 1,
  agent: "security_review",
  model: "claude-sonnet-5-5",
  job_id: null,
  input_tokens: 600,
  output_tokens: 100,
  cache_read_tokens: 300,
  cache_write_tokens: 100,
  cost_usd: 0.01,
  duration_ms: 1500,
  stop_reason: "tool_use",
  outcome: "ok",
  error: null,
  detail: {},
  created_at: new Date("2026-11-01T10:00:00Z"),
  ...over,
});

describe("page data", () => {
  it("classifies stages", () => {
    expect(stageKind("implementing")).toBe("working");
    expect(stageKind("spec_ready")).toBe("waiting");
    expect(stageKind("done")).toBe("done");
    expect(stageKind("failed")).toBe("failed");
    expect(stageKind("abandoned")).toBe("closed");
  });

  it("computes the cache share of the prompt and the totals", () => {
    const { rows, totals } = agentRuns([run(), run({ cost_usd: 0.02, cache_read_tokens: 0 })]);
    expect(rows[0]?.cacheShare).toBeCloseTo(0.3);
    expect(rows[0]?.agent).toBe("security review");
    expect(totals.calls).toBe(2);
    expect(totals.costUsd).toBeCloseTo(0.03);
    expect(totals.cacheShare).toBeCloseTo(300 / 1700);
    expect(
      agentRuns([run({ input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 })]).rows[0]
        ?.cacheShare,
    ).toBe(0);
  });

  it("reads review verdicts and alignment recommendations from run details", () => {
    const list = reviews([
      run({
        detail: {
          verdict: "fail",
          summary: "Bad.",
          findings: [{ severity: "high", title: "XSS", path: "a.ts", line: 3 }],
        },
      }),
      run({
        agent: "alignment_review",
        detail: { gate: "spec", recommendation: "APPROVE", reasons: ["ok"] },
      }),
      run({ agent: "ba", detail: {} }),
    ]);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ result: "fail", ok: false, findings: [{ where: "a.ts:3" }] });
    expect(list[1]).toMatchObject({ result: "APPROVE", ok: true, gate: "spec", reasons: ["ok"] });
  });

  it("flattens an audit entry's detail", () => {
    expect(
      describeDetail({ gate: "brief", nested: { a: 1 }, empty: "", long: "x".repeat(200) }),
    ).toMatch(/^gate: brief; long: x{117}…$/);
    expect(describeDetail(null)).toBe("");
  });
});

describe("the settings form", () => {
  it("keeps only what was set", () => {
    const parsed = parseSettingsForm({
      model_spec: "claude-haiku-5-5",
      max_tokens_spec: "",
      max_tokens_implement: "32000",
      budget_monthly_usd: "25.5",
      budget_feature_usd: "",
    });
    expect(parsed).toEqual({
      ok: true,
      settings: {
        models: { spec: { model: "claude-haiku-5-5" }, implement: { max_tokens: 32000 } },
        budget_monthly_usd: 25.5,
      },
    });
  });

  it("names each bad field", () => {
    const parsed = parseSettingsForm({
      model_ba: "gpt-4",
      max_tokens_plan: "abc",
      budget_monthly_usd: "0",
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.join("\n")).toMatch(/ba model/);
    expect(parsed.problems.join("\n")).toMatch(/plan max tokens/);
    expect(parsed.problems.join("\n")).toMatch(/monthly budget/);
  });

  it("reads stored settings, falling back to the defaults", () => {
    expect(parseInstallationSettings({})).toEqual({ models: {} });
    expect(parseInstallationSettings({ budget_monthly_usd: "lots" })).toEqual({ models: {} });
    expect(parseInstallationSettings(null)).toEqual({ models: {} });
  });
});

describe("keys and secrets", () => {
  it("rejects pastes that cannot be keys", () => {
    expect(keyShapeProblem("")).toMatch(/Paste/);
    expect(keyShapeProblem("short")).toMatch(/wrong length/);
    expect(keyShapeProblem(`sk-ant-${"a".repeat(20)} b`)).toMatch(/spaces/);
    expect(keyShapeProblem(`sk-ant-api03-${"a".repeat(40)}`)).toBeNull();
  });

  it("seals a token to its context and key", () => {
    const key = randomBytes(32);
    const sealed = seal("ghu_secret", "dashboard-session:abc", key);
    expect(sealed.ciphertext.includes(Buffer.from("ghu_secret"))).toBe(false);
    expect(open(sealed, "dashboard-session:abc", [key])).toBe("ghu_secret");
    expect(open(sealed, "dashboard-session:xyz", [key])).toBeNull();
    expect(open(sealed, "dashboard-session:abc", [randomBytes(32)])).toBeNull();
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    expect(open({ ...sealed, ciphertext: flipped }, "dashboard-session:abc", [key])).toBeNull();
  });

  it("derives a cookie secret that is not the encryption key", () => {
    const key = randomBytes(32);
    const secret = cookieSecret(key);
    expect(secret).toBe(cookieSecret(key));
    expect(Buffer.from(secret, "base64url").equals(key)).toBe(false);
  });
});

describe("rendering", () => {
  const common = {
    title: "T",
    user: { login: "a<b" },
    csrf: "tok",
    queueBoard: false,
    queueBoardPath: "/q",
  };

  it("escapes everything a page shows", () => {
    const html = renderPage("error", {
      ...common,
      status: 403,
      heading: "<img src=x onerror=alert(1)>",
      message: '"quoted" & <b>',
      signIn: false,
    });
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;");
    expect(html).toContain("&quot;quoted&quot; &amp; &lt;b&gt;");
    expect(html).toContain("a&lt;b");
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toMatch(/ on[a-z]+="/);
  });

  it("fails loudly on a field the page did not pass", () => {
    expect(() => renderPage("error", { ...common, status: 500 })).toThrow();
  });
});
