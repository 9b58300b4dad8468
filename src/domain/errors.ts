/** Errors that carry a reason a caller (and through it, a user) can act on. */

export type FactoryErrorReason =
  | 'invalid-input'
  | 'not-found'
  | 'illegal-transition'
  | 'status-conflict'
  | 'dependency-cycle'
  | 'store-damaged'
  | 'store-locked'
  | 'read-only'
  | 'board-exists'
  | 'untrusted'
  | 'git'
  | 'runner'
  | 'timeout'
  | 'cancelled';

export class FactoryError extends Error {
  constructor(
    readonly reason: FactoryErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FactoryError';
  }
}

/** A move the transition table refuses, naming both statuses. */
export class IllegalTransitionError extends FactoryError {
  constructor(
    readonly ticketId: string,
    readonly from: string,
    readonly to: string,
    why: string,
  ) {
    super('illegal-transition', `${ticketId}: cannot move ${from} -> ${to}: ${why}`);
    this.name = 'IllegalTransitionError';
  }
}

/** A compare-and-set that found another status than the one expected. */
export class StatusConflictError extends FactoryError {
  constructor(
    readonly ticketId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('status-conflict', `${ticketId}: expected status ${expected} but it is ${actual}; someone else moved it`);
    this.name = 'StatusConflictError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
