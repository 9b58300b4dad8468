/**
 * What the runner learns from a coding agent's machine output (stream-json, JSONL, or a known
 * line of text), one line at a time: the tokens its model calls used so far, the tools it called
 * (the evidence loop detection needs), and signs that it waits for a person. Agent output is
 * untrusted: a parser reads it, never runs or renders it, and ignores what it does not know.
 */
import type { TokenUsage } from '../../domain/usage';

export type AgentEvent =
  /** The run's totals so far (not a delta): the latest one replaces every earlier one. */
  | { kind: 'usage'; usage: TokenUsage }
  /** One tool call, with its input flattened to text so that repeats compare equal. */
  | { kind: 'tool'; name: string; input: string }
  /** The agent asked a person something, or was refused something only a person can allow. */
  | { kind: 'needs-input'; reason: string };

export interface AgentOutputParser {
  /** Reads one complete line of the agent's stdout or stderr. */
  push(line: string, stream: 'stdout' | 'stderr'): AgentEvent[];
}

/** The parser of an agent whose output has no machine-readable part. */
export const silentParser: AgentOutputParser = { push: () => [] };

/** A JSON object on one line, or undefined for anything else (text, arrays, broken JSON). */
export function jsonObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** A whole, non-negative token count, or 0 for anything else. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A tool's input as one comparable line (JSON keeps its key order, which the agent chose). */
export function toolInput(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
