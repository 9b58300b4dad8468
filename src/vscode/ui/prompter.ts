import * as vscode from 'vscode';

/**
 * The few dialogs commands use, behind one seam. Tests replace it (through the extension's test
 * API) to answer input boxes and pickers the way a user would, so the commands' real validation
 * and flow still run.
 */
/** A pick whose `active` item is the one Enter takes (the current value, not the first in the list). */
export interface PickOptions<T> extends vscode.QuickPickOptions {
  active?: T | undefined;
}

export interface Prompter {
  inputBox(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  quickPick<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions<T>): Thenable<T | undefined>;
  quickPickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<readonly T[] | undefined>;
  /** A modal or plain warning with actions; resolves to the chosen action. */
  warning<T extends string>(message: string, options: vscode.MessageOptions, ...actions: T[]): Thenable<T | undefined>;
  info<T extends string>(message: string, ...actions: T[]): Thenable<T | undefined>;
}

export const windowPrompter: Prompter = {
  inputBox: (options) => vscode.window.showInputBox(options),
  quickPick: (items, options) => (options.active === undefined ? vscode.window.showQuickPick(items, options) : pickWithActive(items, options.active, options)),
  quickPickMany: (items, options) => vscode.window.showQuickPick(items, { ...options, canPickMany: true }),
  warning: (message, options, ...actions) => vscode.window.showWarningMessage(message, options, ...actions),
  info: (message, ...actions) => vscode.window.showInformationMessage(message, ...actions),
};

/** Holds the current prompter; commands read it at call time. */
export class PrompterHolder {
  current: Prompter = windowPrompter;
}

/** showQuickPick cannot preselect an item; a QuickPick can. */
function pickWithActive<T extends vscode.QuickPickItem>(items: readonly T[], active: T, options: vscode.QuickPickOptions): Promise<T | undefined> {
  const pick = vscode.window.createQuickPick<T>();
  pick.items = items;
  pick.activeItems = [active];
  pick.title = options.title;
  pick.placeholder = options.placeHolder;
  pick.ignoreFocusOut = options.ignoreFocusOut ?? false;
  pick.matchOnDescription = options.matchOnDescription ?? false;
  return new Promise<T | undefined>((resolve) => {
    let picked: T | undefined;
    pick.onDidAccept(() => {
      picked = pick.selectedItems[0] ?? pick.activeItems[0];
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(picked);
    });
    pick.show();
  });
}
