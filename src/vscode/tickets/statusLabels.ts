/**
 * How statuses and priorities read in the editor. No `vscode` import, so the grouping and the
 * ticket document that use it are tested in plain node.
 */
import type { Status } from '../../domain/status';
import type { Priority } from '../../domain/ticket';

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

export const PRIORITY_NAMES: Record<Priority, 'critical' | 'high' | 'medium' | 'low'> = {
  1: 'critical',
  2: 'high',
  3: 'medium',
  4: 'low',
};

export function priorityName(priority: Priority): string {
  return PRIORITY_NAMES[priority];
}
