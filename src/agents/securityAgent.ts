/**
 * The Security agent. Each cycle scans what every active ticket changed in its worktree, and the
 * full change of every DONE ticket whose worktree is still there and was not scanned as it is now,
 * for secrets and risky code; it reads only files whose content it has not judged before, and
 * records the outcome as findings, bugs, threads and scan records, a few short writes per ticket.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fullChangeScanned, notScannedWhy } from '../domain/securityScan';
import { ACTIVE_STATUSES } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import { headCommit } from '../scan/common/head';
import { ScanBudget, type ChangeLister, type FileKeys, type SkipReason } from '../scan/security/collect';
import { openSecurityBlockers } from '../scan/security/gate';
import { sharedMatchPool, type MatchPool } from '../scan/security/matchPool';
import type { FindingChange } from '../scan/security/reconcile';
import { scanTickets, type ScanStats, type ScanTarget } from '../scan/security/scanTickets';
import type { SecuritySettings } from '../scan/security/settings';
import type { Board } from '../store/api';
import type { BackgroundAgent, CycleContext, CycleResult } from './agent';

export { securityGateRefusal } from '../scan/security/gate';

export interface SecurityAgentDeps {
  settings(): SecuritySettings;
  git: ChangeLister;
  /**
   * Milliseconds a cycle may spend matching before the remaining files wait for the next cycle;
   * keep it below the manager's cycle timeout (default 60 s). Default 30 s.
   */
  scanBudgetMs?: number;
  /** Where files are matched (default: the process's shared pool of matching threads). */
  matcher?: MatchPool;
}

const DEFAULT_SCAN_BUDGET_MS = 30_000;
/** Files whose identity and content key the agent remembers; past this it starts over. */
const FILE_KEYS_MAX = 200_000;
/** How many files not scanned the summary names before "and N more". */
const NAMED_NOT_SCANNED = 5;

export interface SecurityCycleStats extends ScanStats {
  /** Open critical/high Security bugs on active tickets after the cycle. */
  openBlockers: number;
}

export interface SecurityCycleResult extends CycleResult {
  stats: SecurityCycleStats;
  changes: FindingChange[];
}

export class SecurityAgent implements BackgroundAgent {
  readonly name = 'Security' as const;
  readonly defaultIntervalSeconds = 120;

  /** Per board folder: content keys the store's scan cache holds (it only ever grows for a rules version). */
  private readonly knownClean = new Map<string, Set<string>>();
  /** Per absolute path: the file's identity on disk and content key when last read, so an unchanged file is not read again. */
  private readonly fileKeys: FileKeys = new Map();

  constructor(private readonly deps: SecurityAgentDeps) {}

  async runCycle(ctx: CycleContext): Promise<SecurityCycleResult> {
    const { board, signal, log } = ctx;
    const matcher = this.deps.matcher ?? sharedMatchPool;
    matcher.warn = (message) => log.error(`Security: ${message}`);
    await board.refresh();
    let knownClean = this.knownClean.get(board.dir);
    if (!knownClean) this.knownClean.set(board.dir, (knownClean = new Set()));
    if (this.fileKeys.size > FILE_KEYS_MAX) this.fileKeys.clear();
    const run = await scanTickets(board, await targets(board), {
      settings: this.deps.settings(),
      git: this.deps.git,
      clock: ctx.clock,
      signal,
      knownClean,
      budget: new ScanBudget(performance.now() + (this.deps.scanBudgetMs ?? DEFAULT_SCAN_BUDGET_MS)),
      setActivity: (text) => ctx.setActivity(text),
      matcher,
      fileKeys: this.fileKeys,
    });
    const stats: SecurityCycleStats = { ...run.stats, openBlockers: 0 };
    for (const c of run.changes) {
      const line = `Security: ${c.ticketId}: ${c.kind} ${c.severity} finding ${c.rule} at ${c.file}:${c.line}: ${c.shown}`;
      if (c.kind === 'new' || c.kind === 'reopened') log.warn(line);
      else log.info(line);
    }
    for (const e of stats.errors) log.warn(`Security: ${e}`);
    for (const n of stats.notScanned) log.info(`Security: ${n.ticketId}: ${n.path} not scanned: ${notScannedWhy(n.reason)}`);
    // One query per active ticket (hundreds on a big board): the thread is given back between every few.
    let counted = 0;
    for (const t of board.readTickets({ status: ACTIVE_STATUSES })) {
      stats.openBlockers += openSecurityBlockers(board, t.id).length;
      if (++counted % BLOCKERS_PER_TURN === 0) await yieldToEventLoop();
    }
    const summary = summarize(stats);
    log.info(`Security: ${summary}`);
    return { summary, attention: stats.openBlockers > 0 || stats.errors.length > 0, stats, changes: run.changes };
  }

  /** The matching threads end with the agents; a later scan (the gate's) starts them again. */
  dispose(): Promise<void> {
    return (this.deps.matcher ?? sharedMatchPool).end();
  }
}

/** Active tickets whose open blockers a cycle counts in one turn of the event loop. */
const BLOCKERS_PER_TURN = 50;

/**
 * Active tickets with a worktree, and DONE tickets whose worktree is still there and whose last
 * scan was not of their full change as it stands (committed, clean, at HEAD): the Worktree agent
 * removes a finished worktree only after that scan.
 */
async function targets(board: Board): Promise<ScanTarget[]> {
  const out: ScanTarget[] = [];
  // Only tickets with a worktree are read: a board's DONE tickets may number thousands, and
  // decoding them all at once would hold the thread.
  for (const ticket of board.listTickets({ status: ACTIVE_STATUSES, hasWorktree: true })) if (hasWorktree(ticket)) out.push(ticket);
  for (const ticket of board.listTickets({ status: 'DONE', hasWorktree: true })) {
    // A worktree already cleaned up has nothing left to read; the scans it had while active stand.
    if (!hasWorktree(ticket) || !existsSync(ticket.worktree.path)) continue;
    if (!fullChangeScanned(board.getSecurityScan(ticket.id), await headCommit(ticket.worktree.path).catch(() => undefined))) out.push(ticket);
  }
  return out;
}

function hasWorktree(ticket: Ticket): ticket is ScanTarget {
  return ticket.worktree !== undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "2 tickets: 5 files scanned, 40 unchanged, 3 not scanned (1 binary, 2 ignored: a.png, …); 1 new finding; 2 open blockers" */
export function summarize(s: SecurityCycleStats): string {
  if (s.tickets === 0 && s.errors.length === 0) return 'No ticket worktree to scan';
  const skippedTotal = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const skippedParts = (Object.entries(s.skipped) as [SkipReason, number][])
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason === 'too-large' ? 'too large' : reason === 'not-a-file' ? 'not a file' : reason}`);
  const parts = [`${plural(s.scanned, 'file')} scanned`, `${s.unchanged} unchanged`];
  if (skippedTotal > 0) {
    const named = s.notScanned.slice(0, NAMED_NOT_SCANNED).map((n) => n.path);
    const more = s.notScanned.length > NAMED_NOT_SCANNED ? `, and ${s.notScanned.length - NAMED_NOT_SCANNED} more` : '';
    parts.push(`${skippedTotal} not scanned (${skippedParts.join(', ')}: ${named.join(', ')}${more})`);
  }
  if (s.deferred > 0) parts.push(`${s.deferred} left for the next cycle`);
  let text = `${plural(s.tickets, 'ticket')}: ${parts.join(', ')}`;
  const events = [
    s.newFindings > 0 ? plural(s.newFindings, 'new finding') : '',
    s.reopened > 0 ? `${s.reopened} reopened` : '',
    s.moved > 0 ? `${s.moved} moved` : '',
    s.fixed > 0 ? `${s.fixed} fixed` : '',
  ].filter(Boolean);
  if (events.length > 0) text += `; ${events.join(', ')}`;
  if (s.openBlockers > 0) text += `; ${plural(s.openBlockers, 'open blocker')}`;
  if (s.errors.length > 0) text += `; ${plural(s.errors.length, 'ticket')} not scanned`;
  return text;
}
