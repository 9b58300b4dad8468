import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { ENTITY_ID_PATTERN, isTicketId } from '../../domain/ids';
import { errorMessage } from '../../domain/errors';
import type { Bug, DismissReason } from '../../domain/ticket';
import { DISMISS_REASON_TEXT, dismissFinding, findingBugOf, isOpenFinding } from '../../loop/dismissFinding';
import { SECURITY_SCANNER } from '../../scan/security/model';
import { securityProblems } from '../../scan/security/view';
import type { Board } from '../../store/api';
import type { TicketCommentController } from '../comments/ticketCommentController';
import { Commands } from '../constants';
import { oneLine } from '../document/untrustedText';
import { requireTrust } from '../trust/restrictedMode';
import type { PrompterHolder } from '../ui/prompter';
import { SECURITY_DIAGNOSTIC_SOURCE } from './securityDiagnostics';

interface ReasonItem extends vscode.QuickPickItem {
  reason: DismissReason;
}

const REASONS: ReasonItem[] = [
  { label: 'False positive', description: 'it is not a secret or a risk', reason: 'false-positive' },
  { label: 'Test data', description: 'a fixture, an example or a test value', reason: 'test-data' },
  { label: 'Accepted risk', description: 'known and accepted as it is', reason: 'accepted-risk' },
];

/** How the page and the Problems entry name a finding: its ticket and its bug. */
export interface FindingRef {
  ticketId: string;
  bugId: string;
}

function isFindingRef(arg: unknown): arg is FindingRef {
  if (typeof arg !== 'object' || arg === null) return false;
  const { ticketId, bugId } = arg as Partial<Record<keyof FindingRef, unknown>>;
  return isTicketId(ticketId) && typeof bugId === 'string' && ENTITY_ID_PATTERN.test(bugId);
}

export interface DismissFindingDeps {
  getBoard(): Board | undefined;
  prompter: PrompterHolder;
  log: Logger;
  comments: TicketCommentController;
}

/**
 * "Dismiss Finding": on a Security thread (its title bar), on the finding's Problems entry (a
 * quick fix) and on the ticket page (a CodeLens on the bug's line). Asks for the reason, then
 * records the decision (src/loop/dismissFinding.ts). Resolves with the dismissed bug.
 */
export function registerDismissFinding(deps: DismissFindingDeps): vscode.Disposable {
  const findBug = (board: Board, arg: unknown): Bug | undefined => {
    if (isFindingRef(arg)) return board.listBugs(arg.ticketId).find((b) => b.id === arg.bugId);
    if (typeof arg === 'string' && ENTITY_ID_PATTERN.test(arg)) {
      const tickets = new Set(board.listFindings({ scanner: SECURITY_SCANNER, includeGone: true }).flatMap((f) => f.ticketId ?? []));
      for (const ticketId of tickets) {
        const bug = board.listBugs(ticketId).find((b) => b.id === arg);
        if (bug) return bug;
      }
      return undefined;
    }
    if (arg && typeof arg === 'object' && 'uri' in arg) {
      const conversationId = deps.comments.conversationOf(arg as vscode.CommentThread);
      const conversation = conversationId === undefined ? undefined : board.getConversation(conversationId);
      return conversation ? findingBugOf(board, conversation) : undefined;
    }
    return undefined;
  };

  const dismiss = async (arg: unknown): Promise<Bug | undefined> => {
    const prompter = deps.prompter.current;
    try {
      requireTrust('Dismiss Finding');
      const board = deps.getBoard();
      if (!board) throw new Error('no board is open in this window');
      const bug = findBug(board, arg);
      if (!bug) throw new Error('this is not a finding of the Security agent');
      if (!isOpenFinding(bug)) {
        void prompter.info(bug.dismissed ? `"${oneLine(bug.title)}" was already dismissed.` : `"${oneLine(bug.title)}" is fixed; there is nothing to dismiss.`);
        return undefined;
      }
      const picked = await prompter.quickPick(REASONS, {
        title: `Dismiss ${bug.severity} finding on ${bug.ticketId}`,
        placeHolder: 'Why does it need no fix? (recorded in the ticket history)',
        ignoreFocusOut: true,
      });
      if (!picked) return undefined;
      const { bug: dismissed } = await board.write((tx) => dismissFinding(tx, bug.id, bug.ticketId, picked.reason, 'user'));
      deps.log.info(`${bug.ticketId}: finding ${bug.id} dismissed as ${picked.reason}`);
      void prompter.info(`Dismissed "${oneLine(bug.title)}" as ${DISMISS_REASON_TEXT[picked.reason]}: the Security gate lets it pass.`);
      return dismissed;
    } catch (err) {
      deps.log.warn(`Dismiss Finding: ${errorMessage(err)}`);
      void prompter.warning(`Could not dismiss the finding: ${errorMessage(err)}`, {});
      return undefined;
    }
  };

  const quickFixes: vscode.CodeActionProvider = {
    provideCodeActions(document, _range, context) {
      const board = deps.getBoard();
      const ours = context.diagnostics.filter((d) => d.source === SECURITY_DIAGNOSTIC_SOURCE);
      if (!board || ours.length === 0 || !vscode.workspace.isTrusted) return [];
      const problems = securityProblems(board).filter((p) => p.fsPath === document.uri.fsPath);
      return ours.flatMap((d) => {
        const rule = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
        const problem = problems.find((p) => p.line - 1 === d.range.start.line && p.rule === rule);
        if (!problem) return [];
        const action = new vscode.CodeAction('Dismiss Finding…', vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.command = { command: Commands.DismissFinding, title: 'Dismiss Finding…', arguments: [{ ticketId: problem.ticketId, bugId: problem.bugId } satisfies FindingRef] };
        return [action];
      });
    },
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.DismissFinding, dismiss),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, quickFixes, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
}
