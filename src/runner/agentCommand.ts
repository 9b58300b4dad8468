/**
 * The coding agent configured for a stage: a program, an argument array and extra environment.
 * Placeholders are substituted inside each argument (and environment value) on its own, once, so
 * ticket text can never become a second argument, an option or a shell construct (there is no
 * shell).
 */
import { FactoryError } from '../domain/errors';
import type { Status } from '../domain/status';
import type { ProfileName } from './profiles/profile';

export interface AgentCommand {
  program: string;
  args: string[];
  /** Variables set for the agent on top of the runner's environment. */
  env?: Record<string, string> | undefined;
  /** The built-in profile this command came from (which parser reads its output); absent: custom. */
  profile?: ProfileName | undefined;
}

/**
 * `boardDir`, `gitDir` (the worktree's own git folder) and `gitCommonDir` (the repository's) lie
 * outside the worktree; a sandboxed agent must be allowed to write there to commit and to report.
 */
export const PLACEHOLDERS = ['ticketId', 'title', 'promptFile', 'worktree', 'runId', 'stage', 'boardDir', 'gitDir', 'gitCommonDir'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

/** The settings name of each stage that can run an agent: `agentFactory.agents.<name>.*`. */
export const STAGE_SETTING_NAMES: Partial<Record<Status, string>> = {
  IN_DEV: 'dev',
  IN_QA: 'qa',
  IN_UX: 'ux',
  IN_SEC: 'security',
  PM_REVIEW: 'pm',
};

const PLACEHOLDER_PATTERN = /\$\{([^}]*)\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/**
 * Reads a command from an untyped setting value. `null`/`undefined`/an empty program mean "no
 * agent configured" (the editor then opens a terminal); anything malformed is an error naming the
 * setting, so a typo is not silently turned into a terminal.
 */
export function parseAgentCommand(value: unknown, settingKey = 'the agent command'): AgentCommand | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new FactoryError('invalid-input', `${settingKey} must be an object like {"program": "claude", "args": ["-p", "\${promptFile}"]}`);
  }
  const { program, args } = value as { program?: unknown; args?: unknown };
  if (program === undefined || (typeof program === 'string' && program.trim() === '')) return undefined;
  if (typeof program !== 'string') throw new FactoryError('invalid-input', `${settingKey}: "program" must be a string`);
  if (program.includes('\0')) throw new FactoryError('invalid-input', `${settingKey}: "program" contains a NUL character`);
  const argList = args === undefined ? [] : args;
  if (!Array.isArray(argList) || argList.some((a) => typeof a !== 'string')) {
    throw new FactoryError('invalid-input', `${settingKey}: "args" must be an array of strings`);
  }
  const command: AgentCommand = { program: program.trim(), args: [...(argList as string[])] };
  checkPlaceholders(command.args, settingKey);
  return command;
}

/** Throws, naming the setting, when any of `values` uses a placeholder that does not exist. */
export function checkPlaceholders(values: readonly string[], settingKey: string): void {
  for (const value of values) {
    for (const match of value.matchAll(PLACEHOLDER_PATTERN)) {
      const name = match[1] ?? '';
      if (!isPlaceholder(name)) {
        throw new FactoryError(
          'invalid-input',
          `${settingKey}: unknown placeholder \${${name}} (known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`,
        );
      }
    }
  }
}

/** True when the command needs the worktree's git folders (finding them runs git). */
export function usesGitDirs(command: AgentCommand): boolean {
  return [...command.args, ...Object.values(command.env ?? {})].some((value) => /\$\{git(Common)?Dir\}/.test(value));
}

/**
 * Substitutes placeholders in one argument, in a single pass: a value that itself looks like
 * `${worktree}` stays literal. NUL characters are dropped because no OS can pass them in argv.
 */
export function expandArgument(arg: string, values: PlaceholderValues): string {
  return arg.replace(PLACEHOLDER_PATTERN, (whole, name: string) => (isPlaceholder(name) ? values[name].replace(/\0/g, '') : whole));
}

export function expandArgs(command: AgentCommand, values: PlaceholderValues): string[] {
  return command.args.map((arg) => expandArgument(arg, values));
}

/** The command's own environment variables, placeholders substituted. */
export function expandEnv(command: AgentCommand, values: PlaceholderValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(command.env ?? {})) env[name] = expandArgument(value, values);
  return env;
}

/** The short name shown for the agent of a run: the program's base name. */
export function agentName(command: AgentCommand | undefined): string {
  if (!command) return 'terminal';
  const base = command.program.split(/[\\/]/).pop() ?? command.program;
  return base.replace(/\.(exe|cmd|bat)$/i, '') || command.program;
}
