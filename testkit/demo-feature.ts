// The demo's feature, scripted: a small Node HTTP service gains a health endpoint. The same
// script drives the demo, the end-to-end tests and the benchmark, so what they exercise is a
// feature worth reading, answered by the model fake the way a model would answer each agent.

import type { ActionsWorkflow } from "./fakes/github/index.ts";
import type { ModelFake, ModelRequest, Reply } from "./fakes/model/index.ts";
import { byPromptIncludes, byTool } from "./fakes/model/index.ts";

export const DEMO_ISSUE = {
  title: "Add a health endpoint",
  body: [
    "Our load balancer needs to know whether the service is up.",
    "",
    "Could we have an endpoint it can poll? It should be cheap and not need a login.",
  ].join("\n"),
};

export const DEMO_ANSWER =
  "The load balancer polls every 10 seconds and only looks at the status code. It would help to see the version and uptime when we curl it by hand.";

/** The repository the demo starts from. */
export const DEMO_REPO_FILES: Record<string, string> = {
  "README.md":
    "# hello-app\n\nA tiny HTTP service. `npm start` listens on `PORT` (default 3000).\n",
  "package.json": `${JSON.stringify(
    {
      name: "hello-app",
      version: "1.4.0",
      type: "module",
      scripts: { start: "node src/main.js", test: "node --test" },
      engines: { node: ">=22" },
    },
    null,
    2,
  )}\n`,
  "src/main.js": `import { createApp } from "./server.js";

const port = Number(process.env.PORT ?? 3000);
createApp().listen(port, () => console.log(\`listening on \${port}\`));
`,
  "src/server.js": `import { createServer } from "node:http";

/** The HTTP service: one route today. */
export function createApp() {
  return createServer((req, res) => {
    if (req.method === "GET" && req.url === "/") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("hello\\n");
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
}
`,
  "AGENTS.md":
    "# Conventions\n\n- Plain ES modules, no dependencies.\n- Tests use node:test and node:assert/strict.\n",
  // The demo's maintainer opens the issue and approves each stage herself.
  ".github/practical.yml": "allow_self_approval: true\n",
};

export const BRIEF = {
  title: "Health endpoint",
  problem:
    "The load balancer cannot tell whether an instance of hello-app is up, so a hung instance keeps receiving traffic.",
  users:
    "The load balancer (automated, polls every 10 s) and operators who check an instance by hand.",
  scope: [
    'GET /health answers 200 with JSON `{ status: "ok", version, uptimeSeconds }`.',
    "The response is never cached (`cache-control: no-store`).",
    "Other methods on /health answer 405 with an `allow: GET` header.",
  ],
  outOfScope: ["Checking downstream dependencies", "Authentication for /health"],
  acceptanceCriteria: [
    {
      id: "AC-1",
      text: 'GET /health returns 200, content-type application/json, and a body with status "ok".',
    },
    {
      id: "AC-2",
      text: "The body's version equals package.json's version; uptimeSeconds is a non-negative integer.",
    },
    { id: "AC-3", text: "POST /health returns 405 with `allow: GET`." },
  ],
  constraints: ["No new dependencies", "Answer within 50 ms: no I/O on the request path"],
  openQuestions: [],
};

export const SPEC = `# Specification: health endpoint

## User stories
- **US1 (P1)** As the load balancer, I poll \`GET /health\` so that I stop routing to an instance that does not answer.
- **US2 (P2)** As an operator, I curl \`/health\` to see which version runs and for how long.

## Functional requirements
- **FR-001** \`GET /health\` MUST answer \`200\` with \`content-type: application/json\` (AC-1).
- **FR-002** The body MUST be \`{ "status": "ok", "version": <package.json version>, "uptimeSeconds": <integer ≥ 0> }\` (AC-1, AC-2).
- **FR-003** The response MUST carry \`cache-control: no-store\` (AC-1).
- **FR-004** Any other method on \`/health\` MUST answer \`405\` with \`allow: GET\` (AC-3).
- **FR-005** The handler MUST NOT perform I/O per request (the version is read once at start) (AC-1).

## Edge cases
- \`/health?x=1\` is the same resource (query ignored).
- Existing routes (\`GET /\`, unknown paths → 404) are unchanged.

## Success criteria
- **SC-001** Every acceptance criterion of the brief is covered by a contract test.
`;

const PLAN = `# Plan: health endpoint

## Approach
A pure \`healthReport(version, startedAt, now)\` in a new module, and a route in \`createApp\`.
The version is read from package.json once, when the module loads (FR-005).

## Files
| File | Change |
| --- | --- |
| \`src/health.js\` | new: \`healthReport\` and \`readVersion\` |
| \`src/server.js\` | route \`/health\` (GET → 200, others → 405) |
| \`README.md\` | a line on \`GET /health\` for operators |

## Tasks
- **T001** Create \`src/health.js\` (FR-002, FR-005).
- **T002** Route \`/health\` in \`src/server.js\` (FR-001, FR-003, FR-004); depends on T001.
- **T003** Document \`GET /health\` in \`README.md\` (FR-001); depends on T002.

## Risks
None significant: no new dependencies, no I/O on the request path.
`;

/** The spec's requirements and the criteria they serve, as the spec agent returns them. */
export const REQUIREMENTS = [
  {
    id: "FR-001",
    text: "GET /health MUST answer 200 with content-type application/json.",
    criteria: ["AC-1"],
  },
  {
    id: "FR-002",
    text: "The body MUST carry status, version and uptimeSeconds.",
    criteria: ["AC-1", "AC-2"],
  },
  { id: "FR-003", text: "The response MUST carry cache-control: no-store.", criteria: ["AC-1"] },
  { id: "FR-004", text: "Any other method MUST answer 405 with allow: GET.", criteria: ["AC-3"] },
  { id: "FR-005", text: "The handler MUST NOT perform I/O per request.", criteria: ["AC-1"] },
];

const TASKS = [
  {
    id: "T001",
    title: "Create src/health.js",
    requirements: ["FR-002", "FR-005"],
    dependsOn: [],
    files: ["src/health.js"],
    detail: "Export healthReport(version, startedAt, now) and readVersion() (FR-002, FR-005).",
  },
  {
    id: "T002",
    title: "Route /health in src/server.js",
    requirements: ["FR-001", "FR-003", "FR-004"],
    dependsOn: ["T001"],
    files: ["src/server.js"],
    detail:
      "GET /health → 200 JSON with no-store; other methods → 405 allow: GET (FR-001, FR-003, FR-004).",
  },
  {
    id: "T003",
    title: "Document GET /health in README.md",
    requirements: ["FR-001"],
    dependsOn: ["T002"],
    files: ["README.md"],
    detail:
      "One line under the start instructions: what GET /health answers, for operators (FR-001).",
  },
];

const CONTRACT_TEST = `// covers: AC-1, AC-2, AC-3, FR-001, FR-002, FR-003, FR-004
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { createApp } from "../src/server.js";

let base;
let server;
before(async () => {
  server = createApp().listen(0);
  await new Promise((resolve) => server.once("listening", resolve));
  base = \`http://127.0.0.1:\${server.address().port}\`;
});
after(() => server.close());

test("GET /health answers 200 JSON with status ok (FR-001, FR-002)", async () => {
  const res = await fetch(\`\${base}/health\`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\\/json/);
  const body = await res.json();
  assert.equal(body.status, "ok");
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(body.version, pkg.version);
  assert.ok(Number.isInteger(body.uptimeSeconds) && body.uptimeSeconds >= 0);
});

test("GET /health is never cached (FR-003)", async () => {
  const res = await fetch(\`\${base}/health\`);
  assert.equal(res.headers.get("cache-control"), "no-store");
});

test("POST /health answers 405 with allow: GET (FR-004)", async () => {
  const res = await fetch(\`\${base}/health\`, { method: "POST" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET");
});
`;

const HEALTH_JS = `import { readFileSync } from "node:fs";

/** The service version, read once when the module loads: no I/O per request (FR-005). */
export function readVersion() {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/** The body of GET /health (FR-002). */
export function healthReport(version, startedAt, now = Date.now()) {
  return { status: "ok", version, uptimeSeconds: Math.max(0, Math.floor((now - startedAt) / 1000)) };
}
`;

const SERVER_JS = `import { createServer } from "node:http";
import { healthReport, readVersion } from "./health.js";

const VERSION = readVersion();

/** The HTTP service. */
export function createApp() {
  const startedAt = Date.now();
  return createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/health") {
      if (req.method !== "GET") {
        res.writeHead(405, { allow: "GET" });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(healthReport(VERSION, startedAt)));
      return;
    }
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("hello\\n");
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
}
`;

const README_LINE =
  "\n`GET /health` answers `200` with `{ status, version, uptimeSeconds }` for load balancers and operators.\n";

/** What each task's run writes, keyed by task id (the run is told its task in the prompt). */
const TASK_EDITS: Record<string, { name: string; input: Record<string, unknown> }[]> = {
  T001: [{ name: "create", input: { path: "src/health.js", content: HEALTH_JS } }],
  T002: [
    {
      name: "str_replace",
      input: {
        path: "src/server.js",
        old_str: DEMO_REPO_FILES["src/server.js"],
        new_str: SERVER_JS,
      },
    },
  ],
  T003: [{ name: "insert", input: { path: "README.md", insert_line: 3, text: README_LINE } }],
};

type SentBody = { messages?: { role: string; content: string | { text?: string }[] }[] };

/**
 * The prompt of each agent run, as sent: the first call of a run is the one with a single
 * message, whatever the run does next.
 */
export function runPrompts(requests: readonly { body: unknown }[]): string[] {
  return requests
    .map((r) => (r.body ?? {}) as SentBody)
    .filter((b) => b.messages?.length === 1)
    .map((b) => {
      const content = b.messages?.[0]?.content ?? "";
      return typeof content === "string" ? content : content.map((c) => c.text ?? "").join("\n");
    });
}

/** The tasks a run of the implementer is given (`<current-task>` in its prompt). */
export function currentTasks(prompt: string): string[] {
  const block = /<current-task>([\s\S]*?)<\/current-task>/.exec(prompt)?.[1] ?? "";
  return [...block.matchAll(/^### (T\d{3})/gm)].map((m) => m[1] ?? "");
}

/** The (first) task a run of the implementer is given, or null. */
export function currentTask(prompt: string): string | null {
  return currentTasks(prompt)[0] ?? null;
}

/** Matches the implementer's runs for task `id` (to script one task differently). */
export const implementerOnTask =
  (id: string) =>
  (request: ModelRequest): boolean =>
    promptText(request).includes("# Agent: implementer") && currentTask(promptText(request)) === id;

/** The README section the docs agent adds for the endpoint. */
export const DOCS_SECTION = `
## Health endpoint

\`GET /health\` answers \`200\` with \`{ "status": "ok", "version": "<package.json version>", "uptimeSeconds": <n> }\`
and \`cache-control: no-store\`, for load balancers and for a quick check by hand. It needs no
login and does no I/O per request. Other methods answer \`405\` with \`allow: GET\`.
`;

/** What a fix round changes, keyed by a phrase of the findings that asks for it. */
const FIXES = [
  {
    when: "Missing content type",
    path: "src/server.js",
    edits: [
      {
        old: 'res.writeHead(405, { allow: "GET" });',
        new: 'res.writeHead(405, { allow: "GET", "content-type": "text/plain; charset=utf-8" });',
      },
    ],
  },
  {
    when: "HEALTH_PATH",
    path: "src/server.js",
    edits: [
      {
        old: "const VERSION = readVersion();",
        new: 'const VERSION = readVersion();\nconst HEALTH_PATH = "/health";',
      },
      { old: 'path === "/health"', new: "path === HEALTH_PATH" },
    ],
  },
  {
    when: "max-len",
    path: "src/health.js",
    edits: [
      {
        old: 'return { status: "ok", version, uptimeSeconds: Math.max(0, Math.floor((now - startedAt) / 1000)) };',
        new: 'const uptimeSeconds = Math.max(0, Math.floor((now - startedAt) / 1000));\n  return { status: "ok", version, uptimeSeconds };',
      },
    ],
  },
];

const SUMMARIES: Record<string, string> = {
  T001: "src/health.js: healthReport and readVersion (T001).",
  T002: "src/server.js: the /health route with no-store and 405 (T002).",
  T003: "README.md: a line on GET /health (T003).",
};

const finish = (tasksDone: string[]): Reply => ({
  toolUse: {
    name: "finish",
    input: { summary: tasksDone.map((t) => SUMMARIES[t] ?? t).join(" "), tasksDone },
  },
});

export interface ReviewScript {
  security?: "pass" | "fail" | ((round: number) => "pass" | "fail");
  /** The plan groups the route and its README line (T002, T003) into one step. */
  groupRouteAndReadme?: boolean;
}

const tool = (name: string, input: Record<string, unknown>): Reply => ({
  toolUse: { name, input },
});

/** The first user message of a request: the agent's prompt. */
export function promptText(request: ModelRequest): string {
  const first = request.body.messages.find((m) => m.role === "user");
  const content = first?.content ?? "";
  return typeof content === "string"
    ? content
    : content.map((b) => (b.type === "text" ? b.text : "")).join("\n");
}

/** The turn of the implementer's tool loop: how many answers it has given in this job. */
function assistantTurns(request: ModelRequest): number {
  return request.body.messages.filter((m) => m.role === "assistant").length;
}

/**
 * Registers a responder for every agent. The BA asks one question, then writes the brief; the
 * security review can be made to fail in chosen rounds (a round is one review of one head).
 */
/**
 * The demo repository's CI, played as GitHub Actions would run `npm test` on every push to the
 * feature branch: the contract tests fail while `src/health.js` does not exist (red before the
 * code, as expected) and pass once the implementer wrote it (green after).
 */
export const DEMO_WORKFLOW: ActionsWorkflow = ({ files }) => {
  const tests = files["test/health.test.js"] !== undefined;
  const code = files["src/health.js"] !== undefined;
  if (!tests || code) {
    return [
      {
        name: "test",
        conclusion: "success",
        log: `> hello-app@1.0.0 test\n> node --test\n\n✔ ${tests ? "GET /health answers 200" : "no tests yet"}\nℹ pass ${tests ? 4 : 0}\nℹ fail 0\n`,
      },
    ];
  }
  return [
    {
      name: "test",
      conclusion: "failure",
      log: [
        "> hello-app@1.0.0 test",
        "> node --test",
        "",
        "✖ test/health.test.js",
        "  Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/home/runner/work/hello-app/hello-app/src/health.js' imported from /home/runner/work/hello-app/hello-app/test/health.test.js",
        "ℹ pass 0",
        "ℹ fail 1",
        "##[error]Process completed with exit code 1.",
      ].join("\n"),
    },
  ];
};

export function scriptDemoFeature(model: ModelFake, options: ReviewScript = {}) {
  let securityRound = 0;
  const removers = [
    // First: the implementer is not forced to one tool, so a responder matching by offered tool
    // names would catch it too.
    model.respond(byPromptIncludes("# Agent: implementer"), (request) => {
      const fixing = promptText(request).includes("Mode: `fix`");
      const given = currentTasks(promptText(request));
      const mine = given.length > 0 ? given : Object.keys(TASK_EDITS);
      switch (assistantTurns(request)) {
        case 0:
          return {
            toolUse: ["src/server.js", "src/health.js", "package.json"].map((path) => ({
              name: "view",
              input: { path },
            })),
          };
        case 1: {
          if (!fixing) return { toolUse: mine.flatMap((t) => TASK_EDITS[t] ?? []) };
          // A fix round changes what its findings ask for, in the files as they are now (the
          // line-numbered views of the first turn).
          const current: Record<string, string> = {
            "src/server.js": request.toolResults[0]?.text ?? "",
            "src/health.js": request.toolResults[1]?.text ?? "",
          };
          const asked = promptText(request);
          const edits = FIXES.filter((f) => asked.includes(f.when)).flatMap((f) =>
            f.edits
              .filter((e) => current[f.path]?.includes(e.old))
              .map((e) => ({
                name: "str_replace",
                input: { path: f.path, old_str: e.old, new_str: e.new },
              })),
          );
          return edits.length > 0 ? { toolUse: edits } : finish(mine);
        }
        default:
          // The first finish is answered with the diff to confirm; the next one is accepted.
          return finish(mine);
      }
    }),
    // The docs agent: reads the README and the new module, adds a section, confirms the diff.
    model.respond(byTool("finish_docs"), (request) => {
      switch (assistantTurns(request)) {
        case 0:
          return {
            toolUse: ["README.md", "src/health.js"].map((path) => ({
              name: "view",
              input: { path },
            })),
          };
        case 1:
          return tool("insert", {
            path: "README.md",
            // After the demo README's own three lines, whatever the tasks added below them.
            insert_line: 3,
            text: DOCS_SECTION,
          });
        default:
          return tool("finish_docs", {
            summary: "README.md: a Health endpoint section (GET /health, its body, no-store, 405).",
          });
      }
    }),
    model.respond(byTool("submit_ba_reply"), (request) =>
      request.lastUserText.includes("(no comments yet)")
        ? tool("submit_ba_reply", {
            reply:
              "Thanks! Two questions so the brief is right: how often does the load balancer poll, and does it read the body or only the status code?",
            brief: null,
          })
        : tool("submit_ba_reply", {
            reply: "That is clear. Here is the brief; say `/approve` when it reads right.",
            brief: BRIEF,
          }),
    ),
    model.respond(byTool("submit_alignment_review"), () =>
      tool("submit_alignment_review", {
        recommendation: "APPROVE",
        reasons: ["Covers every acceptance criterion of the brief.", "Adds nothing out of scope."],
        summary: "Aligned with the brief.",
      }),
    ),
    model.respond(byTool("submit_spec"), () =>
      tool("submit_spec", {
        requirements: REQUIREMENTS,
        markdown: SPEC,
        summary: "Two stories, five requirements, no open questions.",
      }),
    ),
    model.respond(byTool("submit_plan"), () =>
      tool("submit_plan", {
        markdown: PLAN,
        tasks: options.groupRouteAndReadme
          ? TASKS.map((t) => (t.id === "T001" ? t : { ...t, group: "G1" }))
          : TASKS,
        summary: "Three tasks, one file each: the module, the route, the README line.",
      }),
    ),
    model.respond(byTool("submit_tests"), () =>
      tool("submit_tests", {
        files: [
          {
            path: "test/health.test.js",
            covers: ["AC-1", "AC-2", "AC-3", "FR-001", "FR-002", "FR-003", "FR-004"],
            content: CONTRACT_TEST,
          },
        ],
        summary: "FR-001..FR-004 and every acceptance criterion; FR-005 is checked by review.",
      }),
    ),
    model.respond(byTool("submit_title"), () =>
      tool("submit_title", { title: "feat: add GET /health endpoint" }),
    ),
    model.respond(byTool("submit_security_review"), () => {
      securityRound += 1;
      const wanted =
        typeof options.security === "function"
          ? options.security(securityRound)
          : (options.security ?? "pass");
      return wanted === "pass"
        ? tool("submit_security_review", {
            verdict: "pass",
            summary:
              "No input reaches a sink; the endpoint discloses only the version, as specified.",
            findings: [
              {
                severity: "low",
                title: "Version disclosure",
                detail:
                  "The version is public by design (brief, US2); keep it free of build secrets.",
                path: "src/health.js",
                line: 10,
                category: "V14 Data protection",
                requirements: ["FR-002"],
              },
            ],
          })
        : tool("submit_security_review", {
            verdict: "fail",
            summary: "The 405 answer lacks a body type; a proxy may sniff it.",
            findings: [
              {
                severity: "high",
                title: "Missing content type on 405",
                detail: "Set `content-type` on every response (ASVS v5.0.0-4.1.1).",
                path: "src/server.js",
                line: 12,
                category: "V4 API and web service",
                asvs: ["v5.0.0-4.1.1"],
                requirements: ["FR-004"],
              },
            ],
          });
    }),
    model.respond(byTool("submit_code_review"), () =>
      tool("submit_code_review", {
        verdict: "pass",
        summary: "Small, pure helper and one route; matches the plan.",
        findings: [],
      }),
    ),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
