/**
 * The Security agent. Each cycle scans what every active ticket changed in its worktree (and a
 * DONE ticket's full change once) for secrets and risky code, reading only files whose content it
 * has not judged before, and records the outcome as findings, bugs and threads in one write.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { errorMessage, FactoryError } from '../domain/errors';
import { ACTIVE_STATUSES } from '../domain/status';
import type { Ticket } from '../domain/ticket';
import { collectTicket, ScanBudget, type ChangeLister, type SkipReason, type TicketScan } from '../scan/security/collect';
import { openSecurityBlockers } from '../scan/security/gate';
import { doneScanMetaKey } from '../scan/security/model';
import { reconcileTicket, type FindingChange } from '../scan/security/reconcile';
import type { RawFinding } from '../scan/security/scanText';
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
}

const DEFAULT_SCAN_BUDGET_MS = 30_000;

export interface SecurityCycleStats {
  tickets: number;
  /** Changed files considered (not deleted). */
  files: number;
  /** Files read and matched this cycle. */
  scanned: number;
  /** Files whose content was already judged with the same rules: not scanned again. */
  unchanged: number;
  /** Changed files left for the next cycle because this one's time budget ran out. */
  deferred: number;
  skipped: Record<SkipReason, number>;
  newFindings: number;
  fixed: number;
  reopened: number;
  moved: number;
  /** Open critical/high Security bugs on active tickets after the cycle. */
  openBlockers: number;
  /** Tickets that could not be scanned, with why. */
  errors: string[];
}

export interface SecurityCycleResult extends CycleResult {
  stats: SecurityCycleStats;
  changes: FindingChange[];
}

interface Target {
  ticket: Ticket & { worktree: NonNullable<Ticket['worktree']> };
  /** Set for a DONE ticket: the value that marks its one full scan as done. */
  doneMark?: string;
}

export class SecurityAgent implements BackgroundAgent {
  readonly name = 'Security' as const;
  readonly defaultIntervalSeconds = 120;

  /** Per board folder: content keys the store's scan cache holds (it only ever grows for a rules version). */
  private readonly knownClean = new Map<string, Set<string>>();

  constructor(private readonly deps: SecurityAgentDeps) {}

  async runCycle(ctx: CycleContext): Promise<SecurityCycleResult> {
    await ctx.board.refresh();
    return this.scan(ctx, this.targets(ctx.board));
  }

  /**
   * Scans the named tickets now, whatever their status, e.g. right before a move out of IN_SEC so
   * the gate sees the worktree as it is. Tickets without a worktree are left out.
   */
  async scanTickets(ctx: CycleContext, ticketIds: readonly string[]): Promise<SecurityCycleResult> {
    await ctx.board.refresh();
    const targets: Target[] = [];
    for (const id of ticketIds) {
      const ticket = ctx.board.getTicket(id);
      if (ticket && hasWorktree(ticket)) targets.push({ ticket });
    }
    return this.scan(ctx, targets);
  }

  private targets(board: Board): Target[] {
    const targets: Target[] = [];
    for (const ticket of board.listTickets({ status: ACTIVE_STATUSES })) if (hasWorktree(ticket)) targets.push({ ticket });
    for (const ticket of board.listTickets({ status: 'DONE' })) {
      const mark = String(ticket.statusSince);
      if (hasWorktree(ticket) && board.getMeta(doneScanMetaKey(ticket.id)) !== mark) targets.push({ ticket, doneMark: mark });
    }
    return targets;
  }

  private async scan(ctx: CycleContext, targets: Target[]): Promise<SecurityCycleResult> {
    const { board, signal, log } = ctx;
    const settings = this.deps.settings();
    const stats: SecurityCycleStats = {
      tickets: 0,
      files: 0,
      scanned: 0,
      unchanged: 0,
      deferred: 0,
      skipped: { ignored: 0, 'too-large': 0, binary: 0, 'not-a-file': 0 },
      newFindings: 0,
      fixed: 0,
      reopened: 0,
      moved: 0,
      openBlockers: 0,
      errors: [],
    };
    const scans: TicketScan[] = [];
    const memo = new Map<string, RawFinding[]>();
    const budget = new ScanBudget(performance.now() + (this.deps.scanBudgetMs ?? DEFAULT_SCAN_BUDGET_MS));
    let knownClean = this.knownClean.get(board.dir);
    if (!knownClean) this.knownClean.set(board.dir, (knownClean = new Set()));
    const doneMarks = new Map<string, string>();

    for (const [i, { ticket, doneMark }] of targets.entries()) {
      signal.throwIfAborted();
      ctx.setActivity(`Scanning ${ticket.id} (${i + 1} of ${targets.length})`);
      if (!existsSync(ticket.worktree.path)) {
        if (doneMark !== undefined) {
          // Already cleaned up: the scans it had while active stand, and there is nothing left to read.
          doneMarks.set(ticket.id, doneMark);
          log.info(`Security: ${ticket.id} is DONE and its worktree is gone; its last scan stands`);
        } else {
          stats.errors.push(`${ticket.id}: worktree ${ticket.worktree.path} is missing`);
        }
        continue;
      }
      try {
        const scan = await collectTicket(board, this.deps.git, ticket, { settings, signal, memo, knownClean, budget });
        scans.push(scan);
        stats.tickets++;
        let deferred = 0;
        for (const f of scan.files) {
          stats.files++;
          if (f.state === 'scanned' && !f.reused) stats.scanned++;
          else if (f.state === 'skipped') stats.skipped[f.reason]++;
          else if (f.state === 'deferred') deferred++;
          else stats.unchanged++;
        }
        stats.deferred += deferred;
        // A DONE ticket's one full scan is over only when no file of it was left for later.
        if (doneMark !== undefined && deferred === 0) doneMarks.set(ticket.id, doneMark);
      } catch (err) {
        if (signal.aborted || (err instanceof FactoryError && err.reason === 'cancelled')) throw err;
        // One ticket's broken worktree must not hide the others' findings.
        stats.errors.push(`${ticket.id}: ${errorMessage(err)}`);
      }
    }

    ctx.setActivity(`Recording findings of ${scans.length} ticket${scans.length === 1 ? '' : 's'}`);
    const changes = await board.write((tx) => {
      const all: FindingChange[] = [];
      for (const scan of scans) all.push(...reconcileTicket(tx, scan).changes);
      for (const [id, mark] of doneMarks) tx.setMeta(doneScanMetaKey(id), mark);
      return all;
    });

    // Only now that the write landed are these keys in the store's cache.
    for (const scan of scans) for (const f of scan.files) if (f.state === 'scanned' && f.findings.length === 0) knownClean.add(f.contentKey);

    for (const c of changes) {
      if (c.kind === 'new') stats.newFindings++;
      else if (c.kind === 'fixed') stats.fixed++;
      else if (c.kind === 'reopened') stats.reopened++;
      else stats.moved++;
      const line = `Security: ${c.ticketId}: ${c.kind} ${c.severity} finding ${c.rule} at ${c.file}:${c.line}: ${c.shown}`;
      if (c.kind === 'new' || c.kind === 'reopened') log.warn(line);
      else log.info(line);
    }
    for (const e of stats.errors) log.warn(`Security: ${e}`);
    for (const t of board.listTickets({ status: ACTIVE_STATUSES })) stats.openBlockers += openSecurityBlockers(board, t.id).length;

    const summary = summarize(stats);
    log.info(`Security: ${summary}`);
    return { summary, attention: stats.openBlockers > 0 || stats.errors.length > 0, stats, changes };
  }
}

function hasWorktree(ticket: Ticket): ticket is Target['ticket'] {
  return ticket.worktree !== undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "2 tickets: 5 files scanned, 40 unchanged, 3 skipped (1 binary, 2 ignored); 1 new finding; 2 open blockers" */
export function summarize(s: SecurityCycleStats): string {
  if (s.tickets === 0 && s.errors.length === 0) return 'No ticket worktree to scan';
  const skippedTotal = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const skippedParts = (Object.entries(s.skipped) as [SkipReason, number][])
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason === 'too-large' ? 'too large' : reason === 'not-a-file' ? 'not a file' : reason}`);
  const parts = [`${plural(s.scanned, 'file')} scanned`, `${s.unchanged} unchanged`];
  if (skippedTotal > 0) parts.push(`${skippedTotal} skipped (${skippedParts.join(', ')})`);
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
