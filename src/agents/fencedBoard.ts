/**
 * The board a background agent's cycle writes through. Every write first checks, inside its own
 * transaction, that the cycle still counts: it was not abandoned (timed out, the agents stopping)
 * and this process still holds the agents lease. A cycle that lost either writes nothing, so a
 * window that stalled past its lease never overwrites what the new holder did meanwhile.
 */
import { FactoryError } from '../domain/errors';
import type { Board, BoardReader } from '../store/api';

export interface Fence {
  signal: AbortSignal;
  leaseName: string;
  leaseTimeoutMs(): number;
  /** The time of a write, read inside it (under the board's lock, so writes are ordered by it). */
  now(): number;
  /** After each write that passed the fence: the lease term (when it was acquired) and its time. */
  onWrite?(term: number, at: number): void;
}

/** Throws when the cycle no longer counts; returns the lease term it runs under. */
export function checkFence(board: Board, reader: BoardReader, fence: Fence): number {
  if (fence.signal.aborted) throw new FactoryError('cancelled', 'this cycle was abandoned (it timed out or the agents are stopping); it writes nothing more');
  const lease = reader.getLease(fence.leaseName);
  if (!lease || lease.owner !== board.ownerId || !board.isLeaseLive(lease, fence.leaseTimeoutMs())) {
    throw new FactoryError('cancelled', 'this window no longer holds the agents lease; the cycle writes nothing more');
  }
  return lease.acquiredAt;
}

/** `board`, with every write fenced. Reads go straight through. */
export function fencedBoard(board: Board, fence: Fence): Board {
  const write: Board['write'] = async (fn) => {
    let term = 0;
    let at = 0;
    const result = await board.write((tx) => {
      term = checkFence(board, tx, fence);
      at = fence.now();
      return fn(tx);
    });
    fence.onWrite?.(term, at);
    return result;
  };
  return new Proxy(board, {
    get(target, prop, receiver) {
      if (prop === 'write') return write;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
