// Bodies cut to GitHub's limits: comments by characters, check-run output by UTF-8 bytes.

import { describe, expect, it } from "vitest";
import { fitCheckOutput, fitComment, MAX_CHECK_OUTPUT_BYTES } from "../../src/views.ts";

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

describe("fitCheckOutput", () => {
  it("leaves output within the limit unchanged", () => {
    const text = "## Findings\n\n- 安全でない入力 🔒\n";
    expect(fitCheckOutput(text)).toBe(text);
  });

  it.each([
    ["Japanese (3 bytes a character)", "検査結果の詳細な説明です。\n"],
    ["emoji (4 bytes, two UTF-16 units)", "🔒 finding 🚨\n"],
    ["mixed", "é—ß 🧪 ok\n"],
  ])("cuts %s under 65,535 bytes on a character boundary, saying so", (_name, line) => {
    const text = line.repeat(Math.ceil(100_000 / line.length));
    expect(text.length).toBeLessThan(MAX_CHECK_OUTPUT_BYTES * 2);
    const fitted = fitCheckOutput(text);
    expect(bytes(fitted)).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_BYTES);
    expect(bytes(fitted)).toBeGreaterThan(MAX_CHECK_OUTPUT_BYTES / 2);
    expect(fitted).not.toContain("\uFFFD"); // no character broken in two
    expect(fitted).toMatch(/truncated: the full text is on the feature's branch/);
    expect(text.startsWith(fitted.slice(0, fitted.indexOf("\n\n_… truncated")))).toBe(true);
  });

  it("cuts a line with no break on a character boundary", () => {
    const fitted = fitCheckOutput("😀".repeat(40_000), 1_000);
    expect(bytes(fitted)).toBeLessThanOrEqual(1_000);
    expect(fitted).not.toContain("\uFFFD");
  });
});

describe("fitComment", () => {
  it("keeps the marker and the note when it cuts", () => {
    const marker = "<!-- practical:reply 7:x -->";
    const fitted = fitComment("line\n".repeat(20_000), marker, 1_000);
    expect(fitted.length).toBeLessThanOrEqual(1_000);
    expect(fitted.startsWith(marker)).toBe(true);
    expect(fitted).toMatch(/truncated/);
  });
});
