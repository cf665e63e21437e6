// The app's roles as child processes, as `npm run start:*` runs them (`node src/main/<role>.ts`,
// with the heap flags of the roles that run workers),
// with their output kept: in memory (the reliability suite reads the logs for what happened and
// searches them for keys) or in a file (the benchmark, whose own event loop must not carry it).

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");

export type Role = "web" | "worker" | "all";

/**
 * V8's heap flags of the roles that run workers, as package.json's `start` and `start:worker`
 * and the Dockerfile give them: a small young generation and a ceiling on the old one, so V8
 * collects instead of growing the heap (docs/benchmarks.md, "A bounded worker heap").
 */
export const WORKER_NODE_FLAGS = ["--max-semi-space-size=4", "--max-old-space-size=384"];

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** stdout and stderr lines so far (empty when the output goes to `logFile`). */
  lines: string[];
  logFile: string | null;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<AppProcess>();

/**
 * Starts `node src/main/<role>.ts` (or another `script` of the repository) with `env`, from the
 * repository root.
 */
export function spawnApp(
  role: Role,
  env: NodeJS.ProcessEnv,
  options: { script?: string; name?: string; logFile?: string } = {},
): AppProcess {
  const script = resolve(ROOT, options.script ?? `src/main/${role}.ts`);
  const args = [...(role === "web" ? [] : WORKER_NODE_FLAGS), script];
  const lines: string[] = [];
  let child: ChildProcess;
  if (options.logFile) {
    const fd = openSync(options.logFile, "a");
    child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
  } else {
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let rest = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        lines.push(...parts);
      });
      stream?.on("end", () => {
        if (rest) lines.push(rest);
      });
    };
    collect(child.stdout);
    collect(child.stderr);
  }
  const exited = new Promise<number | string>((done) =>
    child.once("exit", (code, signal) => done(code ?? signal ?? "unknown")),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const app: AppProcess = {
    name: options.name ?? role,
    child,
    lines,
    logFile: options.logFile ?? null,
    exited,
    async kill() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(app);
  void exited.then(() => running.delete(app));
  return app;
}

/** Kills every app process started here that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((app) => app.kill()));
}

/** What the process has printed so far. */
export function outputOf(app: AppProcess): string {
  return app.logFile ? readFileSync(app.logFile, "utf8") : app.lines.join("\n");
}

function exitedEarly(app: AppProcess): Error | null {
  if (app.child.exitCode === null && app.child.signalCode === null) return null;
  const tail = outputOf(app).split("\n").slice(-15).join("\n");
  return new Error(`${app.name} exited (${app.child.exitCode ?? app.child.signalCode}):\n${tail}`);
}

/** Waits until `url` answers any HTTP status; fails at once when the process exits. */
export async function waitListening(app: AppProcess, url: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const early = exitedEarly(app);
    if (early) throw early;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${app.name} did not listen on ${url} within ${timeoutMs} ms`);
}

/** Waits until the process's output contains `text`; fails at once when the process exits. */
export async function waitLog(app: AppProcess, text: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const early = exitedEarly(app);
    if (early) throw early;
    if (outputOf(app).includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${app.name} did not log "${text}" within ${timeoutMs} ms`);
}

/** Parsed JSON log lines (pino), skipping anything else. */
export function logRecords(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as unknown;
      return typeof parsed === "object" && parsed !== null
        ? [parsed as Record<string, unknown>]
        : [];
    } catch {
      return [];
    }
  });
}
