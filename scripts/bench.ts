// `npm run bench`: what the app itself costs next to GitHub and the model, in one run, printed as
// tables and as JSON (also written to bench-results.json). A benchmark, not a test: it checks
// nothing, it reports the targets next to the measured values. docs/benchmarks.md explains the
// method. Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; local defaults).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../testkit/processes.ts";
import { checkServices, serviceUrls } from "../testkit/services.ts";
import { benchIngest, type IngestResult } from "./bench/ingest.ts";
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
  sizes: (process.env.BENCH_SIZES ?? "1,10,50")
    .split(",")
    .map(Number)
    .filter((n) => n > 0),
  workerConcurrency: num("BENCH_WORKER_CONCURRENCY", 16),
  /** Longer than the status comment's 1 s debounce: every step's status edit happens. */
  personPauseMs: num("BENCH_PERSON_PAUSE_MS", 1_500),
  logLevel: process.env.BENCH_LOG_LEVEL ?? "info",
};

const TARGETS = {
  ingestThroughputRatio: 0.5,
  ingestP99Ms: 50,
  appSharePerFeatureMsAtLargest: 300,
  apiCallsPerFeature: 60,
  cacheShareAfterBrief: 0.5,
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

function report(
  ingest: IngestResult,
  orch: OrchestrationResult,
  seconds: { ingest: number; orchestration: number },
) {
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
        ["reads (GET)", calls.reads],
        ["writes (POST, PATCH, PUT, DELETE, GraphQL)", calls.writes],
        ["  of which create content (POST)", calls.contentCreating],
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

  const largest = orch.loads.at(-1);
  const targets = [
    [
      "ingest throughput, app ÷ bare Probot",
      `≥ ${TARGETS.ingestThroughputRatio}×`,
      `${i.throughputRatio.toFixed(2)}×`,
      i.throughputRatio >= TARGETS.ingestThroughputRatio,
    ],
    [
      "ingest p99 acknowledgement (under load)",
      `< ${TARGETS.ingestP99Ms} ms`,
      fmt.ms(i.app.p99Ms),
      i.app.p99Ms < TARGETS.ingestP99Ms,
    ],
    [
      `app's own time per feature at N = ${largest?.features}`,
      `< ${TARGETS.appSharePerFeatureMsAtLargest} ms`,
      fmt.ms(largest?.appSharePerFeatureMs ?? 0),
      (largest?.appSharePerFeatureMs ?? Infinity) < TARGETS.appSharePerFeatureMsAtLargest,
    ],
    [
      "GitHub API calls per feature",
      `≤ ${TARGETS.apiCallsPerFeature}`,
      String(calls.total),
      calls.total <= TARGETS.apiCallsPerFeature,
    ],
    [
      "input tokens from cache after the first stage",
      `≥ ${fmt.pct(TARGETS.cacheShareAfterBrief)}`,
      `${fmt.pct(orch.tokens.cacheShareAfterBrief)} (${orch.tokens.byModel
        .map((m) => `${m.model} ${fmt.pct(m.cacheShareAfterBrief)}`)
        .join(", ")})`,
      orch.tokens.cacheShareAfterBrief >= TARGETS.cacheShareAfterBrief,
    ],
  ] as const;
  say("\nTargets (from the issue)");
  say(
    table(
      ["figure", "target", "measured", "met"],
      targets.map(([name, target, measured, met]) => [name, target, measured, met ? "yes" : "no"]),
    ),
  );
  say(
    `\nRun time: ingest ${seconds.ingest.toFixed(0)} s, orchestration ${seconds.orchestration.toFixed(0)} s`,
  );
  return targets.map(([name, target, measured, met]) => ({ name, target, measured, met }));
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
  let ok = false;
  try {
    const ingestStarted = performance.now();
    const ingest = await benchIngest({
      services,
      logDir,
      logLevel: SETTINGS.logLevel,
      progress,
      ...SETTINGS.ingest,
    });
    const orchestrationStarted = performance.now();
    const orchestration = await benchOrchestration({
      services,
      logDir,
      logLevel: SETTINGS.logLevel,
      sizes: SETTINGS.sizes,
      workerConcurrency: SETTINGS.workerConcurrency,
      personPauseMs: SETTINGS.personPauseMs,
      progress,
    });
    const seconds = {
      ingest: (orchestrationStarted - ingestStarted) / 1000,
      orchestration: (performance.now() - orchestrationStarted) / 1000,
    };
    const targets = report(ingest, orchestration, seconds);
    const results = {
      date: new Date().toISOString(),
      command: "npm run bench",
      machine: { ...machine, loadAverageBefore: loadBefore, loadAverageAfter: loadavg()[0] ?? 0 },
      settings: SETTINGS,
      seconds,
      ingest,
      orchestration: {
        ...orchestration,
        featuresPerHour: featuresPerHour(orchestration.apiCallsPerFeature),
      },
      targets,
    };
    const json = JSON.stringify(results, null, 2);
    await writeFile(join(ROOT, "bench-results.json"), `${json}\n`);
    say("\nJSON (also in bench-results.json):");
    say(json);
    ok = true;
  } catch (error) {
    process.stderr.write(
      `\nThe benchmark stopped: ${error instanceof Error ? error.message : String(error)}\nLogs of the app's processes: ${logDir}\n`,
    );
  } finally {
    if (ok) await rm(logDir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

process.exit(await main());
