import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Handlebars from "handlebars";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AlignmentOutput,
  BaOutput,
  type Brief,
  ImplementFinish,
  PlanOutput,
  ReviewOutput,
  renderBriefMarkdown,
  SpecOutput,
  TestsOutput,
  TitleOutput,
} from "../../../src/agents/schemas.ts";

const promptsDir = resolve(import.meta.dirname, "../../../prompts");

const brief: Brief = {
  title: "Export reports as CSV",
  problem: "Team leads copy report tables by hand into spreadsheets.",
  users: "Team leads who share weekly reports with finance.",
  scope: ["Add an Export CSV button to the report page.", "Export the filtered rows only."],
  outOfScope: ["Excel and PDF formats."],
  acceptanceCriteria: [
    { id: "AC-1", text: "When a report has 3 rows, the CSV has a header line and 3 data lines." },
    { id: "AC-2", text: "When a report has no rows, the CSV contains only the header line." },
  ],
  constraints: ["Values containing commas or quotes are escaped per RFC 4180."],
  openQuestions: ["Should dates use ISO 8601? Assumed yes."],
};

const samples = {
  BaOutput: {
    schema: BaOutput,
    valid: { reply: "Thanks! Here is the brief; please `/approve`.", brief },
    invalid: { reply: "", brief: { ...brief, acceptanceCriteria: [] } },
  },
  BaOutputClarifying: {
    schema: BaOutput,
    valid: { reply: "1. Which formats do you need?", brief: null },
    invalid: { reply: "1. Which formats do you need?" },
  },
  SpecOutput: {
    schema: SpecOutput,
    valid: {
      requirements: [{ id: "FR-001", text: "The system MUST export CSV.", criteria: ["AC-1"] }],
      markdown: "# Feature specification: CSV export\n",
      summary: "One story, 4 FRs.",
    },
    invalid: { markdown: "# Spec", summary: "x".repeat(1001) },
  },
  PlanOutput: {
    schema: PlanOutput,
    valid: {
      markdown: "# Implementation plan: CSV export\n",
      tasks: [
        {
          id: "T001",
          title: "Add CSV serialiser",
          requirements: ["FR-001"],
          dependsOn: [],
          files: ["src/csv.ts"],
          detail: "FR-001.",
        },
        {
          id: "T002",
          title: "Add export route",
          requirements: ["FR-002", "FR-003"],
          dependsOn: ["T001"],
          files: ["src/routes/reports.ts", "src/app.ts"],
          detail: "FR-002, FR-003.",
        },
      ],
      summary: "Two tasks, no new dependencies.",
    },
    invalid: {
      markdown: "# Plan",
      tasks: [{ id: "task-1", title: "Do it", files: [], detail: "" }],
      summary: "Bad.",
    },
  },
  PlanOutputGrouped: {
    schema: PlanOutput,
    valid: {
      markdown: "# Plan",
      tasks: [
        {
          id: "T001",
          title: "Add type",
          requirements: [],
          dependsOn: [],
          files: ["a.ts"],
          detail: "x",
          group: "G1",
        },
        {
          id: "T002",
          title: "Export it",
          requirements: [],
          dependsOn: ["T001"],
          files: ["index.ts"],
          detail: "x",
          group: "G1",
        },
      ],
      summary: "Two small tasks done together.",
    },
    invalid: {
      markdown: "# Plan",
      tasks: [
        {
          id: "T001",
          title: "Add type",
          requirements: [],
          dependsOn: [],
          files: ["a.ts"],
          detail: "x",
          group: "small ones",
        },
      ],
      summary: "A group that is not G<n>.",
    },
  },
  PlanOutputEmpty: {
    schema: PlanOutput,
    valid: {
      markdown: "# Plan",
      tasks: [
        {
          id: "T001",
          title: "Do it",
          requirements: [],
          dependsOn: [],
          files: ["a.ts"],
          detail: "FR-001.",
        },
      ],
      summary: "One task.",
    },
    invalid: { markdown: "# Plan", tasks: [], summary: "No tasks." },
  },
  TestsOutput: {
    schema: TestsOutput,
    valid: {
      files: [
        {
          path: "test/csv.test.ts",
          covers: ["AC-1", "FR-001"],
          content: "import { test } from 'vitest';\n",
        },
      ],
      summary: "test/csv.test.ts covers FR-001 to FR-003.",
    },
    invalid: { files: [], summary: "Nothing." },
  },
  ImplementFinish: {
    schema: ImplementFinish,
    valid: { summary: "Added src/csv.ts and the export route.", tasksDone: ["T001", "T002"] },
    invalid: { summary: "Done.", tasksDone: "T001" },
  },
  ReviewOutput: {
    schema: ReviewOutput,
    valid: {
      verdict: "fail",
      summary: "SQL built by concatenation in the export query.",
      findings: [
        {
          severity: "critical",
          title: "SQL injection in report filter",
          detail: "The `q` parameter is concatenated into SQL; use a bound parameter.",
          path: "src/routes/reports.ts",
          line: 42,
          endLine: 44,
          category: "V1 Encoding and sanitisation",
          asvs: ["v5.0.0-1.2.4"],
          requirements: ["FR-002"],
        },
        { severity: "info", title: "No CSV size limit", detail: "Consider a row cap." },
      ],
    },
    invalid: {
      verdict: "pass",
      summary: "Fine.",
      findings: [{ severity: "info", title: "x", detail: "y", asvs: ["V5.3.4"] }],
    },
  },
  AlignmentOutput: {
    schema: AlignmentOutput,
    valid: {
      recommendation: "REVISE",
      reasons: ["AC-2 'empty report exports header only' has no scenario."],
      summary: "One acceptance criterion is not covered.",
    },
    invalid: { recommendation: "MAYBE", reasons: [], summary: "Unsure." },
  },
  TitleOutput: {
    schema: TitleOutput,
    valid: { title: "feat(reports): add CSV export of filtered rows" },
    invalid: { title: `feat: ${"a".repeat(70)}` },
  },
} satisfies Record<string, { schema: z.ZodType; valid: unknown; invalid: unknown }>;

describe("agent output schemas", () => {
  for (const [name, { schema, valid, invalid }] of Object.entries(samples)) {
    it(`${name} accepts a realistic sample and rejects a broken one`, () => {
      expect(schema.safeParse(valid).success).toBe(true);
      expect(schema.safeParse(invalid).success).toBe(false);
    });
  }

  it("rejects a multi-line title", () => {
    expect(TitleOutput.safeParse({ title: "feat: one\nfix: two" }).success).toBe(false);
  });

  const toolSchemas = {
    BaOutput,
    SpecOutput,
    PlanOutput,
    TestsOutput,
    ImplementFinish,
    ReviewOutput,
    AlignmentOutput,
    TitleOutput,
  };
  for (const [name, schema] of Object.entries(toolSchemas)) {
    it(`${name} converts to a JSON Schema object with described properties`, () => {
      const json = z.toJSONSchema(schema) as {
        type?: string;
        properties?: Record<string, { description?: string }>;
        required?: string[];
      };
      expect(json.type).toBe("object");
      expect(Object.keys(json.properties ?? {}).length).toBeGreaterThan(0);
      for (const [field, property] of Object.entries(json.properties ?? {})) {
        expect(property.description, `${name}.${field} has a description`).toBeTruthy();
      }
      expect(json.required?.length).toBeGreaterThan(0);
    });
  }

  it("keeps the brief nullable and finding locations optional in JSON Schema", () => {
    const ba = z.toJSONSchema(BaOutput) as unknown as {
      required: string[];
      properties: { brief: object };
    };
    expect(ba.required).toEqual(expect.arrayContaining(["reply", "brief"]));
    expect(JSON.stringify(ba.properties.brief)).toContain('"null"');

    const review = z.toJSONSchema(ReviewOutput) as unknown as {
      properties: { findings: { items: { required: string[] } } };
    };
    expect(review.properties.findings.items.required.sort()).toEqual([
      "detail",
      "severity",
      "title",
    ]);
  });
});

describe("renderBriefMarkdown", () => {
  it("renders every section, acceptance criteria as a checklist", () => {
    expect(renderBriefMarkdown(brief)).toBe(
      [
        "# Export reports as CSV",
        "",
        "## Problem",
        "",
        "Team leads copy report tables by hand into spreadsheets.",
        "",
        "## Users",
        "",
        "Team leads who share weekly reports with finance.",
        "",
        "## Scope",
        "",
        "- Add an Export CSV button to the report page.",
        "- Export the filtered rows only.",
        "",
        "## Out of scope",
        "",
        "- Excel and PDF formats.",
        "",
        "## Acceptance criteria",
        "",
        "- [ ] **AC-1** When a report has 3 rows, the CSV has a header line and 3 data lines.",
        "- [ ] **AC-2** When a report has no rows, the CSV contains only the header line.",
        "",
        "## Constraints",
        "",
        "- Values containing commas or quotes are escaped per RFC 4180.",
        "",
        "## Open questions",
        "",
        "- Should dates use ISO 8601? Assumed yes.",
        "",
      ].join("\n"),
    );
  });

  it("marks empty sections and keeps multi-line items inside their list item", () => {
    const markdown = renderBriefMarkdown({
      ...brief,
      title: "  CSV\nexport ",
      scope: ["First line\nsecond line", "  "],
      outOfScope: [],
      constraints: [],
      openQuestions: [],
    });
    expect(markdown).toContain("# CSV export\n");
    expect(markdown).toContain("## Scope\n\n- First line\n  second line\n\n## Out of scope");
    expect(markdown).toContain("## Out of scope\n\n_None._");
    expect(markdown).toContain("## Constraints\n\n_None._");
    expect(markdown).toContain("## Open questions\n\n_None._\n");
  });

  it("is pure", () => {
    const copy = structuredClone(brief);
    expect(renderBriefMarkdown(brief)).toBe(renderBriefMarkdown(brief));
    expect(brief).toEqual(copy);
  });
});

const wrap = (source: string, text: string) =>
  `<untrusted source="${source}">\n${text}\n</untrusted>`;

/** Variables every prompt receives; `conventions` and `extraInstructions` are optional. */
const common = {
  repo: "acme/reports",
  defaultBranch: "main",
  issueNumber: 42,
  issueTitle: wrap("issue-title", "Export reports as CSV"),
  issueBody: wrap("issue-body", 'I\'d like a CSV export & filters "kept".'),
  stage: "spec_generating",
};
const optionalCommon = {
  conventions: wrap("AGENTS.md", "Use vitest; tests live in test/."),
  extraInstructions: "Prefer small functions.",
};

/** Each prompt's own required and optional variables, as the app supplies them. */
const perPrompt: Record<string, { required: object; optional: object }> = {
  ba: {
    required: {
      conversation: wrap("conversation", "alice (author): Please add CSV export."),
      mode: "clarify",
    },
    optional: {
      brief: renderBriefMarkdown(brief),
      pipelineContext: "Stage: plan_ready.",
      gateArtifact: wrap("the plan waiting for approval", "# Plan"),
      alignment: wrap("alignment review of the plan", "Recommendation: APPROVE"),
    },
  },
  spec: {
    required: {
      brief: renderBriefMarkdown(brief),
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: { revision: wrap("revise", "Also support semicolons.") },
  },
  plan: {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {},
  },
  tests: {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      plan: "# Plan",
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {},
  },
  implement: {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      plan: "# Plan",
      tests: "// test/csv.test.ts",
      tasks: "T001 Add CSV serialiser (src/csv.ts)",
      mode: "implement",
    },
    optional: { findings: wrap("findings", "high: SQL injection at src/db.ts:3") },
  },
  docs: {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      plan: "# Plan",
      codeDiff: wrap("code diff", "+export const csv = () => '';"),
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {},
  },
  "security-review": {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      diff: wrap("diff", "+const q = 'SELECT * FROM r WHERE id = ' + id;"),
      files: "src/db.ts",
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {},
  },
  "code-review": {
    required: {
      brief: "# Brief",
      spec: "# Spec",
      plan: "# Plan",
      diff: wrap("diff", "+export const csv = () => '';"),
      files: "src/csv.ts",
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {},
  },
  "alignment-review": {
    required: {
      gate: "brief",
      brief: "# Brief",
      repoMap: "## Folders (2 files)\nsrc/ (2)",
      repoFiles: "## Package manifests\nNone found.",
    },
    optional: {
      spec: "# Spec",
      plan: "# Plan",
      tests: "// tests",
      diff: wrap("diff", "+x"),
      docs: wrap("docs commit diff", "+## Health"),
      conversation: wrap("conversation", "alice (author): hi"),
    },
  },
  title: { required: { brief: "# Brief" }, optional: {} },
};

const render = (name: string, context: object) =>
  Handlebars.compile(readFileSync(resolve(promptsDir, `${name}.md`), "utf8"), { strict: true })(
    context,
  );

describe("prompts", () => {
  const files = readdirSync(promptsDir).filter((file) => file.endsWith(".md"));

  it("has the governance preamble and one template per agent, and nothing untested", () => {
    expect(files.sort()).toEqual(
      ["governance", ...Object.keys(perPrompt)].map((name) => `${name}.md`).sort(),
    );
  });

  it("governance is static and long enough to be a cached prefix", () => {
    const governance = readFileSync(resolve(promptsDir, "governance.md"), "utf8");
    expect(governance).not.toMatch(/\{\{/);
    expect(governance.length).toBeGreaterThan(4500);
    expect(governance).toContain("<untrusted");
  });

  for (const [name, { required, optional }] of Object.entries(perPrompt)) {
    it(`${name}.md renders in strict mode with the full context`, () => {
      const output = render(name, { ...common, ...optionalCommon, ...required, ...optional });
      expect(output).toContain("#42");
      // Pre-wrapped untrusted text is inserted verbatim, never HTML-escaped.
      expect(output).not.toContain("&lt;untrusted");
      expect(output).not.toContain("&quot;");
    });

    it(`${name}.md renders in strict mode with only its required variables`, () => {
      const output = render(name, { ...common, ...required });
      expect(output).not.toContain("undefined");
      expect(output).not.toContain("Prefer small functions.");
    });
  }

  it("includes the untrusted issue and the optional sections only when given", () => {
    const full = render("ba", { ...common, ...optionalCommon, ...perPrompt.ba?.required });
    expect(full).toContain('<untrusted source="issue-body">');
    expect(full).toContain('I\'d like a CSV export & filters "kept".');
    expect(full).toContain("Prefer small functions.");
    expect(full).toContain("There is no brief yet.");

    const withFindings = render("implement", {
      ...common,
      ...perPrompt.implement?.required,
      ...perPrompt.implement?.optional,
      mode: "fix",
    });
    expect(withFindings).toContain("## Fix mode");
    expect(withFindings).toContain("SQL injection at src/db.ts:3");
  });
});
