// How a reliability test reports: each fault and each bad input is one row, written whether the
// test passes or not; each file ends by letting the app settle and counting what is left.

import { REDIS_URL, waitFor } from "../../../testkit/services.ts";
import { type Harness, startHarness } from "../../../testkit/stack.ts";
import { duplicateSideEffects, unfinishedWork } from "./audit.ts";
import { record } from "./report.ts";

/** Runs a fault scenario; the row says whether it was survived (the test's checks passed). */
export async function injected(file: string, name: string, scenario: () => Promise<void>) {
  try {
    await scenario();
  } catch (error) {
    record({ kind: "fault", file, name, survived: false });
    throw error;
  }
  record({ kind: "fault", file, name, survived: true });
}

/**
 * Sends one bad input; the scenario checks it was refused and returns how the sender was
 * answered ("message": one clear reply or response; "silent": ignored by design).
 */
export async function refused(
  file: string,
  name: string,
  scenario: () => Promise<"message" | "silent">,
) {
  let answer: "message" | "silent";
  try {
    answer = await scenario();
  } catch (error) {
    record({
      kind: "bad_input",
      file,
      name,
      rejected: false,
      answer: "none",
      detail: error instanceof Error ? error.message.slice(0, 300) : String(error),
    });
    throw error;
  }
  record({ kind: "bad_input", file, name, rejected: true, answer });
}

/**
 * At the end of a file: waits (up to `timeoutMs`) for the queues and outbox to drain and every
 * feature to come to rest, then records what was left unfinished and what GitHub holds twice.
 */
export async function settle(
  file: string,
  h: Harness,
  options: { redisUrl?: string; timeoutMs?: number } = {},
) {
  const redisUrl = options.redisUrl ?? REDIS_URL;
  let left = await unfinishedWork(h.db.db, redisUrl, h.prefix);
  try {
    left = await waitFor(
      "the app to settle",
      async () => {
        const now = await unfinishedWork(h.db.db, redisUrl, h.prefix);
        left = now;
        return now.count === 0 ? now : null;
      },
      options.timeoutMs ?? 10_000,
    );
  } catch {
    // Recorded below: what is still unfinished is the finding.
  }
  const duplicates = duplicateSideEffects(h.github);
  record({
    kind: "settled",
    file,
    unfinished: left.count,
    duplicates: duplicates.length,
    detail: [...left.detail, ...duplicates].join("; ").slice(0, 2_000),
  });
  return { unfinished: left, duplicates };
}

/**
 * The harness with the suite's short timings: a failed job is retried after 200 ms (then 400,
 * 800) instead of 2 s, and a model call that does not start answering is abandoned after 1 s.
 */
export function startReliabilityHarness(options: Parameters<typeof startHarness>[0] = {}) {
  return startHarness({
    ...options,
    env: { JOB_BACKOFF_MS: "200", MODEL_TIMEOUT_MS: "1000", ...options.env },
  });
}

/** The tool results a recorded model request carries in its last user turn. */
export function toolResults(body: unknown): { text: string; isError: boolean }[] {
  const messages =
    (body as { messages?: { role: string; content: unknown }[] } | undefined)?.messages ?? [];
  const last = messages.findLast((m) => m.role === "user");
  if (!Array.isArray(last?.content)) return [];
  return (last.content as { type?: string; content?: unknown; is_error?: boolean }[])
    .filter((b) => b.type === "tool_result")
    .map((b) => ({
      text: typeof b.content === "string" ? b.content : JSON.stringify(b.content ?? ""),
      isError: b.is_error === true,
    }));
}

/**
 * Runs a scenario that measures a figure; its row shows the value (returned by the scenario)
 * against the target, and whether the scenario's checks held.
 */
export async function measured(
  file: string,
  name: string,
  target: string,
  scenario: () => Promise<string>,
) {
  let value: string;
  try {
    value = await scenario();
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 120) : String(error);
    record({ kind: "measure", file, name, value: `failed: ${detail}`, target, met: false });
    throw error;
  }
  record({ kind: "measure", file, name, value, target, met: true });
}
