import * as vscode from 'vscode';
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import { sentence } from '../document/untrustedText';

/**
 * Registers a command whose failure is logged and shown to the user with its reason, instead of
 * surfacing as an unhandled rejection.
 */
export function registerGuardedCommand(id: string, log: Logger, fn: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      log.error(errorMessage(err));
      void vscode.window.showErrorMessage(sentence(errorMessage(err)));
      return undefined;
    }
  });
}
