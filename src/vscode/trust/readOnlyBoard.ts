import type { Board } from '../../store/api';
import { restrictedModeError } from './restrictedMode';

/** The methods of a board that change it. */
const WRITES: ReadonlySet<PropertyKey> = new Set<keyof Board>(['write', 'acquireLease', 'releaseLease']);

/**
 * The board as Restricted Mode shows it: everything it reads, nothing it writes. Each write is
 * refused with the reason, so any path that reaches it (a command run by a keybinding, a drop on
 * the Tickets view, a reply in a comment thread) explains itself instead of changing the board.
 */
export function readOnlyBoard(board: Board): Board {
  return new Proxy(board, {
    get(target, key) {
      if (WRITES.has(key)) return () => Promise.reject(restrictedModeError('Changing the board'));
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
