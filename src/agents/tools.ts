// The tools each agent is offered: its own output tool, plus the implementer's file tools. An
// agent is sent only its own tools, so a model never sees (or calls) another agent's.

import type { Tool } from "@anthropic-ai/sdk/resources/messages";
import { z } from "zod";
import type { AgentName } from "../core/feature.ts";
import { AGENT_DEFINITIONS } from "./registry.ts";

/** The implementer's file tools; their handlers are in implement.ts. */
export const FILE_TOOLS: Tool[] = [
  {
    name: "list_files",
    description: "List repository files under a folder (recursive).",
    input_schema: {
      type: "object",
      properties: { path: { type: "string", description: "Folder, '' for the root." } },
      required: ["path"],
    },
  },
  {
    name: "read_file",
    description: "Read a file of the repository snapshot (with this feature's writes applied).",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
  {
    name: "search_files",
    description: "Search file contents for a literal string; returns path:line matches.",
    input_schema: {
      type: "object",
      properties: {
        query: { type: "string" },
        path: { type: "string", description: "Optional folder to search under." },
      },
      required: ["query"],
    },
  },
  {
    name: "write_file",
    description: "Create or replace a file. Paths are relative to the repository root.",
    input_schema: {
      type: "object",
      properties: { path: { type: "string" }, content: { type: "string" } },
      required: ["path", "content"],
    },
  },
  {
    name: "delete_file",
    description: "Delete a file.",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
];

const built = new Map<string, Tool[]>();

/** The tools of one agent, strict where the model supports it. */
export function toolsOf(agent: AgentName, strict: boolean): Tool[] {
  const key = `${agent}:${strict}`;
  const known = built.get(key);
  if (known) return known;
  const tools = buildTools(agent, strict);
  built.set(key, tools);
  return tools;
}

function buildTools(agent: AgentName, strict: boolean): Tool[] {
  const definition = AGENT_DEFINITIONS[agent];
  const output: Tool = {
    name: definition.tool,
    description: definition.toolDescription,
    input_schema: z.toJSONSchema(definition.schema, {
      target: "draft-2020-12",
    }) as Tool["input_schema"],
  };
  const tools = agent === "implement" ? [...FILE_TOOLS, output] : [output];
  return tools.map((tool) => ({
    ...tool,
    input_schema: strictSchema(tool.input_schema) as Tool["input_schema"],
    ...(strict ? { strict: true } : {}),
  }));
}

/**
 * Keywords strict tool use cannot compile (build-with-claude/structured-outputs, "JSON Schema
 * limitations": numeric and string length limits, `maxItems`, `minItems` above 1). They move
 * into the description, as the SDKs' own helpers do, and the zod schema enforces them after.
 */
const UNSUPPORTED = ["minLength", "maxLength", "minimum", "maximum", "multipleOf", "maxItems"];

/** A JSON schema strict mode accepts: unsupported limits said in words, every object closed. */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  const limits: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema") continue;
    if (
      UNSUPPORTED.includes(key) ||
      (key === "minItems" && typeof value === "number" && value > 1)
    ) {
      limits.push(`${key}: ${String(value)}`);
      continue;
    }
    out[key] =
      key === "properties" && typeof value === "object" && value !== null
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictSchema(v)]))
        : strictSchema(value);
  }
  if (out.type === "object") out.additionalProperties = false;
  if (limits.length > 0) {
    const said = `(${limits.join(", ")})`;
    out.description = typeof out.description === "string" ? `${out.description} ${said}` : said;
  }
  return out;
}
