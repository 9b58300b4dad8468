import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage, FactoryError } from '../../domain/errors';
import { refusalReason, type Status } from '../../domain/status';
import type { Board } from '../../store/api';
import { Commands } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import { statusLabel } from '../../domain/vocabulary';

export type MoveOutcome = 'moved' | 'started' | 'refused' | 'cancelled';

export const STOP_AND_MOVE = 'Stop and Move';

/**
 * Moves a ticket the way the user asked, through the one transition table: drag and drop, "Move
 * to...", Block and Unblock all end here. A refused move changes nothing and says why. Moving a
 * ticket whose agent is working asks first: the move stops that agent (its runner sees the ticket
 * leave the run's stage).
 */
export class TicketMover {
  constructor(
    private readonly getBoard: () => Board | undefined,
    private readonly prompter: PrompterHolder,
    private readonly log: Logger,
  ) {}

  async move(ticketId: string, to: Status, how: 'drop' | 'command'): Promise<MoveOutcome> {
    const board = this.getBoard();
    if (!board) return this.refuse('No board is open in this window.');
    const ticket = board.getTicket(ticketId);
    if (!ticket) return this.refuse(`${ticketId} no longer exists on this board.`);
    const refusal = refusalReason({ from: ticket.status, to, by: 'user', blockedFrom: ticket.blockedFrom }, statusLabel);
    if (refusal !== undefined) return this.refuse(`Cannot move ${ticketId} from ${statusLabel(ticket.status)} to ${statusLabel(to)}: ${refusal}.`);

    const [working] = board.listRuns({ ticketId, status: ['queued', 'running'] });
    if (working) {
      const answer = await this.prompter.current.warning(
        `${ticketId}'s agent is working: stop it and move?`,
        {
          modal: true,
          detail: `Run ${working.id} (${working.agent}) works on ${working.stage}. Moving ${ticketId} to ${statusLabel(to)} stops it: SIGTERM, then SIGKILL after the grace period. What it committed or left in the worktree stays there.`,
        },
        STOP_AND_MOVE,
      );
      if (answer !== STOP_AND_MOVE) return 'cancelled';
    }

    let note = how === 'drop' ? 'moved by drag and drop in the Tickets view' : 'moved from the Tickets view';
    if (to === 'BLOCKED') {
      const reason = await this.askBlockReason(ticketId);
      if (reason === undefined) return 'cancelled';
      note = reason;
    } else if (ticket.status === 'READY' && to === 'IN_DEV' && (await isCommandRegistered(Commands.StartTicket))) {
      // Starting is the runs feature's job (worktree, agent process); the drop only asks for it.
      await vscode.commands.executeCommand(Commands.StartTicket, ticketId);
      return 'started';
    }

    try {
      await board.write((tx) => tx.transition(ticketId, ticket.status, to, 'user', note));
      this.log.info(`${ticketId}: ${ticket.status} -> ${to} (${note})`);
      return 'moved';
    } catch (err) {
      // An agent or another window may have moved it first: the compare-and-set says so.
      return this.refuse(err instanceof FactoryError ? err.message : `Could not move ${ticketId}: ${errorMessage(err)}`);
    }
  }

  private async askBlockReason(ticketId: string): Promise<string | undefined> {
    const reason = await this.prompter.current.inputBox({
      title: `Block ${ticketId}`,
      prompt: 'Why is this ticket blocked? Whoever unblocks it will read this.',
      placeHolder: 'Waiting for the API key from ops',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim().length === 0 ? 'A blocked ticket needs a reason.' : undefined),
    });
    const trimmed = reason?.trim();
    return trimmed ? trimmed : undefined;
  }

  private refuse(message: string): 'refused' {
    this.log.info(`Move refused: ${message}`);
    // Not awaited: a notification resolves only when dismissed, and the drop must not wait for it.
    void this.prompter.current.warning(message, {});
    return 'refused';
  }
}

export async function isCommandRegistered(id: string): Promise<boolean> {
  return (await vscode.commands.getCommands(true)).includes(id);
}
