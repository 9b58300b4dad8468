/**
 * `agentFactory.*` as the CLI sees them: the board's repository's `.vscode/settings.json`, read by
 * the same module as the editor and `serve`. An unreadable file or a bad value is a warning on
 * stderr and the default is used, so an agent's verdict is never lost to a typo in the settings.
 */
import type { Logger } from '../agents/agent';
import { errorMessage } from '../domain/errors';
import { Settings } from '../settings/settings';
import { repositorySettingsSource } from '../settings/settingsFile';
import type { CommandContext } from './command';

export function cliSettings(ctx: CommandContext, repoRoot: string): Settings {
  const log: Logger = { trace() {}, debug() {}, info() {}, warn: (m: string) => ctx.warn(m), error: (m: string | Error) => ctx.warn(errorMessage(m)) };
  try {
    return new Settings(repositorySettingsSource(repoRoot), log);
  } catch (err) {
    ctx.warn(`ignoring the repository's settings: ${errorMessage(err)}`);
    return new Settings({ get: () => undefined }, log);
  }
}
