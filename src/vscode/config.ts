import * as vscode from 'vscode';
import type { Logger } from '../agents/agent';
import { Settings } from '../settings/settings';
import { SETTINGS_SECTION } from '../settings/schema';

/**
 * `agentFactory.*` as the editor resolves it (user, workspace and folder values, with Restricted
 * Mode's exclusions applied by VS Code), read fresh on every call so edits apply without a reload.
 * The table of keys and defaults is package.json's, shared with the CLI and `serve`.
 */
export function editorSettings(log: Logger): Settings {
  return new Settings({ get: (key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get<unknown>(key) }, log);
}
