/**
 * The runs waiting for a slot: first in, first out, under a limit on how many agent processes may
 * work at once. It only orders and counts; starting a run is the manager's job.
 */
import type { AgentCommand } from './agentCommand';

export const DEFAULT_MAX_PARALLEL = 3;

/** What to start for a queued run the caller recorded. */
export interface LaunchRequest {
  runId: string;
  command: AgentCommand;
  title: string;
  promptFile: string;
  worktree: string;
}

export class RunQueue {
  private readonly waiting: LaunchRequest[] = [];
  private limit: number;

  constructor(limit = DEFAULT_MAX_PARALLEL) {
    this.limit = normalizeParallel(limit);
  }

  get parallelLimit(): number {
    return this.limit;
  }

  setParallelLimit(limit: number): void {
    this.limit = normalizeParallel(limit);
  }

  get length(): number {
    return this.waiting.length;
  }

  push(request: LaunchRequest): void {
    this.waiting.push(request);
  }

  /** The next request when fewer than the limit are running, taken off the queue. */
  next(running: number): LaunchRequest | undefined {
    return running < this.limit ? this.waiting.shift() : undefined;
  }

  /** 1-based place in the queue, or undefined when not queued. */
  position(runId: string): number | undefined {
    const i = this.waiting.findIndex((r) => r.runId === runId);
    return i < 0 ? undefined : i + 1;
  }

  /** Takes a run out of the queue; undefined when it was not there. */
  remove(runId: string): LaunchRequest | undefined {
    const i = this.waiting.findIndex((r) => r.runId === runId);
    return i < 0 ? undefined : this.waiting.splice(i, 1)[0];
  }

  runIds(): string[] {
    return this.waiting.map((r) => r.runId);
  }

  /** Empties the queue, returning what was in it. */
  drain(): LaunchRequest[] {
    return this.waiting.splice(0);
  }
}

function normalizeParallel(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : DEFAULT_MAX_PARALLEL;
}
