// The tools each agent is offered: its own output tool, the read tools for the agents that read
// the repository, and the editing tools for the implementer and the docs agent. An agent is sent
// only its own tools, so a model never sees (or calls) another agent's, and no other agent holds
// a tool that writes.

import type { Tool } from "@anthropic-ai/sdk/resources/messages";
import { z } from "zod";
import type { AgentName } from "../core/feature.ts";
import { AGENT_DEFINITIONS } from "./registry.ts";

/** Read-only tools over the branch snapshot, for every agent that reads the repository. */
export const READ_TOOLS: Tool[] = [
  {
    name: "list",
    description:
      "List the files under a folder, `depth` levels deep (deeper files are counted per folder), optionally only those matching a glob. A long listing says how much it left out.",
    input_schema: {
      type: "object",
      properties: {
        path: { type: "string", description: "Folder, '' for the repository root." },
        depth: { type: "integer", description: "Folder levels to list (default 2)." },
        glob: {
          type: "string",
          description: "Only paths matching this glob, e.g. '*.test.ts' or 'src/**/*.js'.",
        },
      },
      required: ["path"],
    },
  },
  {
    name: "view",
    description:
      "Show a file with line numbers, whole or a range of lines (at most 400 lines a call).",
    input_schema: {
      type: "object",
      properties: {
        path: { type: "string" },
        start_line: { type: "integer", description: "First line, 1-based (default 1)." },
        end_line: { type: "integer", description: "Last line, inclusive; -1 for the end." },
      },
      required: ["path"],
    },
  },
  {
    name: "search",
    description:
      "Search file contents with a regular expression (JavaScript syntax); returns path:line matches, with context lines if asked. Lockfiles, vendored and minified files are skipped.",
    input_schema: {
      type: "object",
      properties: {
        pattern: {
          type: "string",
          description: "A regular expression, e.g. 'export function \\w+'.",
        },
        path: { type: "string", description: "Only under this folder." },
        glob: { type: "string", description: "Only files matching this glob, e.g. '*.ts'." },
        context_lines: { type: "integer", description: "Lines before and after each match (0-5)." },
      },
      required: ["pattern"],
    },
  },
];

/** The editing tools (implementer, docs agent); their handlers are in implementer/working-copy.ts. */
export const EDIT_TOOLS: Tool[] = [
  {
    name: "str_replace",
    description:
      "Replace one exact piece of a file with new text. `old_str` must occur exactly once in the file (include surrounding lines to make it unique), whitespace included. The result reports a syntax check of the file.",
    input_schema: {
      type: "object",
      properties: {
        path: { type: "string" },
        old_str: { type: "string", description: "The exact text to replace; it must occur once." },
        new_str: { type: "string", description: "The replacement; '' deletes old_str." },
      },
      required: ["path", "old_str", "new_str"],
    },
  },
  {
    name: "insert",
    description:
      "Insert text after a line of a file (0 inserts at the top). The result reports a syntax check of the file.",
    input_schema: {
      type: "object",
      properties: {
        path: { type: "string" },
        insert_line: { type: "integer", description: "Insert after this line; 0 for the top." },
        text: { type: "string", description: "The lines to insert." },
      },
      required: ["path", "insert_line", "text"],
    },
  },
  {
    name: "create",
    description:
      "Create a new file with its complete content (an existing file is changed with str_replace or insert, not created again). The result reports a syntax check of the file.",
    input_schema: {
      type: "object",
      properties: { path: { type: "string" }, content: { type: "string" } },
      required: ["path", "content"],
    },
  },
  {
    name: "delete",
    description: "Delete a file.",
    input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
];

/** The editing agents' tools besides their finish: they read as the others do, and edit. */
export const FILE_TOOLS: Tool[] = [...READ_TOOLS, ...EDIT_TOOLS];

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
  const tools = definition.edits
    ? [...FILE_TOOLS, output]
    : definition.reads
      ? [...READ_TOOLS, output]
      : [output];
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
