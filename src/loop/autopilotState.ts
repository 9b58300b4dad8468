/**
 * Whether the autopilot is on, kept in the board (not in one window's memory), so every window,
 * the CLI and a headless host read and change the same switch. Off until someone turns it on.
 */
import type { Actor } from '../domain/status';
import type { BoardReader, BoardTx } from '../store/api';

export const AUTOPILOT_META = 'autopilot';

export interface AutopilotState {
  on: boolean;
  /** Who last turned it on or off, and when. */
  by?: string | undefined;
  at?: number | undefined;
}

export function readAutopilot(reader: Pick<BoardReader, 'getMeta'>): AutopilotState {
  const raw = reader.getMeta(AUTOPILOT_META);
  if (raw === undefined) return { on: false };
  try {
    const value = JSON.parse(raw) as Partial<AutopilotState> | null;
    return {
      on: value?.on === true,
      by: typeof value?.by === 'string' ? value.by : undefined,
      at: typeof value?.at === 'number' ? value.at : undefined,
    };
  } catch {
    // A value this version cannot read never turns the autopilot on by itself.
    return { on: false };
  }
}

/** Turns the autopilot on or off; returns the state written. */
export function setAutopilot(tx: BoardTx, on: boolean, by: Actor, now: number): AutopilotState {
  const state: AutopilotState = { on, by, at: now };
  tx.setMeta(AUTOPILOT_META, JSON.stringify(state));
  return state;
}

/** "Autopilot: on (turned on by user)", for the status bar tooltip and `agent-factory status`. */
export function describeAutopilot(state: AutopilotState): string {
  const who = state.by !== undefined ? ` (turned ${state.on ? 'on' : 'off'} by ${state.by})` : '';
  return `Autopilot: ${state.on ? 'on' : 'off'}${who}`;
}
