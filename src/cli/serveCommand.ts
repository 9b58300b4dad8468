/**
 * `agent-factory serve`: the headless host (src/host) on the board of the current repository, in
 * the foreground. Settings come from the repository's `.vscode/settings.json`, overridden by
 * `--config FILE`; an invalid one stops it before anything starts. Every event is one line on
 * stdout (`--json`: one JSON object per line). `--until-idle` returns once nothing on the board can
 * move any further without a person; SIGINT and SIGTERM stop it cleanly.
 */
import * as path from 'node:path';
import { errorMessage } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { startHost, type Host } from '../host/host';
import type { AutopilotEvent } from '../loop/autopilot';
import { Settings } from '../settings/settings';
import { repositorySettingsSource } from '../settings/settingsFile';
import { findBoard } from './boardAccess';
import { CliError, EXIT_OTHER, usage } from './cliError';
import { flag, positionals, stringOption, type Command, type CommandContext } from './command';
import { safeLine } from './format';
import { watchUntilIdle } from './serveIdle';

export const serveCommand: Command = {
  name: 'serve',
  synopsis: 'serve [--config FILE] [--json] [--until-idle]',
  summary: "Run the background agents, the autopilot and the runner on this repository's board, without VS Code.",
  details: [
    "Settings: the agentFactory.* keys of the repository's .vscode/settings.json, overridden by --config FILE (JSON with comments).",
    'It takes the agents lease like an editor window: while a window runs the agents, serve waits for the lease.',
    '--json prints one JSON object per event; --until-idle exits once no ticket can move further (0), or 1 when something failed.',
    'SIGINT or SIGTERM stops it: its runs stopped and recorded, the lease released.',
  ],
  options: { config: { type: 'string' }, json: { type: 'boolean' }, 'until-idle': { type: 'boolean' } },
  async run(ctx) {
    positionals(ctx, []);
    const found = await findBoard(ctx.where);
    const emit = eventPrinter(ctx, flag(ctx.values, 'json'));
    const log = printingLogger(emit);
    const configFile = stringOption(ctx.values, 'config');
    const settings = new Settings(repositorySettingsSource(found.repoRoot, configFile === undefined ? undefined : path.resolve(ctx.where.cwd, configFile)), log);
    const problems = settings.problems();
    if (problems.length > 0) throw usage(`not starting: ${problems.length === 1 ? 'a setting is' : `${problems.length} settings are`} invalid: ${problems.join('; ')}`);

    const host: Host = await startHost({ repoRoot: found.repoRoot, settings, log });
    const events = host.autopilot.onDidEvent((e) => emit(autopilotLine(e), { ...e }));
    try {
      if (flag(ctx.values, 'until-idle')) {
        const outcome = await Promise.race([watchUntilIdle(host), host.stopped.then(() => undefined)]);
        await host.stop(outcome ? 'serve --until-idle: nothing can move further' : undefined);
        if (outcome?.failed.length) {
          throw new CliError(EXIT_OTHER, `stopped idle, but something failed: ${outcome.failed.join('; ')}`);
        }
        if (outcome) emit(`Idle: ${outcome.summary}`, { kind: 'idle', summary: outcome.summary });
      } else {
        await host.stopped;
      }
    } finally {
      events.dispose();
      await host.stop();
    }
  },
};

type Emit = (text: string, fields: Record<string, unknown>) => void;

function eventPrinter(ctx: CommandContext, asJson: boolean): Emit {
  return (text, fields) => {
    const at = new Date(ctx.clock.now()).toISOString();
    ctx.print(asJson ? JSON.stringify({ at, ...fields, message: text }) : `${at} ${safeLine(text, 400)}`);
  };
}

function printingLogger(emit: Emit): Logger {
  const line = (level: string) => (m: string | Error) => emit(`${level === 'info' ? '' : `${level}: `}${errorMessage(m)}`, { kind: 'log', level });
  return { trace() {}, debug() {}, info: line('info'), warn: line('warn'), error: line('error') };
}

function autopilotLine(e: AutopilotEvent): string {
  switch (e.kind) {
    case 'started':
      return `Autopilot started ${e.ticketId} ${e.stage} (run ${e.runId})`;
    case 'blocked':
      return `Autopilot blocked ${e.ticketId}: ${e.reason}`;
    case 'waiting':
      return `${e.ticketId} waits for a person in ${e.stage}: ${e.title}`;
    case 'scanned':
      return e.movedTo ? `${e.ticketId} scanned: ${e.pass ? 'passed' : `failed (${e.reason ?? ''})`}, moved to ${e.movedTo}` : `${e.ticketId} could not be scanned: ${e.reason ?? ''}`;
    case 'start-failed':
      return `Autopilot could not start ${e.ticketId}: ${e.reason}`;
  }
}
