/**
 * Reads every process run's output through its profile's parser while it streams: the token usage
 * goes onto the run (batched, and once more when the process has exited), and every signal (usage
 * as it comes, tool calls, requests for a person) is published for whoever watches runs. One per RunManager,
 * passed as its `observeOutput`.
 */
import { silentLogger, type Logger } from '../domain/logger';
import { errorMessage } from '../domain/errors';
import { Emitter, type Disposable } from '../domain/event';
import type { Run } from '../domain/run';
import { sameUsage, type TokenUsage } from '../domain/usage';
import type { Board } from '../store/api';
import type { AgentCommand } from './agentCommand';
import type { AgentEvent } from './profiles/agentOutput';
import { outputParserFor } from './profiles/profiles';
import type { RunOutputObserver } from './runManager';

export const DEFAULT_USAGE_FLUSH_MS = 2000;

export interface RunAgentEvent {
  runId: string;
  ticketId: string;
  event: AgentEvent;
}

export interface AgentOutputReaderOptions {
  board: Board;
  log?: Logger;
  /** How long usage may wait before it is written: one write per run per interval at most. */
  flushMs?: number;
}

export class AgentOutputReader implements Disposable {
  private readonly board: Board;
  private readonly log: Logger;
  private readonly flushMs: number;
  private readonly events = new Emitter<RunAgentEvent>();
  /** Every usage report, tool call and request for a person the agents' output showed, as read. */
  readonly onDidReadEvent = this.events.event;

  constructor(options: AgentOutputReaderOptions) {
    this.board = options.board;
    this.log = options.log ?? silentLogger;
    this.flushMs = options.flushMs ?? DEFAULT_USAGE_FLUSH_MS;
  }

  /** The RunManager's `observeOutput`. */
  readonly observe = (run: Run, command: AgentCommand): RunOutputObserver => {
    const parser = outputParserFor(command);
    let latest: TokenUsage | undefined;
    let written: TokenUsage | undefined;
    let timer: NodeJS.Timeout | undefined;
    let writing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      timer = undefined;
      writing = writing.then(async () => {
        const usage = latest;
        if (usage === undefined || sameUsage(usage, written)) return;
        try {
          await this.board.write((tx) => {
            if (tx.getRun(run.id)) tx.setRunUsage(run.id, usage);
          });
          written = usage;
        } catch (err) {
          this.log.warn(`Run ${run.id}: could not record its token usage: ${errorMessage(err)}`);
        }
      });
      return writing;
    };
    return {
      line: (stream, line) => {
        let events: AgentEvent[];
        try {
          events = parser.push(line, stream);
        } catch (err) {
          this.log.warn(`Run ${run.id}: could not read a line of its output: ${errorMessage(err)}`);
          return;
        }
        for (const event of events) {
          if (event.kind === 'usage') {
            latest = event.usage;
            if (!timer) {
              timer = setTimeout(() => void flush(), this.flushMs);
              timer.unref();
            }
          }
          this.events.fire({ runId: run.id, ticketId: run.ticketId, event });
        }
      },
      end: () => {
        if (timer) clearTimeout(timer);
        return flush();
      },
    };
  };

  dispose(): void {
    this.events.dispose();
  }
}
