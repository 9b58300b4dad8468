/**
 * Why a live run needs a person's eye, besides its liveness: it waits for an answer (a
 * permission prompt, a question, the agent's own "waiting" hook) or it repeats itself. Stalled
 * (silence with no progress) is the PM's judgement from the run's times; these are facts the
 * runner and the agent's hooks record on the run while it lives.
 */

/** Where the sign of waiting came from. */
export type NeedsInputSource = 'hook' | 'output' | 'silence';

export interface NeedsInput {
  /** What the agent waits for, masked and on one line. */
  reason: string;
  since: number;
  source: NeedsInputSource;
}

export interface LoopMark {
  /** The repeated tool call or output line, quoted and masked. */
  evidence: string;
  repeats: number;
  since: number;
}

export interface RunAttention {
  needsInput?: NeedsInput | undefined;
  loop?: LoopMark | undefined;
}

export const MAX_ATTENTION_TEXT = 300;

/** One line, at most MAX_ATTENTION_TEXT characters: attention text comes from agent output. */
export function attentionText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what goes
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > MAX_ATTENTION_TEXT ? `${line.slice(0, MAX_ATTENTION_TEXT - 1)}…` : line;
}

/** The attention a stored value describes, or undefined for anything malformed. */
export function parseRunAttention(value: unknown): RunAttention | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const out: RunAttention = {};
  const n = v.needsInput as Record<string, unknown> | undefined;
  if (n && typeof n.reason === 'string' && typeof n.since === 'number' && (n.source === 'hook' || n.source === 'output' || n.source === 'silence')) {
    out.needsInput = { reason: n.reason, since: n.since, source: n.source };
  }
  const l = v.loop as Record<string, unknown> | undefined;
  if (l && typeof l.evidence === 'string' && typeof l.repeats === 'number' && typeof l.since === 'number') {
    out.loop = { evidence: l.evidence, repeats: l.repeats, since: l.since };
  }
  return out.needsInput || out.loop ? out : undefined;
}

/** True when a live run waits for a person. */
export function needsInput(run: { attention?: RunAttention | undefined; status: string }): boolean {
  return (run.status === 'running' || run.status === 'queued') && run.attention?.needsInput !== undefined;
}

/** The live runs among `runs` that wait for a person, oldest wait first. */
export function runsNeedingInput<R extends { attention?: RunAttention | undefined; status: string }>(runs: readonly R[]): R[] {
  return runs.filter(needsInput).sort((a, b) => (a.attention?.needsInput?.since ?? 0) - (b.attention?.needsInput?.since ?? 0));
}
