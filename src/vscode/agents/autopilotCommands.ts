import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { systemClock } from '../../domain/clock';
import { readAutopilot, setAutopilot, type AutopilotState } from '../../loop/autopilotState';
import type { Board } from '../../store/api';
import type { BoardSession } from '../boardSession';
import { Commands, ContextKeys } from '../constants';
import type { PrompterHolder } from '../ui/prompter';
import { requireTrust } from '../trust/restrictedMode';
import { Disposable } from '../util/disposable';
import { registerGuardedCommand } from '../util/guardedCommand';

export interface AutopilotCommandDeps {
  session: BoardSession;
  prompter: PrompterHolder;
  log: Logger;
}

/**
 * Start Autopilot and Pause Autopilot, and the context key that shows the one that applies in the
 * Agents view's title. The switch lives in the board, so the key follows changes made by another
 * window, the CLI or a headless host as well as this window's.
 */
export class AutopilotCommands extends Disposable {
  private boardSubscription: vscode.Disposable | undefined;
  private shown: boolean | undefined;

  constructor(private readonly deps: AutopilotCommandDeps) {
    super();
    this._register(registerGuardedCommand(Commands.StartAutopilot, deps.log, () => this.turn(true)));
    this._register(registerGuardedCommand(Commands.PauseAutopilot, deps.log, () => this.turn(false)));
    this._register(deps.session.onDidChangeBoard((board) => this.follow(board)));
    this._register({
      dispose: () => {
        this.boardSubscription?.dispose();
      },
    });
    this.follow(deps.session.board);
  }

  private async turn(on: boolean): Promise<AutopilotState | undefined> {
    requireTrust(on ? 'Start Autopilot' : 'Pause Autopilot');
    const board = this.deps.session.board;
    if (!board) {
      void this.deps.prompter.current.warning('No board is open in this window. Create one from the Tickets view first.', {});
      return undefined;
    }
    const state = await board.write((tx) => setAutopilot(tx, on, 'user', systemClock.now()));
    this.deps.log.info(`Autopilot turned ${on ? 'on' : 'off'}`);
    this.show(state.on);
    return state;
  }

  private follow(board: Board | undefined): void {
    this.boardSubscription?.dispose();
    this.boardSubscription = board?.onDidChange(() => this.show(readAutopilot(board).on));
    this.show(board ? readAutopilot(board).on : false);
  }

  private show(on: boolean): void {
    if (this.shown === on || this.isDisposed) return;
    this.shown = on;
    void vscode.commands.executeCommand('setContext', ContextKeys.AutopilotOn, on);
  }
}
