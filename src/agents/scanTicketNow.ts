/**
 * Scans one ticket's change now, whatever its status, records what it found and what it scanned,
 * and says whether the ticket passes: scanned to the end, with no critical or high Security
 * finding open. The Security gate runs it before a ticket leaves IN_SEC or reaches DONE; a host
 * that moves tickets through IN_SEC without a security coding agent calls it directly and moves
 * the ticket on when it passes.
 */
import type { Clock } from '../domain/clock';
import type { SecurityScanRecord } from '../domain/securityScan';
import type { Bug } from '../domain/ticket';
import type { ChangeLister } from '../scan/security/collect';
import { openSecurityBlockers } from '../scan/security/gate';
import { sharedMatchPool, type MatchPool } from '../scan/security/matchPool';
import type { FindingChange } from '../scan/security/reconcile';
import { scanTickets } from '../scan/security/scanTickets';
import type { SecuritySettings } from '../scan/security/settings';
import type { Board } from '../store/api';
import { silentLogger, type Logger } from './agent';

export interface ScanNowDeps {
  git: ChangeLister;
  settings(): SecuritySettings;
  clock: Clock;
  log?: Logger;
  signal?: AbortSignal;
  /** Content keys known clean, kept between calls on the same board (optional). */
  knownClean?: Set<string>;
}

export interface ScanNowResult {
  ticketId: string;
  /** Scanned to the end (or nothing to scan), and no critical/high Security finding is open. */
  pass: boolean;
  /** The fingerprint of the change scanned; undefined when there was no worktree or the scan failed. */
  state?: string | undefined;
  /** The scan as recorded on the board. */
  record?: SecurityScanRecord | undefined;
  blockers: Bug[];
  changes: FindingChange[];
  /** Why the change could not be scanned. */
  error?: string | undefined;
}

export async function scanTicketNow(board: Board, ticketId: string, deps: ScanNowDeps): Promise<ScanNowResult> {
  const log = deps.log ?? silentLogger;
  await board.refresh();
  const ticket = board.getTicket(ticketId);
  if (!ticket) return { ticketId, pass: false, blockers: [], changes: [], error: `there is no ticket ${ticketId}` };
  if (!ticket.worktree) {
    // No worktree, no change: only findings already on the ticket can stand in its way.
    const blockers = openSecurityBlockers(board, ticket.id);
    return { ticketId, pass: blockers.length === 0, blockers, changes: [] };
  }
  const run = await scanTickets(board, [{ ...ticket, worktree: ticket.worktree }], {
    settings: deps.settings(),
    git: deps.git,
    clock: deps.clock,
    signal: deps.signal,
    knownClean: deps.knownClean,
  });
  const error = run.failed.get(ticket.id);
  const scan = run.scans.get(ticket.id);
  const blockers = openSecurityBlockers(board, ticket.id);
  const record = board.getSecurityScan(ticket.id);
  for (const c of run.changes) log.warn(`Security: ${c.ticketId}: ${c.kind} ${c.severity} finding ${c.rule} at ${c.file}:${c.line}: ${c.shown}`);
  if (error !== undefined || scan === undefined) {
    const why = error ?? 'the scan did not run';
    log.warn(`Security: ${ticket.id} could not be scanned: ${why}`);
    return { ticketId, pass: false, blockers, changes: run.changes, error: why };
  }
  const pass = blockers.length === 0;
  log.info(`Security: scanned ${ticket.id} (${scan.changed} changed file${scan.changed === 1 ? '' : 's'}, ${run.stats.scanned} read): ${pass ? 'no open critical/high finding' : `${blockers.length} open critical/high finding${blockers.length === 1 ? '' : 's'}`}`);
  return { ticketId, pass, state: scan.state, record, blockers, changes: run.changes };
}

/**
 * `git` listing each change as the Security agent's cycles do, through the Security scan's pool
 * (ScanChangeLister: three git processes, the merge-base remembered, none started from this
 * thread: in the editor they start in the process starter, elsewhere in the pool's threads),
 * when it only has the port's `changedFiles`, which lists the same files and whether any is
 * uncommitted from six processes.
 */
export function withLeanListing(git: ChangeLister, pool: Pick<MatchPool, 'listChange'> = sharedMatchPool): ChangeLister {
  if (git.listChange) return git;
  return {
    changedFiles: (path, base, opts) => git.changedFiles(path, base, opts),
    listChange: (path, base, opts) => pool.listChange(path, base, opts),
  };
}
