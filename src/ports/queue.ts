export type QueueName = "pipeline" | "maintenance";

/** A job to run, as data. Written to the outbox first, then moved to the queue by the relay. */
export interface JobIntent {
  queue: QueueName;
  name: string;
  /** Deterministic, so the same intent twice is one job. No `:`, never integer-like. */
  jobId: string;
  data: unknown;
  /**
   * Run after this delay, and coalesce: adds while the job waits are dropped, an add while it
   * runs queues one more run. For work that reads fresh state (the status comment).
   */
  debounceMs?: number;
  /** Children run first (in parallel); this job runs when all have finished (a BullMQ flow). */
  children?: Omit<JobIntent, "children">[];
}

export interface JobQueue {
  /** Adds the job unless a job with its id exists. */
  enqueue(intent: JobIntent): Promise<void>;
  /** Removes waiting and delayed jobs whose id starts with `prefix`; returns how many. */
  removeJobs(prefix: string): Promise<number>;
  /** Throws when the queue backend is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
