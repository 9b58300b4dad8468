/**
 * A built-in profile: everything the runner must know to drive one agent CLI without a person:
 * its program, the flags that make it non-interactive with machine-readable output, the
 * permissions that let it edit the worktree and run `git` and `agent-factory` there, how it gets
 * its prompt, the environment that stops its calls to anything but its model, and the parser of
 * its output.
 */
import type { AgentOutputParser } from './agentOutput';

export const PROFILE_NAMES = ['claude-code', 'codex', 'gemini', 'copilot', 'aider', 'custom'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type BuiltInProfileName = Exclude<ProfileName, 'custom'>;

export function isProfileName(value: unknown): value is ProfileName {
  return typeof value === 'string' && (PROFILE_NAMES as readonly string[]).includes(value);
}

/**
 * How a profile passes the prompt: one line that sends the agent to the prompt file, so that no
 * ticket text becomes an argument (or outgrows one) and the agent still gets the whole prompt. The
 * runner substitutes the placeholders.
 */
export const PROMPT_INSTRUCTION =
  'Read the file ${promptFile} and do what it says: it is your task as the ${stage} agent of ticket ${ticketId}, and it explains how to report back with agent-factory.';

export interface AgentProfile {
  name: BuiltInProfileName;
  /** What people call it. */
  label: string;
  /** The program looked up on the PATH. */
  program: string;
  /** How to get the program, for the error shown when it is missing. */
  install: string;
  /** The arguments for one non-interactive run; `extraArgs` go where the program accepts options. */
  args(model: string, extraArgs: readonly string[]): string[];
  /** Environment that keeps the program to its model's endpoint (no telemetry, no update checks). */
  env: Readonly<Record<string, string>>;
  /** A fresh parser for one run's output. */
  parser(): AgentOutputParser;
}

export function modelArgs(flag: string, model: string): string[] {
  return model.trim() === '' ? [] : [flag, model.trim()];
}
