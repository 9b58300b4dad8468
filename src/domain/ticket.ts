import { FactoryError } from './errors';
import type { Actor, Status } from './status';

export type Priority = 1 | 2 | 3 | 4;
export const TICKET_TYPES = ['feature', 'bug', 'chore', 'security', 'idea'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];
export const TICKET_SOURCES = ['user', 'gatherer', 'security'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Why a person decided a finding needs no fix: the Security gate no longer counts it. */
export const DISMISS_REASONS = ['false-positive', 'test-data', 'accepted-risk'] as const;
export type DismissReason = (typeof DISMISS_REASONS)[number];

export interface Dismissal {
  reason: DismissReason;
  by: string;
  at: number;
}

export interface Worktree {
  path: string;
  branch: string;
  base: string;
}

export interface Ticket {
  id: string;
  title: string;
  description: string;
  acceptanceCriteria: string[];
  priority: Priority;
  type: TicketType;
  labels: string[];
  source: TicketSource;
  /** Stable identity of a gathered or scanned item; undefined for user tickets. */
  fingerprint?: string | undefined;
  status: Status;
  /** The status a BLOCKED ticket was blocked from, and why. */
  blockedFrom?: Status | undefined;
  blockedReason?: string | undefined;
  assignedAgent?: string | undefined;
  worktree?: Worktree | undefined;
  /** Tickets that must be DONE before this one is started (no cycles: the store refuses them). */
  dependsOn: string[];
  /** How many times the PM moved this ticket back to READY; capped by `maxHeals`. */
  healCount: number;
  createdAt: number;
  updatedAt: number;
  /** When the ticket entered its current status. */
  statusSince: number;
}

export interface Bug {
  id: string;
  ticketId: string;
  title: string;
  description: string;
  severity: Severity;
  foundBy: string;
  file?: string | undefined;
  line?: number | undefined;
  rule?: string | undefined;
  fingerprint?: string | undefined;
  fixed: boolean;
  fixedAt?: number | undefined;
  /** Set when a person dismissed the finding: it stays on record but blocks nothing. */
  dismissed?: Dismissal | undefined;
  createdAt: number;
}

export interface HistoryEntry {
  ticketId: string;
  from: Status | null;
  to: Status;
  at: number;
  by: Actor;
  note?: string | undefined;
}

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX_BYTES = 100 * 1024;

/** Trims and checks a title; the error says what to fix. */
export function validateTitle(title: unknown): string {
  if (typeof title !== 'string') throw new FactoryError('invalid-input', 'a ticket title must be text');
  const trimmed = title.trim();
  if (trimmed.length === 0) throw new FactoryError('invalid-input', 'a ticket title cannot be empty');
  if ([...trimmed].length > TITLE_MAX) {
    throw new FactoryError('invalid-input', `a ticket title is at most ${TITLE_MAX} characters (this one has ${[...trimmed].length})`);
  }
  return trimmed;
}

export function validateDescription(description: unknown): string {
  if (description === undefined || description === null) return '';
  if (typeof description !== 'string') throw new FactoryError('invalid-input', 'a ticket description must be text');
  const bytes = Buffer.byteLength(description, 'utf8');
  if (bytes > DESCRIPTION_MAX_BYTES) {
    throw new FactoryError('invalid-input', `a ticket description is at most 100 KB (this one is ${Math.ceil(bytes / 1024)} KB)`);
  }
  return description;
}

export function validatePriority(priority: unknown): Priority {
  if (priority === undefined) return 3;
  if (priority === 1 || priority === 2 || priority === 3 || priority === 4) return priority;
  throw new FactoryError('invalid-input', `priority must be 1 (critical) to 4 (low), not ${JSON.stringify(priority) ?? typeof priority}`);
}

export function isBlockingBug(bug: Bug): boolean {
  return !bug.fixed && (bug.severity === 'critical' || bug.severity === 'high');
}

/** Neither fixed nor dismissed: something still to act on. */
export function isOpenBug(bug: Bug): boolean {
  return !bug.fixed && bug.dismissed === undefined;
}
