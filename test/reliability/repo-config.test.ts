// `.github/practical.yml` written wrong: wrong types, unknown keys, huge values, a YAML alias
// bomb, not YAML at all. Each time the issue gets one comment naming what is wrong, and the
// defaults apply (the feature starts and behaves as with no file).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_REPO_FILES, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import { type Journey, journey } from "../../testkit/journey.ts";
import { sleep, waitFor } from "../../testkit/services.ts";
import { type Harness, MAINTAINER, OWNER, REPO } from "../../testkit/stack.ts";
import { refused, settle, startReliabilityHarness } from "./support/suite.ts";

const FILE = "repo-config";
let h: Harness;
let d: Journey;

beforeAll(async () => {
  h = await startReliabilityHarness({ files: DEMO_REPO_FILES });
  d = journey(h, { maintainer: true });
  scriptDemoFeature(h.model);
});
afterAll(async () => {
  if (h) await settle(FILE, h);
  await h?.stop();
});

const bomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
    (name, i) =>
      `${name}: &${name} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(",")}]`,
  ),
  "instructions: *i",
].join("\n");

const CASES: { name: string; yaml: string; mentions: string[] }[] = [
  {
    name: "wrong types",
    yaml: 'fix_rounds: two\nallow_self_approval: "sometimes"\ntrigger_label: 7\n',
    mentions: ["`fix_rounds`", "`allow_self_approval`", "`trigger_label`"],
  },
  {
    name: "unknown keys (a typo)",
    yaml: "fix_round: 3\nmodles:\n  ba:\n    model: claude-opus-5-5\n",
    mentions: ["fix_round", "modles"],
  },
  {
    name: "huge values",
    yaml: `fix_rounds: 1000000000\nbudget_usd: 1e12\ninstructions: "${"x".repeat(100_000)}"\npaths:\n  allowed:\n${Array.from({ length: 500 }, (_, i) => `    - "dir${i}/**"`).join("\n")}\n`,
    mentions: ["`fix_rounds`", "`budget_usd`", "`instructions`", "`paths.allowed`"],
  },
  {
    name: "a docs folder outside the repository",
    yaml: "docs_folder: ../../x\n",
    mentions: ["`docs_folder`", "not a folder the app may write to"],
  },
  { name: "a YAML alias bomb", yaml: `${bomb}\n`, mentions: ["not valid YAML"] },
  { name: "not YAML at all", yaml: "{ unclosed: [1, 2\n\t- :\n", mentions: ["not valid YAML"] },
  {
    name: "a list instead of settings",
    yaml: "- fix_rounds: 1\n- budget_usd: 5\n",
    mentions: ["(top level)"],
  },
];

describe("a bad .github/practical.yml", () => {
  for (const c of CASES) {
    it(`${c.name}: one comment naming the problem, and the defaults apply`, () =>
      refused(FILE, `.github/practical.yml with ${c.name}`, async () => {
        h.github.pushCommit({
          owner: OWNER,
          repo: REPO,
          branch: "main",
          files: { ".github/practical.yml": c.yaml },
          author: MAINTAINER,
          message: `config: ${c.name}`,
        });
        const started = Date.now();
        const issue = await d.open(`Config with ${c.name}`);
        // Answered without parsing the bomb out: well inside GitHub's 10 s, on a busy machine too.
        expect(Date.now() - started).toBeLessThan(5_000);
        await waitFor("the warning", () =>
          d.botComments(issue).some((comment) => comment.body.includes("is not valid")),
        );
        // The BA still asks: the trigger label and everything else have their default values.
        await waitFor("the BA's question", () =>
          h.github
            .comments(OWNER, REPO, issue)
            .some((comment) => comment.body.includes("Two questions")),
        );
        await sleep(300);
        const warnings = d
          .botComments(issue)
          .filter((comment) => comment.body.includes("is not valid"));
        expect(warnings).toHaveLength(1);
        for (const text of c.mentions) expect(warnings[0]?.body).toContain(text);
        expect(warnings[0]?.body.length).toBeLessThan(10_000);
        const f = await d.feature(issue);
        expect({ maxFixRounds: f?.maxFixRounds, allowSelfApproval: f?.allowSelfApproval }).toEqual({
          maxFixRounds: 2,
          allowSelfApproval: false,
        });
        return "message";
      }));
  }
});
