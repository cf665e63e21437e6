// Orchestration overhead: N features driven at once from issue to ready pull request by the app's
// web and worker processes (children), with the instant scripted model and the GitHub fake in
// this process. Also the GitHub API calls and model tokens of one feature, and the memory of the
// web and worker processes under the largest load.

import { join } from "node:path";
import { createDatabase } from "../../src/adapters/store/database.ts";
import { DEMO_ANSWER, DEMO_ISSUE, scriptDemoFeature } from "../../testkit/demo-feature.ts";
import type { RequestRecord } from "../../testkit/fakes/github/index.ts";
import {
  driveToReadyPullRequest,
  FeatureWatch,
  type JourneyTimes,
  mergeAndWaitDone,
  openIssue,
  type Person,
} from "../../testkit/journey.ts";
import { waitListening, waitLog } from "../../testkit/processes.ts";
import type { ServiceUrls } from "../../testkit/services.ts";
import { MAINTAINER, OWNER, REPO, startDemoStack } from "../../testkit/stack.ts";
import { type ApiCalls, countApiCalls, type TokenUsage, tokenUsage } from "../demo/report.ts";
import { procStats, sampleRss } from "./processes.ts";

export interface LoadResult {
  features: number;
  /** From the first issue opened to the last pull request marked ready. */
  wallMs: number;
  /** Busy time of the event loop serving the GitHub and model fakes (and the simulated person). */
  fakesBusyMs: number;
  /** wallMs − fakesBusyMs: when the app, not GitHub or the model, was what the run waited for. */
  appShareMs: number;
  appSharePerFeatureMs: number;
  /** CPU time (user + system) of the web and worker processes, per feature. */
  appCpuPerFeatureMs: { web: number; worker: number; total: number };
  /** Issue opened → pull request ready, per feature. */
  latencyMs: { p50: number; max: number };
  githubRequests: number;
  modelRequests: number;
  /** Highest RSS of the worker sampled during this load (bytes). */
  workerPeakRss: number;
}

export interface OrchestrationResult {
  workerConcurrency: number;
  loads: LoadResult[];
  /** One feature at a person's pace, issue opened → merged → done. */
  apiCallsPerFeature: ApiCalls;
  /** Average per feature over the largest load (to ready and its last status edit, not merged). */
  apiCallsPerFeatureAtLoad: {
    total: number;
    reads: number;
    writes: number;
    contentCreating: number;
  };
  /** The same feature, its prompt cache empty at the start. */
  tokens: TokenUsage;
  /** Every feature of the largest load (the cache warm from the others). */
  tokensAtLoad: TokenUsage;
  modelCache: { hits: number; misses: number };
  memory: {
    /** RSS after start and one warm-up feature, before the loads. */
    idle: { web: number; worker: number };
    /** Highest RSS sampled during the largest load. */
    sampledPeak: { web: number; worker: number };
    /** The kernel's peak (VmHWM) after the largest load. */
    peak: { web: number; worker: number };
  };
}

/** Waits until the app has made no GitHub request for `quietMs` (debounced status edits land). */
async function settle(requestLog: readonly RequestRecord[], quietMs = 1_500, maxMs = 15_000) {
  const until = Date.now() + maxMs;
  let length = requestLog.length;
  let since = Date.now();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    if (requestLog.length !== length) {
      length = requestLog.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

export async function benchOrchestration(options: {
  services: ServiceUrls;
  logDir: string;
  logLevel: string;
  sizes: number[];
  workerConcurrency: number;
  /** How long the person of the paced feature reads before each action. */
  personPauseMs: number;
  progress: (text: string) => void;
}): Promise<OrchestrationResult> {
  const stack = await startDemoStack({
    services: options.services,
    run: "bench",
    model: { kind: "scripted" },
    env: {
      LOG_LEVEL: options.logLevel,
      LOG_FORMAT: "json",
      WORKER_CONCURRENCY: String(options.workerConcurrency),
    },
  });
  const model = stack.model;
  if (!model) throw new Error("the benchmark needs the scripted model");
  const web = stack.spawnApp("web", { logFile: join(options.logDir, "web.log") });
  const worker = stack.spawnApp("worker", { logFile: join(options.logDir, "worker.log") });
  const db = createDatabase(stack.db.url, { max: 2 });
  const watch = new FeatureWatch(db, OWNER, REPO, 20);
  try {
    await Promise.all([
      waitListening(web, `http://127.0.0.1:${stack.port}/healthz`),
      waitLog(worker, "workers started"),
    ]);
    const pids = { web: web.child.pid ?? 0, worker: worker.child.pid ?? 0 };
    watch.start();
    const person: Person = {
      github: stack.github,
      send: stack.send,
      watch,
      owner: OWNER,
      repo: REPO,
      login: MAINTAINER,
      stepTimeoutMs: 180_000,
    };
    const journey = async (n: number): Promise<{ issue: number; times: JourneyTimes }> => {
      const issue = await openIssue(person, {
        title: `${DEMO_ISSUE.title} (${n})`,
        body: DEMO_ISSUE.body,
      });
      const times = await driveToReadyPullRequest(person, issue, { answers: [DEMO_ANSWER] });
      return { issue, times };
    };

    options.progress("orchestration: warm-up feature");
    await journey(0);
    const idle = { web: procStats(pids.web).rss, worker: procStats(pids.worker).rss };

    const loads: LoadResult[] = [];
    let tokensAtLoad: TokenUsage | null = null;
    let apiCallsPerFeatureAtLoad: OrchestrationResult["apiCallsPerFeatureAtLoad"] | null = null;
    let sampledPeak = { web: 0, worker: 0 };
    let counter = 0;
    const largest = Math.max(...options.sizes);

    for (const size of options.sizes) {
      await settle(stack.github.requestLog);
      // What the simulated person's polling alone costs this process, to leave it out below.
      const idleStart = performance.eventLoopUtilization();
      const idleStarted = performance.now();
      await new Promise((r) => setTimeout(r, 500));
      const idleBusyShare =
        performance.eventLoopUtilization(idleStart).active / (performance.now() - idleStarted);

      const requestsBefore = stack.github.requestLog.length;
      const modelBefore = model.requests.length;
      const cpuBefore = { web: procStats(pids.web).cpuMs, worker: procStats(pids.worker).cpuMs };
      const sampler = sampleRss(pids);
      const elu = performance.eventLoopUtilization();
      const started = performance.now();
      options.progress(`orchestration: ${size} feature${size > 1 ? "s" : ""} at once`);
      const runs = await Promise.all(Array.from({ length: size }, () => journey(++counter)));
      const wallMs = performance.now() - started;
      const busy = performance.eventLoopUtilization(elu).active;
      const cpuAfter = { web: procStats(pids.web).cpuMs, worker: procStats(pids.worker).cpuMs };
      const max = sampler.stop();
      if (size === largest) sampledPeak = { web: max.web ?? 0, worker: max.worker ?? 0 };
      const requests = stack.github.requestLog.slice(requestsBefore);
      const fakesBusyMs = Math.max(0, busy - idleBusyShare * wallMs);
      const appShareMs = Math.max(0, wallMs - fakesBusyMs);
      const cpu = {
        web: (cpuAfter.web - cpuBefore.web) / size,
        worker: (cpuAfter.worker - cpuBefore.worker) / size,
        total: 0,
      };
      cpu.total = cpu.web + cpu.worker;
      loads.push({
        features: size,
        wallMs,
        fakesBusyMs,
        appShareMs,
        appSharePerFeatureMs: appShareMs / size,
        appCpuPerFeatureMs: cpu,
        latencyMs: {
          p50: percentile(
            runs.map((r) => r.times.ready - r.times.opened),
            50,
          ),
          max: Math.max(...runs.map((r) => r.times.ready - r.times.opened)),
        },
        githubRequests: requests.length,
        modelRequests: model.requests.length - modelBefore,
        workerPeakRss: max.worker ?? 0,
      });

      const featureIds = runs.flatMap((r) => {
        const id = watch.features.get(r.issue)?.id;
        return id ? [id] : [];
      });
      if (size === largest) {
        await settle(stack.github.requestLog);
        const calls = countApiCalls(stack.github.requestLog.slice(requestsBefore));
        apiCallsPerFeatureAtLoad = {
          total: calls.total / size,
          reads: calls.reads / size,
          writes: calls.writes / size,
          contentCreating: calls.contentCreating / size,
        };
        tokensAtLoad = await tokenUsage(db, featureIds);
      }
    }
    const peak = { web: procStats(pids.web).peakRss, worker: procStats(pids.worker).peakRss };

    // One more feature at a person's pace, to merged and done: reading each step for longer
    // than the status comment's debounce, so every step's status edit is counted, and with an
    // empty prompt cache, as a first feature would have.
    options.progress("orchestration: one feature at a person's pace, to merged");
    await settle(stack.github.requestLog);
    model.reset();
    scriptDemoFeature(model);
    const paced: Person = { ...person, pauseMs: options.personPauseMs };
    const requestsBefore = stack.github.requestLog.length;
    const issue = await openIssue(paced, DEMO_ISSUE);
    await driveToReadyPullRequest(paced, issue, { answers: [DEMO_ANSWER] });
    await mergeAndWaitDone(paced, issue);
    await settle(stack.github.requestLog);
    const apiCallsPerFeature = countApiCalls(stack.github.requestLog.slice(requestsBefore));
    const featureId = watch.features.get(issue)?.id;
    const tokens = await tokenUsage(db, featureId ? [featureId] : []);
    if (!tokensAtLoad || !apiCallsPerFeatureAtLoad) throw new Error("no load was measured");
    return {
      workerConcurrency: options.workerConcurrency,
      loads,
      apiCallsPerFeature,
      apiCallsPerFeatureAtLoad,
      tokens,
      tokensAtLoad,
      modelCache: model.cacheStats(),
      memory: { idle, sampledPeak, peak },
    };
  } finally {
    watch.stop();
    await db.destroy().catch(() => {});
    await Promise.all([web.stop(), worker.stop()]);
    await stack.stop().catch(() => {});
  }
}
