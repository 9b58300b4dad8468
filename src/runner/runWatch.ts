/**
 * Watches every process run's output for what a person must know while it lives: it waits for
 * input (a request in its machine output, a known prompt in its text, or silence after a
 * question), it repeats itself (the loop detector), or its ticket has used up its budget (then it
 * is stopped through the runner's stop routine and the ticket BLOCKED). Needs input and loops are
 * written on the run (`attention`), where the agent's own hooks write theirs too
 * (`agent-factory heartbeat --state waiting|working`); everything is also published as a notice.
 *
 * It wraps the output observer the RunManager is given (the AgentOutputReader's), and reads the
 * reader's events, so the runner itself needs no change to be watched.
 */
import { systemClock, type Clock } from '../domain/clock';
import { errorMessage } from '../domain/errors';
import { Emitter, type Disposable, type Event } from '../domain/event';
import { isLive, type Run } from '../domain/run';
import { attentionText, type NeedsInputSource, type RunAttention } from '../domain/runAttention';
import { silentLogger, type Logger } from '../domain/logger';
import { isActive } from '../domain/status';
import type { TokenUsage } from '../domain/usage';
import type { Board } from '../store/api';
import type { AgentCommand } from './agentCommand';
import type { RunAgentEvent } from './agentOutputReader';
import { budgetReached, hasBudget, ticketUsage, type RunBudget } from './budget';
import { LoopDetector, type LoopEvidence } from './loopDetector';
import { maskEvidence } from './maskEvidence';
import type { ProfileName } from './profiles/profile';
import { isPromptLine, looksLikeQuestion } from './profiles/promptPatterns';
import { readTail, runLogFile } from './runFiles';
import type { RunOutputObserver, RunOutputObserverFactory } from './runManager';
import { ensurePmThread } from './threads';

export interface RunWatchSettings {
  /** Same tool call or output line this many times in a row is a loop; below 2, off. */
  loopRepeats: number;
  /** Silence after a question-like last line, before the run is shown as needing input. */
  promptSilenceMs: number;
  budget: RunBudget;
}

export type RunNotice =
  | { kind: 'needs-input'; run: Run; reason: string }
  | { kind: 'loop'; run: Run; evidence: string }
  | { kind: 'budget'; run: Run; reason: string };

export interface RunWatchOptions {
  board: Board;
  /** Read at each run's start (loop, silence) and at each usage report (budget). */
  settings: () => RunWatchSettings;
  /** The runner's stop routine: ends the run (process tree included) with this note. */
  stop: (runId: string, note: string) => Promise<unknown>;
  /** The output reader's events (usage, tool calls, requests for a person). */
  events: Event<RunAgentEvent>;
  clock?: Clock;
  log?: Logger;
  /** How often silent runs are looked at. */
  checkEveryMs?: number;
}

interface Watched {
  run: Run;
  profile: ProfileName | undefined;
  loop: LoopDetector;
  silenceMs: number;
  lastLineAt: number;
  silenceChecked: boolean;
  usage?: TokenUsage | undefined;
  budgetHit: boolean;
  writes: Promise<void>;
}

export const DEFAULT_SILENCE_CHECK_MS = 5000;

export class RunWatch implements Disposable {
  private readonly board: Board;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly settings: () => RunWatchSettings;
  private readonly stopRun: RunWatchOptions['stop'];
  private readonly watched = new Map<string, Watched>();
  private readonly notices = new Emitter<RunNotice>();
  private readonly subscription: Disposable;
  private readonly pending = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  /** Needs input, a loop, or a budget reached, as the watch found it. */
  readonly onDidNotice = this.notices.event;

  constructor(options: RunWatchOptions) {
    this.board = options.board;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.settings = options.settings;
    this.stopRun = options.stop;
    this.subscription = options.events((e) => this.onEvent(e));
    this.timer = setInterval(() => void this.checkSilence(), options.checkEveryMs ?? DEFAULT_SILENCE_CHECK_MS);
    this.timer.unref();
  }

  /** The RunManager's `observeOutput`: `inner` (the output reader's) first, then the watch. */
  observe(inner: RunOutputObserverFactory | undefined): RunOutputObserverFactory {
    return (run: Run, command: AgentCommand): RunOutputObserver => {
      const innerObserver = inner?.(run, command);
      const settings = this.settings();
      const state: Watched = {
        run,
        profile: command.profile,
        loop: new LoopDetector(settings.loopRepeats),
        silenceMs: settings.promptSilenceMs,
        lastLineAt: this.clock.now(),
        silenceChecked: false,
        budgetHit: false,
        writes: Promise.resolve(),
      };
      this.watched.set(run.id, state);
      return {
        line: (stream, line) => {
          innerObserver?.line(stream, line);
          this.onLine(state, line);
        },
        end: async () => {
          try {
            await innerObserver?.end();
          } finally {
            this.watched.delete(run.id);
            await state.writes;
          }
        },
      };
    };
  }

  /** Looks at every silent run once per silence: a question left on screen means it waits. */
  async checkSilence(): Promise<void> {
    const now = this.clock.now();
    for (const state of [...this.watched.values()]) {
      if (state.silenceChecked || now - state.lastLineAt < state.silenceMs) continue;
      state.silenceChecked = true;
      const logFile = runLogFile(this.board.dir, state.run.id);
      const last = (await readTail(logFile, 1).catch(() => [])).at(-1) ?? '';
      if (looksLikeQuestion(state.profile, last)) this.markNeedsInput(state, `it is silent after: ${last}`, 'silence');
    }
  }

  private onLine(state: Watched, line: string): void {
    state.lastLineAt = this.clock.now();
    state.silenceChecked = false;
    if (isPromptLine(state.profile, line)) this.markNeedsInput(state, line, 'output');
    const loop = state.loop.line(line);
    if (loop) this.markLoop(state, loop);
  }

  private onEvent(e: RunAgentEvent): void {
    const state = this.watched.get(e.runId);
    if (!state) return;
    const event = e.event;
    if (event.kind === 'usage') {
      state.usage = event.usage;
      this.checkBudget(state);
    } else if (event.kind === 'tool') {
      this.clearNeedsInput(state);
      const loop = state.loop.tool(event.name, event.input);
      if (loop) this.markLoop(state, loop);
    } else {
      this.markNeedsInput(state, event.reason, 'output');
    }
  }

  private markNeedsInput(state: Watched, reason: string, source: NeedsInputSource): void {
    const text = attentionText(maskEvidence(reason));
    this.updateAttention(state, (current) => (current?.needsInput ? undefined : { ...current, needsInput: { reason: text, since: this.clock.now(), source } }), (run) =>
      this.notices.fire({ kind: 'needs-input', run, reason: text }),
    );
  }

  /** The agent is working again (a tool call): whatever it waited for was answered. */
  private clearNeedsInput(state: Watched): void {
    if (!this.board.getRun(state.run.id)?.attention?.needsInput) return;
    this.updateAttention(state, (current) => (current?.needsInput ? { ...current, needsInput: undefined } : undefined));
  }

  private markLoop(state: Watched, loop: LoopEvidence): void {
    const evidence = attentionText(maskEvidence(loop.what));
    this.updateAttention(state, (current) => ({ ...current, loop: { evidence, repeats: loop.repeats, since: this.clock.now() } }), (run) =>
      this.notices.fire({ kind: 'loop', run, evidence }),
    );
  }

  /**
   * Writes the run's attention as `change` makes it from the stored one (undefined: no change),
   * one write at a time per run, and only while the run lives.
   */
  private updateAttention(state: Watched, change: (current: RunAttention | undefined) => RunAttention | undefined, then?: (run: Run) => void): void {
    state.writes = state.writes.then(async () => {
      try {
        const run = await this.board.write((tx) => {
          const current = tx.getRun(state.run.id);
          if (!current || !isLive(current)) return undefined;
          const next = change(current.attention);
          return next === undefined ? undefined : tx.setRunAttention(current.id, next);
        });
        if (run) then?.(run);
      } catch (err) {
        this.log.warn(`Run ${state.run.id}: could not record what it needs: ${errorMessage(err)}`);
      }
    });
  }

  /**
   * The ticket's runs' usage (this one's as it streams) against the budget. Synchronous up to
   * the stop, so that a run crossing it in its last output line is stopped, not counted a success.
   */
  private checkBudget(state: Watched): void {
    if (state.budgetHit) return;
    const budget = this.settings().budget;
    if (!hasBudget(budget)) return;
    const others = this.board.listRuns({ ticketId: state.run.ticketId }).filter((r) => r.id !== state.run.id);
    const used = ticketUsage([...others.map((r) => r.usage), state.usage]);
    const reason = used && budgetReached(budget, used);
    if (!reason) return;
    state.budgetHit = true;
    const stopped = this.stopRun(state.run.id, reason);
    this.track(stopped.then(() => this.blockForBudget(state.run, reason)));
  }

  private async blockForBudget(run: Run, reason: string): Promise<void> {
    const ended = await this.board.write((tx) => {
      const ticket = tx.getTicket(run.ticketId);
      if (ticket && (isActive(ticket.status) || ticket.status === 'READY')) {
        tx.transition(ticket.id, ticket.status, 'BLOCKED', 'runner', reason);
        const thread = ensurePmThread(tx, ticket.id);
        tx.addMessage({ conversationId: thread.id, author: 'runner', kind: 'note', body: `Blocked: ${reason}. Raise agentFactory.runs.budget or unblock the ticket to go on.`, metadata: { runId: run.id, stage: run.stage, blocked: true } });
      }
      return tx.getRun(run.id) ?? run;
    });
    this.log.warn(`${run.ticketId}: run ${run.id} stopped, ${reason}`);
    this.notices.fire({ kind: 'budget', run: ended, reason });
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => this.log.error(`Run watch: ${errorMessage(err)}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Resolves when every stop and write the watch started has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.pending, ...[...this.watched.values()].map((s) => s.writes)]);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.subscription.dispose();
    this.notices.dispose();
    this.watched.clear();
  }
}
