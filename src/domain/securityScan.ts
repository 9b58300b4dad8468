/**
 * What the board records of a ticket's last Security scan, and the rule built on it: a ticket
 * leaves IN_SEC for a later stage, and reaches DONE, only when its change was scanned at the state
 * it is in right now and no critical or high finding of it is open. The store enforces the rule in
 * every transition (see gates.ts); the scan itself runs outside the store, which asks for it.
 */
import { isActive, PIPELINE, type Status } from './status';
import type { Ticket } from './ticket';

/** Why a changed file was not read: its name matches `security.ignore`, it is too large, binary, or not a regular file. */
export type NotScannedReason = 'ignored' | 'too-large' | 'binary' | 'not-a-file';

/** Why a file was not scanned, in words a person can act on. */
export function notScannedWhy(reason: NotScannedReason): string {
  return { ignored: 'it matches agentFactory.security.ignore', 'too-large': 'it is larger than agentFactory.security.maxFileSizeKB', binary: 'it is binary', 'not-a-file': 'it is not a regular file' }[reason];
}

export interface NotScannedFile {
  path: string;
  reason: NotScannedReason;
}

export interface SecurityScanRecord {
  ticketId: string;
  /** HEAD of the worktree when scanned; undefined without a worktree or a commit. */
  commit?: string | undefined;
  /** Fingerprint of the change scanned: HEAD and every changed file's content (see collect.ts). */
  state: string;
  /** The change had uncommitted parts (staged, modified, untracked files). */
  dirty: boolean;
  /** Every changed file was judged; false when a cycle's time budget left some for later. */
  complete: boolean;
  /** Changed files in the scan (deleted ones included). */
  files: number;
  /** Open critical/high Security findings of the ticket right after the scan. */
  blockers: number;
  notScanned: NotScannedFile[];
  scannedAt: number;
}

/**
 * The moves that need a scan of the ticket's change at its current state: from IN_SEC on to a later
 * stage, and into DONE from an active status. Going back (to IN_DEV, to BLOCKED) never does; nor
 * does a ticket without a worktree, which has no change to scan.
 */
export function needsSecurityScan(ticket: Pick<Ticket, 'worktree'>, from: Status, to: Status): boolean {
  if (ticket.worktree === undefined) return false;
  if (from === 'IN_SEC') return PIPELINE.indexOf(to as (typeof PIPELINE)[number]) > PIPELINE.indexOf('IN_SEC');
  return to === 'DONE' && isActive(from);
}

/** What a process that can scan reports for a ticket it was asked about: the state it scanned, or why it could not. */
export type ScanVerdict = { state: string } | { error: string };

/**
 * Why the move may not happen for want of a current scan, or undefined when the scan is current.
 * `verdict` is what the scanner in this process found just now; undefined when it was not asked.
 */
export function scanCurrencyRefusal(ticketId: string, record: SecurityScanRecord | undefined, verdict: ScanVerdict | undefined): string | undefined {
  if (verdict === undefined) {
    return `${ticketId}'s change has not been scanned by Security at its current commit and worktree state, and this process cannot scan it; let the Security agent run (agent-factory run-agent security) and try again`;
  }
  if ('error' in verdict) return `${ticketId}'s change could not be scanned: ${verdict.error}`;
  if (record === undefined || record.state !== verdict.state) return `${ticketId}'s change changed while Security scanned it; try again`;
  if (!record.complete) return `${ticketId}'s scan did not finish; try again`;
  return undefined;
}

/**
 * True when the record is a finished scan of a clean worktree at `head`: the whole change of a
 * finished ticket as it will stay. The Worktree agent removes a DONE ticket's worktree only then.
 */
export function fullChangeScanned(record: SecurityScanRecord | undefined, head: string | undefined): boolean {
  return record !== undefined && record.complete && !record.dirty && head !== undefined && record.commit === head;
}

/** The record's commit, short, for people. */
export function shortCommit(record: Pick<SecurityScanRecord, 'commit'>): string {
  return record.commit === undefined ? 'no commit' : record.commit.slice(0, 12);
}
