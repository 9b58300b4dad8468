/** Check-ins: what the PM found on an active ticket, and the rule that names its type. */
export const CHECKIN_TYPES = ['blocker', 'review', 'guidance', 'progress'] as const;
export type CheckInType = (typeof CHECKIN_TYPES)[number];

export interface Findings {
  /** 0..100, derived from real signals, never from when a row was last written. */
  progressPercent: number;
  concerns: string[];
  blockers: string[];
  achievements: string[];
  /** Facts behind the numbers (commits, changed files, run state, time in status). */
  evidence: string[];
  /** True when the ticket's run shows no progress for `stallMinutes`. */
  stalled: boolean;
}

export interface CheckIn {
  id: string;
  ticketId: string;
  type: CheckInType;
  summary: string;
  findings: Findings;
  actionRequired: boolean;
  resolved: boolean;
  conversationId?: string | undefined;
  createdAt: number;
}

/**
 * Blocker beats review (concerns) beats guidance (stalled) beats progress. The original let later
 * rules overwrite earlier ones, so concerns hid blockers and guidance could never fire.
 */
export function checkInType(f: Pick<Findings, 'blockers' | 'concerns' | 'stalled'>): CheckInType {
  if (f.blockers.length > 0) return 'blocker';
  if (f.concerns.length > 0) return 'review';
  if (f.stalled) return 'guidance';
  return 'progress';
}

/** Formats a percentage with digits (the original wrote a character: string(rune(n))). */
export function formatPercent(value: number, fractionDigits = 1): string {
  const clamped = Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0;
  return `${clamped.toFixed(fractionDigits)}%`;
}

/** A key that changes exactly when what a human would read changes. */
export function findingsKey(type: CheckInType, f: Findings): string {
  return JSON.stringify([type, [...f.blockers].sort(), [...f.concerns].sort(), f.stalled]);
}
