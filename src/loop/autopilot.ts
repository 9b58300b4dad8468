/**
 * The autopilot: while it is on (a switch in the board) and this process holds the agents lease,
 * it moves tickets along by itself. It starts READY tickets whose dependencies are DONE, highest
 * priority first, then oldest; it starts the next stage's agent of a ticket that has none working
 * it (a stage just reached, a failed attempt, a heal, a rework), with the earlier attempts in the
 * prompt, until `runs.maxAttempts` attempts of that stage are used, and then blocks the ticket with
 * the reason; it scans a ticket in an automatic stage at once; and it says, once per ticket, when
 * one waits for a person.
 *
 * The limit is one for the whole board: live runs are counted from the board, and the runner
 * counts them again inside the write that records a start, so two processes never exceed it.
 */
import { overlapWithRunning } from '../radar/overlaps';
import { errorMessage, FactoryError } from '../domain/errors';
import { Emitter, type Disposable } from '../domain/event';
import type { Clock } from '../domain/clock';
import { nextStageIn } from '../domain/pipeline';
import { compareForDispatch } from '../domain/dependencies';
import { LIVE_RUN_STATUSES } from '../domain/run';
import { isActive, type Status } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import { AtParallelLimitError } from '../runner/parallelLimit';
import type { Board } from '../store/api';
import { attemptsExhausted, stageAttempts } from './attempts';
import { readAutopilot } from './autopilotState';
import { dispatchPlan } from './queue';
import { stageHandling, waitingForPerson, type StageConfig } from './stageHandling';

/** The actor the autopilot's moves are recorded as. */
export const AUTOPILOT_ACTOR = 'autopilot';
/** How often the autopilot looks again when nothing on the board changed (a lease won, a timer). */
export const DEFAULT_AUTOPILOT_INTERVAL_MS = 5000;
/** How long a ticket whose start failed is left alone before it is tried again. */
const START_BACKOFF_MS = 30_000;

export interface AutopilotSettings extends StageConfig {
  maxParallel(): number;
  maxAttempts(): number;
  /** `autopilot.avoidOverlap`: a ticket whose recorded files overlap a running ticket's waits. */
  avoidOverlap(): boolean;
}

/** The outcome of scanning a ticket's change now (scanTicketNow). */
export interface ScanVerdict {
  pass: boolean;
  blockers: readonly { title: string }[];
  error?: string | undefined;
}

export interface AutopilotDeps {
  board: Board;
  settings: AutopilotSettings;
  clock: Clock;
  log: { info(m: string): void; warn(m: string): void };
  /** Whether this process holds the agents lease now. */
  isLeader(): boolean;
  /** Starts the ticket's current stage (READY: development), refused when `limit` live runs exist. */
  start(ticketId: string, limit: number): Promise<{ run: { id: string; stage: string } }>;
  /** Scans a ticket's change now; without it an automatic stage waits for the Security agent's cycle. */
  scanNow?: ((ticketId: string) => Promise<ScanVerdict>) | undefined;
  /**
   * Lands the next PM_REVIEW ticket that passed, when `land.auto` is on (autoLand); one at a
   * time, in the background, cancelled by the signal when the autopilot is disposed.
   */
  land?: ((signal: AbortSignal) => Promise<unknown>) | undefined;
  intervalMs?: number;
}

export type AutopilotEvent =
  | { kind: 'started'; ticketId: string; stage: string; runId: string }
  | { kind: 'blocked'; ticketId: string; stage: Status; reason: string }
  | { kind: 'waiting'; ticketId: string; stage: Status; title: string }
  | { kind: 'scanned'; ticketId: string; pass: boolean; movedTo?: Status | undefined; reason?: string | undefined }
  | { kind: 'start-failed'; ticketId: string; reason: string };

/** What one pass found: how many runs are live, and whether anything is left for it to do. */
export interface AutopilotPass {
  on: boolean;
  live: number;
  /** Tickets it would start or scan if the limit allowed. */
  pending: number;
}

export class Autopilot implements Disposable {
  private readonly events = new Emitter<AutopilotEvent>();
  readonly onDidEvent = this.events.event;
  private readonly subscription: Disposable;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<AutopilotPass> | undefined;
  private again = false;
  private disposed = false;
  /** Tickets already announced as waiting for a person, with the stage they wait in. */
  private readonly announced = new Map<string, Status>();
  private readonly backoff = new Map<string, number>();
  private readonly scanning = new Set<string>();
  private landing: Promise<void> | undefined;
  private readonly landAbort = new AbortController();
  /** Whether the autopilot was on at the last pass. */
  private lastSeenOn: boolean | undefined;
  /** Whether this process led when the agents' statuses last changed. */
  private lastLeading: boolean | undefined;

  constructor(private readonly deps: AutopilotDeps) {
    this.subscription = deps.board.onDidChange((change) => {
      // Writes that touched no ticket (agent states, leases, the scan cache: several a minute on a
      // quiet board) give it nothing to do, unless one turned the autopilot on or off.
      if (change.noTickets && readAutopilot(deps.board).on === this.lastSeenOn) return;
      this.poke();
    });
    this.timer = setInterval(() => {
      // Off, it only says what waits for a person, which changes with the board and the agents'
      // cycles, and those poke it: the timer is for what a running autopilot waits on (back-offs,
      // free places). Turning it on is a board write.
      if (this.lastSeenOn === false) return;
      this.poke();
    }, deps.intervalMs ?? DEFAULT_AUTOPILOT_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * The background agents' statuses changed. A cycle's status says nothing of the board (what a
   * cycle changes there pokes through the store): only whether this process leads matters.
   */
  agentsChanged(): void {
    const leading = this.deps.isLeader();
    if (leading === this.lastLeading) return;
    this.lastLeading = leading;
    this.poke();
  }

  /** Looks at the board soon (coalesced with a pass in flight). */
  poke(): void {
    if (this.disposed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.pass().catch((err: unknown) => this.deps.log.warn(`Autopilot: ${errorMessage(err)}`));
  }

  /** One pass now (after the one in flight); resolves with what it found. */
  async pass(): Promise<AutopilotPass> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.dispatch();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.again && !this.disposed) {
        this.again = false;
        this.poke();
      }
    }
  }

  private async dispatch(): Promise<AutopilotPass> {
    const { board, settings } = this.deps;
    await board.refresh();
    const on = readAutopilot(board).on;
    this.lastSeenOn = on;
    const liveNow = (): number => board.listRuns({ status: LIVE_RUN_STATUSES }).length;
    if (!this.deps.isLeader() || this.disposed) return { on, live: liveNow(), pending: 0 };
    this.announceWaiting();
    if (!on) return { on, live: liveNow(), pending: 0 };
    const limit = Math.max(1, settings.maxParallel());
    let pending = 0;
    for (const ticket of this.candidates()) {
      if (this.disposed) break;
      const stage: Status = ticket.status === 'READY' ? 'IN_DEV' : ticket.status;
      const handling = stageHandling(stage, settings);
      // Development without an agent is a person's work: the autopilot opens no terminals.
      if (handling === 'person') continue;
      if (handling === 'automatic') {
        if (this.deps.scanNow) pending += this.scanInBackground(ticket) ? 1 : 0;
        continue;
      }
      if ((this.backoff.get(ticket.id) ?? 0) > this.deps.clock.now()) continue;
      if (await this.blockWhenExhausted(ticket, stage)) continue;
      if (this.overlapsRunning(ticket.id)) {
        pending++;
        continue;
      }
      pending++;
      if (liveNow() >= limit) continue;
      try {
        const started = await this.deps.start(ticket.id, limit);
        this.backoff.delete(ticket.id);
        this.events.fire({ kind: 'started', ticketId: ticket.id, stage: started.run.stage, runId: started.run.id });
        pending--;
      } catch (err) {
        if (err instanceof AtParallelLimitError) continue;
        if (err instanceof FactoryError && err.reason === 'status-conflict') continue;
        this.backoff.set(ticket.id, this.deps.clock.now() + START_BACKOFF_MS);
        this.deps.log.warn(`Autopilot: could not start ${ticket.id}: ${errorMessage(err)}`);
        this.events.fire({ kind: 'start-failed', ticketId: ticket.id, reason: errorMessage(err) });
      }
    }
    this.landInBackground();
    return { on, live: liveNow(), pending: pending + this.scanning.size };
  }

  /** Whether the ticket must wait: its recorded files overlap a running ticket's (the conflict radar). */
  private overlapsRunning(ticketId: string): boolean {
    if (!this.deps.settings.avoidOverlap()) return false;
    const { board } = this.deps;
    const running = new Set(board.listRuns({ status: LIVE_RUN_STATUSES }).map((r) => r.ticketId));
    return overlapWithRunning(board.listChangedFiles(), ticketId, running, true) !== undefined;
  }

  /** Starts the next automatic land unless one is in flight; pokes again once it is over. */
  private landInBackground(): void {
    const land = this.deps.land;
    if (!land || this.landing || this.disposed) return;
    this.landing = land(this.landAbort.signal)
      .then(() => undefined)
      .catch((err: unknown) => {
        if (!this.landAbort.signal.aborted) this.deps.log.warn(`Autopilot: landing failed: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.landing = undefined;
      });
  }

  /**
   * What the autopilot may move, in order: tickets already in a stage its agent should work (they
   * are further along), then startable READY tickets in dispatch order, then automatic stages.
   */
  private candidates(): Ticket[] {
    const { board, settings } = this.deps;
    const pipeline = settings.pipeline();
    const worked = new Set(board.listRuns({ status: LIVE_RUN_STATUSES }).map((r) => r.ticketId));
    const stages = pipeline.filter(isActive);
    // The store's own tickets, read and not copied: on a big board a copy of every ticket held the thread.
    const inStage = (stages.length === 0 ? [] : board.readTickets({ status: stages }))
      .filter((t) => !worked.has(t.id) && stageHandling(t.status, settings) !== 'person')
      .sort(compareForDispatch);
    return [...inStage, ...dispatchPlan(board).ready.filter((t) => !worked.has(t.id))];
  }

  /** Blocks the ticket when its stage has used every attempt; true when it did (or it moved meanwhile). */
  private async blockWhenExhausted(ticket: Ticket, stage: Status): Promise<boolean> {
    const max = Math.max(1, this.deps.settings.maxAttempts());
    const attempts = stageAttempts(this.deps.board, ticket.id, stage);
    if (attempts.used < max) return false;
    const reason = attemptsExhausted(stage, attempts, max);
    try {
      await this.deps.board.write((tx) => {
        const live = tx.listRuns({ ticketId: ticket.id, status: LIVE_RUN_STATUSES });
        if (live.length > 0) return;
        tx.transition(ticket.id, ticket.status, 'BLOCKED', AUTOPILOT_ACTOR, reason);
      });
      this.deps.log.info(`Autopilot: ${ticket.id} blocked: ${reason}`);
      this.events.fire({ kind: 'blocked', ticketId: ticket.id, stage, reason });
    } catch (err) {
      if (!(err instanceof FactoryError)) throw err;
    }
    return true;
  }

  /** Starts scanning a ticket in an automatic stage unless it is being scanned; true when it is. */
  private scanInBackground(ticket: Ticket): boolean {
    if (this.scanning.has(ticket.id)) return true;
    if ((this.backoff.get(ticket.id) ?? 0) > this.deps.clock.now()) return false;
    this.scanning.add(ticket.id);
    this.scan(ticket)
      .catch((err: unknown) => {
        this.backoff.set(ticket.id, this.deps.clock.now() + START_BACKOFF_MS);
        this.deps.log.warn(`Autopilot: could not scan ${ticket.id}: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.scanning.delete(ticket.id);
        this.poke();
      });
    return true;
  }

  /**
   * The automatic stage: the change passes when no critical or high finding is open, and goes
   * back to development (its findings are bugs on the ticket) when one is. A scan that could not
   * run leaves the ticket where it is, to be tried again.
   */
  private async scan(ticket: Ticket): Promise<void> {
    const scanNow = this.deps.scanNow;
    if (!scanNow) return;
    const stage = ticket.status;
    const verdict = await scanNow(ticket.id);
    if (verdict.error !== undefined) {
      this.backoff.set(ticket.id, this.deps.clock.now() + START_BACKOFF_MS);
      this.events.fire({ kind: 'scanned', ticketId: ticket.id, pass: false, reason: verdict.error });
      return;
    }
    const to = verdict.pass ? nextStageIn(this.deps.settings.pipeline(), stage) : 'IN_DEV';
    if (to === undefined) return;
    const titles = verdict.blockers.map((b) => b.title).join('; ');
    const note = verdict.pass ? `${stage} passed: the Security scan found no open critical or high finding` : `${stage} failed: open critical/high findings: ${titles}`;
    const moved = await this.deps.board.write((tx) => {
      if (tx.getTicket(ticket.id)?.status !== stage || tx.listRuns({ ticketId: ticket.id, status: LIVE_RUN_STATUSES }).length > 0) return false;
      tx.transition(ticket.id, stage, to, 'Security', note);
      return true;
    });
    if (moved) this.events.fire({ kind: 'scanned', ticketId: ticket.id, pass: verdict.pass, movedTo: to, reason: verdict.pass ? undefined : titles });
  }

  /** One event per ticket that reached a stage only a person can finish. */
  private announceWaiting(): void {
    const waiting = waitingForPerson(this.deps.board, this.deps.settings);
    const now = new Map(waiting.map((t) => [t.id, t.status]));
    for (const [id, stage] of this.announced) if (now.get(id) !== stage) this.announced.delete(id);
    for (const ticket of waiting) {
      if (this.announced.get(ticket.id) === ticket.status) continue;
      this.announced.set(ticket.id, ticket.status);
      this.events.fire({ kind: 'waiting', ticketId: ticket.id, stage: ticket.status, title: ticket.title });
    }
  }

  /** Resolves once the pass in flight (if any) is over and no scan is running. */
  async settle(): Promise<void> {
    while (this.running || this.scanning.size > 0 || this.landing) {
      await this.running?.catch(() => undefined);
      await this.landing;
      if (this.scanning.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  dispose(): void {
    this.disposed = true;
    this.landAbort.abort();
    clearInterval(this.timer);
    this.subscription.dispose();
    this.events.dispose();
  }
}
