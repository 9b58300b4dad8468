import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import type { Ticket } from '../../domain/ticket';
import type { RunManager } from '../../runner/runManager';
import type { StartedRun } from '../../runner/ticketRunner';
import { Disposable } from '../util/disposable';

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** A terminal's name from a ticket: its id and a short, single-line, printable title. */
export function terminalName(ticket: Pick<Ticket, 'id' | 'title'>): string {
  const title = ticket.title.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  const short = [...title].length > 40 ? `${[...title].slice(0, 39).join('')}…` : title;
  return `${ticket.id}: ${short}`;
}

/**
 * Runs worked by a person in an integrated terminal (no agent configured for the stage). The run
 * lasts while its terminal lives: closing the terminal ends the run, and cancelling the run (or
 * the PM stopping it) closes the terminal.
 */
export class RunTerminals extends Disposable {
  private readonly byRun = new Map<string, vscode.Terminal>();

  constructor(
    private readonly runs: () => RunManager | undefined,
    private readonly log: Logger,
  ) {
    super();
    this._register(vscode.window.onDidCloseTerminal((terminal) => this.closed(terminal)));
  }

  open(started: StartedRun, ticket: Ticket): vscode.Terminal {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(started.env ?? {})) {
      // Only what the run adds: the shell keeps its own environment otherwise.
      if (value !== undefined && (key.startsWith('AGENT_FACTORY_') || key.toUpperCase() === 'PATH')) env[key] = value;
    }
    const terminal = vscode.window.createTerminal({
      name: terminalName(ticket),
      cwd: started.worktree,
      env,
      iconPath: new vscode.ThemeIcon('tools'),
      isTransient: true,
    });
    this.byRun.set(started.run.id, terminal);
    terminal.show();
    return terminal;
  }

  terminalOf(runId: string): vscode.Terminal | undefined {
    return this.byRun.get(runId);
  }

  /** The run ended elsewhere (cancelled, stopped by the PM): its terminal goes too. */
  runEnded(runId: string, status: string): void {
    const terminal = this.byRun.get(runId);
    if (!terminal) return;
    this.byRun.delete(runId);
    if (status === 'cancelled' || status === 'timed_out') terminal.dispose();
  }

  private closed(terminal: vscode.Terminal): void {
    for (const [runId, t] of this.byRun) {
      if (t !== terminal) continue;
      this.byRun.delete(runId);
      const runs = this.runs();
      if (!runs) return;
      runs.endTerminalRun(runId, terminal.exitStatus?.code).catch((err: unknown) => this.log.error(`Could not end terminal run ${runId}: ${errorMessage(err)}`));
      return;
    }
  }

  override dispose(): void {
    this.byRun.clear();
    super.dispose();
  }
}
