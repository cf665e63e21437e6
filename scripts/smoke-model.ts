// `npm run smoke:model`: one small call of each kind the app makes, against the configured
// models, printing what the API said. With ANTHROPIC_API_KEY set it calls the real API (or
// ANTHROPIC_BASE_URL); without one it runs against the local model fake and says so.
//   - single-shot: each model the agents use answers as the title agent would (its own tool,
//     thinking and effort from the model table);
//   - tool loop: the implementer reads a file, then finishes, the first reply (thinking blocks
//     included) sent back unchanged.
// Exit status 0 only when every call was accepted and answered through the expected tool.

import type { MessageParam, ToolUseBlock } from "@anthropic-ai/sdk/resources/messages";
import { AnthropicModel } from "../src/adapters/model/anthropic.ts";
import { AGENT_DEFINITIONS, type ModelSetting, modelSetting } from "../src/agents/registry.ts";
import { buildRequest } from "../src/agents/request.ts";
import { DEFAULT_REPO_CONFIG } from "../src/config/repo-config.ts";
import type { AgentName } from "../src/core/feature.ts";
import type { ModelId } from "../src/core/models.ts";
import type { ModelReply, ModelRequest } from "../src/ports/model.ts";
import { byTool, startModelFake } from "../testkit/fakes/model/index.ts";

const say = (text = "") => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  let apiKey = process.env.ANTHROPIC_API_KEY;
  let baseURL = process.env.ANTHROPIC_BASE_URL || undefined;
  const fake = apiKey ? null : await startModelFake();
  if (fake) {
    say("No ANTHROPIC_API_KEY: running against the local model fake, which enforces the");
    say("documented rules of the 5.5 models. Set the key to check the real API.\n");
    apiKey = "sk-ant-local-smoke";
    baseURL = fake.url;
    // The fake's model reads the file, then finishes, as the prompt asks.
    fake.respond(byTool("view"), (request) =>
      request.toolResults.length === 0
        ? { toolUse: { name: "view", input: { path: "hello.txt" } } }
        : {
            toolUse: { name: "finish", input: { summary: "Read hello.txt.", tasksDone: ["T001"] } },
          },
    );
  } else {
    say(`Calling ${baseURL ?? "the Anthropic API"} with ANTHROPIC_API_KEY.\n`);
  }
  const model = new AnthropicModel({ baseURL, maxRetries: 1, timeoutMs: 120_000 });
  let failed = 0;

  const call = async (label: string, request: ModelRequest) => {
    const shape = `thinking ${request.thinking?.type ?? "default"}, effort ${request.output_config?.effort ?? "default"}, tool_choice ${request.tool_choice?.type ?? "auto"}`;
    try {
      const reply = await model.send(apiKey as string, request);
      const tool = reply.content.find((b): b is ToolUseBlock => b.type === "tool_use");
      const ok = tool !== undefined;
      if (!ok) failed++;
      say(
        `${ok ? "✓" : "✗"} ${label} [${shape}]: ${reply.stopReason}; blocks ${reply.content.map((b) => b.type).join(", ")}; ${usage(reply)}${ok ? "" : " — no tool call"}`,
      );
      return reply;
    } catch (error) {
      failed++;
      say(`✗ ${label} [${shape}]: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };

  const setting = (agent: AgentName, id: ModelId): ModelSetting => ({
    ...modelSetting(agent, DEFAULT_REPO_CONFIG),
    model: id,
  });
  const models = [...new Set(Object.values(AGENT_DEFINITIONS).map((d) => d.model))];
  for (const id of models) {
    const messages: MessageParam[] = [
      {
        role: "user",
        content:
          "Write the pull request title for adding a /health endpoint that answers 200 with the version. Answer by calling the `submit_title` tool exactly once.",
      },
    ];
    await call(`${id} single-shot (title)`, buildRequest("title", setting("title", id), messages));
  }

  const loopModel = AGENT_DEFINITIONS.implement.model;
  const loopSetting = setting("implement", loopModel);
  const messages: MessageParam[] = [
    {
      role: "user",
      content:
        'View the file hello.txt with `view`, then call `finish` with a one-line summary of it and tasksDone ["T001"].',
    },
  ];
  const first = await call(
    `${loopModel} tool loop, turn 1`,
    buildRequest("implement", loopSetting, messages),
  );
  const read = first?.content.find((b): b is ToolUseBlock => b.type === "tool_use");
  if (first && read) {
    messages.push({ role: "assistant", content: first.content });
    messages.push({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: read.id, content: "Hello from the smoke test." },
      ],
    });
    await call(
      `${loopModel} tool loop, turn 2 (thinking sent back)`,
      buildRequest("implement", loopSetting, messages),
    );
  }

  await fake?.close();
  say(failed === 0 ? "\nEvery call was accepted." : `\n${failed} call(s) failed.`);
  return failed === 0 ? 0 : 1;
}

function usage(reply: ModelReply): string {
  const u = reply.usage;
  return `${u.inputTokens} in, ${u.outputTokens} out (thinking included), ${u.cacheReadTokens} cache read, ${u.cacheWriteTokens} cache write`;
}

process.exitCode = await main();
