/**
 * Restricted Mode (an untrusted workspace): the board is shown read-only, no agent is spawned and
 * no git command runs. The views say so at their top and offer "Manage Workspace Trust"; commands
 * that would change the board, spawn or run git are hidden by `isWorkspaceTrusted` in their menus
 * and, reached any other way, explain why they are unavailable.
 */
import * as vscode from 'vscode';
import { FactoryError } from '../../domain/errors';
import { Commands } from '../constants';
import { Disposable } from '../util/disposable';

export const RESTRICTED_MODE_NOTE = 'Restricted Mode: the board is read-only. No agent runs and no git command runs until you trust this workspace.';

/** The refusal of something Restricted Mode does not allow, naming it. */
export function restrictedModeError(what: string): FactoryError {
  return new FactoryError(
    'untrusted',
    `${what} is unavailable in Restricted Mode: this workspace is not trusted. Use "Manage Workspace Trust" to trust it; the agents start without a reload.`,
  );
}

/** Throws the refusal when the workspace is not trusted. */
export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) throw restrictedModeError(what);
}

/** Keeps the views' notice in step with the workspace's trust, and handles Manage Workspace Trust. */
export class RestrictedModeNotice extends Disposable {
  constructor(private readonly views: readonly vscode.TreeView<unknown>[]) {
    super();
    this._register(vscode.commands.registerCommand(Commands.ManageWorkspaceTrust, () => vscode.commands.executeCommand('workbench.trust.manage')));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.update()));
    this.update();
  }

  private update(): void {
    const message = vscode.workspace.isTrusted ? undefined : RESTRICTED_MODE_NOTE;
    for (const view of this.views) view.message = message;
  }
}
