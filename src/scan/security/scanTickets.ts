/**
 * One Security scan over some tickets' changes: each ticket's files are collected (only new
 * content is matched), then each ticket's outcome is recorded in a few short writes, its scan
 * record in the last, and the content found clean goes into the store's scan cache after them. The
 * Security agent's cycle and the gate's scan of one ticket right before it moves both run this.
 */
import { existsSync } from 'node:fs';
import type { Clock } from '../../domain/clock';
import { errorMessage, FactoryError } from '../../domain/errors';
import type { NotScannedFile } from '../../domain/securityScan';
import type { Ticket } from '../../domain/ticket';
import type { Board } from '../../store/api';
import { collectTicket, type ChangeLister, type FileKeys, type ScanBudget, type SkipReason, type TicketScan } from './collect';
import type { MatchPool } from './matchPool';
import { reconcileInWrites, type FindingChange } from './reconcile';
import { SECURITY_RULES_VERSION, type RawFinding } from './scanText';
import type { SecuritySettings } from './settings';

export type ScanTarget = Ticket & { worktree: NonNullable<Ticket['worktree']> };

export interface ScanStats {
  tickets: number;
  /** Changed files considered (not deleted). */
  files: number;
  /** Files read and matched now. */
  scanned: number;
  /** Files whose content was already judged with the same rules: not scanned again. */
  unchanged: number;
  /** Changed files left for later because the time budget ran out. */
  deferred: number;
  skipped: Record<SkipReason, number>;
  /** Every changed file that was not read, with why, per ticket. */
  notScanned: Array<NotScannedFile & { ticketId: string }>;
  newFindings: number;
  fixed: number;
  reopened: number;
  moved: number;
  /** Tickets that could not be scanned, with why. */
  errors: string[];
}

export interface ScanRun {
  stats: ScanStats;
  changes: FindingChange[];
  /** The tickets scanned to the end, by id. */
  scans: Map<string, TicketScan>;
  /** Tickets that could not be scanned, by id, with why. */
  failed: Map<string, string>;
}

export interface ScanTicketsOptions {
  settings: SecuritySettings;
  git: ChangeLister;
  clock: Clock;
  signal?: AbortSignal | undefined;
  budget?: ScanBudget | undefined;
  /** Content keys the store's cache is known to hold; grows as writes land. */
  knownClean?: Set<string> | undefined;
  setActivity?: (text: string) => void;
  /** Where files are read and matched (default: the process's shared pool of matching threads). */
  matcher?: Pick<MatchPool, 'read'> | undefined;
  /** Files' identities on disk and content keys, kept by the caller across scans (see CollectOptions). */
  fileKeys?: FileKeys | undefined;
}

/** Clean content keys recorded per write (see markClean). */
const CLEAN_PER_WRITE = 256;

export function emptyStats(): ScanStats {
  return {
    tickets: 0,
    files: 0,
    scanned: 0,
    unchanged: 0,
    deferred: 0,
    skipped: { ignored: 0, 'too-large': 0, binary: 0, 'not-a-file': 0 },
    notScanned: [],
    newFindings: 0,
    fixed: 0,
    reopened: 0,
    moved: 0,
    errors: [],
  };
}

export async function scanTickets(board: Board, targets: readonly ScanTarget[], opts: ScanTicketsOptions): Promise<ScanRun> {
  const { signal, knownClean } = opts;
  const stats = emptyStats();
  const scans = new Map<string, TicketScan>();
  const failed = new Map<string, string>();
  const memo = new Map<string, RawFinding[]>();
  for (const [i, ticket] of targets.entries()) {
    signal?.throwIfAborted();
    opts.setActivity?.(`Scanning ${ticket.id} (${i + 1} of ${targets.length})`);
    if (!existsSync(ticket.worktree.path)) {
      failed.set(ticket.id, `its worktree ${ticket.worktree.path} is missing`);
      continue;
    }
    try {
      const scan = await collectTicket(board, opts.git, ticket, { settings: opts.settings, signal, memo, knownClean, budget: opts.budget, matcher: opts.matcher, fileKeys: opts.fileKeys });
      scans.set(ticket.id, scan);
      stats.tickets++;
      for (const f of scan.files) {
        stats.files++;
        if (f.state === 'scanned' && !f.reused) stats.scanned++;
        else if (f.state === 'skipped') {
          stats.skipped[f.reason]++;
          stats.notScanned.push({ ticketId: ticket.id, path: f.path, reason: f.reason });
        } else if (f.state === 'deferred') stats.deferred++;
        else if (f.state !== 'scanned') stats.unchanged++;
      }
    } catch (err) {
      if (signal?.aborted || (err instanceof FactoryError && err.reason === 'cancelled')) throw err;
      // One ticket's broken worktree must not hide the others' findings.
      failed.set(ticket.id, errorMessage(err));
    }
  }
  for (const [id, why] of failed) stats.errors.push(`${id}: ${why}`);

  opts.setActivity?.(`Recording findings of ${scans.size} ticket${scans.size === 1 ? '' : 's'}`);
  const changes: FindingChange[] = [];
  const now = opts.clock.now();
  // Per ticket, a few findings per write (reconcileInWrites): a cold scan's many findings must not hold the thread in one write.
  for (const scan of scans.values()) changes.push(...(await reconcileInWrites(board, scan, now)).changes);
  await markClean(board, scans.values(), knownClean);
  for (const c of changes) {
    if (c.kind === 'new') stats.newFindings++;
    else if (c.kind === 'fixed') stats.fixed++;
    else if (c.kind === 'reopened') stats.reopened++;
    else stats.moved++;
  }
  return { stats, changes, scans, failed };
}

/**
 * Records content matched clean in the store's scan cache, which every ticket and file name
 * shares: a fact about the bytes and the rules, so it needs no transaction with the findings, and
 * a cold scan's thousands of keys go in writes of {@link CLEAN_PER_WRITE} so that no one write
 * holds the thread long.
 */
async function markClean(board: Board, scans: Iterable<TicketScan>, knownClean: Set<string> | undefined): Promise<void> {
  const clean = new Set<string>();
  for (const scan of scans) for (const f of scan.files) if (f.state === 'scanned' && f.findings.length === 0 && !knownClean?.has(f.contentKey)) clean.add(f.contentKey);
  const keys = [...clean];
  for (let i = 0; i < keys.length; i += CLEAN_PER_WRITE) {
    const chunk = keys.slice(i, i + CLEAN_PER_WRITE);
    await board.write((tx) => tx.markScannedMany(chunk, SECURITY_RULES_VERSION));
    // Only now that the write landed are these keys in the store's cache.
    for (const key of chunk) knownClean?.add(key);
  }
}
