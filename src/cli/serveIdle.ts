/**
 * When `serve --until-idle` is done: this host holds the agents lease, no run is live on the board
 * or in this process, and the autopilot has nothing left to start or scan, twice in a row (a run
 * that just ended may not have led to the next start yet). What failed on the way decides the exit
 * code: a ticket the autopilot blocked after its attempts, a start or a scan that could not run.
 */
import type { Host } from '../host/host';
import { STATUSES } from '../domain/status';
import type { BoardReader } from '../store/api';

const POLL_MS = 250;
const QUIET_PASSES = 2;

export interface IdleOutcome {
  failed: string[];
  /** "5 tickets: 4 DONE, 1 PM_REVIEW". */
  summary: string;
}

export async function watchUntilIdle(host: Host): Promise<IdleOutcome | undefined> {
  const failed: string[] = [];
  let stopped = false;
  void host.stopped.then(() => (stopped = true));
  const events = host.autopilot.onDidEvent((e) => {
    if (e.kind === 'blocked') failed.push(`${e.ticketId} blocked: ${e.reason}`);
    else if (e.kind === 'start-failed') failed.push(`${e.ticketId} could not start: ${e.reason}`);
    else if (e.kind === 'scanned' && e.movedTo === undefined) failed.push(`${e.ticketId} could not be scanned: ${e.reason ?? ''}`);
  });
  try {
    let quiet = 0;
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (stopped) break;
      if (!host.manager.isLeader) {
        quiet = 0;
        continue;
      }
      const pass = await host.autopilot.pass();
      const local = host.runs.activeRunIds().length + host.runs.queuedRunIds().length;
      quiet = pass.live === 0 && local === 0 && pass.pending === 0 ? quiet + 1 : 0;
      if (quiet >= QUIET_PASSES) return { failed, summary: boardSummary(host.board) };
    }
    return undefined;
  } finally {
    events.dispose();
  }
}

function boardSummary(reader: BoardReader): string {
  const counts = reader.countByStatus();
  const total = STATUSES.reduce((n, s) => n + counts[s], 0);
  const parts = STATUSES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} ticket${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
