// What /proc tells about the app's processes: resident memory and CPU time.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

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
