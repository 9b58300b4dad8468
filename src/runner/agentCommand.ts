/**
 * The coding agent configured for a stage: a program and an argument array. Placeholders are
 * substituted inside each argument on its own, once, so ticket text can never become a second
 * argument, an option or a shell construct (there is no shell).
 */
import { FactoryError } from '../domain/errors';
import type { Status } from '../domain/status';

export interface AgentCommand {
  program: string;
  args: string[];
}

export const PLACEHOLDERS = ['ticketId', 'title', 'promptFile', 'worktree', 'runId', 'stage'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

/** The settings name of each stage that can run an agent: `agentFactory.agents.<name>.command`. */
export const STAGE_SETTING_NAMES: Partial<Record<Status, string>> = {
  IN_DEV: 'dev',
  IN_QA: 'qa',
  IN_UX: 'ux',
  IN_SEC: 'security',
  PM_REVIEW: 'pm',
};

export function commandSettingKey(stage: Status): string | undefined {
  const name = STAGE_SETTING_NAMES[stage];
  return name === undefined ? undefined : `agentFactory.agents.${name}.command`;
}

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
  for (const arg of command.args) {
    for (const match of arg.matchAll(PLACEHOLDER_PATTERN)) {
      const name = match[1] ?? '';
      if (!isPlaceholder(name)) {
        throw new FactoryError(
          'invalid-input',
          `${settingKey}: unknown placeholder \${${name}} (known: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(', ')})`,
        );
      }
    }
  }
  return command;
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

/** The short name shown for the agent of a run: the program's base name. */
export function agentName(command: AgentCommand | undefined): string {
  if (!command) return 'terminal';
  const base = command.program.split(/[\\/]/).pop() ?? command.program;
  return base.replace(/\.(exe|cmd|bat)$/i, '') || command.program;
}
