/**
 * Runs a transaction body against the board's reads alone, to learn whether it would write at all.
 * Most Gatherer and Worktree cycles change nothing; skipping their write skips the cross-process
 * lock and the catch-up with other processes that every `board.write` pays, even an empty one.
 */
import type { BoardReader, BoardTx } from './api';

type Mutator = Exclude<keyof BoardTx, keyof BoardReader>;

/** Every mutator of a transaction; the type makes a new one in the store API fail to compile here. */
const MUTATORS: Record<Mutator, true> = {
  createTicket: true,
  updateTicket: true,
  deleteTicket: true,
  transition: true,
  addHistoryNote: true,
  addBug: true,
  setBugFixed: true,
  dismissBug: true,
  updateBugLocation: true,
  createRun: true,
  updateRun: true,
  setRunUsage: true,
  setRunAttention: true,
  reportRunProgress: true,
  addCheckIn: true,
  setCheckInResolved: true,
  createConversation: true,
  setConversationStatus: true,
  updateConversation: true,
  addMessage: true,
  markMessagesRead: true,
  upsertFinding: true,
  markFindingGone: true,
  markScanned: true,
  markScannedMany: true,
  recordSecurityScan: true,
  setAgentState: true,
  setMeta: true,
  setChangedFiles: true,
  addSalvage: true,
  markSalvageRestored: true,
  deleteSalvage: true,
};

class WouldWrite extends Error {}

/**
 * `{ value }` when `fn` ran to the end reading only, or undefined when it tried to write (then
 * nothing was changed, and the caller runs it again inside `board.write`).
 */
export function runIfReadOnly<T>(reader: BoardReader, fn: (tx: BoardTx) => T): { value: T } | undefined {
  const readOnly = new Proxy(reader, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(MUTATORS, prop)) {
        return () => {
          throw new WouldWrite(prop);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as BoardTx;
  try {
    return { value: fn(readOnly) };
  } catch (err) {
    if (err instanceof WouldWrite) return undefined;
    throw err;
  }
}
