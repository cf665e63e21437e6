/*
 * The documented request rules of each model, enforced by the fake on every request (there is
 * no switch to turn them off). Each rule cites the page it follows; the messages are the API's.
 * This table is the fake's own reading of the docs, kept apart from the app's model table on
 * purpose: a fake that shared the app's idea of a model could not catch a wrong one.
 *
 *   [opus]   platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5
 *   [sonnet] platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5
 *   [sonnet-migration] platform.claude.com/docs/en/models/sonnet-5-5/migration-guide
 *   [haiku]  platform.claude.com/docs/en/models/haiku-5-5/whats-new-haiku-5-5 and migration-guide
 *   [effort] platform.claude.com/docs/en/build-with-claude/effort
 *   [strict] platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations
 */
import { type ApiErrorSpec, invalid } from "./api-error.ts";

export type ThinkingType = "adaptive" | "between_tools" | "disabled" | "enabled";
export type Effort = "low" | "medium" | "high" | "xhigh" | "max";

/** [effort]: "low, medium, high, xhigh, and max"; `adaptive` is a mode, not an effort. */
export const EFFORT_LEVELS: readonly Effort[] = ["low", "medium", "high", "xhigh", "max"];

export interface ModelRules {
  /** [opus], [sonnet]: `tool_choice` any/tool → 400. [haiku]: accepted, but the reply has no thinking. */
  forcedToolUse: boolean;
  /** `thinking.type` values accepted, each with the highest effort it is accepted at. */
  thinking: Partial<Record<ThinkingType, Effort>>;
  /** The effort when the request names none. */
  defaultEffort: Effort;
  /** [sonnet-migration], [haiku]: a conversation ending with an assistant turn → 400. */
  prefill: boolean;
  /** [opus], [sonnet]: "a 512-token minimum cacheable prompt"; Haiku 5.5's pages give none, 512 assumed. */
  minCacheableTokens: number;
}

export const MODEL_RULES: Readonly<Record<string, ModelRules>> = {
  // [opus] "thinking is always on: a request that sets thinking: {"type": "disabled"}, or a manual
  // budget with {"type": "enabled", "budget_tokens": N}, returns a 400"; default effort medium.
  // Prefill is not named on the Opus page; refused here as on its siblings (the app never prefills).
  "claude-opus-5-5": {
    forcedToolUse: false,
    thinking: { adaptive: "max" },
    defaultEffort: "medium",
    prefill: false,
    minCacheableTokens: 512,
  },
  // [sonnet] "send thinking: {"type": "between_tools"} instead of "disabled" … accepted at low,
  // medium, and high effort"; "disabled" → 400; effort default high.
  "claude-sonnet-5-5": {
    forcedToolUse: false,
    thinking: { adaptive: "max", between_tools: "high" },
    defaultEffort: "high",
    prefill: false,
    minCacheableTokens: 512,
  },
  // [haiku] "you can still turn thinking off with thinking: {"type": "disabled"} at high effort or
  // below"; manual budgets → 400; forced tool_choice accepted; default effort medium.
  "claude-haiku-5-5": {
    forcedToolUse: true,
    thinking: { adaptive: "max", disabled: "high" },
    defaultEffort: "medium",
    prefill: false,
    minCacheableTokens: 512,
  },
};

/** Models without a row (a test's custom id) get the older, permissive behaviour. */
export const PERMISSIVE_RULES: ModelRules = {
  forcedToolUse: true,
  thinking: { adaptive: "max", disabled: "max", enabled: "max" },
  defaultEffort: "high",
  prefill: true,
  minCacheableTokens: 1024,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const rank = (effort: Effort) => EFFORT_LEVELS.indexOf(effort);

/** The effort and thinking mode a request runs with, once it passed `checkModelRules`. */
export function effectiveThinking(
  body: Record<string, unknown>,
  rules: ModelRules,
): { type: ThinkingType; effort: Effort; display: string } {
  const config = isRecord(body.output_config) ? body.output_config : {};
  const effort = (config.effort as Effort | undefined) ?? rules.defaultEffort;
  const thinking = isRecord(body.thinking) ? body.thinking : {};
  return {
    // [opus], [sonnet], [haiku]: "a request with no thinking field runs with adaptive thinking".
    type: (thinking.type as ThinkingType | undefined) ?? "adaptive",
    effort,
    display: typeof thinking.display === "string" ? thinking.display : "omitted",
  };
}

/** The per-model rules of one Messages (or count_tokens) request; null when it passes. */
export function checkModelRules(
  body: Record<string, unknown>,
  rules: ModelRules,
  countTokens: boolean,
): ApiErrorSpec | null {
  // [opus], [sonnet]: "The same check applies to the token counting endpoint."
  const choice = isRecord(body.tool_choice) ? body.tool_choice.type : undefined;
  if (!rules.forcedToolUse && (choice === "any" || choice === "tool")) {
    return invalid('tool_choice: type "tool" and "any" are not supported for this model.');
  }

  const config = body.output_config;
  if (config !== undefined && config !== null) {
    if (!isRecord(config)) return invalid("output_config: Input should be a valid dictionary");
    if (config.effort !== undefined && config.effort !== null) {
      if (!EFFORT_LEVELS.includes(config.effort as Effort)) {
        return invalid(
          `output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'`,
        );
      }
    }
    if (config.format !== undefined && config.format !== null) {
      const format = config.format;
      if (!isRecord(format) || format.type !== "json_schema" || !isRecord(format.schema)) {
        return invalid("output_config.format: expected { type: 'json_schema', schema }");
      }
      const problem = strictSchemaProblem(format.schema, "output_config.format.schema");
      if (problem) return invalid(problem);
    }
  }

  const thinking = body.thinking;
  if (thinking !== undefined && thinking !== null) {
    if (!isRecord(thinking) || typeof thinking.type !== "string") {
      return invalid("thinking.type: Field required");
    }
    const type = thinking.type as ThinkingType;
    const upTo = rules.thinking[type];
    if (upTo === undefined) {
      // [sonnet-migration] and [opus] give these messages word for word.
      const lowest =
        type === "disabled" && rules.thinking.between_tools
          ? ' Use "thinking.type.between_tools" for the lowest thinking setting, or'
          : " Use";
      return invalid(
        `"thinking.type.${type}" is not supported for this model.${lowest} "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`,
      );
    }
    const { effort } = effectiveThinking(body, rules);
    if (rank(effort) > rank(upTo)) {
      return invalid(
        `"thinking.type.${type}" is not supported at effort "${effort}" for this model; it is accepted up to "${upTo}".`,
      );
    }
    // [sonnet] "between_tools takes no other field: display, budget_tokens, or block_binding
    // sent with it returns a 400 error."
    if (type === "between_tools") {
      const extra = Object.keys(thinking).find((k) => k !== "type");
      if (extra) return invalid(`thinking.between_tools.${extra}: Extra inputs are not permitted`);
    }
  }

  // [sonnet-migration]: the message word for word.
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages.at(-1);
  if (!countTokens && !rules.prefill && isRecord(last) && last.role === "assistant") {
    return invalid(
      "This model does not support assistant message prefill. The conversation must end with a user message.",
    );
  }

  // [strict]: strict tools must compile to a grammar; "A request can have at most 20 strict tools".
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const strict = tools.filter((t) => t.strict === true);
  if (strict.length > 20) return invalid(`tools: at most 20 strict tools; found ${strict.length}`);
  for (const [i, tool] of tools.entries()) {
    if (tool.strict !== true) continue;
    const problem = strictSchemaProblem(tool.input_schema, `tools.${i}.input_schema`);
    if (problem) return invalid(problem);
  }
  return null;
}

/** Keywords strict mode cannot compile [strict] ("Numerical constraints", "String constraints", "Array constraints beyond minItems of 0 or 1"). */
const UNSUPPORTED_KEYWORDS = [
  "minimum",
  "maximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "maxItems",
];

/** Why a schema cannot be used with `strict` or `output_config.format`, or null. */
export function strictSchemaProblem(schema: unknown, path: string): string | null {
  if (Array.isArray(schema)) {
    for (const [i, item] of schema.entries()) {
      const problem = strictSchemaProblem(item, `${path}.${i}`);
      if (problem) return problem;
    }
    return null;
  }
  if (!isRecord(schema)) return null;
  for (const keyword of UNSUPPORTED_KEYWORDS) {
    if (keyword in schema) {
      return `${path}: '${keyword}' is not supported in strict mode or structured outputs`;
    }
  }
  if (typeof schema.minItems === "number" && schema.minItems > 1) {
    return `${path}: 'minItems' above 1 is not supported in strict mode or structured outputs`;
  }
  // [strict]: "additionalProperties (must be set to false for objects)".
  if (schema.type === "object" && schema.additionalProperties !== false) {
    return `${path}: For 'object' type, 'additionalProperties' must be explicitly set to false`;
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isRecord(value)) {
      for (const [name, property] of Object.entries(value)) {
        const problem = strictSchemaProblem(property, `${path}.properties.${name}`);
        if (problem) return problem;
      }
    } else if (
      typeof value === "object" &&
      key !== "enum" &&
      key !== "const" &&
      key !== "default"
    ) {
      const problem = strictSchemaProblem(value, `${path}.${key}`);
      if (problem) return problem;
    }
  }
  return null;
}
