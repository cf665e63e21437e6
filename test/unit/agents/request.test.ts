import { describe, expect, it } from "vitest";
import {
  AGENT_DEFINITIONS,
  type ModelSetting,
  modelSetting,
} from "../../../src/agents/registry.ts";
import { buildRequest } from "../../../src/agents/request.ts";
import { strictSchema } from "../../../src/agents/tools.ts";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../../src/config/repo-config.ts";
import { AGENTS } from "../../../src/core/feature.ts";
import { MODEL_IDS, type ModelId, THINKING_ROOM } from "../../../src/core/models.ts";

const setting = (agent: (typeof AGENTS)[number], model?: ModelId): ModelSetting => ({
  ...modelSetting(agent, DEFAULT_REPO_CONFIG),
  ...(model ? { model } : {}),
});
const prompt = [{ role: "user" as const, content: "Do the work." }];

describe("buildRequest", () => {
  it.each(AGENTS)(
    "the %s agent is sent only its own tools (the read tools, its output tool, and the editing tools for the implementer and the docs agent alone), strict, and never a forced tool on Sonnet or Opus",
    (agent) => {
      for (const model of ["claude-sonnet-5-5", "claude-opus-5-5"] as const) {
        const request = buildRequest(agent, setting(agent, model), prompt);
        const names = (request.tools ?? []).map((t) => ("name" in t ? t.name : ""));
        expect(names).toContain(AGENT_DEFINITIONS[agent].tool);
        const reads = ["list", "view", "search"];
        const edits = ["str_replace", "insert", "create", "delete"];
        if (agent === "implement" || agent === "docs") {
          expect(names).toEqual([...reads, ...edits, AGENT_DEFINITIONS[agent].tool]);
        } else if (AGENT_DEFINITIONS[agent].reads) {
          expect(names).toEqual([...reads, AGENT_DEFINITIONS[agent].tool]);
        } else {
          expect(names).toEqual([AGENT_DEFINITIONS[agent].tool]);
        }
        expect(request.tools?.every((t) => "strict" in t && t.strict === true)).toBe(true);
        expect(request.tool_choice).toEqual({ type: "auto" });
        expect(request.output_config).toEqual({ effort: AGENT_DEFINITIONS[agent].effort });
        expect(request).not.toHaveProperty("temperature");
        expect(request.messages.at(-1)?.role).toBe("user");
      }
    },
  );

  it("gives each model the least thinking it accepts to an agent that wants none", () => {
    expect(buildRequest("title", setting("title", "claude-haiku-5-5"), prompt)).toMatchObject({
      thinking: { type: "disabled" },
      // Haiku 5.5 accepts a forced tool, and answers it without thinking anyway.
      tool_choice: { type: "tool", name: "submit_title" },
      max_tokens: AGENT_DEFINITIONS.title.maxTokens,
    });
    expect(buildRequest("title", setting("title", "claude-sonnet-5-5"), prompt)).toMatchObject({
      thinking: { type: "between_tools" },
      tool_choice: { type: "auto" },
    });
    // Opus 5.5 always thinks.
    expect(buildRequest("title", setting("title", "claude-opus-5-5"), prompt).thinking).toEqual({
      type: "adaptive",
    });
    // Above high effort Sonnet's between_tools is refused: adaptive instead.
    const xhigh = { ...setting("title", "claude-sonnet-5-5"), effort: "xhigh" as const };
    expect(buildRequest("title", xhigh, prompt).thinking).toEqual({ type: "adaptive" });
  });

  it("counts the thinking room of the effort in max_tokens, up to the model's limit", () => {
    const plan = buildRequest("plan", setting("plan"), prompt);
    expect(plan.max_tokens).toBe(AGENT_DEFINITIONS.plan.maxTokens + THINKING_ROOM.high);
    const huge = buildRequest("plan", { ...setting("plan"), effort: "max" }, prompt, 100_000);
    expect(huge.max_tokens).toBe(128_000);
  });

  it("marks the governance, the task and the newest turn for the cache, leaving the stored turns alone", () => {
    const messages = [
      { role: "user" as const, content: "Task" },
      { role: "assistant" as const, content: "Working" },
      { role: "user" as const, content: "More" },
    ];
    const request = buildRequest("ba", setting("ba"), messages);
    expect(JSON.stringify(request).match(/cache_control/g)).toHaveLength(3);
    expect(messages[0]?.content).toBe("Task");
  });
});

describe("strictSchema", () => {
  it("moves limits strict mode cannot compile into the description and closes every object", () => {
    expect(
      strictSchema({
        $schema: "x",
        type: "object",
        properties: {
          name: { type: "string", minLength: 1, maxLength: 5, description: "A name." },
          tags: {
            type: "array",
            items: { type: "object", properties: {} },
            minItems: 2,
            maxItems: 4,
          },
          one: { type: "array", items: { type: "string" }, minItems: 1 },
        },
        required: ["name"],
      }),
    ).toEqual({
      type: "object",
      properties: {
        name: { type: "string", description: "A name. (minLength: 1, maxLength: 5)" },
        tags: {
          type: "array",
          items: { type: "object", properties: {}, additionalProperties: false },
          description: "(minItems: 2, maxItems: 4)",
        },
        one: { type: "array", items: { type: "string" }, minItems: 1 },
      },
      required: ["name"],
      additionalProperties: false,
    });
  });
});

describe("repository config: models", () => {
  it("names an unknown or retired model id with the valid ones", () => {
    const retired = parseRepoConfig("models:\n  spec:\n    model: claude-sonnet-4-5\n");
    expect(retired.problems).toEqual([
      `\`models.spec.model\`: unknown model "claude-sonnet-4-5" (retired on 30 November 2026); use one of ${MODEL_IDS.join(", ")}`,
    ]);
    expect(parseRepoConfig("models:\n  plan:\n    model: gpt-9\n").problems[0]).toMatch(
      /unknown model "gpt-9"; use one of claude-opus-5-5/,
    );
  });

  it("takes an effort per agent, and refuses one that is not a level", () => {
    const ok = parseRepoConfig("models:\n  plan:\n    model: claude-opus-5-5\n    effort: xhigh\n");
    expect(ok.problems).toEqual([]);
    expect(ok.config.models.plan).toEqual({ model: "claude-opus-5-5", effort: "xhigh" });
    expect(parseRepoConfig("models:\n  plan:\n    effort: adaptive\n").problems[0]).toMatch(
      /models.plan.effort/,
    );
  });
});
