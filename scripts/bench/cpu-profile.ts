// `node scripts/bench/cpu-profile.ts <file.cpuprofile> [top]`: where a process's CPU time went,
// from a profile written by `node --cpu-prof` (the benchmark writes them with BENCH_PROFILE_DIR):
// self time by package (or by the app's own directory) and by function, idle time left out. Time
// in Node's own code and native frames (a socket write, JSON parsing) is charged to the nearest
// caller in a package or the app, and loading modules at start-up is counted apart.

import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `pg`, `@octokit/webhooks`, `src/app`, `node:internal/…`: where a frame's code lives. */
function moduleOf(url: string): string {
  if (url === "") return "(native, GC, program)";
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage?.[1]) return inPackage[1];
  const own = /\/(src|scripts|testkit)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node scripts/bench/cpu-profile.ts <file.cpuprofile> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 15);
const profile = JSON.parse(await readFile(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
const stackOf = (id: number) => {
  const frames: ProfileNode["callFrame"][] = [];
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at);
    if (node) frames.push(node.callFrame);
  }
  return frames;
};

const STARTUP = "(start-up: loading modules)";
const byModule = new Map<string, number>();
const byFunction = new Map<string, number>();
let busy = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame || frame.functionName === "(idle)") continue;
  busy += us;
  const stack = stackOf(id);
  const loading = stack.some((f) => f.url.startsWith("node:internal/modules"));
  // Node's own code (a socket write, a file write) is charged to the package that called it.
  const charged =
    stack.find((f) => f.url !== "" && !f.url.startsWith("node:")) ??
    stack.find((f) => f.url !== "") ??
    frame;
  const module = loading ? STARTUP : moduleOf(charged.url);
  byModule.set(module, (byModule.get(module) ?? 0) + us);
  const native = charged === frame ? "" : `${frame.functionName || "(anonymous)"} in `;
  const name = loading
    ? STARTUP
    : `${native}${charged.functionName || "(anonymous)"} ${module}:${charged.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}

const show = (title: string, entries: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const share = ((us / busy) * 100).toFixed(1).padStart(5);
    process.stdout.write(`${share}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
  }
};
process.stdout.write(`busy (not idle): ${(busy / 1000).toFixed(0)} ms\n`);
show("self time by module", byModule);
show("self time by function", byFunction);
