/**
 * The built-in profiles by name, and what a stage's settings (profile, custom command, model,
 * extra arguments, environment) make of them: the program, arguments and environment the runner
 * spawns.
 */
import { FactoryError } from '../../domain/errors';
import type { AgentCommand } from '../agentCommand';
import { checkPlaceholders } from '../agentCommand';
import { aiderProfile } from './aider';
import { silentParser, type AgentOutputParser } from './agentOutput';
import { claudeCodeProfile } from './claudeCode';
import { codexProfile } from './codex';
import { copilotProfile } from './copilot';
import { geminiProfile } from './gemini';
import type { AgentProfile, BuiltInProfileName, ProfileName } from './profile';

export const BUILT_IN_PROFILES: Readonly<Record<BuiltInProfileName, AgentProfile>> = {
  'claude-code': claudeCodeProfile,
  codex: codexProfile,
  gemini: geminiProfile,
  copilot: copilotProfile,
  aider: aiderProfile,
};

export function builtInProfile(name: ProfileName | undefined): AgentProfile | undefined {
  return name === undefined || name === 'custom' ? undefined : BUILT_IN_PROFILES[name];
}

/** One stage's agent settings, read and checked against their schema by the caller. */
export interface StageAgentSettings {
  profile: ProfileName;
  /** The `command` setting: what `custom` runs (undefined: nothing, a terminal). */
  command: AgentCommand | undefined;
  model: string;
  extraArgs: readonly string[];
  env: Readonly<Record<string, string>>;
}

/**
 * The command a stage runs, or undefined when `custom` has no command (the editor then opens a
 * terminal). Extra arguments and environment values may use the placeholders; an unknown one
 * throws, naming `settingPrefix`.
 */
export function resolveAgentCommand(settings: StageAgentSettings, settingPrefix: string): AgentCommand | undefined {
  checkPlaceholders(settings.extraArgs, `${settingPrefix}.extraArgs`);
  checkPlaceholders(Object.values(settings.env), `${settingPrefix}.env`);
  for (const [name, value] of Object.entries(settings.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new FactoryError('invalid-input', `${settingPrefix}.env: ${JSON.stringify(name)} is not a variable name`);
    if (value.includes('\0')) throw new FactoryError('invalid-input', `${settingPrefix}.env: ${name} contains a NUL character`);
  }
  const profile = builtInProfile(settings.profile);
  if (!profile) {
    const custom = settings.command;
    if (!custom) return undefined;
    return { program: custom.program, args: [...custom.args, ...settings.extraArgs], env: { ...custom.env, ...settings.env }, profile: 'custom' };
  }
  return {
    program: profile.program,
    args: profile.args(settings.model, settings.extraArgs),
    env: { ...profile.env, ...settings.env },
    profile: profile.name,
  };
}

/** A fresh parser for a run of `command`: its profile's, or one that reads nothing. */
export function outputParserFor(command: AgentCommand): AgentOutputParser {
  return builtInProfile(command.profile)?.parser() ?? silentParser;
}
