/** The shape of one subcommand, and what it gets to work with. */
import type { ParseArgsConfig } from 'node:util';
import type { Clock } from '../domain/clock';
import type { SqlBoard } from '../store/sqlBoard';
import type { CliEnvironment } from './boardAccess';
import { usage } from './cliError';

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** An option as it appeared on the command line, in order (for options that pair up, like reject's). */
export interface OptionToken {
  name: string;
  value: string | undefined;
}

export interface CommandContext {
  positionals: string[];
  values: OptionValues;
  /** The options in the order they were given. */
  options: OptionToken[];
  where: CliEnvironment;
  clock: Clock;
  /** One line (or block) on stdout. */
  print(text: string): void;
  /** A warning on stderr that does not fail the command. */
  warn(text: string): void;
  /** Opens the board once per command; closed by the dispatcher. */
  board(): Promise<SqlBoard>;
}

export interface Command {
  name: string;
  /** `note <text>`: what follows the program name. */
  synopsis: string;
  summary: string;
  /** Extra lines of help (options). */
  details?: string[];
  options?: NonNullable<ParseArgsConfig['options']>;
  /** For agents: needs AGENT_FACTORY_RUN_ID. */
  forAgents?: boolean;
  run(ctx: CommandContext): Promise<void>;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** Exactly `count` positionals (the last one may take the rest of the words when `rest`). */
export function positionals(ctx: CommandContext, names: string[], opts: { rest?: boolean; optional?: number } = {}): string[] {
  const given = ctx.positionals;
  const required = names.length - (opts.optional ?? 0);
  if (given.length < required) throw usage(`missing ${names.slice(given.length).map((n) => `<${n}>`).join(' ')}; see --help`);
  if (!opts.rest && given.length > names.length) {
    throw usage(`unexpected argument ${JSON.stringify(given[names.length])}; quote text that has spaces`);
  }
  if (opts.rest && given.length > names.length) {
    return [...given.slice(0, names.length - 1), given.slice(names.length - 1).join(' ')];
  }
  return given;
}
