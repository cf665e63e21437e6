// The eval's requests: one realistic feature request per fixture repository (eval/fixtures/),
// each with the author's answer to the BA's usual question, and the answers a capable model
// gives, scripted for the model fake so the kit itself is proven without a key.

export interface ScriptedAnswers {
  brief: Record<string, unknown>;
  requirements: { id: string; text: string; criteria: string[] }[];
  spec: string;
  tasks: {
    id: string;
    title: string;
    requirements: string[];
    dependsOn: string[];
    files: string[];
    detail: string;
  }[];
  tests: { path: string; covers: string[]; content: string }[];
  /** The implementer's writes: path → complete new content. */
  code: Record<string, string>;
}

export interface EvalCase {
  id: string;
  /** The folder under eval/fixtures/. */
  fixture: string;
  issue: { title: string; body: string };
  /** The author's answer, already in the thread when the BA runs. */
  answer: string;
  scripted: ScriptedAnswers;
}

export const EVAL_CASES: EvalCase[] = [
  {
    id: "cli-lines-flag",
    fixture: "node-cli",
    issue: {
      title: "wordcount: add a --lines flag",
      body: "I often need the number of lines rather than words. Could `wordcount` count lines when asked?",
    },
    answer:
      "A `--lines` flag is fine. A trailing newline should not count as an extra line. Words stay the default.",
    scripted: {
      brief: {
        title: "Count lines with --lines",
        problem: "Users who need a line count have to reach for another tool.",
        users: "People running wordcount in shells and scripts.",
        scope: ["`wordcount --lines [file]` prints the number of lines."],
        outOfScope: ["Counting characters or bytes."],
        acceptanceCriteria: [
          { id: "AC-1", text: "`--lines` on `a\\nb\\n` prints 2." },
          { id: "AC-2", text: "Without `--lines` the word count is printed as before." },
        ],
        constraints: ["No new dependencies."],
        openQuestions: [],
      },
      requirements: [
        {
          id: "FR-001",
          text: "countLines(text) MUST count lines, ignoring one trailing newline.",
          criteria: ["AC-1"],
        },
        {
          id: "FR-002",
          text: "The CLI MUST print countLines when --lines is given, countWords otherwise.",
          criteria: ["AC-1", "AC-2"],
        },
      ],
      spec: "# Specification: --lines\n\n## Functional requirements\n- **FR-001** countLines (AC-1).\n- **FR-002** The flag (AC-1, AC-2).\n",
      tasks: [
        {
          id: "T001",
          title: "Add countLines",
          requirements: ["FR-001"],
          dependsOn: [],
          files: ["src/count.js"],
          detail: "Export countLines(text) from src/count.js (FR-001).",
        },
        {
          id: "T002",
          title: "Parse --lines in the CLI",
          requirements: ["FR-002"],
          dependsOn: ["T001"],
          files: ["bin/wordcount.js"],
          detail: "Read --lines from argv and print countLines (FR-002).",
        },
      ],
      tests: [
        {
          path: "test/lines.test.js",
          covers: ["AC-1", "AC-2", "FR-001", "FR-002"],
          content: `import assert from "node:assert/strict";
import { test } from "node:test";
import { countLines, countWords } from "../src/count.js";

test("counts lines, ignoring one trailing newline (FR-001)", () => {
  assert.equal(countLines("a\\nb\\n"), 2);
  assert.equal(countLines(""), 0);
});

test("words stay the default (FR-002)", () => {
  assert.equal(countWords("a b"), 2);
});
`,
        },
      ],
      code: {
        "src/count.js": `/** The number of whitespace-separated words in \`text\`. */
export function countWords(text) {
  const words = text.trim().split(/\\s+/);
  return words[0] === "" ? 0 : words.length;
}

/** The number of lines in \`text\`; one trailing newline does not start another line. */
export function countLines(text) {
  if (text === "") return 0;
  return text.replace(/\\n$/, "").split("\\n").length;
}
`,
        "bin/wordcount.js": `#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { countLines, countWords } from "../src/count.js";

const args = process.argv.slice(2);
const lines = args.includes("--lines");
const [file] = args.filter((a) => a !== "--lines");
const text = file ? readFileSync(file, "utf8") : readFileSync(0, "utf8");
process.stdout.write(\`\${lines ? countLines(text) : countWords(text)}\\n\`);
`,
      },
    },
  },
  {
    id: "api-complete-todo",
    fixture: "express-api",
    issue: {
      title: "Let clients mark a todo as done",
      body: "Our app shows todos but cannot tick them off. We need an endpoint for that.",
    },
    answer:
      "PATCH /todos/:id with `{ done: true }` is what our client expects. Unknown ids should be a 404.",
    scripted: {
      brief: {
        title: "Mark a todo as done",
        problem: "Clients cannot record that a todo is finished.",
        users: "The mobile client and its users.",
        scope: ["`PATCH /todos/:id` with `{ done }` updates the todo."],
        outOfScope: ["Deleting todos."],
        acceptanceCriteria: [
          {
            id: "AC-1",
            text: "PATCH /todos/1 with `{ done: true }` answers 200 with the updated todo.",
          },
          { id: "AC-2", text: "PATCH on an unknown id answers 404 with `{ error }`." },
          { id: "AC-3", text: "A `done` that is not a boolean answers 400." },
        ],
        constraints: ["No new dependencies."],
        openQuestions: [],
      },
      requirements: [
        {
          id: "FR-001",
          text: "TodoStore.setDone(id, done) MUST update and return the todo, or null.",
          criteria: ["AC-1", "AC-2"],
        },
        {
          id: "FR-002",
          text: "PATCH /todos/:id MUST answer 200, 404 or 400 as the criteria say.",
          criteria: ["AC-1", "AC-2", "AC-3"],
        },
      ],
      spec: "# Specification: complete a todo\n\n- **FR-001** setDone (AC-1, AC-2).\n- **FR-002** The route (AC-1, AC-2, AC-3).\n",
      tasks: [
        {
          id: "T001",
          title: "Add TodoStore.setDone",
          requirements: ["FR-001"],
          dependsOn: [],
          files: ["src/store.js"],
          detail: "setDone(id, done) returns the updated todo or null (FR-001).",
        },
        {
          id: "T002",
          title: "Route PATCH /todos/:id",
          requirements: ["FR-002"],
          dependsOn: ["T001"],
          files: ["src/app.js"],
          detail: "Validate done, 404 for unknown ids (FR-002).",
        },
      ],
      tests: [
        {
          path: "test/complete.test.js",
          covers: ["AC-1", "AC-2", "FR-001", "FR-002"],
          content: `import assert from "node:assert/strict";
import { test } from "node:test";
import request from "supertest";
import { createApp } from "../src/app.js";

test("PATCH marks a todo done (FR-002)", async () => {
  const app = createApp();
  await request(app).post("/todos").send({ title: "milk" });
  const res = await request(app).patch("/todos/1").send({ done: true });
  assert.equal(res.status, 200);
  assert.equal(res.body.done, true);
});

test("PATCH on an unknown id is 404 (FR-002)", async () => {
  const res = await request(createApp()).patch("/todos/9").send({ done: true });
  assert.equal(res.status, 404);
});
`,
        },
      ],
      code: {
        "src/store.js": `/** Todos kept in memory, in insertion order. */
export class TodoStore {
  #todos = [];
  #next = 1;

  list() {
    return [...this.#todos];
  }

  add(title) {
    const todo = { id: this.#next++, title, done: false };
    this.#todos.push(todo);
    return todo;
  }

  /** The updated todo, or null when there is none with this id. */
  setDone(id, done) {
    const todo = this.#todos.find((t) => t.id === id);
    if (!todo) return null;
    todo.done = done;
    return todo;
  }
}
`,
        "src/app.js": `import express from "express";
import { TodoStore } from "./store.js";

/** The API: todos in memory, JSON in and out. */
export function createApp(store = new TodoStore()) {
  const app = express();
  app.use(express.json());
  app.get("/todos", (_req, res) => res.json(store.list()));
  app.post("/todos", (req, res) => {
    if (typeof req.body?.title !== "string" || req.body.title.trim() === "") {
      res.status(400).json({ error: "title is required" });
      return;
    }
    res.status(201).json(store.add(req.body.title.trim()));
  });
  app.patch("/todos/:id", (req, res) => {
    if (typeof req.body?.done !== "boolean") {
      res.status(400).json({ error: "done must be a boolean" });
      return;
    }
    const todo = store.setDone(Number(req.params.id), req.body.done);
    if (!todo) {
      res.status(404).json({ error: "no such todo" });
      return;
    }
    res.json(todo);
  });
  return app;
}
`,
      },
    },
  },
  {
    id: "lib-separator-option",
    fixture: "ts-lib",
    issue: {
      title: "slugify: allow another separator",
      body: "We need slugs like `creme_brulee` for file names. Could slugify take a separator?",
    },
    answer: "An options object `{ separator }` is fine; the default stays `-`.",
    scripted: {
      brief: {
        title: "Separator option for slugify",
        problem: "Slugs for file names need underscores, which slugify cannot produce.",
        users: "Developers using tiny-slug for URLs and file names.",
        scope: ["`slugify(text, { separator })` joins words with the separator."],
        outOfScope: ["Custom character maps."],
        acceptanceCriteria: [
          {
            id: "AC-1",
            text: "`slugify('Crème Brûlée', { separator: '_' })` returns `creme_brulee`.",
          },
          { id: "AC-2", text: "Without options the separator is `-`." },
        ],
        constraints: ["The default behaviour is unchanged."],
        openQuestions: [],
      },
      requirements: [
        {
          id: "FR-001",
          text: "slugify MUST accept an optional { separator } defaulting to '-'.",
          criteria: ["AC-1", "AC-2"],
        },
      ],
      spec: "# Specification: separator\n\n- **FR-001** The option (AC-1, AC-2).\n",
      tasks: [
        {
          id: "T001",
          title: "Add the separator option",
          requirements: ["FR-001"],
          dependsOn: [],
          files: ["src/slugify.ts"],
          detail: "Add SlugifyOptions and use options.separator (FR-001).",
        },
      ],
      tests: [
        {
          path: "test/separator.test.ts",
          covers: ["AC-1", "AC-2", "FR-001"],
          content: `import { expect, it } from "vitest";
import { slugify } from "../src/slugify.ts";

it("joins words with the separator given (FR-001)", () => {
  expect(slugify("Crème Brûlée", { separator: "_" })).toBe("creme_brulee");
});

it("defaults to a hyphen (FR-001)", () => {
  expect(slugify("a b")).toBe("a-b");
});
`,
        },
      ],
      code: {
        "src/slugify.ts": `export interface SlugifyOptions {
  /** What joins the words; "-" by default. */
  separator?: string;
}

/** A slug: lower case ASCII letters and digits separated by single separators. */
export function slugify(text: string, options: SlugifyOptions = {}): string {
  const separator = options.separator ?? "-";
  return text
    .normalize("NFKD")
    .replace(/[\\u0300-\\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((word) => word !== "")
    .join(separator);
}
`,
      },
    },
  },
];
