/**
 * Which live tickets change the same files, from what the conflict radar recorded. Pure: the
 * Tickets view, the PM's check-ins and the autopilot all ask the same question the same way.
 */
import type { RecordedChange } from '../store/api';

export interface Overlap {
  /** The other ticket. */
  ticketId: string;
  /** The files both change, sorted. */
  files: string[];
}

/** For every ticket with a recorded change, the other tickets changing the same files. */
export function overlapsByTicket(records: readonly RecordedChange[]): Map<string, Overlap[]> {
  const byPath = new Map<string, Set<string>>();
  for (const r of records) {
    let tickets = byPath.get(r.path);
    if (!tickets) byPath.set(r.path, (tickets = new Set<string>()));
    tickets.add(r.ticketId);
  }
  const shared = new Map<string, Map<string, string[]>>();
  for (const [path, tickets] of byPath) {
    if (tickets.size < 2) continue;
    for (const a of tickets) {
      for (const b of tickets) {
        if (a === b) continue;
        let others = shared.get(a);
        if (!others) shared.set(a, (others = new Map<string, string[]>()));
        others.set(b, [...(others.get(b) ?? []), path]);
      }
    }
  }
  const out = new Map<string, Overlap[]>();
  for (const [ticketId, others] of shared) {
    out.set(
      ticketId,
      [...others].map(([other, files]) => ({ ticketId: other, files: files.sort() })).sort((x, y) => compareIds(x.ticketId, y.ticketId)),
    );
  }
  return out;
}

/** The tickets whose recorded files overlap `ticketId`'s. */
export function overlapsOf(records: readonly RecordedChange[], ticketId: string): Overlap[] {
  return overlapsByTicket(records).get(ticketId) ?? [];
}

/**
 * What the autopilot asks before it starts `ticketId`: with `avoidOverlap` on, the first running
 * ticket whose recorded files overlap the candidate's (it waits), else undefined (it may start).
 * A ticket with nothing recorded (never worked) overlaps nothing.
 */
export function overlapWithRunning(
  records: readonly RecordedChange[],
  ticketId: string,
  runningTicketIds: ReadonlySet<string>,
  avoidOverlap: boolean,
): Overlap | undefined {
  if (!avoidOverlap) return undefined;
  return overlapsOf(records, ticketId).find((o) => o.ticketId !== ticketId && runningTicketIds.has(o.ticketId));
}

/** "T-3 (src/a.ts, src/b.ts and 4 more)". */
export function describeOverlap(o: Overlap, listed = 3): string {
  const shown = o.files.slice(0, listed).join(', ');
  const more = o.files.length > listed ? ` and ${o.files.length - listed} more` : '';
  return `${o.ticketId} (${shown}${more})`;
}

function compareIds(a: string, b: string): number {
  return Number(a.slice(2)) - Number(b.slice(2)) || a.localeCompare(b);
}
