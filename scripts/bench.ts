// `npm run bench`: what the app itself costs next to GitHub and the model, in one run, printed as
// tables and as JSON (also written to bench-results.json, git-ignored: the previous run on this
// machine). Each figure is printed beside the previous run's, and the run exits non-zero when a
// target is missed. docs/benchmarks.md explains the method. Needs PostgreSQL and Redis
// (DATABASE_URL, REDIS_URL; local defaults).

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../testkit/processes.ts";
import { checkServices, serviceUrls } from "../testkit/services.ts";
import {
  benchIngest,
  benchJobStart,
  type IngestResult,
  type JobStartResult,
} from "./bench/ingest.ts";
import { benchOrchestration, type OrchestrationResult } from "./bench/orchestration.ts";
import { mib } from "./bench/processes.ts";
import {
  CONTENT_CREATION_LIMIT_PER_HOUR,
  featuresPerHour,
  fmt,
  INSTALLATION_LIMIT_PER_HOUR,
  type TokenUsage,
  table,
} from "./demo/report.ts";

const say = (text = "") => process.stdout.write(`${text}\n`);
const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const SETTINGS = {
  ingest: {
    concurrency: num("BENCH_INGEST_CONCURRENCY", 8),
    rounds: num("BENCH_INGEST_ROUNDS", 6),
    perRound: num("BENCH_INGEST_PER_ROUND", 1_000),
    unloaded: num("BENCH_INGEST_UNLOADED", 400),
    issues: 20,
  },
  jobStartSamples: num("BENCH_JOB_START_SAMPLES", 40),
  sizes: (process.env.BENCH_SIZES ?? "1,10,50")
    .split(",")
    .map(Number)
    .filter((n) => n > 0),
  workerConcurrency: num("BENCH_WORKER_CONCURRENCY", 16),
  /** Longer than the status comment's 1 s debounce: every step's status edit happens. */
  personPauseMs: num("BENCH_PERSON_PAUSE_MS", 1_500),
  logLevel: process.env.BENCH_LOG_LEVEL ?? "info",
};

/** Which parts run (`ingest`, `orchestration`); the others keep their previous figures. */
const PARTS = new Set(
  (process.env.BENCH_PARTS ?? "ingest,orchestration").split(",").map((p) => p.trim()),
);
/** Set: the ingest part's web and bare Probot processes write CPU profiles there. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR || undefined;
/** The command that reproduces this run, its BENCH_* settings included. */
const COMMAND = [
  ...Object.entries(process.env)
    .filter(([name]) => name.startsWith("BENCH_"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`),
  "npm run bench",
].join(" ");

const TARGETS = {
  ingestThroughputRatio: 0.5,
  ingestP99Ms: 50,
  appSharePerFeatureMsAtLargest: 300,
  apiCallsPerFeature: 60,
  featuresPerHourByContent: 25,
  cacheShareAfterBrief: 0.5,
  workerPeakRssMb: 300,
};

function tokensTable(usage: TokenUsage): string {
  const per = (n: number) => fmt.int(n / Math.max(1, usage.features));
  return table(
    ["agent", "calls", "input", "cache read", "cache write", "output", "cost", "from cache"],
    [...usage.byAgent, usage.total].map((a) => {
      const all = a.inputTokens + a.cacheReadTokens + a.cacheWriteTokens;
      return [
        a.agent,
        (a.calls / Math.max(1, usage.features)).toFixed(usage.features > 1 ? 1 : 0),
        per(a.inputTokens),
        per(a.cacheReadTokens),
        per(a.cacheWriteTokens),
        per(a.outputTokens),
        fmt.usd(a.costUsd / Math.max(1, usage.features)),
        fmt.pct(all > 0 ? a.cacheReadTokens / all : 0),
      ];
    }),
  );
}

function reportIngest(ingest: IngestResult, jobStart: JobStartResult) {
  const i = ingest;
  say(
    `\nWebhook ingest — signed issue_comment.created on ${i.issues} issues in conversation, ` +
      `${i.concurrency} in flight, ${i.rounds} alternating rounds of ${fmt.int(i.perRound)} each`,
  );
  say(
    table(
      [
        "target",
        "deliveries/s",
        "p50",
        "p99",
        "max",
        "errors",
        "p50 one at a time",
        "p99 one at a time",
      ],
      [
        [
          "app web process",
          fmt.int(i.app.perSecond),
          fmt.ms(i.app.p50Ms),
          fmt.ms(i.app.p99Ms),
          fmt.ms(i.app.maxMs),
          i.app.errors,
          fmt.ms(i.appUnloaded.p50Ms),
          fmt.ms(i.appUnloaded.p99Ms),
        ],
        [
          "bare Probot",
          fmt.int(i.bare.perSecond),
          fmt.ms(i.bare.p50Ms),
          fmt.ms(i.bare.p99Ms),
          fmt.ms(i.bare.maxMs),
          i.bare.errors,
          fmt.ms(i.bareUnloaded.p50Ms),
          fmt.ms(i.bareUnloaded.p99Ms),
        ],
      ],
    ),
  );
  say(
    `app ÷ bare throughput: ${i.throughputRatio.toFixed(2)}× · deliveries the app recorded: ${fmt.int(i.recorded)}`,
  );

  say(
    `delivery → its job started in a worker process (web and worker apart, one at a time, ${jobStart.samples} deliveries): ` +
      `p50 ${fmt.ms(jobStart.p50Ms)}, p99 ${fmt.ms(jobStart.p99Ms)}, max ${fmt.ms(jobStart.maxMs)}`,
  );
}

function reportOrchestration(orch: OrchestrationResult) {
  say(
    `\nOrchestration — N features at once, issue → ready pull request, instant scripted model, ` +
      `GitHub fake; web and worker as child processes, WORKER_CONCURRENCY=${orch.workerConcurrency}`,
  );
  say(
    table(
      [
        "N",
        "wall",
        "wall/feature",
        "fakes busy",
        "app share",
        "app share/feature",
        "app CPU/feature (web+worker)",
        "latency p50",
        "latency max",
        "GitHub req",
        "model req",
        "worker RSS peak",
      ],
      orch.loads.map((l) => [
        l.features,
        fmt.ms(l.wallMs),
        fmt.ms(l.wallMs / l.features),
        fmt.ms(l.fakesBusyMs),
        fmt.ms(l.appShareMs),
        fmt.ms(l.appSharePerFeatureMs),
        `${fmt.ms(l.appCpuPerFeatureMs.total)} (${Math.round(l.appCpuPerFeatureMs.web)}+${Math.round(l.appCpuPerFeatureMs.worker)})`,
        fmt.ms(l.latencyMs.p50),
        fmt.ms(l.latencyMs.max),
        l.githubRequests,
        l.modelRequests,
        `${mib(l.workerPeakRss).toFixed(0)} MiB`,
      ]),
    ),
  );

  const calls = orch.apiCallsPerFeature;
  const perHour = featuresPerHour(calls);
  say(
    "\nGitHub API calls for one feature (the demo feature, issue → merged → done, at a person's pace)",
  );
  say(
    table(
      ["kind", "calls"],
      [
        ["reads (GET, GraphQL queries)", calls.reads],
        ["writes (POST, PATCH, PUT, DELETE, GraphQL mutations)", calls.writes],
        ["  of which create content (POST, GraphQL mutations)", calls.contentCreating],
        ["total against the installation's limit", calls.total],
        ["installation-token requests (as the app)", calls.appAuth],
        ["archive downloads (not API calls)", calls.downloads],
      ],
    ),
  );
  say(
    `features an hour one installation sustains: ${Math.floor(perHour.byRequests)} by its ${fmt.int(INSTALLATION_LIMIT_PER_HOUR)} requests/h, ` +
      `${Math.floor(perHour.byContent)} by the ${CONTENT_CREATION_LIMIT_PER_HOUR} content-creating requests/h → ${Math.floor(perHour.sustainable)}`,
  );
  const load = orch.apiCallsPerFeatureAtLoad;
  say(
    `at N = ${orch.loads.at(-1)?.features}: ${load.total.toFixed(1)} calls per feature to ready with an instant person (${load.reads.toFixed(1)} reads, ${load.writes.toFixed(1)} writes)`,
  );
  say("by route:");
  say(
    table(
      ["calls", "kind", "route"],
      calls.byRoute.map((r) => [r.count, r.kind, r.route]),
    ),
  );

  say(
    "\nModel tokens per feature by agent (the same feature, the prompt cache empty at its start)",
  );
  say(tokensTable(orch.tokens));
  say(
    `input tokens served from the cache: ${fmt.pct(orch.tokens.cacheShare)} of all, ${fmt.pct(orch.tokens.cacheShareAfterBrief)} after the brief (the first stage)`,
  );
  say(
    table(
      ["model (each its own cache)", "calls", "from cache", "after the brief"],
      orch.tokens.byModel.map((m) => [
        m.model,
        m.calls,
        fmt.pct(m.cacheShare),
        fmt.pct(m.cacheShareAfterBrief),
      ]),
    ),
  );
  say(
    `at N = ${orch.tokensAtLoad.features} (cache warm from the other features): ${fmt.pct(orch.tokensAtLoad.cacheShare)} of all, ${fmt.pct(orch.tokensAtLoad.cacheShareAfterBrief)} after the brief`,
  );

  const m = orch.memory;
  say(`\nMemory (RSS) of the app's processes, N = ${orch.loads.at(-1)?.features}`);
  say(
    table(
      ["process", "idle (after warm-up)", "peak sampled", "peak (VmHWM)"],
      [
        [
          "web",
          `${mib(m.idle.web).toFixed(0)} MiB`,
          `${mib(m.sampledPeak.web).toFixed(0)} MiB`,
          `${mib(m.peak.web).toFixed(0)} MiB`,
        ],
        [
          "worker",
          `${mib(m.idle.worker).toFixed(0)} MiB`,
          `${mib(m.sampledPeak.worker).toFixed(0)} MiB`,
          `${mib(m.peak.worker).toFixed(0)} MiB`,
        ],
      ],
    ),
  );
}

/** The results as written to bench-results.json: the parts that ran, and those carried over. */
interface Results {
  ingest?: IngestResult;
  jobStart?: JobStartResult;
  orchestration?: OrchestrationResult;
}

interface Figure {
  name: string;
  show: (value: number) => string;
  pick: (results: Results) => number | undefined;
  /** The target (from the issue), when the figure has one. */
  target?: { text: string; met: (value: number) => boolean };
}

const ratio = (n: number) => `${n.toFixed(2)}×`;
const perSecond = (n: number) => `${fmt.int(n)}/s`;
const largestLoad = (r: Results) => r.orchestration?.loads.at(-1);

/** The figures guarded from run to run: each printed beside the previous run's. */
const FIGURES: Figure[] = [
  {
    name: "ingest throughput, app ÷ bare Probot",
    show: ratio,
    pick: (r) => r.ingest?.throughputRatio,
    target: {
      text: `≥ ${TARGETS.ingestThroughputRatio}×`,
      met: (v) => v >= TARGETS.ingestThroughputRatio,
    },
  },
  { name: "ingest, app deliveries/s", show: perSecond, pick: (r) => r.ingest?.app.perSecond },
  {
    name: "ingest, bare Probot deliveries/s",
    show: perSecond,
    pick: (r) => r.ingest?.bare.perSecond,
  },
  {
    name: "ingest p99 acknowledgement (under load)",
    show: fmt.ms,
    pick: (r) => r.ingest?.app.p99Ms,
    target: { text: `< ${TARGETS.ingestP99Ms} ms`, met: (v) => v < TARGETS.ingestP99Ms },
  },
  { name: "ingest p50 one at a time", show: fmt.ms, pick: (r) => r.ingest?.appUnloaded.p50Ms },
  { name: "delivery → job start p50", show: fmt.ms, pick: (r) => r.jobStart?.p50Ms },
  { name: "delivery → job start p99", show: fmt.ms, pick: (r) => r.jobStart?.p99Ms },
  {
    name: "app's own time per feature at the largest N",
    show: fmt.ms,
    pick: (r) => largestLoad(r)?.appSharePerFeatureMs,
    target: {
      text: `< ${TARGETS.appSharePerFeatureMsAtLargest} ms`,
      met: (v) => v < TARGETS.appSharePerFeatureMsAtLargest,
    },
  },
  {
    name: "app CPU per feature at the largest N",
    show: fmt.ms,
    pick: (r) => largestLoad(r)?.appCpuPerFeatureMs.total,
  },
  {
    name: "GitHub API calls per feature",
    show: fmt.int,
    pick: (r) => r.orchestration?.apiCallsPerFeature.total,
    target: {
      text: `≤ ${TARGETS.apiCallsPerFeature}`,
      met: (v) => v <= TARGETS.apiCallsPerFeature,
    },
  },
  {
    name: "features an hour by the 500 content-creating requests",
    show: (v) => String(Math.floor(v)),
    pick: (r) => r.orchestration && featuresPerHour(r.orchestration.apiCallsPerFeature).byContent,
    target: {
      text: `≥ ${TARGETS.featuresPerHourByContent}`,
      met: (v) => v >= TARGETS.featuresPerHourByContent,
    },
  },
  {
    name: "input tokens from cache after the first stage",
    show: fmt.pct,
    pick: (r) => r.orchestration?.tokens.cacheShareAfterBrief,
    target: {
      text: `≥ ${fmt.pct(TARGETS.cacheShareAfterBrief)}`,
      met: (v) => v >= TARGETS.cacheShareAfterBrief,
    },
  },
  {
    name: "worker RSS peak at the largest N",
    show: (v) => `${mib(v).toFixed(0)} MiB`,
    pick: (r) => largestLoad(r)?.workerPeakRss,
    // MB as the target is written: 10^6 bytes.
    target: {
      text: `< ${TARGETS.workerPeakRssMb} MB`,
      met: (v) => v < TARGETS.workerPeakRssMb * 1e6,
    },
  },
];

/**
 * Prints every figure measured now beside the previous run's, with its target; returns the
 * figures, and whether every target of a figure measured now is met.
 */
function reportFigures(now: Results, measured: Results, previous: Results | null) {
  const rows = FIGURES.flatMap((figure) => {
    const value = figure.pick(measured);
    if (value === undefined) return [];
    const before = previous ? figure.pick(previous) : undefined;
    const change =
      before === undefined || before === 0
        ? ""
        : `${value >= before ? "+" : ""}${fmt.pct(value / before - 1)}`;
    const met = figure.target ? figure.target.met(value) : null;
    return [{ figure, value, before, change, met }];
  });
  say("\nFigures (previous: the run before this one on this machine, from bench-results.json)");
  say(
    table(
      ["figure", "target", "previous", "now", "change", "met"],
      rows.map((r) => [
        r.figure.name,
        r.figure.target?.text ?? "",
        r.before === undefined ? "—" : r.figure.show(r.before),
        r.figure.show(r.value),
        r.change,
        r.met === null ? "" : r.met ? "yes" : "NO",
      ]),
    ),
  );
  const missed = rows.filter((r) => r.met === false).map((r) => r.figure.name);
  if (missed.length > 0) say(`\nTargets missed: ${missed.join("; ")}`);
  const figures = FIGURES.flatMap((figure) => {
    const value = figure.pick(now);
    return value === undefined
      ? []
      : [
          {
            name: figure.name,
            value,
            target: figure.target?.text ?? null,
            met: figure.target?.met(value) ?? null,
          },
        ];
  });
  return { figures, allMet: missed.length === 0 };
}

async function readPrevious(path: string): Promise<Results | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Results;
  } catch {
    return null; // the first run here, or an unreadable file: nothing to compare with
  }
}

async function main(): Promise<number> {
  const services = serviceUrls();
  const problem = await checkServices(services);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 1;
  }
  const logDir = await mkdtemp(join(tmpdir(), "practical-bench-"));
  const began = performance.now();
  const progress = (text: string) =>
    process.stderr.write(
      `[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`,
    );
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  say(
    `Build Practical — benchmark · ${new Date().toISOString()} · node ${machine.node} · ${machine.cpus} × ${machine.cpu}`,
  );
  const loadBefore = loadavg()[0] ?? 0;
  if (loadBefore > 1) {
    say(
      `Note: this machine is busy with other work (load average ${loadBefore.toFixed(1)} over the last minute): the times will be noisy.`,
    );
  }
  const resultsPath = join(ROOT, "bench-results.json");
  const previous = await readPrevious(resultsPath);
  let ok = false;
  let allMet = false;
  try {
    const measured: Results = {};
    const seconds: Record<string, number> = {};
    if (PARTS.has("ingest")) {
      const started = performance.now();
      measured.ingest = await benchIngest({
        services,
        logDir,
        logLevel: SETTINGS.logLevel,
        progress,
        ...(PROFILE_DIR ? { profileDir: PROFILE_DIR } : {}),
        ...SETTINGS.ingest,
      });
      measured.jobStart = await benchJobStart({
        services,
        logDir,
        logLevel: SETTINGS.logLevel,
        samples: SETTINGS.jobStartSamples,
        progress,
      });
      seconds.ingest = (performance.now() - started) / 1000;
      reportIngest(measured.ingest, measured.jobStart);
    }
    if (PARTS.has("orchestration")) {
      const started = performance.now();
      measured.orchestration = await benchOrchestration({
        services,
        logDir,
        logLevel: SETTINGS.logLevel,
        sizes: SETTINGS.sizes,
        workerConcurrency: SETTINGS.workerConcurrency,
        personPauseMs: SETTINGS.personPauseMs,
        progress,
      });
      seconds.orchestration = (performance.now() - started) / 1000;
      reportOrchestration(measured.orchestration);
    }
    // A part that did not run keeps the previous run's figures, so the next run compares with them.
    const now: Results = {
      ingest: measured.ingest ?? previous?.ingest,
      jobStart: measured.jobStart ?? previous?.jobStart,
      orchestration: measured.orchestration ?? previous?.orchestration,
    };
    const guard = reportFigures(now, measured, previous);
    allMet = guard.allMet;
    say(
      `\nRun time: ${Object.entries(seconds)
        .map(([part, s]) => `${part} ${s.toFixed(0)} s`)
        .join(", ")}`,
    );
    const results = {
      date: new Date().toISOString(),
      command: COMMAND,
      parts: [...PARTS],
      machine: { ...machine, loadAverageBefore: loadBefore, loadAverageAfter: loadavg()[0] ?? 0 },
      settings: SETTINGS,
      seconds,
      ...now,
      ...(now.orchestration
        ? { featuresPerHour: featuresPerHour(now.orchestration.apiCallsPerFeature) }
        : {}),
      figures: guard.figures,
    };
    const json = JSON.stringify(results, null, 2);
    await writeFile(resultsPath, `${json}\n`);
    if (process.env.BENCH_JSON === "1") {
      say("\nJSON (also in bench-results.json):");
      say(json);
    }
    ok = true;
  } catch (error) {
    process.stderr.write(
      `\nThe benchmark stopped: ${error instanceof Error ? error.message : String(error)}\nLogs of the app's processes: ${logDir}\n`,
    );
  } finally {
    if (ok) await rm(logDir, { recursive: true, force: true });
  }
  if (ok && !allMet) process.stderr.write("\nA target was missed (see Figures above).\n");
  return ok && allMet ? 0 : 1;
}

process.exit(await main());
