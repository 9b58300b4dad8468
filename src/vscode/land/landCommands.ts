/**
 * Land Ticket, Push Branch and Create Pull Request in the editor, over the same modules as the
 * CLI. A land shows its progress (and its place in the board's land queue) in a cancellable
 * notification; cancelling undoes a rebase or merge in progress and stops the check.
 */
import * as vscode from 'vscode';
import { systemClock } from '../../domain/clock';
import { landTicket, type LandOutcome } from '../../land/landTicket';
import { createPullRequest, pushBranch, remotes, type PullRequest, type Pushed } from '../../land/publish';
import type { Settings } from '../../settings/settings';
import type { Board } from '../../store/api';
import type { BoardSession } from '../boardSession';
import { Commands, ContextKeys } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import { requireTrust } from '../trust/restrictedMode';
import { Disposable } from '../util/disposable';
import { reportedCommand } from '../util/reportedCommand';
import { ticketArgument } from '../util/ticketArgument';

export interface LandCommandDeps {
  session: BoardSession;
  config: Settings;
  prompter: PrompterHolder;
  log: vscode.LogOutputChannel;
}

export class LandCommands extends Disposable {
  constructor(private readonly deps: LandCommandDeps) {
    super();
    const reported = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => reportedCommand(name, deps, fn);
    this._register(
      vscode.Disposable.from(
        vscode.commands.registerCommand(Commands.LandTicket, reported('Land Ticket', (arg: unknown) => this.land(arg))),
        vscode.commands.registerCommand(Commands.PushBranch, reported('Push Branch', (arg: unknown) => this.push(arg))),
        vscode.commands.registerCommand(Commands.CreatePullRequest, reported('Create Pull Request', (arg: unknown) => this.pullRequest(arg))),
      ),
    );
    // Whether Push Branch and Create Pull Request are offered: looked at again when the board is
    // announced (also when trust is granted) and when the window regains focus.
    this._register(deps.session.onDidChangeBoard((board) => void this.updateHasRemote(board)));
    this._register(vscode.window.onDidChangeWindowState((state) => state.focused && void this.updateHasRemote(deps.session.board)));
    void this.updateHasRemote(deps.session.board);
  }

  private requireBoard(): Board {
    const board = this.deps.session.board;
    if (!board) throw new Error('no board is open in this window');
    return board;
  }

  private async land(arg: unknown): Promise<LandOutcome | undefined> {
    requireTrust('Land Ticket');
    const board = this.requireBoard();
    const ticket = await ticketArgument(board, this.deps.prompter.current, arg, {
      placeHolder: 'Land which ticket?',
      eligible: (t) => t.status === 'PM_REVIEW',
      none: 'no ticket is in PM Review, where tickets land from.',
    });
    if (!ticket) return undefined;
    const settings = this.deps.config.landSettings();
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Landing ${ticket.id}`, cancellable: true },
      (progress, token): Promise<LandOutcome> => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort());
        const deps = { board, clock: systemClock, settings, log: this.deps.log, signal: abort.signal, onProgress: (message: string) => progress.report({ message }) };
        return landTicket(deps, ticket.id).finally(() => {
          subscription.dispose();
        });
      },
    );
    if (outcome.kind === 'landed') {
      void this.deps.prompter.current.info(`${ticket.id} landed on ${outcome.base} as ${outcome.commit.slice(0, 12)}; it is DONE.`);
    } else {
      void this.deps.prompter.current.warning(`Agent Factory: ${ticket.id} did not land: ${outcome.reason}`, {});
    }
    return outcome;
  }

  private async push(arg: unknown): Promise<Pushed | undefined> {
    requireTrust('Push Branch');
    const board = this.requireBoard();
    const ticket = await this.withBranch(board, arg, 'Push the branch of which ticket?');
    if (!ticket) return undefined;
    const pushed = await pushBranch(board, board.repoRoot, ticket);
    void this.deps.prompter.current.info(`Pushed ${pushed.branch} to ${pushed.remote}.`);
    return pushed;
  }

  private async pullRequest(arg: unknown): Promise<PullRequest | undefined> {
    requireTrust('Create Pull Request');
    const board = this.requireBoard();
    const ticket = await this.withBranch(board, arg, 'Open a pull request for which ticket?');
    if (!ticket) return undefined;
    const pr = await createPullRequest(board, board.repoRoot, ticket);
    const open = /^https:\/\/\S+$/.test(pr.url) ? 'Open' : undefined;
    const answer = await this.deps.prompter.current.info(`Pull request for ${ticket}: ${pr.url}`, ...(open ? [open] : []));
    if (answer === 'Open') await vscode.env.openExternal(vscode.Uri.parse(pr.url));
    return pr;
  }

  private async withBranch(board: Board, arg: unknown, placeHolder: string): Promise<string | undefined> {
    const ticket = await ticketArgument(board, this.deps.prompter.current, arg, {
      placeHolder,
      eligible: (t) => t.worktree !== undefined,
      none: 'no ticket has a branch yet.',
    });
    return ticket?.id;
  }

  private async updateHasRemote(board: Board | undefined): Promise<void> {
    // In Restricted Mode no git runs: the commands stay hidden until trust is granted.
    const has = board !== undefined && vscode.workspace.isTrusted && (await remotes(board.repoRoot)).length > 0;
    await vscode.commands.executeCommand('setContext', ContextKeys.HasRemote, has);
  }
}

export function registerLandCommands(deps: LandCommandDeps): LandCommands {
  return new LandCommands(deps);
}
