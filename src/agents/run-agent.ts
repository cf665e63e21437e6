import type {
  ContentBlockParam,
  MessageParam,
  ToolUseBlock,
} from "@anthropic-ai/sdk/resources/messages";
import type { Store } from "../adapters/store/store.ts";
import { monthStart } from "../config/installation-settings.ts";
import { costOf, type Usage, ZERO_USAGE } from "../core/cost.ts";
import type { AgentName } from "../core/feature.ts";
import type { ModelId } from "../core/models.ts";
import { AgentOutputError, AgentRefusedError, BudgetExceededError } from "../errors.ts";
import type { ModelPort, ModelReply } from "../ports/model.ts";
import { GOVERNANCE, promptBlocks } from "./prompts.ts";
import { AGENT_DEFINITIONS, type ModelSetting } from "./registry.ts";
import type { RepoReader } from "./repository/reader.ts";
import { buildRequest, maxOutputTokens, outputRoom } from "./request.ts";

export interface AgentCall {
  agent: AgentName;
  featureId: number;
  installationId: number;
  jobId: string;
  apiKey: string;
  setting: ModelSetting;
  /** The prompt's variables. */
  context: Record<string, unknown>;
  /** USD; the run stops before a call that could exceed it. */
  budgetUsd?: number | undefined;
  /** The branch snapshot the read tools answer from (agents that read the repository). */
  repository?: RepoReader | undefined;
  /**
   * Checks that a schema cannot express (ids that must exist in an earlier artifact): the
   * problems found, told to the model once like a schema error; empty when the answer holds.
   */
  check?: ((output: unknown) => string[]) | undefined;
  /** USD for the installation's calendar month (UTC); checked before every call too. */
  monthlyBudgetUsd?: number | undefined;
  /** Aborts the model call in flight and stops before the next turn (the job was superseded). */
  signal?: AbortSignal | undefined;
}

export interface AgentDeps {
  model: ModelPort;
  store: Store;
}

const MAX_CONTINUATIONS = 3;
/** Turns of reading (list, view, search) an agent may take before it must answer. */
export const MAX_READ_TURNS = 12;

/**
 * Renders the agent's prompt, makes the model answer through the agent's tool, validates
 * the answer against its schema (telling the model what was wrong once), and records
 * every call in agent_runs. Output that still does not parse is an error, never a pass.
 */
export async function runAgent<T>(
  deps: AgentDeps,
  call: AgentCall,
): Promise<{ output: T; runId: number }> {
  const definition = AGENT_DEFINITIONS[call.agent];
  const messages: MessageParam[] = [
    { role: "user", content: promptBlocks(definition.prompt, call.context) },
  ];
  let maxTokens = call.setting.maxTokens;
  let corrected = false;
  let reads = 0;
  let rounds = 0;

  for (;;) {
    call.signal?.throwIfAborted();
    await checkBudget(deps, call, messages, maxTokens);
    const { reply, runId } = await send(deps, call, messages, maxTokens);

    if (reply.stopReason === "refusal") {
      throw new AgentRefusedError(`the ${call.agent} agent's model declined the request`);
    }
    const toolUse = reply.content.find(
      (b): b is ToolUseBlock => b.type === "tool_use" && b.name === definition.tool,
    );
    if (reply.stopReason === "max_tokens") {
      // A cut-off tool call cannot be resumed mid-JSON (and a turn ending with the assistant
      // would be a prefill, which the 5.5 models refuse): ask again with twice the room, up to
      // the model's limit.
      rounds++;
      if (rounds >= MAX_CONTINUATIONS + 2 || maxTokens >= maxOutputTokens(call.setting)) break;
      maxTokens = Math.min(maxTokens * 2, maxOutputTokens(call.setting));
      continue;
    }
    const others = reply.content.filter(
      (b): b is ToolUseBlock => b.type === "tool_use" && b.name !== definition.tool,
    );
    if (!toolUse && others.length > 0 && definition.reads && reads < MAX_READ_TURNS) {
      // A reading turn: every call is answered, and the model goes on.
      reads++;
      messages.push({ role: "assistant", content: reply.content });
      messages.push({ role: "user", content: await readResults(call, others, reads) });
      continue;
    }
    rounds++;
    if (!toolUse) {
      if (corrected || rounds >= MAX_CONTINUATIONS + 2) break;
      corrected = true;
      const correction =
        others.length > 0 && definition.reads
          ? `You have used all ${MAX_READ_TURNS} reading turns: answer now by calling the \`${definition.tool}\` tool exactly once.`
          : `Your answer was not read: answer by calling the \`${definition.tool}\` tool exactly once.`;
      // Every tool_use block must be answered by a tool_result, or the API refuses the turn.
      messages.push({ role: "assistant", content: reply.content });
      messages.push({
        role: "user",
        content:
          others.length === 0
            ? correction
            : others.map((b) => ({
                type: "tool_result" as const,
                tool_use_id: b.id,
                is_error: true,
                content: correction,
              })),
      });
      continue;
    }
    const parsed = definition.schema.safeParse(toolUse.input);
    const problems = parsed.success ? (call.check?.(parsed.data) ?? []) : [];
    if (parsed.success && problems.length === 0) return { output: parsed.data as T, runId };
    const complaint = parsed.success
      ? `Invalid input: ${problems.join("; ")}.`
      : `Invalid input: ${parsed.error.message}.`;
    if (corrected) {
      throw new AgentOutputError(
        parsed.success
          ? `the ${call.agent} agent's output did not hold together: ${problems.join("; ")}`
          : `the ${call.agent} agent's output did not match its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    corrected = true;
    messages.push({ role: "assistant", content: reply.content });
    messages.push({
      role: "user",
      content: [
        ...others.map((b) => ({
          type: "tool_result" as const,
          tool_use_id: b.id,
          is_error: true,
          content: `Not run: \`${definition.tool}\` was called in the same turn.`,
        })),
        {
          type: "tool_result",
          tool_use_id: toolUse.id,
          is_error: true,
          content: `${complaint} Call \`${definition.tool}\` again with valid input.`,
        },
      ],
    });
  }
  throw new AgentOutputError(`the ${call.agent} agent did not produce a complete answer`);
}

/** The answers to one turn of read calls, with a reminder when the reading turns run out. */
async function readResults(
  call: AgentCall,
  uses: ToolUseBlock[],
  reads: number,
): Promise<ContentBlockParam[]> {
  const definition = AGENT_DEFINITIONS[call.agent];
  const results: ContentBlockParam[] = [];
  for (const use of uses) {
    const input =
      typeof use.input === "object" && use.input !== null
        ? (use.input as Record<string, unknown>)
        : {};
    // A file left out of the archive is read from GitHub on its first view.
    const outcome = call.repository
      ? await call.repository.execute(use.name, input)
      : { isError: true, text: "The repository cannot be read in this step." };
    results.push({
      type: "tool_result" as const,
      tool_use_id: use.id,
      content:
        outcome?.text ??
        `There is no tool "${use.name.slice(0, 100)}" here. Use list, view and search to read, and \`${definition.tool}\` to answer.`,
      ...(outcome === null || outcome.isError ? { is_error: true } : {}),
    });
  }
  const left = MAX_READ_TURNS - reads;
  if (left <= 2) {
    results.push({
      type: "text",
      text:
        left === 0
          ? `No reading turns are left: answer now by calling \`${definition.tool}\`.`
          : `${left} reading turn${left === 1 ? "" : "s"} left before you must call \`${definition.tool}\`.`,
    });
  }
  return results;
}

/**
 * One model call, built from the agent and its model's capabilities, recorded in agent_runs
 * whether it succeeds or fails. `maxTokens` is the answer's room; thinking room is added.
 */
export async function send(
  deps: AgentDeps,
  call: AgentCall,
  messages: MessageParam[],
  maxTokens: number,
): Promise<{ reply: ModelReply; runId: number }> {
  const started = performance.now();
  const base = {
    agent: call.agent,
    featureId: call.featureId,
    installationId: call.installationId,
    jobId: call.jobId,
    model: call.setting.model,
  };
  try {
    const reply = await deps.model.send(
      call.apiKey,
      buildRequest(call.agent, call.setting, messages, maxTokens),
      call.signal ? { signal: call.signal } : {},
    );
    // An answer that arrived as the job was stopped is not used.
    call.signal?.throwIfAborted();
    const runId = await recordRun(deps, {
      ...base,
      usage: reply.usage,
      durationMs: performance.now() - started,
      stopReason: reply.stopReason,
      outcome: "ok",
      error: null,
    });
    return { reply, runId };
  } catch (error) {
    const aborted = call.signal?.aborted === true;
    const cause = aborted ? call.signal?.reason : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    await recordRun(deps, {
      ...base,
      usage: null,
      durationMs: performance.now() - started,
      stopReason: null,
      outcome: aborted ? "aborted" : "error",
      error: message,
    });
    // Stopped: the abort's reason (the job was superseded), not the SDK's abort error.
    throw cause;
  }
}

async function recordRun(
  deps: AgentDeps,
  run: {
    agent: AgentName;
    featureId: number;
    installationId: number;
    jobId: string;
    model: ModelId;
    usage: Usage | null;
    durationMs: number;
    stopReason: string | null;
    outcome: string;
    error: string | null;
  },
) {
  const usage = run.usage ?? ZERO_USAGE;
  return deps.store.recordAgentRun({
    featureId: run.featureId,
    installationId: run.installationId,
    agent: run.agent,
    model: run.model,
    jobId: run.jobId,
    usage,
    costUsd: costOf(usage, run.model) ?? 0,
    durationMs: Math.round(run.durationMs),
    stopReason: run.stopReason,
    outcome: run.outcome,
    error: run.error,
  });
}

/**
 * Stops before a call whose input (estimated at 4 characters a token) plus a quarter of its
 * output room (thinking included) would pass the feature's budget or the installation's monthly
 * budget. Checked before every call, so a long tool loop stops in the middle, not after.
 */
export async function checkBudget(
  deps: AgentDeps,
  call: AgentCall,
  messages: MessageParam[],
  maxTokens: number,
) {
  if (call.budgetUsd === undefined && call.monthlyBudgetUsd === undefined) return;
  const inputTokens = Math.ceil((GOVERNANCE.length + JSON.stringify(messages).length) / 4);
  // max_tokens includes the thinking room: thinking is billed as output.
  const room = outputRoom(call.agent, call.setting, maxTokens);
  const next =
    costOf({ ...ZERO_USAGE, inputTokens, outputTokens: Math.ceil(room / 4) }, call.setting.model) ??
    0;
  if (call.budgetUsd !== undefined) {
    const spent = (await deps.store.usageTotals(call.featureId)).costUsd;
    if (spent + next > call.budgetUsd) {
      throw new BudgetExceededError(
        `the feature's budget of $${call.budgetUsd.toFixed(2)} would be exceeded ($${spent.toFixed(4)} spent; the next ${call.agent} call may cost about $${next.toFixed(4)})`,
      );
    }
  }
  if (call.monthlyBudgetUsd !== undefined) {
    const spent = await deps.store.installationSpend(call.installationId, monthStart());
    if (spent + next > call.monthlyBudgetUsd) {
      throw new BudgetExceededError(
        `the installation's monthly budget of $${call.monthlyBudgetUsd.toFixed(2)} would be exceeded ($${spent.toFixed(4)} spent this month; the next ${call.agent} call may cost about $${next.toFixed(4)}); an admin can raise it on the dashboard`,
      );
    }
  }
}
