/**
 * What a coding agent prints when it stops to ask a person: permission prompts, "Do you want
 * to…", yes/no questions. A small table per profile on top of the common one; only plain text
 * lines are read (a profile's JSON events carry the model's own words, which may well contain
 * "Do you want to"), and an unknown line is never a prompt.
 */
import { jsonObject } from './agentOutput';
import type { ProfileName } from './profile';

const COMMON: readonly RegExp[] = [
  /\bdo you want to\b/i,
  /[[(]\s*y(es)?\s*\/\s*n(o)?\s*[\])]/i,
  /\(y\)es\s*\/\s*\(n\)o/i,
  /\bpress enter to (continue|confirm)\b/i,
  /\b(waiting for|requires?|needs?) (your |user )?(input|approval|confirmation|permission)\b/i,
  /\b(allow|approve|permit)\b[^.]*\?\s*$/i,
];

const BY_PROFILE: Readonly<Partial<Record<ProfileName, readonly RegExp[]>>> = {
  // Its interactive permission dialog, should a run end up with a terminal.
  'claude-code': [/^\s*\u276F?\s*1\.\s*Yes\b/, /\bClaude (needs|requested) (your )?permission\b/i],
  codex: [/\bapproval (is )?(required|needed|requested)\b/i, /\bAllow command\b/i],
  gemini: [/\bAllow execution\b/i, /\bApply this change\?/i],
  copilot: [/\bDo you want to run this command\b/i, /\bpermission (is )?(required|requested)\b/i],
  aider: [/\bAdd .* to the chat\?/i, /\bCreate new file\b.*\?/i, /\bRun shell command\?/i],
};

export function promptPatterns(profile: ProfileName | undefined): readonly RegExp[] {
  return [...COMMON, ...((profile && BY_PROFILE[profile]) ?? [])];
}

/** True when `line` is a plain-text line one of the profile's patterns recognises as a prompt. */
export function isPromptLine(profile: ProfileName | undefined, line: string): boolean {
  if (line.trim() === '' || jsonObject(line) !== undefined) return false;
  return promptPatterns(profile).some((p) => p.test(line));
}

/**
 * The last line a silent agent left, when it reads like a question: a known prompt, or plain
 * text ending with "?" or a prompt mark (`>`, `:`).
 */
export function looksLikeQuestion(profile: ProfileName | undefined, line: string): boolean {
  if (isPromptLine(profile, line)) return true;
  if (line.trim() === '' || jsonObject(line) !== undefined) return false;
  return /[?:>]\s*$/.test(line.trimEnd());
}
