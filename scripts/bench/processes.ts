// The app's roles as child processes (`node src/main/web.ts`, `node src/main/worker.ts`), their
// logs in files, and what /proc tells about them: resident memory and CPU time.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

export interface Role {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node <script>` from the repository root with `env`; output goes to `logFile`. */
export function spawnRole(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Role {
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [resolve(ROOT, script)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return {
    name,
    child,
    logFile,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function exitedEarly(role: Role): Error | null {
  if (role.child.exitCode === null && role.child.signalCode === null) return null;
  const tail = readFileSync(role.logFile, "utf8").split("\n").slice(-15).join("\n");
  return new Error(
    `${role.name} exited (${role.child.exitCode ?? role.child.signalCode}):\n${tail}`,
  );
}

/** Waits until `url` answers any HTTP status. */
export async function waitListening(role: Role, url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const early = exitedEarly(role);
    if (early) throw early;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${role.name} did not listen on ${url} within ${timeoutMs} ms`);
}

/** Waits until the role's log contains `text`. */
export async function waitLog(role: Role, text: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const early = exitedEarly(role);
    if (early) throw early;
    if (readFileSync(role.logFile, "utf8").includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${role.name} did not log "${text}" within ${timeoutMs} ms`);
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond =
        Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcStats {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  peakRss: number;
  /** User + system CPU time, ms. */
  cpuMs: number;
}

/** Memory from /proc/<pid>/status and CPU time from /proc/<pid>/stat (Linux). */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return {
    rss: kb("VmRSS"),
    peakRss: kb("VmHWM"),
    cpuMs: ((utime + stime) * 1000) / clockTicks(),
  };
}

/** Samples the RSS of some processes until stopped; returns the highest seen per process. */
export function sampleRss(pids: Record<string, number>, everyMs = 50) {
  const max: Record<string, number> = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      try {
        max[name] = Math.max(max[name] ?? 0, procStats(pid).rss);
      } catch {
        // The process ended.
      }
    }
  }, everyMs);
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      return max;
    },
  };
}

export const mib = (bytes: number) => bytes / (1024 * 1024);
