/**
 * What the Agents view and the status line show that a write touching no ticket can change: the
 * agents' published statuses and pauses, the Worktree and PM reports, the autopilot and the land
 * queue. The rest of such writes are lease renewals, several a minute on a quiet board, and change
 * nothing shown. No `vscode` import.
 */
import { AGENT_NAMES } from '../../agents/agent';
import { PM_REPORT_META } from '../../agents/pm/report';
import { WORKTREE_REPORT_META } from '../../agents/worktreeReport';
import { LAND_QUEUE_META } from '../../land/landQueue';
import { AUTOPILOT_META } from '../../loop/autopilotState';
import type { BoardReader } from '../../store/api';

const SHOWN_META = [WORKTREE_REPORT_META, PM_REPORT_META, AUTOPILOT_META, LAND_QUEUE_META];

/** A string that changes whenever any of those does. */
export function quietState(reader: Pick<BoardReader, 'getMeta' | 'getAgentState'>): string {
  const agents = AGENT_NAMES.map((name) => {
    const state = reader.getAgentState(name);
    return state ? [state.paused, state.status ?? null] : null;
  });
  return JSON.stringify([SHOWN_META.map((key) => reader.getMeta(key) ?? null), agents]);
}
