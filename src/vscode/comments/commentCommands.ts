import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { ENTITY_ID_PATTERN } from '../../domain/ids';
import { errorMessage } from '../../domain/errors';
import { findingBugOf, isOpenFinding } from '../../loop/dismissFinding';
import type { Board } from '../../store/api';
import { Commands } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import type { TicketCommentController } from './ticketCommentController';

/**
 * Reply (the thread's reply box, enabled by `!commentIsEmpty`), Resolve and Reopen (thread title
 * actions matched by the thread's contextValue). Resolve and Reopen also take a conversation id,
 * so other commands and tests can call them.
 */
export function registerCommentCommands(comments: TicketCommentController, prompter: PrompterHolder, log: Logger, getBoard: () => Board | undefined): vscode.Disposable {
  const fail = (what: string, err: unknown) => {
    log.warn(`${what}: ${errorMessage(err)}`);
    void prompter.current.warning(`${what}: ${errorMessage(err)}`, {});
    return undefined;
  };
  const conversationId = (arg: unknown): string | undefined => {
    if (typeof arg === 'string') return ENTITY_ID_PATTERN.test(arg) ? arg : undefined;
    if (arg && typeof arg === 'object' && 'uri' in arg) return comments.conversationOf(arg as vscode.CommentThread);
    return undefined;
  };
  const setResolved = (resolved: boolean) => async (arg: unknown) => {
    const id = conversationId(arg);
    if (id === undefined) return fail(resolved ? 'Could not resolve the thread' : 'Could not reopen the thread', 'it is not an Agent Factory conversation');
    try {
      await comments.setResolved(id, resolved);
      if (resolved) remindOpenFinding(id);
      return id;
    } catch (err) {
      return fail(resolved ? 'Could not resolve the thread' : 'Could not reopen the thread', err);
    }
  };
  /** Resolving a finding's thread is not a decision about the finding: say what is. */
  const remindOpenFinding = (conversationId: string): void => {
    const board = getBoard();
    const conversation = board?.getConversation(conversationId);
    const bug = board && conversation ? findingBugOf(board, conversation) : undefined;
    if (!bug || !isOpenFinding(bug)) return;
    void prompter.current.info('The thread is resolved, but the finding stays open (and blocks the Security gate) until the code changes or it is dismissed.', 'Dismiss Finding').then((choice) => {
      if (choice === 'Dismiss Finding') void vscode.commands.executeCommand(Commands.DismissFinding, { ticketId: bug.ticketId, bugId: bug.id });
    });
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.ReplyToThread, async (reply: vscode.CommentReply) => {
      try {
        return await comments.reply(reply);
      } catch (err) {
        return fail('Your reply was not saved', err);
      }
    }),
    vscode.commands.registerCommand(Commands.ResolveThread, setResolved(true)),
    vscode.commands.registerCommand(Commands.ReopenThread, setResolved(false)),
  );
}
