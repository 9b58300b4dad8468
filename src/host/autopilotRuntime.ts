/**
 * The autopilot as every host builds it (an editor window and `serve`): it starts tickets through
 * the host's runner under the board-wide limit, only while the host holds the agents lease, and
 * passes an automatic stage with the Security agent's scan of the ticket's change.
 */
import { scanTicketNow, withLeanListing } from '../agents/scanTicketNow';
import type { Clock } from '../domain/clock';
import type { GitPort } from '../git/port';
import { autoLand } from '../land/autoLand';
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
  /** The host's git: IN_SEC with no agent is passed by a Security scan of the change now (scanTicketNow). */
  git?: GitPort | undefined;
  /** Overrides the scan made with `git` (tests). */
  scanNow?: ((ticketId: string) => Promise<ScanVerdict>) | undefined;
  intervalMs?: number;
}

export function createAutopilot(deps: AutopilotRuntimeDeps): Autopilot {
  const { board, settings, clock, log } = deps;
  const git = deps.git && withLeanListing(deps.git);
  const scanNow = deps.scanNow ?? (git ? (ticketId: string) => scanTicketNow(board, ticketId, { git, settings: () => settings.securitySettings(), clock, log }) : undefined);
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
    scanNow,
    // `land.auto`: autoLand does nothing unless the setting and the autopilot are both on.
    land: (signal) => autoLand({ board, clock, settings: settings.landSettings(), log, signal }),
    intervalMs: deps.intervalMs,
  });
}
