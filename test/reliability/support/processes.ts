// The app in child processes, as `npm run start:*` runs it, with its output kept: the suite
// reads the logs for what happened and searches them for keys.

import { type ChildProcess, spawn } from "node:child_process";

export interface AppProcess {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

const running = new Set<AppProcess>();

/** Starts `node src/main/<role>.ts` with `env`. */
export function spawnApp(role: "worker" | "web" | "all", env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(process.execPath, [`src/main/${role}.ts`], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
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
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const app: AppProcess = {
    child,
    lines,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  running.add(app);
  void exited.then(() => running.delete(app));
  return app;
}

/** Kills every app process this test file started. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((app) => app.kill()));
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
