/**
 * The conflict radar: on each Worktree cycle, records for every live ticket (started, not DONE)
 * the files its branch and its worktree change against its base, with their +/- counts. Two live
 * tickets changing one file are then visible before either lands: on both in the Tickets view, in
 * the PM's check-ins, and to the autopilot (`overlapWithRunning`).
 *
 * It reads git first and hands back one function that writes inside the cycle's transaction, so
 * the agent that hosts it keeps its single durable write. Only what changed is written.
 */
import { existsSync } from 'node:fs';
import type { CycleContext } from '../agents/agent';
import { errorMessage, FactoryError } from '../domain/errors';
import type { Ticket } from '../domain/ticket';
import { summarizeChanges, type ChangeSummary, type FileChange } from '../git/changeSummary';
import type { BoardTx, NewRecordedChange, RecordedChange } from '../store/api';

/** Tickets whose changes are recorded: worked on and not finished. */
export function isLiveForRadar(ticket: Ticket): boolean {
  return ticket.worktree !== undefined && ticket.status !== 'DONE' && ticket.status !== 'BACKLOG';
}

export type Summarize = (path: string, base: string, signal?: AbortSignal) => Promise<ChangeSummary>;

export class ConflictRadar {
  constructor(private readonly summarize: Summarize = summarizeChanges) {}

  /** Reads what every live ticket changes; returns the write that records it. */
  async scan(ctx: Pick<CycleContext, 'board' | 'signal' | 'log'>): Promise<(tx: BoardTx) => void> {
    const { board, signal } = ctx;
    const seen = new Map<string, { base: string; files: NewRecordedChange[] }>();
    const failed = new Set<string>();
    for (const ticket of board.listTickets({ hasWorktree: true })) {
      if (!isLiveForRadar(ticket) || !ticket.worktree) continue;
      signal.throwIfAborted();
      const { path, base } = ticket.worktree;
      if (!existsSync(path)) {
        // The Worktree agent recreates or reports it; until then the last record stands.
        failed.add(ticket.id);
        continue;
      }
      try {
        const summary = await this.summarize(path, base, signal);
        seen.set(ticket.id, { base, files: summary.files.map(toRecordedChange) });
      } catch (err) {
        if (signal.aborted || (err instanceof FactoryError && err.reason === 'cancelled')) throw err;
        failed.add(ticket.id);
        ctx.log.warn(`Conflict radar: could not read the changes of ${ticket.id}: ${errorMessage(err)}`);
      }
    }
    return (tx) => recordChanges(tx, seen, failed);
  }
}

/** Writes what changed since the last record; clears tickets that are no longer live. */
export function recordChanges(tx: BoardTx, seen: ReadonlyMap<string, { base: string; files: NewRecordedChange[] }>, failed: ReadonlySet<string>): void {
  const recorded = new Map<string, RecordedChange[]>();
  for (const r of tx.listChangedFiles()) recorded.set(r.ticketId, [...(recorded.get(r.ticketId) ?? []), r]);
  for (const [ticketId, { base, files }] of seen) {
    const ticket = tx.getTicket(ticketId);
    if (!ticket || !isLiveForRadar(ticket)) continue;
    if (!sameRecord(recorded.get(ticketId) ?? [], base, files)) tx.setChangedFiles(ticketId, base, files);
  }
  for (const [ticketId, rows] of recorded) {
    if (seen.has(ticketId) || failed.has(ticketId)) continue;
    const ticket = tx.getTicket(ticketId);
    if (ticket && isLiveForRadar(ticket)) continue;
    if (ticket) tx.setChangedFiles(ticketId, rows[0]?.base ?? ticket.worktree?.base ?? 'HEAD', []);
  }
}

export function toRecordedChange(f: FileChange): NewRecordedChange {
  return { path: f.path, kind: f.kind, additions: f.additions, deletions: f.deletions };
}

function sameRecord(rows: readonly RecordedChange[], base: string, files: readonly NewRecordedChange[]): boolean {
  if (rows.length !== files.length) return false;
  const key = (f: NewRecordedChange) => `${f.path}\0${f.kind}\0${f.additions ?? '-'}\0${f.deletions ?? '-'}`;
  const have = new Set(rows.map((r) => `${key(r)}\0${r.base}`));
  return files.every((f) => have.has(`${key(f)}\0${base}`));
}
