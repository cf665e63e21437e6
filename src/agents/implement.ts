// The implementer: a multi-turn tool loop over an in-memory working copy of the branch. The
// model reads the snapshot and writes files through the file tools; every write passes the
// path policy and the secret scanner before it is applied, and a refused write comes back to
// the model as a tool error saying why. Only the working copy's final difference from the
// snapshot leaves this module, and the caller commits it.

import type {
  ContentBlockParam,
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUseBlock,
} from "@anthropic-ai/sdk/resources/messages";
import { checkWriteBatch, checkWriteFile, checkWritePath, type PathPolicy } from "../core/paths.ts";
import { findSecrets, redactSecrets } from "../core/secrets.ts";
import type { FileChange, Snapshot } from "../ports/github.ts";
import { renderPrompt } from "./prompts.ts";
import { AGENT_DEFINITIONS, FILE_TOOLS } from "./registry.ts";
import {
  type AgentCall,
  type AgentDeps,
  AgentOutputError,
  AgentRefusedError,
  checkBudget,
  MAX_TOKENS_CEILING,
  send,
} from "./run-agent.ts";
import { ImplementFinish } from "./schemas.ts";

export interface ImplementRun {
  /** Agent `implement`; `context` holds the prompt's variables. */
  call: AgentCall;
  /** The branch head, read once. */
  snapshot: Snapshot;
  /** The repository's allowed and denied paths merged onto `DEFAULT_PATH_POLICY`. */
  policy: PathPolicy;
  /** Values that may never appear in written content or paths (the installation's model key). */
  secretLiterals: string[];
  /** Model calls allowed before the run fails; default 40. */
  maxTurns?: number;
  /**
   * Told which plan tasks are complete when the model finishes (for the status comment). It
   * runs before the result is returned; an error it throws fails the run.
   */
  onTaskDone?: (taskIds: string[]) => Promise<void>;
}

export interface ImplementResult {
  /** The working copy's difference from the snapshot, sorted by path: what the caller commits. */
  changes: FileChange[];
  finish: ImplementFinish;
  /** Model calls made. */
  turns: number;
  /** Writes and deletes the policy or the secret scanner refused (none of them is in `changes`). */
  rejected: { path: string; reason: string }[];
}

export const DEFAULT_MAX_TURNS = 40;
/** Entries `list_files` returns at most. */
export const LIST_LIMIT = 500;
/** Characters of one file `read_file` returns at most. */
export const READ_LIMIT = 100_000;
/** Matching lines `search_files` returns at most. */
export const SEARCH_LIMIT = 100;
const SEARCH_LINE_CHARS = 200;
/** Past this size (characters of JSON, roughly a quarter as many tokens) old file contents are dropped. */
const COMPACT_AT_CHARS = 400_000;
/** The newest messages are never compacted: the model is working with them. */
const KEEP_RECENT_MESSAGES = 8;
/** Tool results and written contents shorter than this are kept when compacting. */
const COMPACT_MIN_CHARS = 1_000;
/** Marks content dropped from the conversation; a write carrying it is refused. */
const DROPPED_MARK = "[dropped from the conversation to save space";
const LAST_TURNS_WARNING = 3;

const OWN_TOOLS = [...FILE_TOOLS.map((t) => t.name), AGENT_DEFINITIONS.implement.tool];
const FINISH = AGENT_DEFINITIONS.implement.tool;
const REMINDER = `Call a tool; call \`${FINISH}\` when every task is done.`;

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;
const byPath = (a: { path: string }, b: { path: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;

type Outcome = { text: string; isError: boolean } | { finish: ImplementFinish };

/**
 * Runs the implementer until it calls `finish` with valid input and a committable change.
 * Every model call is budget-checked and recorded in agent_runs, as in `runAgent`.
 */
export async function runImplementer(deps: AgentDeps, run: ImplementRun): Promise<ImplementResult> {
  const { call } = run;
  if (call.agent !== "implement") {
    throw new Error(`runImplementer runs the implement agent, not ${call.agent}`);
  }
  const maxTurns = run.maxTurns ?? DEFAULT_MAX_TURNS;
  const copy = new WorkingCopy(run.snapshot, run.policy, run.secretLiterals);
  const messages: MessageParam[] = [
    { role: "user", content: renderPrompt(AGENT_DEFINITIONS.implement.prompt, call.context) },
  ];
  let maxTokens = call.setting.maxTokens;
  let turns = 0;
  let grown = false;
  let reminded = false;
  let invalidFinishes = 0;

  for (;;) {
    if (turns >= maxTurns) {
      throw new AgentOutputError(`the implementer did not finish within ${maxTurns} turns`);
    }
    compact(messages);
    const request = withCacheBreakpoint(messages);
    await checkBudget(deps, call, request, maxTokens);
    turns++;
    const { reply } = await send(deps, call, request, maxTokens, { type: "any" });

    switch (reply.stopReason) {
      case "refusal":
        throw new AgentRefusedError("the implement agent's model declined the request");
      case "model_context_window_exceeded":
        throw new AgentOutputError(
          "the implementer's conversation outgrew the model's context window",
        );
      case "pause_turn":
        if (reply.content.length > 0) messages.push({ role: "assistant", content: reply.content });
        continue;
      case "max_tokens":
        // A cut-off tool call cannot be resumed mid-JSON: ask again with more room, once.
        if (grown || maxTokens >= MAX_TOKENS_CEILING) {
          throw new AgentOutputError(
            `the implementer's reply was cut off at ${maxTokens} output tokens even after a retry with more room`,
          );
        }
        maxTokens = Math.min(maxTokens * 2, MAX_TOKENS_CEILING);
        grown = true;
        continue;
    }
    grown = false;

    const uses = reply.content.filter((b): b is ToolUseBlock => b.type === "tool_use");
    if (uses.length === 0) {
      if (reminded) {
        throw new AgentOutputError("the implementer stopped without calling a tool, twice");
      }
      reminded = true;
      if (reply.content.length > 0) messages.push({ role: "assistant", content: reply.content });
      appendUserText(messages, REMINDER);
      continue;
    }

    messages.push({ role: "assistant", content: reply.content });
    const results: ContentBlockParam[] = [];
    for (const [i, use] of uses.entries()) {
      const input: Record<string, unknown> = isRecord(use.input) ? use.input : {};
      let outcome: Outcome;
      if (use.name === FINISH) {
        outcome = finishOutcome(input, i === uses.length - 1);
      } else if (OWN_TOOLS.includes(use.name)) {
        outcome = copy.execute(use.name, input);
      } else {
        outcome = {
          isError: true,
          text: `There is no tool "${use.name.slice(0, 100)}" here. Use ${OWN_TOOLS.filter((t) => t !== FINISH).join(", ")}, and \`${FINISH}\` when every task is done.`,
        };
      }
      if ("finish" in outcome) {
        await run.onTaskDone?.(outcome.finish.tasksDone);
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
    const parsed = ImplementFinish.safeParse(input);
    if (!parsed.success) {
      invalidFinishes++;
      if (invalidFinishes >= 2) {
        throw new AgentOutputError(
          `the implementer's finish did not match its schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
        );
      }
      return {
        isError: true,
        text: `Invalid input: ${parsed.error.message}. Call \`${FINISH}\` again with valid input.`,
      };
    }
    const errors = copy.finalCheck();
    if (errors.length > 0) {
      return {
        isError: true,
        text: `The change cannot be committed as it is:\n${errors.map((e) => `- ${e.path ? `${e.path}: ` : ""}${e.reason}`).join("\n")}\nCorrect these files (rewrite or delete them), then call \`${FINISH}\` again.`,
      };
    }
    return { finish: parsed.data };
  }
}

// ---------------------------------------------------------------------------------------------
// The working copy: the snapshot's files plus this run's accepted writes and deletes.

class WorkingCopy {
  readonly files: Map<string, string>;
  readonly rejected: { path: string; reason: string }[] = [];
  /** Paths written or deleted in this run (their content may equal the snapshot's again). */
  readonly #touched = new Set<string>();
  readonly #snapshot: Snapshot;
  readonly #policy: PathPolicy;
  readonly #literals: string[];

  constructor(snapshot: Snapshot, policy: PathPolicy, secretLiterals: string[]) {
    this.#snapshot = snapshot;
    this.#policy = policy;
    this.#literals = secretLiterals;
    this.files = new Map(snapshot.files);
  }

  execute(tool: string, input: Record<string, unknown>): { text: string; isError: boolean } {
    switch (tool) {
      case "list_files":
        return this.list(input.path ?? "");
      case "read_file":
        return this.read(input.path);
      case "search_files":
        return this.search(input.query, input.path ?? "");
      case "write_file":
        return this.write(input.path, input.content);
      case "delete_file":
        return this.delete(input.path);
      default:
        return { isError: true, text: `There is no tool "${tool}" here.` };
    }
  }

  /** The difference from the snapshot: changed or new files, and deletions, sorted by path. */
  changes(): FileChange[] {
    const out: FileChange[] = [];
    for (const path of this.#touched) {
      const now = this.files.get(path);
      const before = this.#snapshot.files.get(path);
      if (now === before) continue;
      out.push({ path, content: now ?? null });
    }
    return out.sort(byPath);
  }

  /** The whole change checked as one commit, as the committer would; every problem at once. */
  finalCheck(): { path: string; reason: string }[] {
    const changes = this.changes();
    const writes = changes.flatMap((c) =>
      c.content === null ? [] : [{ path: c.path, content: c.content }],
    );
    const batch = checkWriteBatch(writes, this.#policy, this.#literals);
    const errors = batch.ok ? [] : [...batch.errors];
    for (const change of changes) {
      if (change.content !== null) continue;
      const checked = checkWritePath(change.path, this.#policy);
      if (!checked.ok) errors.push({ path: change.path, reason: checked.reason });
    }
    if (changes.length > this.#policy.maxFiles && writes.length <= this.#policy.maxFiles) {
      errors.push({
        path: "",
        reason: `${changes.length} files changed or deleted in one change; the limit is ${this.#policy.maxFiles}.`,
      });
    }
    return errors;
  }

  list(folderInput: unknown): { text: string; isError: boolean } {
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const entries = [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
    if (entries.length === 0) {
      if (folder.path === "") return { isError: false, text: "The repository has no files." };
      if (this.files.has(folder.path)) {
        return {
          isError: false,
          text: `"${folder.path}" is a file, not a folder; read it with read_file.`,
        };
      }
      return { isError: true, text: `No such folder: "${folder.path}".` };
    }
    const shown = entries.slice(0, LIST_LIMIT);
    const more = entries.length - shown.length;
    return {
      isError: false,
      text:
        shown.join("\n") +
        (more > 0
          ? `\n[${more} more files not shown (${entries.length} in all); list a subfolder]`
          : ""),
    };
  }

  read(pathInput: unknown): { text: string; isError: boolean } {
    const path = readPath(pathInput, false);
    if (!path.ok) return { isError: true, text: path.reason };
    const content = this.files.get(path.path);
    if (content === undefined) {
      const prefix = `${path.path}/`;
      const isFolder = [...this.files.keys()].some((p) => p.startsWith(prefix));
      return {
        isError: true,
        text: isFolder
          ? `No such file: "${path.path}" is a folder; list it with list_files.`
          : `No such file: "${path.path}". (The snapshot leaves out binary and very large files.)`,
      };
    }
    if (content === "") return { isError: false, text: "[the file is empty]" };
    if (content.length <= READ_LIMIT) return { isError: false, text: content };
    return {
      isError: false,
      text: `${content.slice(0, READ_LIMIT)}\n[… truncated: the file has ${content.length} characters and only the first ${READ_LIMIT} are shown. Do not rewrite this file with write_file: the rest of it would be lost.]`,
    };
  }

  search(queryInput: unknown, folderInput: unknown): { text: string; isError: boolean } {
    if (typeof queryInput !== "string" || queryInput === "") {
      return { isError: true, text: "search_files needs a non-empty `query` string." };
    }
    const folder = readPath(folderInput, true);
    if (!folder.ok) return { isError: true, text: folder.reason };
    const prefix = folder.path === "" ? "" : `${folder.path}/`;
    const paths = [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
    const lines: string[] = [];
    let more = false;
    search: for (const path of paths) {
      const content = this.files.get(path) ?? "";
      if (!content.includes(queryInput)) continue;
      const fileLines = content.split("\n");
      for (const [i, line] of fileLines.entries()) {
        if (!line.includes(queryInput)) continue;
        if (lines.length >= SEARCH_LIMIT) {
          more = true;
          break search;
        }
        const text = line.trim();
        lines.push(
          `${path}:${i + 1}: ${text.length > SEARCH_LINE_CHARS ? `${text.slice(0, SEARCH_LINE_CHARS)}…` : text}`,
        );
      }
    }
    if (lines.length === 0) {
      return {
        isError: false,
        text: `No matches for ${JSON.stringify(queryInput)}${prefix ? ` under "${folder.path}"` : ""}.`,
      };
    }
    return {
      isError: false,
      text:
        lines.join("\n") +
        (more
          ? `\n[more than ${SEARCH_LIMIT} matches; the rest are not shown. Narrow the search with a longer query or a path.]`
          : ""),
    };
  }

  write(pathInput: unknown, content: unknown): { text: string; isError: boolean } {
    if (typeof pathInput !== "string" || typeof content !== "string") {
      return {
        isError: true,
        text: "write_file needs a `path` string and the file's complete `content` as a string.",
      };
    }
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, "written");
    if (content.includes(DROPPED_MARK)) {
      return this.#refuse(
        path.path,
        `The content contains the placeholder "${DROPPED_MARK}…" from the conversation history, not the file's text. Read the file again and write its complete content.`,
        "written",
      );
    }
    const checked = checkWriteFile({ path: path.path, content }, this.#policy, this.#literals);
    if (!checked.ok) return this.#refuse(path.path, checked.reason, "written");
    const clash = this.#caseClash(path.path);
    if (clash !== undefined) {
      return this.#refuse(
        path.path,
        `"${path.path}" differs only in letter case from the existing "${clash}"; such files clash on macOS and Windows checkouts. Write to "${clash}", or delete it first to rename it.`,
        "written",
      );
    }
    const batch = this.#batchProblem(path.path, content);
    if (batch !== null) return this.#refuse(path.path, batch, "written");

    const existed = this.files.has(path.path);
    const before = this.files.get(path.path);
    this.files.set(path.path, content);
    this.#touched.add(path.path);
    const bytes = byteLength(content);
    return {
      isError: false,
      text:
        before === content
          ? `${path.path} already had this content; nothing changed.`
          : `Wrote ${path.path} (${bytes} bytes${existed ? "" : ", new file"}).`,
    };
  }

  delete(pathInput: unknown): { text: string; isError: boolean } {
    if (typeof pathInput !== "string") {
      return { isError: true, text: "delete_file needs a `path` string." };
    }
    const path = this.#checkPath(pathInput);
    if (!path.ok) return this.#refuse(path.shown, path.reason, "deleted");
    if (!this.files.has(path.path)) {
      return { isError: true, text: `No such file: "${path.path}"; nothing was deleted.` };
    }
    const batch = this.#batchProblem(path.path, null);
    if (batch !== null) return this.#refuse(path.path, batch, "deleted");
    this.files.delete(path.path);
    this.#touched.add(path.path);
    return { isError: false, text: `Deleted ${path.path}.` };
  }

  /** The write policy plus a secret check of the path itself (a path is committed too). */
  #checkPath(
    raw: string,
  ): { ok: true; path: string } | { ok: false; shown: string; reason: string } {
    if (findSecrets(raw, this.#literals).length > 0) {
      return {
        ok: false,
        shown: redactSecrets(raw, this.#literals),
        reason:
          "The path looks like it contains a secret. Never put credentials in file names; choose an ordinary name.",
      };
    }
    const checked = checkWritePath(raw, this.#policy);
    return checked.ok ? checked : { ok: false, shown: raw, reason: checked.reason };
  }

  #refuse(path: string, reason: string, verb: "written" | "deleted") {
    this.rejected.push({ path, reason });
    return { isError: true, text: `Refused: ${reason} The file was not ${verb}.` };
  }

  #caseClash(path: string): string | undefined {
    const folded = path.toLowerCase();
    for (const other of this.files.keys()) {
      if (other !== path && other.toLowerCase() === folded) return other;
    }
    return undefined;
  }

  /** The change's file count and size with one more write (or delete, `content` null). */
  #batchProblem(path: string, content: string | null): string | null {
    let count = 0;
    let bytes = 0;
    for (const p of new Set([...this.#touched, path])) {
      const now = p === path ? (content ?? undefined) : this.files.get(p);
      if (now === this.#snapshot.files.get(p)) continue;
      count++;
      if (now !== undefined) bytes += byteLength(now);
    }
    if (count > this.#policy.maxFiles) {
      return `This would make ${count} changed files in one change; the limit is ${this.#policy.maxFiles}. Change fewer files.`;
    }
    if (bytes > this.#policy.maxTotalBytes) {
      return `This would make the change ${bytes} bytes in all; the limit is ${this.#policy.maxTotalBytes}. Write less.`;
    }
    return null;
  }
}

/**
 * A path to read or list: relative to the root, `./` and doubled slashes ignored; a leading
 * slash is tolerated (reads cannot leave the in-memory copy), `..` is not.
 */
function readPath(
  input: unknown,
  folder: boolean,
): { ok: true; path: string } | { ok: false; reason: string } {
  if (typeof input !== "string") {
    return { ok: false, reason: "`path` must be a string relative to the repository root." };
  }
  const segments = input.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    return {
      ok: false,
      reason: `"${input}" contains '..'. Paths are relative to the repository root, like src/app.ts.`,
    };
  }
  if (!folder && segments.length === 0) {
    return { ok: false, reason: "The path names no file. Give a path like src/app.ts." };
  }
  return { ok: true, path: segments.join("/") };
}

function toolResult(toolUseId: string, text: string, isError: boolean): ToolResultBlockParam {
  return {
    type: "tool_result",
    tool_use_id: toolUseId,
    content: text,
    ...(isError ? { is_error: true } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function appendUserText(messages: MessageParam[], text: string): void {
  const last = messages.at(-1);
  const block: TextBlockParam = { type: "text", text };
  if (last === undefined || last.role !== "user") {
    messages.push({ role: "user", content: [block] });
    return;
  }
  last.content =
    typeof last.content === "string"
      ? [{ type: "text", text: last.content }, block]
      : [...last.content, block];
}

/**
 * The conversation with a cache breakpoint on its newest user block, so each turn reads the
 * previous turns from the prompt cache instead of paying for them again. The stored messages
 * stay unmarked: the API allows four breakpoints, and the system prompt holds one.
 */
function withCacheBreakpoint(messages: MessageParam[]): MessageParam[] {
  const last = messages.at(-1);
  if (last === undefined || last.role !== "user") return messages;
  const blocks: ContentBlockParam[] =
    typeof last.content === "string" ? [{ type: "text", text: last.content }] : [...last.content];
  const lastBlock = blocks.at(-1);
  if (lastBlock === undefined || (lastBlock.type !== "text" && lastBlock.type !== "tool_result")) {
    return messages;
  }
  blocks[blocks.length - 1] = { ...lastBlock, cache_control: { type: "ephemeral" } };
  return [...messages.slice(0, -1), { role: "user", content: blocks }];
}

/**
 * Keeps a long run within the context window: once the conversation passes COMPACT_AT_CHARS,
 * large tool results and written contents of all but the newest messages are replaced by a
 * note. It happens in one step, so the cached prefix stays valid until the next compaction.
 */
function compact(messages: MessageParam[]): void {
  if (JSON.stringify(messages).length <= COMPACT_AT_CHARS) return;
  const end = messages.length - KEEP_RECENT_MESSAGES;
  // The first message is the task itself: it is never dropped.
  for (let i = 1; i < end; i++) {
    const message = messages[i];
    if (message === undefined || typeof message.content === "string") continue;
    message.content = message.content.map((block) => {
      if (
        block.type === "tool_result" &&
        typeof block.content === "string" &&
        block.content.length > COMPACT_MIN_CHARS
      ) {
        return {
          ...block,
          content: `${DROPPED_MARK}: ${block.content.length} characters; call the tool again if you need them]`,
        };
      }
      if (block.type === "tool_use" && block.name === "write_file" && isRecord(block.input)) {
        const content = block.input.content;
        if (typeof content === "string" && content.length > COMPACT_MIN_CHARS) {
          return {
            ...block,
            input: {
              ...block.input,
              content: `${DROPPED_MARK}: ${content.length} characters; read_file shows the file's current content]`,
            },
          };
        }
      }
      return block;
    });
  }
}
