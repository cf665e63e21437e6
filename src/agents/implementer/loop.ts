// The editor loop of the implementer and the docs agent: a multi-turn tool loop over an
// in-memory working copy of the branch. The model reads the snapshot and edits files through an
// editor's tools (view, str_replace, insert, create, delete); before it may finish it is shown
// the diff of the whole change to confirm, and a finish with no change is refused (once, for an
// agent that may change nothing). Only the working copy's final difference from the snapshot
// leaves this module, and the caller commits it. Each reply goes back into the conversation
// whole (thinking blocks included, unchanged), as the API requires within a tool loop.

import type {
  ContentBlockParam,
  MessageParam,
  ToolUseBlock,
} from "@anthropic-ai/sdk/resources/messages";
import type { z } from "zod";
import type { AgentName } from "../../core/feature.ts";
import type { PathPolicy } from "../../core/paths.ts";
import { AgentOutputError, AgentRefusedError } from "../../errors.ts";
import type { FileChange, Snapshot } from "../../ports/github.ts";
import { promptBlocks } from "../prompts.ts";
import { AGENT_DEFINITIONS } from "../registry.ts";
import { maxOutputTokens } from "../request.ts";
import { type AgentCall, type AgentDeps, checkBudget, send } from "../run-agent.ts";
import { DocsFinish, ImplementFinish } from "../schemas.ts";
import { FILE_TOOLS } from "../tools.ts";
import { appendUserText, nextConversation, toolResult } from "./conversation.ts";
import { unifiedDiff } from "./diff.ts";
import { type ToolOutcome, WorkingCopy } from "./working-copy.ts";

export interface ImplementRun {
  /** The editing agent (`implement`, `docs`); `context` holds the prompt's variables. */
  call: AgentCall;
  /** The branch head, read once. */
  snapshot: Snapshot;
  /** The repository's allowed and denied paths merged onto `DEFAULT_PATH_POLICY`. */
  policy: PathPolicy;
  /** Values that may never appear in written content or paths (the installation's model key). */
  secretLiterals: string[];
  /** Files the implementer may read but never write or delete (the approved contract tests). */
  readOnly?: string[];
  /** The agent's own limit on what it writes: a refusal reason for a path, or null to allow. */
  writeLimit?: (path: string) => string | null;
  /** Reads a file the archive left out (export-ignore) from GitHub, on its first view. */
  readHidden?: (path: string) => Promise<string | null>;
  /** Model calls allowed before the run fails; default 40. */
  maxTurns?: number;
}

export interface EditorResult<F> {
  /** The working copy's difference from the snapshot, sorted by path: what the caller commits. */
  changes: FileChange[];
  finish: F;
  /** Model calls made. */
  turns: number;
  /** Writes and deletes the policy or the secret scanner refused (none of them is in `changes`). */
  rejected: { path: string; reason: string }[];
}

export type ImplementResult = EditorResult<ImplementFinish>;

/** What differs between the agents that edit: their finish, and whether they may change nothing. */
export interface Editor<F> {
  agent: AgentName;
  /** How errors and the model's reminders name it. */
  who: string;
  finish: z.ZodType<F>;
  /** When the work is done, as the reminder to finish says it. */
  done: string;
  /** A second finish with no change is accepted (the summary says why), else it fails the run. */
  mayChangeNothing: boolean;
  /** The refusal of a first finish with no change. */
  emptyRefusal: string;
  /** What the model checks in the diff before it confirms. */
  confirm: string;
}

const IMPLEMENTER = (fixing: boolean): Editor<ImplementFinish> => ({
  agent: "implement",
  who: "the implementer",
  finish: ImplementFinish,
  done: "when your task is done",
  // A fix round may decline every finding (the summary says why); an implementation with no
  // code has nothing to review.
  mayChangeNothing: fixing,
  emptyRefusal: fixing
    ? `Refused: no file has been changed. Address the findings with str_replace, insert, create or delete, then call \`finish\`. If you judge every finding wrong, call \`finish\` again and say why in the summary.`
    : `Refused: no file has been changed, so there is nothing to commit. Carry out the tasks with str_replace, insert, create or delete, then call \`finish\`. A second \`finish\` with no change fails the feature.`,
  confirm: "your task done, nothing unintended, the contract tests it covers satisfied",
});

export const DOCS_EDITOR: Editor<DocsFinish> = {
  agent: "docs",
  who: "the docs agent",
  finish: DocsFinish,
  done: "when the docs are complete",
  mayChangeNothing: true,
  emptyRefusal: `Refused: no file has been changed. Document the feature with str_replace, insert, create or delete, then call \`${AGENT_DEFINITIONS.docs.tool}\`. If nothing in it is worth documenting, call \`${AGENT_DEFINITIONS.docs.tool}\` again and say why in the summary.`,
  confirm:
    "every user-visible change documented where the repository documents such things, nothing invented, no code changed",
};

export const DEFAULT_MAX_TURNS = 40;
const LAST_TURNS_WARNING = 3;

/**
 * Runs the implementer until it calls `finish` with valid input and a committable change.
 * Every model call is budget-checked and recorded in agent_runs, as in `runAgent`.
 */
export function runImplementer(deps: AgentDeps, run: ImplementRun): Promise<ImplementResult> {
  return runEditor(deps, run, IMPLEMENTER(run.call.context.mode === "fix"));
}

/** Runs an editing agent until it calls its finish tool with valid input and a change it may make. */
export async function runEditor<F>(
  deps: AgentDeps,
  run: ImplementRun,
  editor: Editor<F>,
): Promise<EditorResult<F>> {
  const { call } = run;
  if (call.agent !== editor.agent) {
    throw new Error(`this editor runs the ${editor.agent} agent, not ${call.agent}`);
  }
  const definition = AGENT_DEFINITIONS[editor.agent];
  const FINISH = definition.tool;
  const OWN_TOOLS = [...FILE_TOOLS.map((t) => t.name), FINISH];
  const REMINDER = `Call a tool; call \`${FINISH}\` ${editor.done}.`;
  type Outcome = ToolOutcome | { finish: F };
  const { who } = editor;
  const maxTurns = run.maxTurns ?? DEFAULT_MAX_TURNS;
  const copy = new WorkingCopy(run.snapshot, run.policy, run.secretLiterals, {
    readOnly: run.readOnly ?? [],
    ...(run.readHidden ? { readHidden: run.readHidden } : {}),
    ...(run.writeLimit ? { writeLimit: run.writeLimit } : {}),
  });
  const task = promptBlocks(definition.prompt, call.context);
  let messages: MessageParam[] = [{ role: "user", content: [...task] }];
  let maxTokens = call.setting.maxTokens;
  let turns = 0;
  let grown = false;
  let reminded = false;
  let invalidFinishes = 0;
  let emptyFinishes = 0;
  /** The diff last shown for confirmation: a finish with this very change is accepted. */
  let shownDiff: string | null = null;

  for (;;) {
    // Stopped (a cancel, the sweep or a retry superseded the job): no further turn.
    call.signal?.throwIfAborted();
    if (turns >= maxTurns) {
      throw new AgentOutputError(`${who} did not finish within ${maxTurns} turns`);
    }
    messages = nextConversation(messages, task, () => copy.changes());
    await checkBudget(deps, call, messages, maxTokens);
    turns++;
    const { reply } = await send(deps, call, messages, maxTokens);

    switch (reply.stopReason) {
      case "refusal":
        throw new AgentRefusedError(`the ${editor.agent} agent's model declined the request`);
      case "model_context_window_exceeded":
        throw new AgentOutputError(`${who}'s conversation outgrew the model's context window`);
      case "max_tokens":
        // A cut-off tool call cannot be resumed mid-JSON: ask again with more room, once.
        if (grown || maxTokens >= maxOutputTokens(call.setting)) {
          throw new AgentOutputError(
            `${who}'s reply was cut off at ${maxTokens} output tokens even after a retry with more room`,
          );
        }
        maxTokens = Math.min(maxTokens * 2, maxOutputTokens(call.setting));
        grown = true;
        continue;
    }
    grown = false;

    const uses = reply.content.filter((b): b is ToolUseBlock => b.type === "tool_use");
    if (uses.length === 0) {
      if (reminded) {
        throw new AgentOutputError(`${who} stopped without calling a tool, twice`);
      }
      reminded = true;
      if (reply.content.length > 0) messages.push({ role: "assistant", content: reply.content });
      appendUserText(messages, REMINDER);
      continue;
    }

    messages.push({ role: "assistant", content: reply.content });
    const results: ContentBlockParam[] = [];
    for (const [i, use] of uses.entries()) {
      call.signal?.throwIfAborted();
      const input: Record<string, unknown> = isRecord(use.input) ? use.input : {};
      let outcome: Outcome;
      if (use.name === FINISH) {
        outcome = finishOutcome(input, i === uses.length - 1);
      } else if (OWN_TOOLS.includes(use.name)) {
        outcome = await copy.execute(use.name, input);
      } else {
        outcome = {
          isError: true,
          text: `There is no tool "${use.name.slice(0, 100)}" here. Use ${OWN_TOOLS.filter((t) => t !== FINISH).join(", ")}, and \`${FINISH}\` ${editor.done}.`,
        };
      }
      if ("finish" in outcome) {
        return {
          changes: copy.changes(),
          finish: outcome.finish,
          turns,
          rejected: copy.rejected,
        };
      }
      results.push(toolResult(use.id, outcome.text, outcome.isError));
    }
    const left = maxTurns - turns;
    if (left > 0 && left <= LAST_TURNS_WARNING) {
      results.push({
        type: "text",
        text: `${left} turn${left === 1 ? "" : "s"} left. Complete the remaining work and call \`${FINISH}\`.`,
      });
    }
    messages.push({ role: "user", content: results });
  }

  function finishOutcome(input: Record<string, unknown>, last: boolean): Outcome {
    if (!last) {
      return {
        isError: true,
        text: `Call \`${FINISH}\` alone as the last call of a turn; the calls after it were carried out. Call \`${FINISH}\` again when you are done.`,
      };
    }
    const parsed = editor.finish.safeParse(input);
    if (!parsed.success) {
      invalidFinishes++;
      if (invalidFinishes >= 2) {
        throw new AgentOutputError(
          `${who}'s finish did not match its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        );
      }
      return {
        isError: true,
        text: `Invalid input: ${parsed.error.message}. Call \`${FINISH}\` again with valid input.`,
      };
    }
    const errors = [...copy.finalCheck(), ...copy.syntaxErrors()];
    if (errors.length > 0) {
      return {
        isError: true,
        text: `The change cannot be committed as it is:\n${errors.map((e) => `- ${e.path ? `${e.path}: ` : ""}${e.reason}`).join("\n")}\nCorrect these files (edit or delete them), then call \`${FINISH}\` again.`,
      };
    }
    const changes = copy.changes();
    if (changes.length === 0) {
      emptyFinishes++;
      if (emptyFinishes >= 2 && editor.mayChangeNothing) return { finish: parsed.data };
      if (emptyFinishes >= 2) {
        throw new AgentOutputError(
          `${who} finished twice without changing any file, so there is no code to commit or review`,
        );
      }
      return { isError: true, text: editor.emptyRefusal };
    }
    const diff = unifiedDiff(changes, run.snapshot.files);
    if (diff !== shownDiff) {
      shownDiff = diff;
      return {
        isError: false,
        text: `Not finished yet: confirm the whole change. This is the diff of everything you changed (${changes.length} file${changes.length === 1 ? "" : "s"}):\n\n${diff}\n\nIf it is complete and correct (${editor.confirm}), call \`${FINISH}\` again; otherwise correct it first.`,
      };
    }
    return { finish: parsed.data };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
