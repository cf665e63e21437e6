import { describe, expect, it } from "vitest";
import { type CiResult, ciRows } from "../../../src/core/ci-view.ts";
import { ciText } from "../../../src/views.ts";

const result = (sha: string, stage: string, state: string): CiResult => ({
  sha: sha.repeat(40).slice(0, 40),
  stage,
  state,
  checks: [],
});

describe("CI per commit", () => {
  it("shows the contract tests, every code commit and the docs commit, in order; the spec and plan are left out", () => {
    const rows = ciRows(
      [
        result("a", "spec", "success"),
        result("b", "tests", "failure"),
        result("c", "code", "failure"),
        result("d", "docs", "failure"),
        result("e", "code", "success"),
      ],
      20,
    );
    expect(rows.map((r) => [ciText(r.label), r.sha, r.icon])).toEqual([
      ["Contract tests", "bbbbbbb", "🔴"],
      ["Code", "ccccccc", "🔴"],
      ["Docs", "ddddddd", "🔴"],
      ["Code (fix 1)", "eeeeeee", "🟢"],
    ]);
  });

  it("without CI, only the newest commit says the reviews alone decide", () => {
    const rows = ciRows([result("c", "code", "none"), result("d", "docs", "none")], 20);
    expect(rows.map((r) => ciText(r.text))).toEqual([
      "no CI reported within 20 minutes",
      "no CI reported within 20 minutes: ready on the reviews alone",
    ]);
  });
});
