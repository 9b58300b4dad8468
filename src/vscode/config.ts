import * as vscode from 'vscode';
import type { Logger } from '../agents/agent';
import { Settings } from '../settings/settings';
import { SETTINGS_SECTION } from '../settings/schema';

/**
 * `agentFactory.*` as the editor resolves it (user, workspace and folder values, with Restricted
 * Mode's exclusions applied by VS Code), so edits apply without a reload. The section is read
 * again after every change to it and when the workspace is trusted; in between, reads use the
 * section last read (building it costs the host's thread each time, and the agents read settings
 * on every cycle). The table of keys and defaults is package.json's, shared with the CLI and `serve`.
 */
export function editorSettings(log: Logger, subscriptions: vscode.Disposable[]): Settings {
  let section: vscode.WorkspaceConfiguration | undefined;
  // Registered before anything else reads settings, so it runs first when they change.
  subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) section = undefined;
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      section = undefined;
    }),
  );
  return new Settings({ get: (key) => (section ??= vscode.workspace.getConfiguration(SETTINGS_SECTION)).get<unknown>(key) }, log);
}
