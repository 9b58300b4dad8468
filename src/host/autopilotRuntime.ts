/**
 * The autopilot as every host builds it (an editor window and `serve`): it starts tickets through
 * the host's runner under the board-wide limit, only while the host holds the agents lease, and
 * passes an automatic stage with the Security agent's scan of the ticket's change.
 */
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import { Autopilot, AUTOPILOT_ACTOR, type ScanVerdict } from '../loop/autopilot';
import type { TicketRunner } from '../runner/ticketRunner';
import type { Settings } from '../settings/settings';
import type { Board } from '../store/api';

export interface AutopilotRuntimeDeps {
  board: Board;
  settings: Settings;
  clock: Clock;
  log: Logger;
  /** The host's runner now (an editor window has one while its board is open). */
  runner(): TicketRunner | undefined;
  isLeader(): boolean;
  /** Scans a ticket's change now (scanTicketNow); without it an automatic stage waits for the Security agent. */
  scanNow?: ((ticketId: string) => Promise<ScanVerdict>) | undefined;
  intervalMs?: number;
}

export function createAutopilot(deps: AutopilotRuntimeDeps): Autopilot {
  return new Autopilot({
    board: deps.board,
    settings: deps.settings.autopilotSettings(),
    clock: deps.clock,
    log: deps.log,
    isLeader: () => deps.isLeader() && deps.runner() !== undefined,
    start: async (ticketId, limit) => {
      const runner = deps.runner();
      if (!runner) throw new Error('this window has no runner');
      return runner.startTicket(ticketId, AUTOPILOT_ACTOR, { limit });
    },
    scanNow: deps.scanNow,
    intervalMs: deps.intervalMs,
  });
}
