/**
 * `agentFactory.*` as the CLI sees them: the board's repository's `.vscode/settings.json`, read by
 * the same module as the editor and `serve`. An unreadable file or a bad value is a warning and
 * the default is used, so an agent's verdict is never lost to a typo in the settings.
 */
import type { Logger } from '../agents/agent';
import { errorMessage } from '../domain/errors';
import { Settings } from '../settings/settings';
import { repositorySettingsSource } from '../settings/settingsFile';
import type { CommandContext } from './command';

/** The repository's settings; problems go to `log.warn` (nowhere by default). */
export function repositorySettings(repoRoot: string, log?: Logger): Settings {
  const sink: Logger = log ?? { trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  try {
    return new Settings(repositorySettingsSource(repoRoot), sink);
  } catch (err) {
    sink.warn(`ignoring the repository's settings: ${errorMessage(err)}`);
    return new Settings({ get: () => undefined }, sink);
  }
}

/** The repository's settings for a command, with problems printed as warnings on stderr. */
export function cliSettings(ctx: CommandContext, repoRoot: string): Settings {
  return repositorySettings(repoRoot, { trace() {}, debug() {}, info() {}, warn: (m: string) => ctx.warn(m), error: (m: string | Error) => ctx.warn(errorMessage(m)) });
}
