/**
 * The board-wide parallel limit, checked inside the write that records a start: the write takes
 * the cross-process lock and catches up with other processes first, so the count it sees is the
 * board's, and two processes starting at the same moment never both pass it.
 */
import { FactoryError } from '../domain/errors';
import { LIVE_RUN_STATUSES } from '../domain/run';
import type { BoardReader } from '../store/api';

export class AtParallelLimitError extends FactoryError {
  constructor(
    readonly live: number,
    readonly limit: number,
  ) {
    super('runner', `${live} runs are live on the board, its parallel limit (runs.maxParallel) is ${limit}`);
    this.name = 'AtParallelLimitError';
  }
}

/** Throws AtParallelLimitError when the board already has `limit` live runs. */
export function assertUnderLimit(reader: BoardReader, limit: number | undefined): void {
  if (limit === undefined) return;
  const live = reader.listRuns({ status: LIVE_RUN_STATUSES }).length;
  if (live >= limit) throw new AtParallelLimitError(live, limit);
}
