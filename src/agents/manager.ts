/**
 * Runs the background agents: once at start, then on each agent's interval; never two cycles of
 * one agent at once, not even after one was abandoned (a new cycle waits until the abandoned one
 * settled); a cycle that throws or times out marks the agent `Error` and the loop goes on. Loops
 * run only in the process holding the board's "agents" lease, and every write of a cycle checks
 * that lease inside its transaction; an error while checking the lease steps this process down.
 * Other processes follow the published statuses (Running, next run) and can still pause, resume
 * and request a run through the store.
 */
import type { Clock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { Emitter, type Event } from '../domain/event';
import type { Board, BoardReader, StoreChange } from '../store/api';
import { AGENT_NAMES, type AgentName, type BackgroundAgent, type CycleResult, type Logger } from './agent';
import { checkFence, fencedBoard, type Fence } from './fencedBoard';

export type AgentState = 'Idle' | 'Running' | 'Paused' | 'Error' | 'Stopped';

export interface AgentStatus {
  name: AgentName;
  state: AgentState;
  activity: string;
  lastActiveAt?: number | undefined;
  cycleCount: number;
  lastError?: string | undefined;
  nextRunAt?: number | undefined;
  /** The last cycle found something that needs a human. */
  attention: boolean;
  /** True when this process runs the loop; false when the status comes from another window. */
  local: boolean;
}

export const AGENTS_LEASE = 'agents';
/** Meta key another process writes a token into to ask the lease holder for a cycle now. */
export const RUN_NOW_META = (name: AgentName) => `agents.runNow.${name}`;
/** Longest cycle result (as JSON) published for other processes; a longer one is published as its summary. */
const PUBLISHED_RESULT_MAX = 32 * 1024;

/** The cycle that answered another process's run-now request, as the holder published it. */
export interface RunNowAnswer {
  token: string;
  state: AgentState;
  summary: string;
  error?: string | undefined;
  /** The cycle's result as JSON (an agent's statistics and changes), or its summary when too large. */
  result?: Record<string, unknown> | undefined;
}

/**
 * What the lease holder publishes per agent in the store (agent_state.status): the status, plus
 * the answer to the last run-now request from another process.
 */
export interface PublishedAgentStatus extends AgentStatus {
  runNow?: RunNowAnswer | undefined;
}

export interface ManagerSettings {
  intervalSeconds(name: AgentName): number;
  cycleTimeoutMs(): number;
  leaseTimeoutMs(): number;
}

/** Lower bound on an interval whatever the settings say, so a typo cannot spin the CPU. */
export const MIN_INTERVAL_SECONDS: Record<AgentName, number> = { PM: 5, Security: 10, Gatherer: 30, Worktree: 5 };
/** A cycle still running after this long is published as Running to other windows. */
const RUNNING_PUBLISH_DELAY_MS = 1000;

/** A write a cycle made under the lease (for tests and the soak: no two holders write at once). */
export interface CycleWrite {
  agent: AgentName;
  owner: string;
  /** When the lease it wrote under was acquired: one term of one holder. */
  term: number;
  at: number;
}

interface Slot {
  agent: BackgroundAgent;
  status: AgentStatus;
  timer?: ReturnType<typeof setTimeout> | undefined;
  inFlight?: Promise<void> | undefined;
  abort?: AbortController | undefined;
  /** A cycle abandoned after its timeout that has not returned yet: the next one waits for it. */
  abandoned?: Promise<void> | undefined;
  paused: boolean;
  /** A run-now request arrived while a cycle was in flight: run again when it ends. */
  rerun: boolean;
  lastRunNowToken?: string | undefined;
  /** A request from another process the next cycle answers. */
  requestedToken?: string | undefined;
  /** Published until the next answer, so the asker finds it whenever it looks. */
  answer?: RunNowAnswer | undefined;
}

export interface ManagerOptions {
  board: Board;
  clock: Clock;
  log: Logger;
  agents: readonly BackgroundAgent[];
  settings: ManagerSettings;
  /** Overrides the interval floor (tests use milliseconds-long intervals). */
  minIntervalMs?: number;
}

class CycleTimeoutError extends Error {
  constructor(ms: number) {
    super(`cycle timed out after ${Math.round(ms / 1000)} s`);
  }
}

export class AgentManager {
  private readonly slots = new Map<AgentName, Slot>();
  private readonly changed = new Emitter<readonly AgentStatus[]>();
  readonly onDidChangeStatus: Event<readonly AgentStatus[]> = this.changed.event;
  private readonly wrote = new Emitter<CycleWrite>();
  /** A cycle's write went through under the lease. */
  readonly onDidWrite: Event<CycleWrite> = this.wrote.event;
  private leader = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private leaseTimer: ReturnType<typeof setTimeout> | undefined;
  private leaseCheck: Promise<void> | undefined;
  private boardSubscription: { dispose(): void } | undefined;

  constructor(private readonly opts: ManagerOptions) {
    for (const agent of opts.agents) {
      this.slots.set(agent.name, {
        agent,
        paused: false,
        rerun: false,
        status: { name: agent.name, state: 'Stopped', activity: 'Not started', cycleCount: 0, attention: false, local: false },
      });
    }
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Statuses in the fixed order PM, Security, Gatherer, Worktree. */
  statuses(): AgentStatus[] {
    const own = AGENT_NAMES.flatMap((n) => (this.slots.has(n) ? [this.slots.get(n)!.status] : []));
    if (this.leader || this.stopping) return own.map((s) => ({ ...s }));
    return own.map((s) => this.publishedStatus(s.name) ?? { ...s });
  }

  /** Begins competing for the lease; loops start once this process holds it. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    const { board } = this.opts;
    for (const slot of this.slots.values()) slot.paused = board.getAgentState(slot.agent.name)?.paused ?? false;
    this.boardSubscription = board.onDidChange((e) => this.onBoardChange(e));
    void this.leaseLoop();
  }

  /** Checks the lease now, then again after a third of the lease timeout as it is set then. */
  private async leaseLoop(): Promise<void> {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    await this.checkLease();
    if (this.stopping) return;
    const period = Math.max(1000, Math.floor(this.opts.settings.leaseTimeoutMs() / 3));
    this.leaseTimer ??= setTimeout(() => void this.leaseLoop(), period);
  }

  /** Stops every loop, aborts cycles in flight, waits for them, releases the lease. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.boardSubscription?.dispose();
    await this.leaseCheck;
    const wasLeader = this.leader;
    await this.stopLoops('Stopped');
    for (const slot of this.slots.values()) {
      await slot.agent.dispose?.().catch((err: unknown) => this.opts.log.warn(`Stopping the ${slot.agent.name} agent failed: ${errorMessage(err)}`));
    }
    if (wasLeader) {
      try {
        await this.opts.board.releaseLease(AGENTS_LEASE);
      } catch (err) {
        this.opts.log.warn(`Releasing the agents lease failed: ${errorMessage(err)}`);
      }
    }
    this.changed.dispose();
    this.wrote.dispose();
  }

  async pause(name: AgentName): Promise<void> {
    const slot = this.slot(name);
    await this.opts.board.write((tx) => tx.setAgentState(name, { paused: true }));
    this.applyPaused(slot, true);
  }

  async resume(name: AgentName): Promise<void> {
    const slot = this.slot(name);
    await this.opts.board.write((tx) => tx.setAgentState(name, { paused: false }));
    this.applyPaused(slot, false);
  }

  /**
   * Runs a cycle now. In the lease holder it runs here (after the cycle in flight, if any);
   * elsewhere the request goes through the store to the holder. Resolves when the local cycle
   * has finished, or when the request is durable.
   */
  async runNow(name: AgentName): Promise<void> {
    const slot = this.slot(name);
    if (!this.leader) {
      const token = `${this.opts.board.ownerId}@${this.opts.clock.now()}`;
      await this.opts.board.write((tx) => tx.setMeta(RUN_NOW_META(name), token));
      return;
    }
    if (slot.inFlight) {
      slot.rerun = true;
      await slot.inFlight;
      return;
    }
    await this.runCycle(slot, true);
  }

  /**
   * Applies changed settings without a reload: each waiting loop is rescheduled with its interval,
   * and the lease is renewed at once and then at the pace of the lease timeout as it is now.
   */
  reschedule(): void {
    if (!this.started || this.stopping) return;
    void this.leaseLoop();
    if (!this.leader) return;
    for (const slot of this.slots.values()) {
      if (!slot.inFlight && !slot.paused) this.schedule(slot, this.intervalMs(slot.agent.name));
    }
    this.fire();
    void this.publishAll();
  }

  private slot(name: AgentName): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`unknown background agent: ${name}`);
    return slot;
  }

  private intervalMs(name: AgentName): number {
    const floor = this.opts.minIntervalMs ?? MIN_INTERVAL_SECONDS[name] * 1000;
    const seconds = this.opts.settings.intervalSeconds(name);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : MIN_INTERVAL_SECONDS[name] * 1000;
    return Math.max(floor, ms);
  }

  private async checkLease(): Promise<void> {
    if (this.leaseCheck || this.stopping) return;
    this.leaseCheck = (async () => {
      try {
        const held = await this.opts.board.acquireLease(AGENTS_LEASE, this.opts.settings.leaseTimeoutMs());
        if (this.stopping) return;
        if (held && !this.leader) this.becomeLeader();
        else if (!held && this.leader) await this.stopLoops('Stopped', 'Another window runs the background agents');
        else if (!held) this.fire();
      } catch (err) {
        this.opts.log.warn(`Agents lease check failed: ${errorMessage(err)}`);
        // Not knowing whether we still hold the lease, we must act as if we did not: another
        // window may hold it by now.
        if (this.leader && !this.stopping) await this.stopLoops('Stopped', `Stepped down: could not renew the agents lease (${errorMessage(err)})`);
      } finally {
        this.leaseCheck = undefined;
      }
    })();
    await this.leaseCheck;
  }

  private becomeLeader(): void {
    this.leader = true;
    this.opts.log.info('This window now runs the background agents');
    for (const slot of this.slots.values()) {
      slot.lastRunNowToken = this.opts.board.getMeta(RUN_NOW_META(slot.agent.name));
      slot.status = { ...slot.status, local: true, lastError: undefined };
      if (slot.paused) this.setStatus(slot, { state: 'Paused', activity: 'Paused', nextRunAt: undefined });
      else this.schedule(slot, 0);
    }
    this.fire();
  }

  private async stopLoops(state: AgentState, activity = 'Stopped'): Promise<void> {
    if (this.leader) this.opts.log.info(`This window stopped running the background agents: ${activity}`);
    this.leader = false;
    const inFlight: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.abort?.abort(new Error('the background agents are stopping'));
      if (slot.inFlight) inFlight.push(slot.inFlight);
      if (slot.abandoned) inFlight.push(slot.abandoned);
    }
    await Promise.allSettled(inFlight);
    for (const slot of this.slots.values()) {
      slot.status = { ...slot.status, state, activity, nextRunAt: undefined, local: false };
    }
    this.fire();
  }

  private applyPaused(slot: Slot, paused: boolean): void {
    if (slot.paused === paused) return;
    slot.paused = paused;
    if (!this.leader) return;
    if (paused) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      // A cycle in flight finishes; the loop does not go on.
      if (!slot.inFlight) this.setStatus(slot, { state: 'Paused', activity: 'Paused', nextRunAt: undefined });
    } else if (!slot.inFlight) {
      this.schedule(slot, 0);
    }
    this.fire();
  }

  private onBoardChange(e: StoreChange): void {
    if (e.source !== 'external' || this.stopping) return;
    const { board } = this.opts;
    for (const slot of this.slots.values()) {
      this.applyPaused(slot, board.getAgentState(slot.agent.name)?.paused ?? false);
      if (this.leader) {
        const token = board.getMeta(RUN_NOW_META(slot.agent.name));
        if (token !== undefined && token !== slot.lastRunNowToken) {
          slot.lastRunNowToken = token;
          slot.requestedToken = token;
          if (slot.inFlight) slot.rerun = true;
          else void this.runCycle(slot, true);
        }
      }
    }
    if (!this.leader) this.fire();
  }

  private schedule(slot: Slot, delayMs: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    if (!this.leader || this.stopping || slot.paused) return;
    const nextRunAt = this.opts.clock.now() + delayMs;
    slot.status = { ...slot.status, nextRunAt };
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.runCycle(slot, false);
    }, delayMs);
  }

  private runCycle(slot: Slot, manual: boolean): Promise<void> {
    if (slot.inFlight) {
      // Never overlap: the timer will come round again once this cycle is done.
      return slot.inFlight;
    }
    if (!this.leader || this.stopping || (slot.paused && !manual)) return Promise.resolve();
    slot.inFlight = this.afterAbandoned(slot)
      .then(() => (this.leader && !this.stopping ? this.executeCycle(slot) : undefined))
      .finally(() => {
        slot.inFlight = undefined;
        slot.abort = undefined;
        if (!this.leader || this.stopping) return;
        if (slot.rerun) {
          slot.rerun = false;
          void this.runCycle(slot, true);
        } else if (slot.paused) {
          this.setStatus(slot, { state: 'Paused', activity: 'Paused', nextRunAt: undefined });
        } else {
          this.schedule(slot, this.intervalMs(slot.agent.name));
        }
        this.fire();
        void this.publish(slot);
      });
    return slot.inFlight;
  }

  /** Waits until an abandoned cycle of this agent has returned: two never run side by side. */
  private async afterAbandoned(slot: Slot): Promise<void> {
    if (!slot.abandoned) return;
    this.setStatus(slot, { activity: 'Waiting for the abandoned cycle to finish' });
    await slot.abandoned;
  }

  private async executeCycle(slot: Slot): Promise<void> {
    const { board, clock, log, settings } = this.opts;
    const name = slot.agent.name;
    const abort = new AbortController();
    slot.abort = abort;
    const answering = slot.requestedToken;
    slot.requestedToken = undefined;
    const timeoutMs = settings.cycleTimeoutMs();
    this.setStatus(slot, { state: 'Running', activity: 'Starting cycle', lastActiveAt: clock.now(), nextRunAt: undefined });
    // Other windows hear of a cycle that lasts; most are over in milliseconds, and a write each
    // would be most of what a quiet board writes.
    const running = setTimeout(() => void this.publish(slot), RUNNING_PUBLISH_DELAY_MS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const aborted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => abort.abort(new CycleTimeoutError(timeoutMs)), timeoutMs);
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason instanceof Error ? abort.signal.reason : new Error(String(abort.signal.reason))), { once: true });
    });
    aborted.catch(() => undefined);
    const fence: Fence = {
      signal: abort.signal,
      leaseName: AGENTS_LEASE,
      leaseTimeoutMs: () => settings.leaseTimeoutMs(),
      now: () => clock.now(),
      onWrite: (term, at) => this.wrote.fire({ agent: name, owner: board.ownerId, term, at }),
    };
    let result: CycleResult | undefined;
    let cycle: Promise<CycleResult> | undefined;
    try {
      cycle = slot.agent.runCycle({
        board: fencedBoard(board, fence),
        clock,
        log,
        signal: abort.signal,
        setActivity: (text) => {
          if (!abort.signal.aborted) this.setStatus(slot, { activity: text, lastActiveAt: clock.now() });
        },
        fence: async () => {
          await board.refresh();
          checkFence(board, board, fence);
        },
      });
      // A cycle that ignores the signal keeps running (its writes are fenced), and the next cycle
      // of this agent waits until it has returned.
      result = await Promise.race([cycle, aborted]);
      this.setStatus(slot, {
        state: 'Idle',
        activity: result.summary,
        attention: result.attention ?? false,
        cycleCount: slot.status.cycleCount + 1,
        lastActiveAt: clock.now(),
        lastError: undefined,
      });
    } catch (err) {
      if (abort.signal.aborted && cycle) {
        const abandoned: Promise<void> = cycle
          .then(
            () => undefined,
            () => undefined,
          )
          .finally(() => {
            if (slot.abandoned === abandoned) slot.abandoned = undefined;
          });
        slot.abandoned = abandoned;
      }
      if (this.stopping || !this.leader) return;
      const message = errorMessage(err);
      log.error(`${name} agent cycle failed: ${message}`);
      this.setStatus(slot, { state: 'Error', activity: message, lastError: message, lastActiveAt: clock.now() });
    } finally {
      clearTimeout(running);
      if (timer) clearTimeout(timer);
    }
    if (answering !== undefined) {
      const { state, activity, lastError } = slot.status;
      slot.answer = { token: answering, state, summary: result?.summary ?? activity, error: lastError, result: publishable(result) };
    }
    // Published with the status once the next cycle is scheduled (runCycle's finally).
  }

  /**
   * Other windows read the holder's statuses from the store: written when a cycle has run for a
   * second (Running) and once it is over and the next one is scheduled (its next run time).
   * Fenced like a cycle's writes: a window that lost the lease publishes nothing.
   */
  private async publish(slot: Slot): Promise<void> {
    if (!this.leader || this.stopping) return;
    const { board, clock, settings } = this.opts;
    const fence: Fence = { signal: new AbortController().signal, leaseName: AGENTS_LEASE, leaseTimeoutMs: () => settings.leaseTimeoutMs(), now: () => clock.now() };
    try {
      const published: PublishedAgentStatus = { ...slot.status, runNow: slot.answer };
      const status = published as unknown as Record<string, unknown>;
      await board.write((tx) => {
        checkFence(board, tx, fence);
        tx.setAgentState(slot.agent.name, { status, lastCycleAt: clock.now() });
      });
    } catch (err) {
      this.opts.log.warn(`Publishing the ${slot.agent.name} agent's status failed: ${errorMessage(err)}`);
    }
  }

  private async publishAll(): Promise<void> {
    for (const slot of this.slots.values()) await this.publish(slot);
  }

  private publishedStatus(name: AgentName): AgentStatus | undefined {
    return publishedStatus(this.opts.board, name);
  }

  private setStatus(slot: Slot, patch: Partial<AgentStatus>): void {
    slot.status = { ...slot.status, ...patch };
    this.fire();
  }

  private fire(): void {
    this.changed.fire(this.statuses());
  }
}

/** The status the lease holder last published for an agent, as another process reads it. */
export function publishedStatus(reader: Pick<BoardReader, 'getAgentState'>, name: AgentName): AgentStatus | undefined {
  const state = reader.getAgentState(name);
  const published = state?.status as Partial<AgentStatus> | undefined;
  if (!published || typeof published.state !== 'string') return undefined;
  return {
    name,
    state: state?.paused ? 'Paused' : published.state,
    activity: typeof published.activity === 'string' ? published.activity : '',
    lastActiveAt: published.lastActiveAt,
    cycleCount: typeof published.cycleCount === 'number' ? published.cycleCount : 0,
    lastError: published.lastError,
    nextRunAt: published.nextRunAt,
    attention: published.attention === true,
    local: false,
  };
}

/** A cycle's result as plain JSON for the store, or its summary alone when it is too large. */
function publishable(result: CycleResult | undefined): Record<string, unknown> | undefined {
  if (result === undefined) return undefined;
  const json = JSON.stringify(result);
  if (json.length <= PUBLISHED_RESULT_MAX) return JSON.parse(json) as Record<string, unknown>;
  return { summary: result.summary, attention: result.attention ?? false, truncated: true };
}
