/**
 * A ticket's progress through the pipeline, as the Tickets view and the ticket page show it: the
 * PM's last check-in, unless its agent reported progress since (`agent-factory progress`), which
 * counts at once instead of waiting for the next check-in. Pure.
 */
import { pipelinePercent } from '../agents/pm/analysis';
import type { CheckIn } from '../domain/checkin';
import type { Run } from '../domain/run';
import type { Ticket } from '../domain/ticket';

/** 0..100, or undefined when nothing is known yet. `runs`: the ticket's running runs (others are ignored). */
export function ticketProgress(ticket: Ticket, checkIn: CheckIn | undefined, runs: readonly Run[]): number | undefined {
  const reported = runs
    .filter((r) => r.ticketId === ticket.id && r.status === 'running' && r.stage === ticket.status && r.reportedProgress !== undefined)
    .sort((a, b) => b.startedAt - a.startedAt)[0];
  if (reported?.reportedProgress !== undefined && (checkIn === undefined || (reported.lastOutputAt ?? reported.startedAt) > checkIn.createdAt)) {
    return pipelinePercent(ticket.status, reported.reportedProgress / 100);
  }
  return checkIn?.findings.progressPercent;
}
