/**
 * How statuses, priorities and people read, in the editor and in the CLI alike: one vocabulary
 * ("In Security Review", "high"), while the codes (`IN_SEC`, `2`) stay what scripts pass and what
 * `--json` prints. Pure, so everything that shows a ticket is tested in plain node.
 */
import { STATUSES, type Status } from './status';
import type { HistoryEntry, Priority } from './ticket';

const STATUS_LABELS: Record<Status, string> = {
  BACKLOG: 'Backlog',
  READY: 'Ready',
  IN_DEV: 'In Development',
  IN_QA: 'In QA',
  IN_UX: 'In UX Review',
  IN_SEC: 'In Security Review',
  PM_REVIEW: 'PM Review',
  DONE: 'Done',
  BLOCKED: 'Blocked',
};

export function statusLabel(status: Status): string {
  return STATUS_LABELS[status];
}

export type PriorityName = 'critical' | 'high' | 'medium' | 'low';

export const PRIORITY_NAMES: Record<Priority, PriorityName> = {
  1: 'critical',
  2: 'high',
  3: 'medium',
  4: 'low',
};

/** Most urgent first: the order pickers and lists show them in. */
export const PRIORITIES: readonly Priority[] = [1, 2, 3, 4];

export function priorityName(priority: Priority): PriorityName {
  return PRIORITY_NAMES[priority];
}

/** "high", "High", "2" or "P2"; undefined for anything else (" 2 ", "2.0", "0x1" included). */
export function parsePriority(raw: string): Priority | undefined {
  const word = raw.toLowerCase().replace(/^p(?=[1-4]$)/, '');
  for (const p of PRIORITIES) if (word === String(p) || word === PRIORITY_NAMES[p]) return p;
  return undefined;
}

/** A status code in any case ("in-sec", "IN_SEC") or its label ("In Security Review"). */
export function parseStatus(raw: string): Status | undefined {
  const text = raw.trim();
  const code = text.toUpperCase().replace(/[-\s]/g, '_');
  const byCode = STATUSES.find((s) => s === code);
  return byCode ?? STATUSES.find((s) => STATUS_LABELS[s].toLowerCase() === text.toLowerCase().replace(/\s+/g, ' '));
}

/** "Ready → In Development", or "Created in Ready" for a ticket's first history row. */
export function describeMove(from: Status | null, to: Status): string {
  return from === null ? `Created in ${statusLabel(to)}` : `${statusLabel(from)} → ${statusLabel(to)}`;
}

/** Who did something, as a person reads it: the user is "you", agents keep their names. */
export function actorName(actor: string): string {
  return actor === 'user' ? 'you' : actor;
}

/**
 * One history row as a sentence: "Ready → In Development by you: picked it up", "Created in
 * Ready by you", or for a row that is not a move, its note ("Edited priority medium → high by
 * you"). The store's own "created" note adds nothing to "Created in ...".
 */
export function describeHistory(entry: Pick<HistoryEntry, 'from' | 'to' | 'by' | 'note'>): string {
  const by = `by ${actorName(entry.by)}`;
  const note = entry.note?.trim();
  if (entry.from !== null && entry.from === entry.to) return `${note || 'Noted'} ${by}`;
  const words = note && !(entry.from === null && note === 'created') ? `: ${note}` : '';
  return `${describeMove(entry.from, entry.to)} ${by}${words}`;
}
