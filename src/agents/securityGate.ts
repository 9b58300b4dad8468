/**
 * The Security gate of a board: the scan the store asks for when a transition needs the ticket's
 * change scanned as it is now (see src/domain/securityScan.ts). Every host that opens a board and
 * may move tickets (the editor, the CLI, `serve`) installs one, so no path can move a ticket out of
 * IN_SEC, or into DONE, past a change nobody scanned.
 */
import type { Clock } from '../domain/clock';
import type { ChangeLister } from '../scan/security/collect';
import type { SecuritySettings } from '../scan/security/settings';
import type { Board } from '../store/api';
import type { Logger } from './agent';
import { scanTicketNow, withLeanListing } from './scanTicketNow';

export interface SecurityGateDeps {
  git: ChangeLister;
  settings(): SecuritySettings;
  clock: Clock;
  log?: Logger;
  /** Why this process may not scan right now (an untrusted workspace), asked before every scan. */
  refusal?: () => string | undefined;
}

export function installSecurityGate(board: Board, deps: SecurityGateDeps): void {
  const knownClean = new Set<string>();
  const git = withLeanListing(deps.git);
  board.setSecurityGate(async (ticketId) => {
    const refused = deps.refusal?.();
    if (refused !== undefined) return { error: refused };
    const result = await scanTicketNow(board, ticketId, { ...deps, git, knownClean });
    if (result.error !== undefined) return { error: result.error };
    return result.state !== undefined ? { state: result.state } : { error: 'nothing was scanned' };
  });
}
