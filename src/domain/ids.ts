import { FactoryError } from './errors';

/**
 * Ticket ids go into branch names and paths, so they have one strict shape and are never taken
 * from untrusted text without passing through here.
 */
export const TICKET_ID_PATTERN = /^T-[1-9][0-9]{0,8}$/;
/** Ids of runs, check-ins, conversations, messages, bugs: generated, never user text. */
export const ENTITY_ID_PATTERN = /^[a-z]{1,3}-[0-9a-z]{6,40}$/;

export function isTicketId(value: unknown): value is string {
  return typeof value === 'string' && TICKET_ID_PATTERN.test(value);
}

export function assertTicketId(value: unknown): string {
  if (!isTicketId(value)) {
    throw new FactoryError('invalid-input', `not a ticket id: ${JSON.stringify(String(value)).slice(0, 60)} (expected T-<number>)`);
  }
  return value;
}

export function assertEntityId(value: unknown, what = 'id'): string {
  if (typeof value !== 'string' || !ENTITY_ID_PATTERN.test(value)) {
    throw new FactoryError('invalid-input', `not a valid ${what}: ${JSON.stringify(String(value)).slice(0, 60)}`);
  }
  return value;
}

export function ticketIdFromNumber(n: number): string {
  return `T-${n}`;
}

export function ticketNumber(id: string): number {
  return Number(assertTicketId(id).slice(2));
}
